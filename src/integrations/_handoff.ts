/**
 * What a framework's reporter learnt about the run, for its globalTeardown helper to read: both run in the
 * runner's main process, but the framework loads them as separate modules (possibly as separate copies of
 * this one), so the only place they share is `globalThis`, under a registered symbol.
 */
import type { TestRunInfo } from '../test-run/gather-for-tests.js';

const STORE = Symbol.for('must-gather.test-runs');

type Store = Map<string, () => TestRunInfo>;

function storeOf(holder: object): Store {
  const slot = holder as { [STORE]?: Store };
  slot[STORE] ??= new Map();
  return slot[STORE];
}

/** Record how to read the run's outcome; read when the teardown asks, so late results count. */
export function recordRun(framework: string, read: () => TestRunInfo, holder: object = globalThis): void {
  storeOf(holder).set(framework, read);
}

/** What the framework's reporter recorded, or undefined when no reporter of ours ran in this process. */
export function recordedRun(framework: string, holder: object = globalThis): TestRunInfo | undefined {
  return storeOf(holder).get(framework)?.();
}

/** Forget what was recorded (a new run in watch mode starts from nothing; tests start clean). */
export function forgetRun(framework: string, holder: object = globalThis): void {
  storeOf(holder).delete(framework);
}
