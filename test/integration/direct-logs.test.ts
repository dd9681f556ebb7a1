import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gather, type GatherOptions, type GatherResult } from '../../src/index.js';
import type { RuntimeName, TransportName } from '../../src/runtime/types.js';
import { describeWithEngine, engine, ENGINES, engineLogBytes, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';

/*
 * The direct read of the engine's log file (src/runtime/log-file.ts) against the engine's own CLI, on real
 * engines: sha256 of must-gather's log == sha256 of `<engine> logs c > f 2>&1`, and each case it cannot do
 * exactly falls back to the engine (the manifest's `source` says which).
 */

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

interface Spec {
  readonly suffix: string;
  readonly script: string;
  readonly flags?: readonly string[];
}

const LONG = 40_000;
const SPECS: readonly Spec[] = [
  // Whole lines on both streams, each written after the other has finished its line.
  { suffix: '_plain_test', script: 'for i in 1 2 3 4 5 6; do echo "out $i"; sleep 0.05; echo "err $i" >&2; sleep 0.05; done' },
  { suffix: '_binary_test', script: "printf 'a\\000b\\377\\376c\\r\\n\\tq\"\\\\<&>\\n'; sleep 0.1; printf '\\000\\001\\002err\\377\\n' >&2; sleep 0.1; printf 'no newline at end'" },
  { suffix: '_tty_test', script: 'echo "line one"; echo "line two" >&2; printf "\\033[31mred\\033[0m\\n"', flags: ['-t'] },
  // Over docker's 16 KiB and conmon's buffer: stored as pieces (partial entries, P lines).
  { suffix: '_long_test', script: `head -c ${LONG} /dev/zero | tr '\\0' a; echo; head -c ${LONG} /dev/zero | tr '\\0' b; echo; echo short` },
  { suffix: '_nonl_test', script: "printf 'first\\nno newline'" },
  // stdout written in pieces while whole stderr lines land between them; each line says its stream.
  { suffix: '_torn_test', script: 'for i in 1 2 3 4 5; do printf "O$i-a"; sleep 0.05; echo "E$i" >&2; sleep 0.05; echo "O$i-b"; done' },
  {
    suffix: '_rotated_test',
    script: 'i=0; while [ $i -lt 6000 ]; do echo "line $i of a rotated and compressed json-file set"; i=$((i+1)); done',
    flags: ['--log-opt', 'max-size=100k', '--log-opt', 'max-file=3', '--log-opt', 'compress=true'],
  },
];

function run(name: RuntimeName, container: string, flags: readonly string[], script: string): string {
  return engine(name, ['run', '-d', '--name', container, ...flags, TEST_IMAGE, 'sh', '-c', script]).trim();
}

/** The saved log of `container` and the manifest's `source` for it. */
function saved(result: GatherResult, container: string): { bytes: Buffer; source: string | undefined } {
  const record = result.containers.find((c) => c.name === container);
  if (!record) throw new Error(`${container} not collected`);
  const log = record.files.find((f) => f.kind === 'log');
  return { bytes: readFileSync(join(result.outputDir as string, log?.path ?? `${container}.log`)), source: log?.source };
}

/** `<engine> logs` of one stream only, as `2>/dev/null` (stdout) or `>/dev/null` (stderr) gives it. */
function streamBytes(name: RuntimeName, id: string, stream: 'stdout' | 'stderr'): Buffer {
  const result = spawnSync(name, ['logs', id], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  return stream === 'stdout' ? result.stdout : result.stderr;
}

function linesStartingWith(bytes: Buffer, prefix: string): string {
  return bytes
    .toString('latin1')
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .join('\n');
}

for (const name of ENGINES) {
  for (const transport of ['api', 'cli'] as const satisfies readonly TransportName[]) {
    describeWithEngine(
      name,
      `direct log-file reads over ${transport}`,
      () => {
        const service = uniqueService('mgtdirect');
        const ids = new Map<string, string>();
        const created: string[] = [];
        const collect = (options: Partial<GatherOptions> = {}, env: NodeJS.ProcessEnv = process.env): Promise<GatherResult> =>
          gather({ service, runtime: name, transport, outputDir: tempDir(), env, ...options });

        beforeAll(() => {
          for (const spec of SPECS) {
            if (spec.suffix === '_rotated_test' && name === 'podman') continue;
            const container = `${service}${spec.suffix}`;
            ids.set(spec.suffix, run(name, container, spec.flags ?? [], spec.script));
            created.push(container);
          }
          for (const container of created) engine(name, ['wait', container]);
        }, 120_000);
        afterAll(() => removeContainers(name, created));

        it('reads the file directly, byte-identical to the CLI: plain, binary, TTY, long (partial entries), no final newline, rotated+compressed', async () => {
          const result = await collect();
          const expectedSource = name === 'docker' ? 'json-file' : 'k8s-file';
          for (const spec of SPECS) {
            const id = ids.get(spec.suffix);
            if (id === undefined || spec.suffix === '_torn_test') continue;
            const container = `${service}${spec.suffix}`;
            const { bytes, source } = saved(result, container);
            expect({ container, source }).toEqual({ container, source: expectedSource });
            expect({ container, sha256: sha256(bytes), size: bytes.length }).toEqual({ container, sha256: sha256(engineLogBytes(name, id)), size: engineLogBytes(name, id).length });
          }
          // Not trivially equal: the long lines arrived whole, the rotated set holds what the CLI shows.
          expect(saved(result, `${service}_long_test`).bytes.length).toBe(2 * LONG + 2 + 6);
          if (name === 'docker') expect(saved(result, `${service}_rotated_test`).bytes.toString()).toMatch(/^line \d+ of a rotated[^\n]*\n[\s\S]*line 5999 of a rotated/);
        });

        it('keeps each stream whole where pieces of one interleave with the other; per stream equal to the CLI', async () => {
          const id = ids.get('_torn_test') as string;
          const { bytes, source } = saved(await collect({ components: ['torn'] }), `${service}_torn_test`);
          expect(source).toBe(name === 'docker' ? 'json-file' : 'k8s-file');
          const stdout = linesStartingWith(streamBytes(name, id, 'stdout'), 'O');
          expect(stdout.split('\n')).toHaveLength(5);
          expect(linesStartingWith(bytes, 'O')).toBe(stdout);
          expect(linesStartingWith(bytes, 'E')).toBe(linesStartingWith(streamBytes(name, id, 'stderr'), 'E'));
          // Every line whole: each starts with its stream's letter.
          expect(bytes.toString().split('\n').filter((l) => l !== '' && !/^[OE]\d/.test(l))).toEqual([]);
        });

        it('applies --tail, --since (at an entry’s exact time) and --timestamps as the CLI does', async () => {
          const id = ids.get('_plain_test') as string;
          const container = `${service}_plain_test`;
          const stamped = engineLogBytes(name, id, ['-t']).toString().split('\n');
          // The time of the 5th line, nanoseconds and all: docker keeps the entry at the bound, podman not.
          const since = (stamped[4] as string).split(' ')[0] as string;
          for (const [options, args] of [
            [{ tail: '3' }, ['--tail', '3']],
            [{ since }, ['--since', since]],
            [{ until: since }, ['--until', since]],
            [{ timestamps: true }, ['-t']],
          ] as const) {
            const { bytes, source } = saved(await collect({ components: ['plain'], ...options }), container);
            const expected = engineLogBytes(name, id, args);
            expect({ args, source, text: bytes.toString() }).toEqual({ args, source: name === 'docker' ? 'json-file' : 'k8s-file', text: expected.toString() });
            expect(expected.length).toBeGreaterThan(0);
          }
        });

        it('falls back to the engine for an option it cannot apply exactly, or when MUST_GATHER_DIRECT_LOGS=0', async () => {
          const id = ids.get('_plain_test') as string;
          const container = `${service}_plain_test`;
          const optOut = saved(await collect({ components: ['plain'] }, { ...process.env, MUST_GATHER_DIRECT_LOGS: '0' }), container);
          expect(optOut.source).toBe(transport);
          expect(sha256(optOut.bytes)).toBe(sha256(engineLogBytes(name, id)));
          // --tail with --since: the engines combine them each their own way.
          const both = saved(await collect({ components: ['plain'], tail: '2', since: '2000-01-01T00:00:00Z' }), container);
          expect(both.source).toBe(transport);
          expect(both.bytes.toString()).toBe(engineLogBytes(name, id, ['--tail', '2', '--since', '2000-01-01T00:00:00Z']).toString());
        });
      },
      transport,
    );
  }

  describeWithEngine(name, 'direct log-file reads: drivers without a file, a log still being written', () => {
    const service = uniqueService('mgtdirect');
    const created: string[] = [];
    afterAll(() => removeContainers(name, created));

    it('falls back to the engine for a driver that keeps no such file (none, local/journald)', async () => {
      const drivers = name === 'docker' ? ['none', 'local'] : ['none'];
      for (const driver of drivers) {
        const container = `${service}_${driver}_test`;
        run(name, container, ['--log-driver', driver], 'echo hello; echo there >&2');
        created.push(container);
        engine(name, ['wait', container]);
      }
      for (const transport of ['api', 'cli'] as const) {
        const result = await gather({ service, runtime: name, transport, outputDir: tempDir(), env: process.env });
        for (const driver of drivers) {
          const record = result.containers.find((c) => c.name === `${service}_${driver}_test`);
          const log = record?.files.find((f) => f.kind === 'log');
          expect({ driver, transport, source: log?.source }).toEqual({ driver, transport, source: transport });
        }
      }
    }, 60_000);

    it('reads a log still being written up to its size at the start, ending at a line boundary', async () => {
      const container = `${service}_writing_test`;
      const id = run(name, container, [], 'i=0; while :; do echo "line $i"; i=$((i+1)); if [ $((i % 200)) = 0 ]; then sleep 0.01; fi; done');
      created.push(container);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const before = engineLogBytes(name, id);
      const result = await gather({ service, runtime: name, components: ['writing'], outputDir: tempDir(), env: process.env });
      const after = engineLogBytes(name, id);
      const { bytes, source } = saved(result, container);
      expect(source).toBe(name === 'docker' ? 'json-file' : 'k8s-file');
      expect(bytes.length).toBeGreaterThanOrEqual(before.length);
      expect(after.length).toBeGreaterThan(bytes.length);
      expect(bytes[bytes.length - 1]).toBe(0x0a);
      expect(sha256(bytes)).toBe(sha256(after.subarray(0, bytes.length)));
    }, 60_000);
  });
}
