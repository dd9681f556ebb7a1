import { createReadStream } from 'node:fs';
import { parseEventRecord, readEvents } from '../runtime/events.js';
import type { ContainerEvent } from '../runtime/types.js';

/*
 * What a run's events.jsonl says about each collected container, for the verdict: when the engine saw it
 * OOM-killed, each exit (and whether the engine had sent a kill or stop first), each restart, each change
 * of health. Read once, streaming, keeping only the collected containers and a bounded number of marks each.
 */

/** One event that matters, as the verdict and the timeline show it. */
export interface EventMark {
  readonly time: string;
  readonly kind: 'die' | 'oom' | 'restart' | 'health';
  /** `die`: the exit code, when the engine said. */
  readonly exitCode?: number;
  /** `die`: whether the engine sent a kill or stop after the container last started (an exit it caused). */
  readonly byEngine?: boolean;
  /**
   * `die`: when the container was destroyed within {@link REMOVED_WITHIN_MS} after it — a SIGKILL then was
   * most likely the removal's own (`rm -f`, which podman announces with no kill event).
   */
  readonly removedAt?: string;
  /** `health`: the new status (`healthy`, `unhealthy`, `starting`). */
  readonly health?: string;
}

/** One container's events, summed up. */
export interface EventHistory {
  /** The marks in the order the engine sent them; the first {@link MAX_MARKS}. */
  readonly marks: readonly EventMark[];
  /** Marks beyond {@link MAX_MARKS}, counted, not kept. */
  readonly omitted: number;
  /** The first `oom` event's time, or null (podman 4.3 sends none). */
  readonly oomAt: string | null;
  /** How many times it exited (`die` events). */
  readonly exits: number;
  /** How many times it started again after an exit. */
  readonly restarts: number;
  /** The last exit, or null. */
  readonly lastExit: EventMark | null;
  /** The first time it turned unhealthy, or null. */
  readonly unhealthyAt: string | null;
}

const MAX_MARKS = 100;
/** A destroy this soon after a die says the removal killed it (podman's `rm -f -t 0`: ~0.05–0.3 s). */
const REMOVED_WITHIN_MS = 1000;

/** Builds one container's {@link EventHistory} event by event. */
class HistoryBuilder {
  readonly marks: EventMark[] = [];
  omitted = 0;
  oomAt: string | null = null;
  exits = 0;
  restarts = 0;
  lastExit: EventMark | null = null;
  unhealthyAt: string | null = null;
  #exited = false;
  #engineStopped = false;
  #health: string | null = null;

  add(event: ContainerEvent): void {
    switch (event.action) {
      case 'start':
        // podman also sends `restart` before it; counting starts after an exit counts both engines alike.
        if (this.#exited) {
          this.restarts++;
          this.#mark({ time: event.time, kind: 'restart' });
        }
        this.#exited = false;
        this.#engineStopped = false;
        return;
      case 'kill':
      case 'stop':
        if (!this.#exited) this.#engineStopped = true;
        return;
      case 'oom':
        this.oomAt ??= event.time;
        this.#mark({ time: event.time, kind: 'oom' });
        return;
      case 'die': {
        const mark: EventMark = { time: event.time, kind: 'die', ...(event.exitCode !== undefined ? { exitCode: event.exitCode } : {}), byEngine: this.#engineStopped };
        this.exits++;
        this.lastExit = mark;
        this.#exited = true;
        this.#mark(mark);
        return;
      }
      case 'destroy': {
        const last = this.lastExit;
        if (!this.#exited || last === null || !(Date.parse(event.time) - Date.parse(last.time) <= REMOVED_WITHIN_MS)) return;
        this.lastExit = { ...last, removedAt: event.time };
        const at = this.marks.lastIndexOf(last);
        if (at >= 0) this.marks[at] = this.lastExit;
        return;
      }
      case 'health_status':
        if (event.health === undefined || event.health === this.#health) return;
        this.#health = event.health;
        if (event.health === 'unhealthy') this.unhealthyAt ??= event.time;
        this.#mark({ time: event.time, kind: 'health', health: event.health });
        return;
      default:
        return;
    }
  }

  #mark(mark: EventMark): void {
    if (this.marks.length < MAX_MARKS) this.marks.push(mark);
    else this.omitted++;
  }
}

/** The key of a container in {@link readEventHistories}' answer. */
export function historyKey(runtime: string, id: string): string {
  return `${runtime}:${id}`;
}

/**
 * Read `file` (events.jsonl) and sum up the events of the containers in `keys` ({@link historyKey}).
 * Resolves null when the file does not exist (a run that did not ask the engines); lines that are not
 * events are skipped.
 */
export async function readEventHistories(file: string, keys: ReadonlySet<string>): Promise<Map<string, EventHistory> | null> {
  const builders = new Map<string, HistoryBuilder>();
  try {
    for await (const event of readEvents(createReadStream(file), parseEventRecord, {})) {
      const key = historyKey(event.runtime, event.id);
      if (!keys.has(key)) continue;
      let builder = builders.get(key);
      if (builder === undefined) builders.set(key, (builder = new HistoryBuilder()));
      builder.add(event);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return builders;
}
