/**
 * A signal that aborts after `ms` or when `outer` aborts, whichever comes first.
 *
 * Not `AbortSignal.any([AbortSignal.timeout(ms), outer])`: `any` holds its sources weakly, so once garbage
 * collection takes the timeout signal it never fires (nodejs/node#57736) and a hung engine hangs the run.
 * Here the timer holds the controller strongly until `dispose()`, which every caller runs when done.
 */
import { setMaxListeners } from 'node:events';

export interface Deadline {
  readonly signal: AbortSignal;
  /** True when the time ran out (as opposed to `outer` aborting). */
  timedOut(): boolean;
  /** Stop the timer and stop listening to `outer`. */
  dispose(): void;
}

export function deadline(ms: number, outer?: AbortSignal): Deadline {
  const controller = new AbortController();
  // Every engine call in flight listens to this signal (a run at --concurrency 16 has more than node's
  // default of 10): no "possible memory leak" warning on the user's terminal.
  setMaxListeners(0, controller.signal);
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError'));
  }, ms);
  const onOuter = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}
