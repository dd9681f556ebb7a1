/*
 * One engine's container events, watched for as long as the recording runs. The stream is asked `since`
 * the recording's start, so nothing between that and the connection is missed; when it drops (the daemon
 * restarts, the connection breaks) the watcher waits with backoff until the engine answers, records the gap,
 * has the recorder look again (containers created meanwhile), and asks again from a little before the latest
 * event seen, dropping the events it already handled. At the end, {@link EventWatcher.catchUp} reads the
 * events up to now to their end: an event the live stream had not delivered yet (podman's file backend lags)
 * is not lost.
 *
 * An engine's stream is not in time order: docker stamps an event before it takes the lock that orders
 * them, so two containers' events a moment apart come swapped (1 in 60 here with 24 containers at once).
 * Events are told apart by what they are (container, action, time), never by being older than the latest.
 */
import type { DetectedRuntime } from '../runtime/detect.js';
import type { ContainerEvent } from '../runtime/types.js';
import { errorMessage } from '../_util/errors.js';
import { linkedSignal, type LinkedSignal } from '../_util/deadline.js';
import { pause, retryDelayMs, type Gap } from './follow.js';

/**
 * How far before the latest event a replay starts, and how long an event is remembered as handled: events
 * stamped out of order by more than this are not expected (a few milliseconds were seen).
 */
const REORDER_WINDOW_MS = 10_000;

export interface WatchHooks {
  /** Take one event (called in the engine's order, without waiting for the last to be handled); resolves once it is handled. */
  event(event: ContainerEvent): Promise<void>;
  /** The engine answers again after a gap: look again for containers and their state. */
  reconnected(): Promise<void>;
  gap(gap: Gap & { readonly engine: string }): void;
  readonly now: () => Date;
}

/** The events handled lately, by identity: what a replay (or the live stream after a catch-up) gives again. */
class HandledEvents {
  readonly #at = new Map<string, number>();
  #latestMs = -Infinity;

  constructor(readonly startMs: number) {}

  /** True the first time an event is offered; it is then remembered for the window. */
  add(event: ContainerEvent): boolean {
    // By the normalised action: the same event read from podman's file says `died` where its API says `die`.
    const key = `${event.id}:${event.action === 'other' ? event.engineAction : event.action}:${event.time}`;
    if (this.#at.has(key)) return false;
    const ms = Date.parse(event.time);
    this.#at.set(key, Number.isNaN(ms) ? this.#latestMs : ms);
    if (ms > this.#latestMs) this.#latestMs = ms;
    this.#forgetOld();
    return true;
  }

  /** Where a replay starts: the window before the latest event, never before the recording's start. */
  replaySince(): Date {
    return new Date(Math.max(this.startMs, this.#latestMs - REORDER_WINDOW_MS));
  }

  /** Events older than twice the window cannot come again from a replay: forgotten (memory stays bounded). */
  #forgetOld(): void {
    const floor = this.#latestMs - 2 * REORDER_WINDOW_MS;
    for (const [key, ms] of this.#at) {
      if (ms >= floor) break;
      this.#at.delete(key);
    }
  }
}

export class EventWatcher {
  readonly #handled: HandledEvents;
  readonly #life: LinkedSignal;
  #running: Promise<void> | null = null;

  constructor(
    readonly engine: DetectedRuntime,
    since: Date,
    signal: AbortSignal,
    readonly hooks: WatchHooks,
  ) {
    this.#handled = new HandledEvents(since.getTime());
    this.#life = linkedSignal(signal);
  }

  /** Watch live until {@link stop}: the engine's stream, and beside it where the engine keeps its events on this machine. */
  start(): void {
    this.#running ??= Promise.all([this.#run(), this.#runLocal()]).then(() => {});
  }

  /** Stop the live stream (after {@link catchUp}: the events up to now are handled). */
  async stop(): Promise<void> {
    this.#life.abort(new Error('recording stopped'));
    await this.#running;
    this.#life.dispose();
  }

  /**
   * podman's event file, read as it is written (runtime/events-file.ts): sooner than its API. Only ever in
   * addition to the engine's stream, so trouble here is no gap: it just ends.
   */
  async #runLocal(): Promise<void> {
    const local = await this.engine.runtime.localEvents?.({ since: this.#handled.replaySince(), signal: this.#life.signal }).catch(() => null);
    if (local) await this.#consume(local).catch(() => {});
  }

  /** Every event from a little before the latest handled one up to now, read to the end of the engine's answer. */
  async catchUp(): Promise<void> {
    const until = this.hooks.now();
    const since = this.#handled.replaySince();
    try {
      await this.#read(since, until);
    } catch (error) {
      if (!this.#life.signal.aborted) this.hooks.gap({ engine: this.engine.info.name, from: since.toISOString(), to: until.toISOString(), reason: `events up to the end not read: ${errorMessage(error)}` });
    }
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#life.signal.aborted) {
      let failure: string;
      try {
        await this.#read(this.#handled.replaySince());
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

  /**
   * Hand each new event on as it is read, without waiting for the one before to be handled (the recorder
   * queues them in order): a short-lived container's next events are not held up behind another's
   * inspect. Resolves once every event read is handled.
   */
  async #read(since: Date, until?: Date): Promise<void> {
    await this.#consume(this.engine.runtime.events({ since, ...(until ? { until } : {}), signal: this.#life.signal }));
  }

  async #consume(events: AsyncIterable<ContainerEvent>): Promise<void> {
    let handled: Promise<void> = Promise.resolve();
    try {
      for await (const event of events) {
        if (this.#handled.add(event)) handled = this.hooks.event(event);
      }
    } finally {
      await handled;
    }
  }
}
