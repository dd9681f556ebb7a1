import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Manifest } from '../../src/gather/manifest.js';
import { describeWithEngine, ENGINES, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { runBin } from '../helpers/run-cli.js';

/** A suite-like script: db runs, app exits 3, is removed, a new app under the same name runs, all removed, exit $EXIT. */
function suiteScript(dir: string, engine: string, service: string, exit: number): string {
  const rm = engine === 'podman' ? 'rm -f -t 0' : 'rm -f';
  const path = join(dir, 'suite.sh');
  writeFileSync(
    path,
    `#!/bin/sh
set -e
E=${engine}; S=${service}; IMG=${TEST_IMAGE}
$E run -d --name \${S}_db $IMG sh -c 'for i in $(seq 1 200); do echo "db line $i"; done; echo db-err >&2; sleep 60' >/dev/null
$E run -d --name \${S}_app $IMG sh -c 'echo app first; echo app err >&2; exit 3' >/dev/null
$E wait \${S}_app >/dev/null || true
$E ${rm} \${S}_app >/dev/null
$E run -d --name \${S}_app $IMG sh -c 'echo app second; sleep 1; echo app second done' >/dev/null
$E wait \${S}_app >/dev/null
$E ${rm} \${S}_app \${S}_db >/dev/null
exit ${exit}
`,
    { mode: 0o755 },
  );
  return path;
}

function runFolders(base: string): string[] {
  return existsSync(base) ? readdirSync(base).filter((n) => n.includes('-integration-')) : [];
}

/** Running (a zombie waiting for init to reap it counts as gone), after up to 3 s for a SIGKILL to land. */
async function alive(pid: number): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    let state: string;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').slice(0, 1);
    } catch {
      return false;
    }
    if (state === 'Z') return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

