import type { LineLevel } from './classify.js';

/*
 * When a log's lines happened, for the log analyzer: the earliest and latest time seen, and how many
 * errors and warnings fell in each stretch of time, in few buckets whatever the log's length.
 */

const MAX_TIME_BUCKETS = 240;

/** When errors and warnings happened, in buckets that widen (1 s, 2 s, 4 s…) to stay few. */
export interface ErrorTimeline {
  readonly bucketMs: number;
  readonly buckets: readonly { readonly start: string; readonly errors: number; readonly warnings: number }[];
}

/** The earliest and latest time any line carries. */
export class TimeSpan {
  #firstMs = Infinity;
  #lastMs = -Infinity;

  /** `iso` as epoch ms (null when absent or unreadable), widening the span to include it. */
  see(iso: string | null): number | null {
    if (iso === null) return null;
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return null;
    if (ms < this.#firstMs) this.#firstMs = ms;
    if (ms > this.#lastMs) this.#lastMs = ms;
    return ms;
  }

  get first(): string | null {
    return Number.isFinite(this.#firstMs) ? new Date(this.#firstMs).toISOString() : null;
  }

  get last(): string | null {
    return Number.isFinite(this.#lastMs) ? new Date(this.#lastMs).toISOString() : null;
  }
}

interface Bucket {
  errors: number;
  warnings: number;
}

/** Errors and warnings per bucket of time; buckets double in width whenever there would be too many. */
export class TimelineCounter {
  #bucketMs = 1000;
  #buckets = new Map<number, Bucket>();

  count(ms: number, level: LineLevel): void {
    const key = Math.floor(ms / this.#bucketMs) * this.#bucketMs;
    const bucket = this.#buckets.get(key) ?? { errors: 0, warnings: 0 };
    if (level === 'error') bucket.errors++;
    else bucket.warnings++;
    this.#buckets.set(key, bucket);
    while (this.#buckets.size > MAX_TIME_BUCKETS) this.#widen();
  }

  timeline(): ErrorTimeline {
    return {
      bucketMs: this.#bucketMs,
      buckets: [...this.#buckets.entries()]
        .sort(([a], [b]) => a - b)
        .map(([start, b]) => ({ start: new Date(start).toISOString(), errors: b.errors, warnings: b.warnings })),
    };
  }

  #widen(): void {
    const bucketMs = (this.#bucketMs *= 2);
    const wider = new Map<number, Bucket>();
    for (const [start, b] of this.#buckets) {
      const k = Math.floor(start / bucketMs) * bucketMs;
      const w = wider.get(k) ?? { errors: 0, warnings: 0 };
      w.errors += b.errors;
      w.warnings += b.warnings;
      wider.set(k, w);
    }
    this.#buckets = wider;
  }
}
