/**
 * Composed signals: one that aborts when any of its sources does ({@link linkedSignal}), and one that also
 * aborts after a time ({@link deadline}). Every place that combines signals uses these.
 *
 * Not `AbortSignal.any([AbortSignal.timeout(ms), outer])`: `any` holds its sources weakly, so once garbage
 * collection takes the timeout signal it never fires (nodejs/node#57736) and a hung engine hangs the run.
 * Here the controller is held strongly (by the timer, by the sources' listeners) until `dispose()`, which
 * every caller runs when done.
 */
import { setMaxListeners } from 'node:events';

export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Abort it now (its sources stay as they are). */
  abort(reason?: unknown): void;
  /** Stop listening to the sources. */
  dispose(): void;
}

/** A signal that aborts, with the source's reason, as soon as any of `sources` does, or when `abort()` is called. */
export function linkedSignal(...sources: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  // Every engine call in flight listens to this signal (a run at --concurrency 16 has more than node's
  // default of 10): no "possible memory leak" warning on the user's terminal.
  setMaxListeners(0, controller.signal);
  const listening: { source: AbortSignal; onAbort: () => void }[] = [];
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = (): void => controller.abort(source.reason);
    source.addEventListener('abort', onAbort, { once: true });
    listening.push({ source, onAbort });
  }
  return {
    signal: controller.signal,
    abort: (reason?: unknown) => controller.abort(reason),
    dispose: () => {
      for (const { source, onAbort } of listening.splice(0)) source.removeEventListener('abort', onAbort);
    },
  };
}

export interface Deadline {
  readonly signal: AbortSignal;
  /** True when the time ran out (as opposed to `outer` aborting). */
  timedOut(): boolean;
  /** Stop the timer and stop listening to `outer`. */
  dispose(): void;
}

/** A signal that aborts after `ms` or when `outer` aborts, whichever comes first. */
export function deadline(ms: number, outer?: AbortSignal): Deadline {
  const linked = linkedSignal(outer);
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    linked.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError'));
  }, ms);
  return {
    signal: linked.signal,
    timedOut: () => expired,
    dispose: () => {
      clearTimeout(timer);
      linked.dispose();
    },
  };
}
