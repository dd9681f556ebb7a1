/*
 * Resuming a followed log without repeating a line. A follow stream ends when its container stops (a
 * restart needs a new one) or breaks when the engine does; the next stream is asked `since` the last line's
 * time, so it starts with lines already written. Lines are told apart by time alone: the engine may repeat a
 * time (podman's API gives whole seconds, so a busy second has many lines at one time), so the point counts
 * how many lines carried the last time, and the replay drops that many at that time. Content is never
 * compared: a container may well write the same line twice.
 *
 * A transport that gives no line times (podman's CLI) is asked for the whole log again, and the replay
 * drops as many lines of each stream as were passed: each stream's order is the engine's file order,
 * only the interleaving of the two streams differs between answers.
 */
import type { StreamId } from '../runtime/line-join.js';

/**
 * An RFC 3339 time as a key that sorts as the time does: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` in UTC. The engines
 * trim trailing zeros of the fraction (`…:50.12Z` before `…:50.123Z`), so their texts do not sort. Null for
 * anything else (a line the engine gave no time).
 */
export function timeKey(time: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i.exec(time);
  if (!m) return null;
  const fraction = (m[2] ?? '').padEnd(9, '0');
  const zone = (m[3] as string).toUpperCase();
  if (zone === 'Z' || /^[+-]00:?00$/.test(zone)) return `${(m[1] as string).replace(' ', 'T')}.${fraction}`;
  const ms = Date.parse(`${m[1] as string}${zone}`);
  if (Number.isNaN(ms)) return null;
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}`;
}

/**
 * What one line of a replayed stream is: already written (drop it), new and so is everything after it, or
 * new while lines of the other stream are still to be dropped (a replay by counts).
 */
export type ReplayVerdict = 'seen' | 'new' | 'kept';

/** Where a followed log got to: the last line's time, and how many lines in a row carried it. */
export class ResumePoint {
  #time: string | null = null;
  #key: string | null = null;
  #atTime = 0;
  /** Lines passed on, all streams together. */
  #lines = 0;
  /** Lines passed on of stdout and of stderr. */
  readonly #perStream: [number, number] = [0, 0];

  /** A line of `stream` was passed on to the file; `time` is the engine's ('' when it gave none). */
  passed(time: string, stream: StreamId = 1): void {
    this.#lines++;
    this.#perStream[stream - 1] = (this.#perStream[stream - 1] as number) + 1;
    const key = timeKey(time);
    if (key === null) return;
    if (key === this.#key) this.#atTime++;
    else {
      this.#time = time;
      this.#key = key;
      this.#atTime = 1;
    }
  }

  /** The time to ask the next stream `since`; undefined before any timed line (then from the start). */
  since(): string | undefined {
    return this.#time ?? undefined;
  }

  /** Whether a next stream starts with lines already passed on (and must be replayed through {@link replay}). */
  get resumes(): boolean {
    return this.#lines > 0;
  }

  /**
   * Judge the lines of a stream asked `since()`, in order: those before the point, and as many at its time
   * as were passed, are `seen`; the first other line and every one after it are `new`.
   */
  replay(): (time: string, stream?: StreamId) => ReplayVerdict {
    if (this.#key === null && this.#lines > 0) return this.#replayByCount();
    const key = this.#key;
    let toDrop = this.#atTime;
    let done = key === null;
    return (time) => {
      if (done) return 'new';
      const k = timeKey(time);
      if (k !== null && key !== null && (k < key || (k === key && toDrop > 0))) {
        if (k === key) toDrop--;
        return 'seen';
      }
      done = true;
      return 'new';
    };
  }

  /** The whole log again, without times: the first lines of each stream, as many as were passed, are `seen`. */
  #replayByCount(): (time: string, stream?: StreamId) => ReplayVerdict {
    const toDrop: [number, number] = [...this.#perStream];
    return (_time, stream = 1) => {
      const left = toDrop[stream - 1] as number;
      if (left > 0) {
        toDrop[stream - 1] = left - 1;
        return 'seen';
      }
      return toDrop[0] === 0 && toDrop[1] === 0 ? 'new' : 'kept';
    };
  }
}