for (const name of ENGINES) {
  describeWithEngine(
    name,
    'record mode',
    () => {
      const env = { ...process.env, NO_COLOR: '1', MUST_GATHER_RUNTIME: name };
      let service = '';
      afterEach(() => removeContainers(name, [`${service}_db`, `${service}_app`, `${service}_hang`]));

      it('keeps every instance of a failing run: logs, exit codes, events; exits with the command’s code', async () => {
        service = uniqueService('mgtrec');
        const dir = tempDir();
        const out = join(dir, 'out');
        const run = await runBin(['record', service, '-o', out, '--', suiteScript(dir, name, service, 1)], { env });
        expect(run.code, run.stderr).toBe(1);
        expect(run.stderr).toMatch(/^must-gather: command exited 1; 3 container instances recorded in /m);
        const [folder] = runFolders(out);
        expect(folder).toBeDefined();
        const root = join(out, folder!);
        const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as Manifest;
        const records = manifest.containers as unknown as { name: string; instance: number; exitCode: number | null; files: { path: string }[]; error: string | null }[];
        const byFile = (n: string, i: number) => records.find((r) => r.name === `${service}_${n}` && r.instance === i);
        expect(byFile('app', 1)?.exitCode).toBe(3);
        expect(byFile('app', 2)?.exitCode).toBe(0);
        expect(byFile('db', 1)).toBeDefined();
        for (const r of records) expect(r.error, r.name).toBeNull();
        expect(byFile('app', 2)?.files.map((f) => f.path).sort()).toEqual([`${service}_app-2.log`, `${service}_app-2_inspect.json`]);
        expect(readFileSync(join(root, `${service}_app.log`), 'utf8').split('\n').sort()).toEqual(['', 'app err', 'app first']);
        expect(readFileSync(join(root, `${service}_app-2.log`), 'utf8')).toBe('app second\napp second done\n');
        // stdout and stderr are separate streams in the engine: their interleaving is not kept, each one's order is.
        const db = readFileSync(join(root, `${service}_db.log`), 'utf8').split('\n');
        expect(db.filter((l) => l.startsWith('db line'))).toEqual(Array.from({ length: 200 }, (_, i) => `db line ${i + 1}`));
        expect(db.filter((l) => l === 'db-err')).toHaveLength(1);
        expect(db.length).toBe(202);
        const events = readFileSync(join(root, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; name: string; instance: number; exitCode?: number });
        const die = events.find((e) => e.action === 'die' && e.name === `${service}_app` && e.instance === 1);
        expect(die?.exitCode).toBe(3);
        expect(events.filter((e) => e.action === 'start').length).toBe(3);
        expect(existsSync(join(root, 'SUMMARY.md'))).toBe(true);
        expect(existsSync(join(root, 'index.html'))).toBe(true);
      }, 90_000);

      it('keeps nothing when the command passes (--when on-failure)', async () => {
        service = uniqueService('mgtrec');
        const dir = tempDir();
        const out = join(dir, 'out');
        const run = await runBin(['record', service, '-o', out, '--', suiteScript(dir, name, service, 0)], { env });
        expect(run.code, run.stderr).toBe(0);
        expect(run.stderr).toMatch(/nothing kept/);
        expect(runFolders(out)).toEqual([]);
      }, 90_000);

      it('ends a hanging command at --command-timeout: evidence kept, exit 124, no process left', async () => {
        service = uniqueService('mgtrec');
        const dir = tempDir();
        const out = join(dir, 'out');
        const pids = join(dir, 'pids');
        const script = join(dir, 'hang.sh');
        writeFileSync(
          script,
          `#!/bin/sh
echo $$ > ${pids}
${name} run -d --name ${service}_hang ${TEST_IMAGE} sh -c 'echo hanging; sleep 300' >/dev/null
sleep 300 &
echo $! >> ${pids}
wait
`,
          { mode: 0o755 },
        );
        const started = Date.now();
        const run = await runBin(['record', service, '-o', out, '--command-timeout', '3s', '--', script], { env });
        expect(run.code, run.stderr).toBe(124);
        expect(Date.now() - started).toBeLessThan(30_000);
        for (const pid of readFileSync(pids, 'utf8').trim().split('\n').map(Number)) expect(await alive(pid), `pid ${pid}`).toBe(false);
        const [folder] = runFolders(out);
        const root = join(out, folder!);
        expect(readFileSync(join(root, `${service}_hang.log`), 'utf8')).toBe('hanging\n');
        const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as Manifest;
        expect(manifest.interruption).toMatch(/--command-timeout/);
        const inspect = JSON.parse(readFileSync(join(root, `${service}_hang_inspect.json`), 'utf8')) as { State: { Running: boolean } };
        expect(inspect.State.Running).toBe(true);
      }, 90_000);
    },
    'api',
  );
}

describeWithEngine(
  'podman',
  'record() library API',
  () => {
    it('records from code: record({ service }) … stop({ failed: true }) gives a GatherResult-shaped result', async () => {
      const { record } = await import('../../src/index.js');
      const { spawnSync } = await import('node:child_process');
      const service = uniqueService('mgtrec');
      const out = join(tempDir(), 'out');
      const recording = await record({ service, runtime: 'podman', outputDir: out, env: { ...process.env, MUST_GATHER_RUNTIME: 'podman' } });
      try {
        spawnSync('podman', ['run', '--name', `${service}_lib`, TEST_IMAGE, 'sh', '-c', 'echo from lib; exit 5'], { stdio: 'ignore' });
        const result = await recording.stop({ failed: true });
        expect(result.outputDir).not.toBeNull();
        expect(result.containers.map((c) => [c.name, c.exitCode])).toEqual([[`${service}_lib`, 5]]);
        expect(readFileSync(join(result.outputDir!, `${service}_lib.log`), 'utf8')).toBe('from lib\n');
      } finally {
        removeContainers('podman', [`${service}_lib`]);
      }
    }, 60_000);
  },
  'api',
);
