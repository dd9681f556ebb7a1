import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import type { Manifest } from '../../src/gather/manifest.js';
import { record } from '../../src/index.js';
import { detectRuntime } from '../../src/runtime/detect.js';
import { EngineCancelledError, type ContainerEvent, type ContainerRuntime, type EventsOptions } from '../../src/runtime/types.js';
import { describeWithEngine, ENGINES, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { runBin } from '../helpers/run-cli.js';
import { recordedFolder, runFolders, suiteContainers, suiteScript } from '../helpers/recording.js';

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

/** Every call to the real engine's adapter, for a test to replace one. */
function delegate(real: ContainerRuntime): ContainerRuntime {
  return {
    name: real.name,
    transport: real.transport,
    info: (signal) => real.info(signal),
    describe: (signal) => real.describe(signal),
    list: (options) => real.list(options),
    inspect: (id, signal) => real.inspect(id, signal),
    logs: (container, options, signal) => real.logs(container, options, signal),
    events: (options) => real.events(options),
  };
}

/** The real podman, over its API. */
async function podmanApi(): Promise<ContainerRuntime> {
  return (await detectRuntime({ runtime: 'podman', transport: 'api', env: process.env })).runtime;
}

/** An engine's event stream that gives nothing: a catch-up ends at once, a live stream when its signal aborts. */
async function* silentEvents(options: EventsOptions): AsyncGenerator<ContainerEvent> {
  if (options.until === undefined) await aborted(options.signal);
  yield* [];
}

/** Resolves when `signal` aborts (at once if it has). */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
}

