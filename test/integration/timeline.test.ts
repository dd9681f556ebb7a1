import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gather, type GatherResult } from '../../src/index.js';
import type { Manifest } from '../../src/gather/manifest.js';
import type { RuntimeName, TransportName } from '../../src/runtime/types.js';
import { describeWithEngine, ENGINES, engine, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';

/*
 * timeline.log from real engines (issue 12 part 4): three containers write lines in turn, each line only
 * once the one before it (of any container) is in its engine's log and a gap has passed, so the order the
 * lines were written in is known. The timeline must hold every line of every container exactly once, in
 * that order, each prefixed with its engine's time and its container's name; SUMMARY.md must name the
 * timeline line of the first error.
 */

/** Between two lines: podman's API gives whole seconds, so its lines are more than a second apart. */
const GAP_MS: Readonly<Record<RuntimeName, number>> = { podman: 1100, docker: 300 };
const TRANSPORTS: readonly TransportName[] = ['api', 'cli'];
const LINES_EACH = 3;

/** Poll until `check` holds; a bound on waiting for the engine, not a timing assertion. */
async function waitUntil(what: string, check: () => boolean, attempts = 600): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return;
    await sleep(50);
  }
  throw new Error(`gave up waiting: ${what}`);
}

/** `--timestamps` output of a container: each line's engine time (RFC 3339) and text, in order. */
function engineTimes(name: RuntimeName, container: string): { time: string; text: string }[] {
  return engine(name, ['logs', '--timestamps', container])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => ({ time: l.slice(0, l.indexOf(' ')), text: l.slice(l.indexOf(' ') + 1) }));
}

for (const name of ENGINES) {
  describeWithEngine(name, 'timeline.log: every container’s lines in the engines’ time order', () => {
    const service = uniqueService('mgttl');
    const containers = ['alpha', 'bravo', 'charlie'].map((c) => `${service}_${c}_test`);
    const sync = tempDir('must-gather-timeline-sync-');
    /** The lines in the order they were written: container and text. */
    const written: { container: string; text: string }[] = [];
    const results = new Map<TransportName, GatherResult>();

    beforeAll(async () => {
      mkdirSync(join(sync, 'go'), { recursive: true });
      // Each container prints its n-th line once the trigger file `<container>-<n>` appears (its content).
      const script = `for n in ${Array.from({ length: LINES_EACH }, (_, i) => i + 1).join(' ')}; do while [ ! -e /sync/go/$NAME-$n ]; do sleep 0.02; done; cat /sync/go/$NAME-$n; done`;
      for (const c of containers) {
        engine(name, ['run', '-d', '--name', c, '-e', `NAME=${c}`, '-v', `${sync}:/sync`, TEST_IMAGE, 'sh', '-c', script]);
      }
      for (let n = 1; n <= LINES_EACH; n++) {
        for (const [i, c] of containers.entries()) {
          // bravo's second line is the run's first error; charlie's last line a later one.
          const text =
            i === 1 && n === 2 ? `ERROR ${c}: upstream refused the connection` : i === 2 && n === LINES_EACH ? `ERROR ${c}: gave up` : `${c} line ${n}`;
          const trigger = join(sync, 'go', `${c}-${n}`);
          writeFileSync(`${trigger}.tmp`, `${text}\n`);
          renameSync(`${trigger}.tmp`, trigger);
          written.push({ container: c, text });
          await waitUntil(`${c} to log line ${n}`, () => engine(name, ['logs', c]).includes(text));
          await sleep(GAP_MS[name]);
        }
      }
      for (const c of containers) await waitUntil(`${c} to exit`, () => engine(name, ['inspect', '--format', '{{.State.Status}}', c]).trim() === 'exited');
      for (const transport of TRANSPORTS) {
        results.set(transport, await gather({ service, runtime: name, transport, outputDir: tempDir(), env: process.env }));
      }
    }, 180_000);
    afterAll(() => removeContainers(name, containers));

    if (name === 'podman') {
      /**
       * podman's CLI gives no line times (`logs -t` puts a prefix mid-line on a line stored in pieces, where
       * nothing tells it from the line's text, so the runtime does not ask for them): when its log files are
       * not read directly, no timeline then.
       */
      it('over the cli, logs asked of the engine (MUST_GATHER_DIRECT_LOGS=0): no timeline.log, and a warning that says why', async () => {
        const result = await gather({ service, runtime: name, transport: 'cli', outputDir: tempDir(), env: { ...process.env, MUST_GATHER_DIRECT_LOGS: '0' } });
        expect(result.containers.map((c) => c.files.find((f) => f.kind === 'log')?.source)).toEqual(['cli', 'cli', 'cli']);
        expect(existsSync(join(result.outputDir as string, 'timeline.log'))).toBe(false);
        expect(result.warnings).toEqual([`timeline.log not written: none of the containers' lines came with engine timestamps (${[...containers].sort().join(', ')})`]);
      });
    }

    for (const transport of TRANSPORTS) {
      it(`over ${transport}: every line exactly once, in the order written, with its engine time and container`, () => {
        const dir = results.get(transport)?.outputDir as string;
        const timeline = readFileSync(join(dir, 'timeline.log'), 'utf8').split('\n').slice(0, -1);
        expect(timeline.map((l) => l.slice(31))).toEqual(written.map((w) => `${w.container} | ${w.text}`));
        // Each time is the engine's own for that line (to the second: podman's API gives no fraction).
        const engineTime = new Map<string, string>(containers.flatMap((c) => engineTimes(name, c).map((e) => [`${c} | ${e.text}`, e.time] as const)));
        for (const line of timeline) {
          const time = line.slice(0, 30);
          expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
          expect(time.slice(0, 19)).toBe(new Date(engineTime.get(line.slice(31)) as string).toISOString().slice(0, 19));
        }
        const times = timeline.map((l) => l.slice(0, 30));
        expect([...times].sort()).toEqual(times);
      });

      it(`over ${transport}: SUMMARY.md and manifest.json name the timeline line of the first error`, () => {
        const dir = results.get(transport)?.outputDir as string;
        const timeline = readFileSync(join(dir, 'timeline.log'), 'utf8').split('\n');
        const firstError = written.findIndex((w) => w.text.startsWith('ERROR')) + 1;
        expect(firstError).toBe(5);
        const bravo = containers[1] as string;
        const time = (timeline[firstError - 1] as string).slice(0, 30);
        const summary = readFileSync(join(dir, 'SUMMARY.md'), 'utf8').split('\n');
        expect(summary.slice(0, 5)).toContain(`first error: [timeline.log line ${firstError}](timeline.log), ${bravo} ${time} (every container's lines in time order)`);
        const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
        expect(manifest.timeline?.firstError).toEqual({ line: firstError, container: bravo, time });
        expect(manifest.timeline?.containers.map((c) => [c.name, c.lines, c.leftOut])).toEqual(containers.map((c) => [c, LINES_EACH, 0]));
        expect(manifest.timeline?.missing).toEqual([]);
      });
    }
  });
}
