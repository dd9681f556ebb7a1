import { describe, expect, it } from 'vitest';
import type { DetectedRuntime } from '../../../src/runtime/detect.js';
import type { ContainerEvent, EventsOptions } from '../../../src/runtime/types.js';
import { EventWatcher } from '../../../src/record/watch.js';

const START = new Date('2026-12-02T04:00:00.000Z');

function event(id: string, action: ContainerEvent['action'], time: string): ContainerEvent {
  return { time, runtime: 'docker', action, id, name: `svc_${id}`, image: null };
}

/**
 * An engine whose event answers are scripted: each call to `events` takes the next answer; a live answer
 * (no `until`) then waits until the watcher stops it, as a following stream does.
 */
function scriptedEngine(answers: ContainerEvent[][]) {
  const asked: { since: string; until: string | null }[] = [];
  const runtime = {
    async *events(options: EventsOptions): AsyncGenerator<ContainerEvent> {
      asked.push({ since: options.since.toISOString(), until: options.until?.toISOString() ?? null });
      for (const e of answers.shift() ?? []) yield e;
      if (options.until === undefined) {
        await new Promise<void>((resolve) => {
          if (options.signal?.aborted) resolve();
          options.signal?.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    },
    info: async () => ({}),
  };
  const engine = { runtime, info: { name: 'docker' }, reason: 'test' } as unknown as DetectedRuntime;
  return { engine, asked };
}

async function watch(answers: ContainerEvent[][], liveCount: number) {
  const { engine, asked } = scriptedEngine(answers);
  const handled: string[] = [];
  const life = new AbortController();
  const watcher = new EventWatcher(engine, START, life.signal, {
    event: async (e) => {
      handled.push(`${e.id}:${e.action}`);
    },
    reconnected: async () => {},
    gap: () => {},
    now: () => new Date('2026-12-02T04:01:00.000Z'),
  });
  watcher.start();
  for (let i = 0; i < 50 && handled.length < liveCount; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  await watcher.catchUp();
  await watcher.stop();
  return { handled, asked };
}

describe('EventWatcher', () => {
  it('handles an event the engine sent out of time order (docker stamps events before it orders them)', async () => {
    // A foreign container's event stamped a millisecond after ours came first: ours is still handled.
    const live = [event('a', 'create', '2026-12-02T04:00:01.000000000Z'), event('b', 'die', '2026-12-02T04:00:01.003000000Z'), event('a', 'destroy', '2026-12-02T04:00:01.002000000Z')];
    const { handled } = await watch([live, []], 3);
    expect(handled).toEqual(['a:create', 'b:die', 'a:destroy']);
  });

  it('the catch-up replays from before the latest event and handles only what the live stream had not delivered', async () => {
    const live = [event('a', 'create', '2026-12-02T04:00:01.000000000Z'), event('a', 'start', '2026-12-02T04:00:02.000000000Z')];
    const replay = [
      event('a', 'create', '2026-12-02T04:00:01.000000000Z'),
      // Delivered late by the engine, stamped before the latest one seen live.
      event('b', 'create', '2026-12-02T04:00:01.500000000Z'),
      event('a', 'start', '2026-12-02T04:00:02.000000000Z'),
      event('a', 'die', '2026-12-02T04:00:03.000000000Z'),
      event('a', 'destroy', '2026-12-02T04:00:03.000000001Z'),
    ];
    const { handled, asked } = await watch([live, replay], 2);
    expect(handled).toEqual(['a:create', 'a:start', 'b:create', 'a:die', 'a:destroy']);
    expect(asked[0]).toEqual({ since: START.toISOString(), until: null });
    // Asked from before the latest event seen (a window for late ones), never before the recording's start.
    expect(asked[1]).toEqual({ since: START.toISOString(), until: '2026-12-02T04:01:00.000Z' });
  });
});