for (const name of ENGINES) {
  describeWithEngine(
    name,
    'record mode',
    () => {
      const env = { ...process.env, NO_COLOR: '1', MUST_GATHER_RUNTIME: name };
      let service = '';
      afterEach(() => removeContainers(name, [...suiteContainers(service), `${service}_hang`]));

      for (const transport of ['api', 'cli'] as const) it(`keeps every instance of a failing suite (${transport}): complete logs, exit codes, restarts, the OOM kill, events; exits with the command’s code`, async () => {
        service = uniqueService('mgtrec');
        const dir = tempDir();
        const out = join(dir, 'out');
        const run = await runBin(['record', service, '-o', out, '--transport', transport, '--', suiteScript(dir, name, service, 1)], { env });
        expect(run.code, run.stderr).toBe(1);
        // Quiet: the verdict line is all must-gather says.
        expect(run.stderr).toMatch(/^must-gather: command exited 1; 5 container instances recorded in \S+\n$/);
        const f = recordedFolder(out, service);
        expect(f.records.map((r) => `${r.name.slice(service.length + 1)}#${r.instance}`).sort()).toEqual(['app#1', 'app#2', 'db#1', 'flaky#1', 'hog#1']);
        for (const r of f.records) expect(r.error, r.name).toBeNull();
        expect(f.instance('app', 1)?.exitCode).toBe(3);
        expect(f.instance('app', 2)?.exitCode).toBe(0);
        expect(f.instance('app', 2)?.files.map((x) => x.path).sort()).toEqual([`${service}_app-2.log`, `${service}_app-2_inspect.json`]);
        // stdout and stderr are separate streams in the engine: their interleaving is not kept, each one's order is.
        expect(f.read(`${service}_app.log`).split('\n').sort()).toEqual(['', 'app err', 'app first']);
        expect(f.read(`${service}_app-2.log`)).toBe('app second\napp second done\n');
        const db = f.read(`${service}_db.log`).split('\n');
        expect(db.filter((l) => l.startsWith('db line'))).toEqual(Array.from({ length: 200 }, (_, i) => `db line ${i + 1}`));
        expect(db.filter((l) => l === 'db-err')).toHaveLength(1);
        expect(db.length).toBe(202);
        // Every run of the crash loop in one log, no line twice; each exit and the restarts in its record.
        const flaky = f.instance('flaky');
        expect(f.read(`${service}_flaky.log`)).toBe('flaky run\n'.repeat(3));
        expect(flaky?.restartCount).toBe(2);
        expect(flaky?.exits.map((e) => e.exitCode)).toEqual([4, 4, 4]);
        expect(f.instance('hog')?.exitCode).toBe(137);
        // db was last inspected while it ran, then removed: its end is its die event's time.
        const dbRecord = f.instance('db');
        expect(dbRecord?.finishedAt ?? null).not.toBeNull();
        // (or the inspect's own FinishedAt, when the die event's inspect caught it stopped)
        expect(Math.abs(Date.parse(dbRecord?.finishedAt ?? '') - Date.parse(dbRecord?.exits.at(-1)?.at ?? ''))).toBeLessThan(2000);
        expect(f.read(`${service}_hog.log`)).toBe('hog start\n');
        expect(f.read('SUMMARY.md')).toMatch(new RegExp(`\\*\\*${service}_hog\\*\\* — exit 137 — [^\\n]*(out of memory|too much memory)`));
        const die = f.events.find((e) => e.action === 'die' && e.name === `${service}_app` && e.instance === 1);
        expect(die?.exitCode).toBe(3);
        expect(f.events.filter((e) => e.action === 'die' && e.name === `${service}_flaky`).map((e) => e.exitCode)).toEqual([4, 4, 4]);
        for (const r of f.records) expect(f.events.some((e) => e.action === 'destroy' && e.id === r.id), `${r.name} destroyed`).toBe(true);
        expect(f.manifest.gaps).toEqual([]);
        expect(existsSync(join(f.root, 'index.html'))).toBe(true);
        // timeline.log: every line of every instance, by the engine's time (podman's CLI gives no line times: none then).
        if (name === 'podman' && transport === 'cli') {
          expect(f.manifest.timeline).toBeNull();
          expect(f.manifest.warnings.some((w) => w.startsWith('timeline.log not written: none of the containers'))).toBe(true);
        } else {
          const timeline = f.read('timeline.log').split('\n').filter((l) => l !== '');
          const label = (l: string) => l.split(' ', 3)[1];
          for (const file of ['app', 'app-2', 'db', 'flaky', 'hog']) {
            const mine = timeline.filter((l) => label(l) === `${service}_${file}`).map((l) => l.replace(/^\S+ \S+ \| /, ''));
            expect(mine, file).toEqual(f.read(`${service}_${file}.log`).split('\n').filter((l) => l !== ''));
          }
          // A merge by time: where the timeline goes from one container to another, time does not go back
          // (within one container the file's order is kept: the engine stamps stdout and stderr apart).
          for (let i = 1; i < timeline.length; i++) {
            const [a, b] = [timeline[i - 1] as string, timeline[i] as string];
            const time = (l: string) => l.slice(0, l.indexOf(' '));
            if (label(a) !== label(b)) expect(time(a) <= time(b), `${a}\n${b}`).toBe(true);
          }
          expect(timeline).toHaveLength(f.manifest.timeline?.lines ?? -1);
        }
      }, 120_000);

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

    it('reads a running container’s log to its end at stop, even what its following stream had not delivered', async () => {
      const real = await podmanApi();
      // The real engine, but a following stream delivers nothing until it is cut.
      const stalled: ContainerRuntime = {
        ...delegate(real),
        logs: (container, options, signal) => {
          if (options.follow !== true) return real.logs(container, options, signal);
          const stream = new PassThrough();
          const finished = aborted(signal).then(() => {
            stream.end();
            throw new EngineCancelledError('logs was cancelled');
          });
          finished.catch(() => {});
          return { stream, finished, times: null, source: () => 'api', linesCut: () => 0 };
        },
      };
      const service = uniqueService('mgtrec');
      const name = `${service}_live`;
      const out = join(tempDir(), 'out');
      const recording = await record({ service, outputDir: out, containerRuntime: stalled });
      try {
        spawnSync('podman', ['run', '-d', '--name', name, TEST_IMAGE, 'sh', '-c', 'seq 1 500; sleep 300'], { stdio: 'ignore' });
        spawnSync('sh', ['-c', `until podman logs ${name} 2>/dev/null | grep -qx 500; do sleep 0.1; done`]);
        const result = await recording.stop({ failed: true });
        expect(result.containers.map((c) => [c.name, c.error])).toEqual([[name, null]]);
        expect(readFileSync(join(result.outputDir!, `${name}.log`), 'utf8')).toBe(Array.from({ length: 500 }, (_, i) => `${i + 1}\n`).join(''));
      } finally {
        removeContainers('podman', [name]);
      }
    }, 60_000);

    it('inspects a new container as soon as its event is read, not after another container’s slow inspect', async () => {
      const real = await podmanApi();
      const service = uniqueService('mgtrec');
      const [slow, quick] = [`${service}_slow`, `${service}_quick`];
      // The engine answers the first container's inspect only after 4 s; the second lives 1.5 s.
      const held: ContainerRuntime = {
        ...delegate(real),
        inspect: async (id, signal) => {
          const details = await real.inspect(id, signal);
          if (details.name === slow) await new Promise((resolve) => setTimeout(resolve, 4_000));
          return details;
        },
      };
      const out = join(tempDir(), 'out');
      const recording = await record({ service, outputDir: out, containerRuntime: held });
      try {
        // Run without blocking this process: the recording lives in it.
        const podman = (...args: string[]) => promisify(execFile)('podman', args);
        await podman('run', '-d', '--name', slow, TEST_IMAGE, 'sleep', '300');
        await podman('run', '-d', '--name', quick, TEST_IMAGE, 'sh', '-c', 'sleep 1.5; exit 2');
        await podman('wait', quick);
        await podman('rm', '-f', quick);
        const result = await recording.stop({ failed: true });
        const record = result.containers.find((c) => c.name === quick);
        expect(record?.files.map((f) => f.path)).toContain(`${quick}_inspect.json`);
        expect(record?.exitCode ?? null).toBe(2);
      } finally {
        removeContainers('podman', [slow, quick]);
      }
    }, 60_000);

    it('follows podman’s own event file, sooner than its API: a container that lived under a second is kept with its log', async () => {
      const real = await podmanApi();
      const service = uniqueService('mgtrec');
      const name = `${service}_brief`;
      // The API's event stream and its listing see nothing: only podman's event file can tell of the container.
      const fileOnly: ContainerRuntime = {
        ...delegate(real),
        list: async () => [],
        events: silentEvents,
        localEvents: (options) => real.localEvents!(options),
      };
      const out = join(tempDir(), 'out');
      const recording = await record({ service, outputDir: out, containerRuntime: fileOnly });
      try {
        const podman = (...args: string[]) => promisify(execFile)('podman', args).catch(() => null);
        await podman('run', '--name', name, TEST_IMAGE, 'sh', '-c', 'echo short-lived; sleep 0.5; exit 1');
        await podman('rm', '-f', name);
        const result = await recording.stop({ failed: true });
        expect(result.containers.map((c) => [c.name, c.exitCode, c.error])).toEqual([[name, 1, null]]);
        expect(readFileSync(join(result.outputDir!, `${name}.log`), 'utf8')).toBe('short-lived\n');
      } finally {
        removeContainers('podman', [name]);
      }
    }, 60_000);

    it('keeps a container whose events the engine never delivered: the periodic listing finds it', async () => {
      const real = await podmanApi();
      // The real engine, but its event stream stays silent until the recording stops.
      const deaf: ContainerRuntime = {
        ...delegate(real),
        events: silentEvents,
      };
      const service = uniqueService('mgtrec');
      const name = `${service}_unseen`;
      const out = join(tempDir(), 'out');
      const recording = await record({ service, outputDir: out, containerRuntime: deaf });
      try {
        spawnSync('podman', ['run', '-d', '--name', name, TEST_IMAGE, 'sh', '-c', 'echo seen by listing; sleep 300'], { stdio: 'ignore' });
        await new Promise((resolve) => setTimeout(resolve, 6_000));
        // Removed before the recording stops: the last listing cannot find it, only one while it ran.
        removeContainers('podman', [name]);
        const result = await recording.stop({ failed: true });
        expect(result.containers.map((c) => c.name)).toEqual([name]);
        expect(readFileSync(join(result.outputDir!, `${name}.log`), 'utf8')).toBe('seen by listing\n');
      } finally {
        removeContainers('podman', [name]);
      }
    }, 60_000);
  },
  'api',
);
