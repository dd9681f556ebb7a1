import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiRuntime } from '../../src/runtime/api-runtime.js';
import { CliRuntime } from '../../src/runtime/cli-runtime.js';
import type { ContainerRuntime, LogOptions, LogStream, RuntimeName, TransportName } from '../../src/runtime/types.js';
import { API_SOCKETS, describeWithEngine, engine, ENGINES, engineLogBytes, removeContainers, sortedLines, TEST_IMAGE, uniqueService } from '../helpers/engines.js';

/*
 * Issue 12, part 1: each stream's lines whole. podman stores a line in pieces when conmon's read catches a
 * write half-way, and docker splits lines over 16 KiB; a line of the other stream then lands between the
 * pieces. Real containers on both engines, both transports.
 */

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Two loops at once, one per stream, 6,000 JSON lines of ~300 bytes each, every line written in two pieces. */
const WRITER = `pad=$(printf 'x%.0s' $(seq 1 250))
w() { i=0; while [ $i -lt 6000 ]; do printf '{"s":"%s","n":%d,"pad":"' $1 $i; printf '%s"}\\n' "$pad"; i=$((i+1)); done; }
w out & w err >&2; wait`;
const WRITER_LINE = /^\{"s":"(out|err)","n":(\d+),"pad":"x{250}"\}$/;
const WRITER_LINES = 6000;

/** A 40,000-byte stdout line written slowly while stderr lines keep coming: docker stores it in 16 KiB pieces. */
const LONG_LINE = `x=$(printf 'L%.0s' $(seq 1 5000))
(for i in $(seq 1 30); do echo "err $i" >&2; sleep 0.05; done) &
echo first; for k in 1 2 3 4 5 6 7 8; do printf '%s' "$x"; sleep 0.2; done; echo; echo last; wait`;
const LONG = 40_000;

/** A TTY container: a line written in two pieces a second apart, a 20,000-byte line, no newline at the end. */
const TTY = `printf 'aaa'; sleep 1; printf 'bbb\\n'; echo err >&2; printf 'y%.0s' $(seq 1 20000); echo; printf 'end'`;

function api(name: RuntimeName): ContainerRuntime {
  return new ApiRuntime({ endpoint: { kind: 'unix', socketPath: API_SOCKETS[name] }, name });
}

function runtime(name: RuntimeName, transport: TransportName): ContainerRuntime {
  return transport === 'api' ? api(name) : new CliRuntime(name);
}

interface Read {
  readonly bytes: Buffer;
  readonly times: string[] | null;
  readonly linesCut: number;
}

async function readLog(log: LogStream): Promise<Read> {
  const chunks: Buffer[] = [];
  for await (const chunk of log.stream) chunks.push(chunk as Buffer);
  await log.finished;
  let times: string[] | null = null;
  if (log.times) {
    times = [];
    for (let t = log.times.shift(); t !== undefined; t = log.times.shift()) times.push(t);
  }
  return { bytes: Buffer.concat(chunks), times, linesCut: log.linesCut() };
}

async function logsOf(name: RuntimeName, transport: TransportName, id: string, tty: boolean, options: LogOptions = {}): Promise<Read> {
  return readLog(runtime(name, transport).logs({ id, tty }, options));
}

