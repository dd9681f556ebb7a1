import { describe, expect, it } from 'vitest';
import { mapPool } from '../../../src/_util/pool.js';

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Let every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('mapPool', () => {
  it('never runs more than the limit at once and keeps the order of results', async () => {
    const gates = Array.from({ length: 7 }, () => deferred<string>());
    const started: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const run = mapPool([0, 1, 2, 3, 4, 5, 6], 3, async (i) => {
      started.push(i);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await gates[i]!.promise;
      } finally {
        inFlight--;
      }
    });

    await settle();
    expect(started).toEqual([0, 1, 2]);
    expect(inFlight).toBe(3);

    // Finish out of order: the freed slot takes the next item.
    gates[2]!.resolve('r2');
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(inFlight).toBe(3);

    gates[0]!.resolve('r0');
    gates[3]!.resolve('r3');
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(inFlight).toBe(3);

    for (const i of [6, 5, 4, 1]) {
      gates[i]?.resolve(`r${i}`);
      await settle();
    }
    expect(await run).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    expect(maxInFlight).toBe(3);
    expect(inFlight).toBe(0);
  });

  it('runs everything at once when the limit exceeds the items', async () => {
    const gates = Array.from({ length: 3 }, () => deferred<number>());
    let inFlight = 0;
    let maxInFlight = 0;
    const run = mapPool(['a', 'b', 'c'], 10, async (item) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const value = await gates['abc'.indexOf(item)]!.promise;
      inFlight--;
      return `${item}${value}`;
    });
    await settle();
    expect(inFlight).toBe(3);
    gates[1]!.resolve(2);
    gates[2]!.resolve(3);
    gates[0]!.resolve(1);
    expect(await run).toEqual(['a1', 'b2', 'c3']);
    expect(maxInFlight).toBe(3);
  });

  it('runs one at a time with limit 1, in item order', async () => {
    const log: string[] = [];
    const results = await mapPool([3, 1, 2], 1, async (n) => {
      log.push(`start ${n}`);
      await new Promise((resolve) => setTimeout(resolve, n));
      log.push(`end ${n}`);
      return n * 10;
    });
    expect(results).toEqual([30, 10, 20]);
    expect(log).toEqual(['start 3', 'end 3', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('calls the task once per item', async () => {
    const seen: number[] = [];
    const results = await mapPool([5, 6, 7, 8, 9], 2, async (n) => {
      seen.push(n);
      return n + 1;
    });
    expect(results).toEqual([6, 7, 8, 9, 10]);
    expect([...seen].sort()).toEqual([5, 6, 7, 8, 9]);
  });

  it('returns [] for no items without calling the task', async () => {
    let calls = 0;
    expect(
      await mapPool([], 4, async () => {
        calls++;
        return 1;
      }),
    ).toEqual([]);
    expect(calls).toBe(0);
  });

  it('rejects with the task error', async () => {
    await expect(
      mapPool([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('task 2 failed');
        return n;
      }),
    ).rejects.toThrow('task 2 failed');
  });
});

describe('mapPool with a limit below 1', () => {
  it('still runs every task, one at a time', async () => {
    expect(await mapPool([1, 2, 3], 0, async (n) => n * 2)).toEqual([2, 4, 6]);
  });
});
