import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { deadline, linkedSignal } from '../../../src/_util/deadline.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('deadline', () => {
  it('aborts after the time, says it timed out, even when garbage collection runs meanwhile', async () => {
    const d = deadline(50);
    gc();
    await new Promise<void>((resolve) => d.signal.addEventListener('abort', () => resolve(), { once: true }));
    expect([d.signal.aborted, d.timedOut(), (d.signal.reason as DOMException).name]).toEqual([true, true, 'TimeoutError']);
    d.dispose();
  });

  it('follows the outer signal, with its reason, and does not call that a timeout', () => {
    const outer = new AbortController();
    const d = deadline(60_000, outer.signal);
    outer.abort('SIGINT');
    expect([d.signal.aborted, d.signal.reason, d.timedOut()]).toEqual([true, 'SIGINT', false]);
    d.dispose();
    const already = deadline(60_000, outer.signal);
    expect(already.signal.aborted).toBe(true);
    already.dispose();
  });

  it('after dispose, neither the timer nor the outer signal aborts it', async () => {
    const outer = new AbortController();
    const d = deadline(20, outer.signal);
    d.dispose();
    outer.abort();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect([d.signal.aborted, d.timedOut()]).toEqual([false, false]);
  });

  it('lets every engine call in flight listen without node warning of a leak (a run at --concurrency 16)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    const d = deadline(10_000);
    const listeners = Array.from({ length: 40 }, () => () => {});
    for (const l of listeners) d.signal.addEventListener('abort', l);
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('warning', onWarning);
    d.dispose();
    expect(warnings).toEqual([]);
  });
});

describe('linkedSignal', () => {
  it('aborts with the first source’s reason, or by itself, and stops listening when disposed', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkedSignal(a.signal, undefined, b.signal);
    b.abort('b went');
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('b went');
    const own = linkedSignal(a.signal);
    own.abort('mine');
    expect([own.signal.reason, a.signal.aborted]).toEqual(['mine', false]);
    const disposed = linkedSignal(a.signal);
    disposed.dispose();
    a.abort('late');
    expect(disposed.signal.aborted).toBe(false);
  });

  it('is aborted at once when a source already is', () => {
    expect(linkedSignal(AbortSignal.abort('before')).signal.reason).toBe('before');
  });
});
