import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeWithEngine, ENGINES, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { BIN, runBin } from '../helpers/run-cli.js';
import { recordedFolder } from '../helpers/recording.js';

/** Wait until `path` exists (the script got that far). */
async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 600 && !existsSync(path); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Whether any process of the session/group `pgid` is still there (zombies aside). */
function groupAlive(pgid: number): boolean {
  const ps = spawnSync('ps', ['-e', '-o', 'pgid=,stat='], { encoding: 'utf8' });
  return ps.stdout.split('\n').some((l) => {
    const [g, stat] = l.trim().split(/\s+/);
    return Number(g) === pgid && !stat?.startsWith('Z');
  });
}

for (const name of ENGINES) {
  describeWithEngine(
    name,
    'record: the command’s process',
    () => {
      const env = { ...process.env, NO_COLOR: '1', MUST_GATHER_RUNTIME: name };
      let service = '';
      afterEach(() => removeContainers(name, [`${service}_svc`]));

      it('a command killed with SIGKILL gives 137, and the evidence is kept', async () => {
        service = uniqueService('mgtrec');
        const dir = tempDir();
        const out = join(dir, 'out');
        const script = join(dir, 'killed.sh');
        writeFileSync(
          script,
          `#!/bin/sh
${name} run -d --name ${service}_svc ${TEST_IMAGE} sh -c 'echo before the kill; sleep 300' >/dev/null
until ${name} logs ${service}_svc 2>/dev/null | grep -q .; do sleep 0.1; done
kill -9 $$
`,
          { mode: 0o755 },
        );
        const run = await runBin(['record', service, '-o', out, '--', script], { env });
        expect(run.code, run.stderr).toBe(137);
        expect(run.stderr).toMatch(/^must-gather: command exited 137; 1 container instance recorded in /m);
        const f = recordedFolder(out, service);
        expect(f.read(`${service}_svc.log`)).toBe('before the kill\n');
        expect(f.instance('svc')?.error).toBeNull();
      }, 90_000);

      it('SIGINT to must-gather goes to the command’s process group; the evidence is kept and nothing is left running', async () => {
        service = uniqueService('mgtrec');
        const dir = tempDir();
        const out = join(dir, 'out');
        const ready = join(dir, 'ready');
        const got = join(dir, 'got-int');
        const script = join(dir, 'interrupted.sh');
        // A background job of a non-interactive shell ignores SIGINT: must-gather must not leave it behind.
        writeFileSync(
          script,
          `#!/bin/sh
trap 'echo int > ${got}; exit 7' INT
${name} run -d --name ${service}_svc ${TEST_IMAGE} sh -c 'echo serving; sleep 300' >/dev/null
until ${name} logs ${service}_svc 2>/dev/null | grep -q .; do sleep 0.1; done
sleep 300 &
touch ${ready}
wait
`,
          { mode: 0o755 },
        );
        const child = spawn(process.execPath, [BIN, 'record', service, '-o', out, '--', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        await waitFor(ready);
        // The command is its own process group, led by the shell.
        const pgid = Number(spawnSync('ps', ['-o', 'pgid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
        child.kill('SIGINT');
        expect(await closed, stderr).toBe(7);
        expect(readFileSync(got, 'utf8')).toBe('int\n');
        expect(groupAlive(pgid), `process group ${pgid}`).toBe(false);
        const f = recordedFolder(out, service);
        expect(f.manifest.interruption).toBe('interrupted (SIGINT)');
        expect(f.read(`${service}_svc.log`)).toBe('serving\n');
        // Still running when the recording ended: its inspect was taken live.
        expect((JSON.parse(f.read(`${service}_svc_inspect.json`)) as { State: { Running: boolean } }).State.Running).toBe(true);
      }, 90_000);

      it('the command’s stdin, stdout and stderr pass through byte for byte; must-gather says only its prefixed verdict', () => {
        const dir = tempDir();
        const input = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13, 10, ...Buffer.from('last line without newline')]);
        service = uniqueService('mgtrec');
        const run = spawnSync(process.execPath, [BIN, 'record', service, '-o', join(dir, 'out'), '--', 'sh', '-c', 'cat; printf "to stderr\\n" >&2; exit 3'], { input, env });
        expect(run.status).toBe(3);
        expect(Buffer.compare(run.stdout, input)).toBe(0);
        const lines = run.stderr.toString().split('\n');
        expect(lines).toContain('to stderr');
        const own = lines.filter((l) => l !== '' && l !== 'to stderr');
        expect(own).toHaveLength(1);
        expect(own[0]).toMatch(/^must-gather: command exited 3; /);
      }, 60_000);

      it('the command is told the service is being recorded, so its own --if-failed step keeps no second folder', () => {
        const dir = tempDir();
        service = uniqueService('mgtrec');
        const inner = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${service} --if-failed --exit-code 1 -o ${JSON.stringify(join(dir, 'inner'))}`;
        const script = `${name} run -d --name ${service}_svc ${TEST_IMAGE} sh -c 'echo hello' >/dev/null; ${name} wait ${service}_svc >/dev/null; echo "marked: $MUST_GATHER_RECORDING"; ${inner}; exit 1`;
        const run = spawnSync(process.execPath, [BIN, 'record', service, '-o', join(dir, 'out'), '--', 'sh', '-c', script], { env, encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(1);
        expect(run.stdout).toContain(`marked: ${service}\n`);
        expect(existsSync(join(dir, 'inner'))).toBe(false);
        expect(recordedFolder(join(dir, 'out'), service).read(`${service}_svc.log`)).toBe('hello\n');
      }, 60_000);
    },
    'api',
  );
}

