import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogFollower } from '../../../src/record/follow.js';
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
      const stream = new PassThrough();
      stream.end(
        log
          .filter((l) => l.at >= since && l.at <= clock.now)
          .map((l) => `${l.text}\n`)
          .join(''),
      );
      return { stream, finished: Promise.resolve(), times: null, source: () => 'cli', linesCut: () => 0 };
    },
  } as unknown as ContainerRuntime;
  return { runtime, asked };
}

describe('LogFollower without line times', () => {
  it('after a restart, resumes from when the last run ended: the new run’s first lines are kept even when the end was noticed late', async () => {
    // Run 1 writes at 1 s and dies at 2 s; run 2 writes at 2.5 s; the end of run 1's stream is noticed at 4 s.
    const log: Line[] = [
      { at: 1, text: 'run 1' },
      { at: 2.5, text: 'run 2' },
    ];
    const clock = { now: 0.5 };
    const { runtime, asked } = untimedEngine(log, clock);
    const life = new AbortController();
    let follower: LogFollower | null = null;
    let activities = 0;
    follower = new LogFollower(runtime, { id: 'c', tty: false }, {}, life.signal, {
      activity: async () => {
        activities++;
        if (activities === 1) {
          // The first stream ended (run 1 died at 2 s); the restart at 2.4 s is seen after the end.
          clock.now = 4;
          setTimeout(() => follower?.started(iso(2.4)), 0);
          return 'stopped';
        }
        setTimeout(() => follower?.finish(), 0);
        return 'stopped';
      },
      gap: () => {},
      stoppedAt: () => (clock.now >= 2 ? iso(2) : null),
      now: () => new Date(T0 + clock.now * 1000),
    });
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (b: Buffer) => chunks.push(b));
    clock.now = 1.5;
    const problem = await follower.run(sink);
    expect(problem).toBeNull();
    expect(Buffer.concat(chunks).toString('utf8')).toBe('run 1\nrun 2\n');
    expect(asked).toEqual([undefined, iso(2)]);
  });
});
