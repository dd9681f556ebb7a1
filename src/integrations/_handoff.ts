/**
 * What a framework's setup hook or reporter learnt, for its teardown to read: they run in the runner's main
 * process, but the framework loads them as separate modules (possibly as separate copies of this one), so
 * the only place they share is `globalThis`, under registered symbols. Two things are handed over: how to
 * read the run's outcome (a reporter's), and the recordings a globalSetup started (record mode).
 */
import type { TestRunInfo } from '../test-run/gather-for-tests.js';

const RUNS = Symbol.for('must-gather.test-runs');
const RECORDINGS = Symbol.for('must-gather.test-recordings');

function storeOf<V>(holder: object, key: symbol): Map<string, V> {
  const slot = holder as Record<symbol, Map<string, V> | undefined>;
  slot[key] ??= new Map<string, V>();
  return slot[key];
}

/** Record how to read the run's outcome; read when the teardown asks, so late results count. */
export function recordRun(framework: string, read: () => TestRunInfo, holder: object = globalThis): void {
  storeOf<() => TestRunInfo>(holder, RUNS).set(framework, read);
}

/** What the framework's reporter recorded, or undefined when no reporter of ours ran in this process. */
export function recordedRun(framework: string, holder: object = globalThis): TestRunInfo | undefined {
  return storeOf<() => TestRunInfo>(holder, RUNS).get(framework)?.();
}

/** Forget what was recorded (a new run in watch mode starts from nothing; tests start clean). */
export function forgetRun(framework: string, holder: object = globalThis): void {
  storeOf(holder, RUNS).delete(framework);
}

/** Keep a recording a setup hook started, for a teardown in another module to stop. */
export function handOverRecording<R>(framework: string, recording: R, holder: object = globalThis): void {
  const store = storeOf<R[]>(holder, RECORDINGS);
  store.set(framework, [...(store.get(framework) ?? []), recording]);
}

/** The recordings handed over for `framework`, removed from the store: each is stopped once. */
export function takeRecordings<R>(framework: string, holder: object = globalThis): R[] {
  const store = storeOf<R[]>(holder, RECORDINGS);
  const recordings = store.get(framework) ?? [];
  store.delete(framework);
  return recordings;
}
