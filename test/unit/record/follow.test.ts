import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogFollower } from '../../../src/record/follow.js';
import { LineTimes } from '../../../src/runtime/line-join.js';
import type { ContainerRuntime, LogOptions, LogStream } from '../../../src/runtime/types.js';

/** A container's log as the engine keeps it: each line with the engine's time (seconds from t0). */
interface Line {
  readonly at: number;
  readonly text: string;
}

const T0 = Date.parse('2026-12-02T05:00:00.000Z');
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/**
 * An engine that gives no line times (as podman's CLI): each `logs` call answers the lines at or after its
 * `since` that exist at the (fake) clock's time, then ends, as a follow stream of a stopped container does.
 */
function untimedEngine(log: readonly Line[], clock: { now: number }) {
  const asked: (string | undefined)[] = [];
  const runtime = {
    logs: (_container: unknown, options: LogOptions): LogStream => {
      asked.push(options.since);
      const since = options.since === undefined ? -Infinity : (Date.parse(options.since) - T0) / 1000;
      const lines = log.filter((l) => l.at >= since && l.at <= clock.now);
      // A time per line, as the joiner queues them: '' (the transport gives none), stdout.
      const times = new LineTimes();
      for (let i = 0; i < lines.length; i++) times.push('', 1);
      const stream = new PassThrough();
      stream.end(lines.map((l) => `${l.text}\n`).join(''));
      return { stream, finished: Promise.resolve(), times, source: () => 'cli', linesCut: () => 0 };
    },
  } as unknown as ContainerRuntime;
  return { runtime, asked };
}

/** Follow a crash loop's log: run 1 writes at 1 s and dies at 2 s; run 2 (restarted at 2.4 s) writes at 2.5 s; run 1's stream end is noticed at 4 s. */
async function followCrashLoop(logs: LogOptions) {
  const log: Line[] = [
    { at: 1, text: 'run 1' },
    { at: 2.5, text: 'run 2' },
  ];
  const clock = { now: 0.5 };
  const { runtime, asked } = untimedEngine(log, clock);
  const life = new AbortController();
  let activities = 0;
  const follower: LogFollower = new LogFollower(runtime, { id: 'c', tty: false }, logs, life.signal, {
    activity: async () => {
      activities++;
      if (activities === 1) {
        clock.now = 4;
        setTimeout(() => follower.started(iso(2.4)), 0);
      } else setTimeout(() => follower.finish(), 0);
      return 'stopped';
    },
    gap: () => {},
    // Its events: a run that ended before the follow began, and this one's end.
    stopTimes: () => (clock.now >= 2 ? [iso(0.2), iso(2)] : [iso(0.2)]),
    now: () => new Date(T0 + clock.now * 1000),
  });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (b: Buffer) => chunks.push(b));
  clock.now = 1.5;
  const problem = await follower.run(sink);
  return { problem, log: Buffer.concat(chunks).toString('utf8'), asked };
}

describe('LogFollower without line times', () => {
  it('after a restart, asks for the whole log again and drops as many lines of each stream as the file has: the new run is kept, nothing twice', async () => {
    const r = await followCrashLoop({});
    expect(r).toEqual({ problem: null, log: 'run 1\nrun 2\n', asked: [undefined, undefined] });
  });

  it('with --tail (the whole log cannot be asked), resumes from when the last run ended, not from when that end was noticed', async () => {
    const r = await followCrashLoop({ tail: '100' });
    expect(r).toEqual({ problem: null, log: 'run 1\nrun 2\n', asked: [undefined, iso(2)] });
  });
});