/** What `<engine> logs` writes to one of its two fds: each stream's own bytes, in order. */
function streamBytes(name: RuntimeName, id: string, fd: 'stdout' | 'stderr'): Buffer {
  const result = spawnSync(name, ['logs', id], { stdio: ['ignore', fd === 'stdout' ? 'pipe' : 'ignore', fd === 'stderr' ? 'pipe' : 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${name} logs ${id} exited ${result.status}`);
  return (fd === 'stdout' ? result.stdout : result.stderr) as Buffer;
}

const lines = (bytes: Buffer): string[] => bytes.toString('utf8').split('\n').slice(0, -1);
/** Lines that are not whole, counted, the first few shortened: a failure stays readable. */
function unlike(all: readonly string[], whole: (line: string) => boolean): { count: number; first: string[] } {
  const bad = all.filter((l) => !whole(l));
  return { count: bad.length, first: bad.slice(0, 3).map((l) => (l.length > 120 ? `${l.slice(0, 60)}…${l.slice(-60)} (${l.length} bytes)` : l)) };
}
const newlines = (bytes: Buffer): number => bytes.toString('latin1').split('\n').length - 1;
/**
 * What two reads of a log must agree on: its bytes, except that the CLI's two pipes (a log with both
 * streams) interleave the streams' whole lines as they arrive, which may differ from read to read.
 */
function same(transport: TransportName, tty: boolean, bytes: Buffer): { bytes: number; sha256: string } {
  const exact = transport === 'api' || tty;
  return { bytes: bytes.length, sha256: sha256(exact ? bytes : Buffer.from(sortedLines(bytes).join('\n'), 'latin1')) };
}
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

for (const name of ENGINES) {
  describeWithEngine(
    name,
    'whole lines per stream',
    () => {
      const service = uniqueService('mgtlines');
      const ids: Record<'writer' | 'long' | 'tty', string> = { writer: '', long: '', tty: '' };
      beforeAll(() => {
        const start = (suffix: string, flags: string[], script: string): string =>
          engine(name, ['run', '-d', '--network', 'none', '--name', `${service}_${suffix}`, ...flags, TEST_IMAGE, 'sh', '-c', script]).trim();
        ids.writer = start('writer', [], WRITER);
        ids.long = start('long', [], LONG_LINE);
        ids.tty = start('tty', ['-t'], TTY);
        for (const id of Object.values(ids)) engine(name, ['wait', id]);
      }, 120_000);
      afterAll(() => removeContainers(name, ['writer', 'long', 'tty'].map((s) => `${service}_${s}`)));

      for (const transport of ['api', 'cli'] as const) {
        it(`${transport}: a container writing stdout and stderr at once — every line whole, each stream complete and in order`, async () => {
          const naive = lines(engineLogBytes(name, ids.writer));
          const torn = unlike(naive, (l) => WRITER_LINE.test(l)).count;
          process.stderr.write(`[${name}] torn lines in \`${name} logs c > f 2>&1\`: ${torn} of ${naive.length}\n`);
          const { bytes, linesCut } = await logsOf(name, transport, ids.writer, false);
          const saved = lines(bytes);
          // Each stream as the engine keeps it (its CLI's own fd). Under load the container itself can lose a
          // write (its stdio pipe is non-blocking and busybox's printf drops what EAGAIN refuses): the engine
          // then stores a torn line of one stream, and ours must be that line too, not one more.
          const kept = { out: lines(streamBytes(name, ids.writer, 'stdout')), err: lines(streamBytes(name, ids.writer, 'stderr')) };
          const engineTorn = unlike([...kept.out, ...kept.err], (l) => WRITER_LINE.test(l));
          expect(unlike(saved, (l) => WRITER_LINE.test(l)).count).toBe(engineTorn.count);
          expect(engineTorn.count, JSON.stringify(engineTorn.first)).toBeLessThanOrEqual(2);
          expect(sha256(Buffer.from([...saved].sort().join('\n')))).toBe(sha256(Buffer.from([...kept.out, ...kept.err].sort().join('\n'))));
          // Each stream in the engine's order (a line is known to be a stream's by its start).
          for (const s of ['out', 'err'] as const) {
            const mine = (l: string) => l.startsWith(`{"s":"${s}"`);
            const own = saved.filter(mine);
            if (unlike(kept[s], (l) => WRITER_LINE.test(l)).count === 0) expect(own.map((l) => Number(WRITER_LINE.exec(l)?.[2]))).toEqual(Array.from({ length: WRITER_LINES }, (_, i) => i));
            expect(own).toEqual(kept[s].filter(mine));
          }
          expect(linesCut).toBe(0);
        });

        it(`${transport}: a ${LONG}-byte stdout line among stderr lines is whole`, async () => {
          const { bytes } = await logsOf(name, transport, ids.long, false);
          const saved = lines(bytes);
          expect(unlike(saved, (l) => l === 'L'.repeat(LONG) || /^(err \d+|first|last)$/.test(l))).toEqual({ count: 0, first: [] });
          expect(saved.filter((l) => l === 'L'.repeat(LONG))).toHaveLength(1);
          expect(saved.filter((l) => l.startsWith('err ')).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `err ${i + 1}`).sort());
          expect(saved).toHaveLength(33);
          expect(saved.indexOf('first')).toBeLessThan(saved.indexOf('L'.repeat(LONG)));
          expect(saved.indexOf('L'.repeat(LONG))).toBeLessThan(saved.indexOf('last'));
        });
      }

      for (const transport of ['api', 'cli'] as const) {
        // podman's CLI prints a piece's prefix mid-line where nothing says it is one: asked for no prefixes, it gives no times.
        const engineTimes = transport === 'api' || name === 'docker';
        it(`${transport}: lineTimes leaves the bytes exactly as they are, and gives ${engineTimes ? 'one engine time' : "''"} per line`, async () => {
          for (const [what, id, tty] of [
            ['writer', ids.writer, false],
            ['long line', ids.long, false],
            ['tty', ids.tty, true],
          ] as const) {
            const plain = await logsOf(name, transport, id, tty);
            const timed = await logsOf(name, transport, id, tty, { lineTimes: true });
            expect({ what, ...same(transport, tty, timed.bytes) }).toEqual({ what, ...same(transport, tty, plain.bytes) });
            expect(plain.times).toBeNull();
            // One time per line, and one for an unfinished last line.
            const count = newlines(timed.bytes) + (timed.bytes[timed.bytes.length - 1] === 0x0a ? 0 : 1);
            expect(timed.times).toHaveLength(count);
            expect(timed.times?.filter((t) => !(engineTimes ? RFC3339.test(t) : t === ''))).toEqual([]);
            if (tty) expect(timed.bytes.toString('latin1')).toMatch(/^aaabbb\r\n/);
          }
        });

        it(`${transport}: --timestamps and lineTimes: the prefixes stay in the bytes, and the times are theirs`, async () => {
          for (const [id, tty] of [
            [ids.writer, false],
            [ids.long, false],
            [ids.tty, true],
          ] as const) {
            const prefixed = await logsOf(name, transport, id, tty, { timestamps: true });
            const timed = await logsOf(name, transport, id, tty, { timestamps: true, lineTimes: true });
            expect(same(transport, tty, timed.bytes)).toEqual(same(transport, tty, prefixed.bytes));
            const starts = timed.bytes
              .toString('latin1')
              .split('\n')
              .filter((l) => l !== '')
              .map((l) => l.slice(0, l.indexOf(' ')));
            expect(timed.times).toEqual(starts);
          }
        });
      }
    },
    'api',
  );
}
