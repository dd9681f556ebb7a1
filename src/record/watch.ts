/*
 * One engine's container events, watched for as long as the recording runs. The stream is asked `since`
 * the recording's start, so nothing between that and the connection is missed; when it drops (the daemon
 * restarts, the connection breaks) the watcher waits with backoff until the engine answers, records the gap,
 * has the recorder look again (containers created meanwhile), and asks again `since` the last event seen,
 * dropping the events it already handled. At the end, {@link EventWatcher.catchUp} reads the events up to
 * now to their end: an event the live stream had not delivered yet (podman's file backend lags) is not lost.
 */
import type { DetectedRuntime } from '../runtime/detect.js';
import type { ContainerEvent } from '../runtime/types.js';
import { errorMessage } from '../_util/errors.js';
import { linkedSignal, type LinkedSignal } from '../_util/deadline.js';
import { pause, retryDelayMs, type Gap } from './follow.js';
import { timeKey } from './resume.js';

export interface WatchHooks {
  /** Handle one event (called in the engine's order, one at a time). */
  event(event: ContainerEvent): Promise<void>;
  /** The engine answers again after a gap: look again for containers and their state. */
  reconnected(): Promise<void>;
  gap(gap: Gap & { readonly engine: string }): void;
  readonly now: () => Date;
}

export class EventWatcher {
  /** The last event handled, and the keys of those handled at its time: a replay from it drops them. */
  #lastKey: string | null = null;
  #lastTime: string;
  #atLast = new Set<string>();
  readonly #life: LinkedSignal;
  #running: Promise<void> | null = null;

  constructor(
    readonly engine: DetectedRuntime,
    since: Date,
    signal: AbortSignal,
    readonly hooks: WatchHooks,
  ) {
    this.#lastTime = since.toISOString();
    this.#life = linkedSignal(signal);
  }

  /** Watch live until {@link stop}. */
  start(): void {
    this.#running ??= this.#run();
  }

  /** Stop the live stream (after {@link catchUp}: the events up to now are handled). */
  async stop(): Promise<void> {
    this.#life.abort(new Error('recording stopped'));
    await this.#running;
    this.#life.dispose();
  }

  /** Every event from the last handled one up to now, read to the end of the engine's answer. */
  async catchUp(): Promise<void> {
    const until = this.hooks.now();
    try {
      await this.#read({ since: this.#lastTime, until });
    } catch (error) {
      if (!this.#life.signal.aborted) this.hooks.gap({ engine: this.engine.info.name, from: this.#lastTime, to: until.toISOString(), reason: `events up to the end not read: ${errorMessage(error)}` });
    }
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#life.signal.aborted) {
      let failure: string;
      try {
        await this.#read({ since: this.#lastTime });
        failure = 'the event stream ended';
      } catch (error) {
        failure = `the event stream broke: ${errorMessage(error)}`;
      }
      if (this.#life.signal.aborted) return;
      const from = this.hooks.now();
      // Until the engine answers again: the gap is the time it could not be watched.
      while (!this.#life.signal.aborted) {
        await pause(retryDelayMs(attempt++), this.#life.signal);
        const answered = await this.engine.runtime.info(this.#life.signal).then(
          () => true,
          () => false,
        );
        if (answered) break;
      }
      if (this.#life.signal.aborted) return;
      attempt = 0;
      this.hooks.gap({ engine: this.engine.info.name, from: from.toISOString(), to: this.hooks.now().toISOString(), reason: failure });
      await this.hooks.reconnected().catch(() => {});
    }
  }

  async #read(range: { since: string; until?: Date }): Promise<void> {
    const since = new Date(Date.parse(range.since));
    for await (const event of this.engine.runtime.events({ since, ...(range.until ? { until: range.until } : {}), signal: this.#life.signal })) {
      if (!this.#isNew(event)) continue;
      await this.hooks.event(event);
    }
  }

  /** Events at or before the last one handled come again after a reconnect or in the catch-up: drop them. */
  #isNew(event: ContainerEvent): boolean {
    const key = timeKey(event.time);
    const id = `${event.id}:${event.action}:${event.time}`;
    if (key === null) return true;
    if (this.#lastKey !== null && key < this.#lastKey) return false;
    if (key === this.#lastKey) {
      if (this.#atLast.has(id)) return false;
    } else {
      this.#lastKey = key;
      this.#lastTime = event.time;
      this.#atLast = new Set();
    }
    this.#atLast.add(id);
    return true;
  }
}
