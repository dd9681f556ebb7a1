/*
 * One container's log, followed live for as long as the recording runs: one follow stream at a time, each
 * resumed where the last one ended. A stream ends when the container stops (a restart needs a new one, and
 * its output goes on in the same file) and breaks when the engine does (a daemon restart, a dropped
 * connection): then the follower waits, with backoff, and asks again `since` the last line's time, dropping
 * what the file already has (resume.ts). Backpressure from the file reaches the engine's stream.
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerGoneError, EngineCancelledError, type ContainerRuntime, type LogOptions, type LogSource } from '../runtime/types.js';
import { errorMessage } from '../_util/errors.js';
import { linkedSignal, type LinkedSignal } from '../_util/deadline.js';
import { LineTimes } from '../runtime/line-join.js';
import { LineGate } from './line-gate.js';
import { ResumePoint, timeKey } from './resume.js';

/** What the container is doing, for a follower whose stream ended cleanly. */
export type ContainerActivity = 'running' | 'stopped' | 'gone';

/** A stretch of time the recording could not see: the engine, or one container's log, was out of reach. */
export interface Gap {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

export interface FollowHooks {
  /** Whether the container runs (its stream ended early), stopped, or is gone. Throws on engine trouble. */
  activity(): Promise<ContainerActivity>;
  /** A stream broke and was resumed (or the recording ended first): the stretch it did not see. */
  gap(gap: Gap): void;
  /**
   * When the container's runs ended, as far as its `die` events and last inspect say (the engine's times,
   * any order).
   */
  stopTimes(): readonly string[];
  readonly now: () => Date;
}

/**
 * Between attempts after engine trouble: 0.1 s doubling to 1 s, so a restarted daemon is found within a
 * second (a suite may remove a container a second after the daemon is back; a refused local connection costs
 * next to nothing).
 */
export function retryDelayMs(attempt: number): number {
  return Math.min(1_000, 100 * 2 ** Math.min(attempt, 4));
}

/** Wait `ms`, or less when `signal` aborts (never rejects). */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => {});
}

export class LogFollower {
  readonly point = new ResumePoint();
  /** The engine time of each line passed on to the file, in order ('' where it gave none): for the timeline. */
  readonly passedTimes = new LineTimes();
  /** Start events seen: a restart while a stream was being read is known when it ends. */
  #starts = 0;
  #wake: (() => void) | null = null;
  #finishing = false;
  /** When following began, as a {@link timeKey}. */
  readonly #began: string;
  /** {@link #starts} when the last stream was opened: a start after it needs one more stream, even at the end. */
  #startsAtStream = 0;
  readonly #end: LinkedSignal;
  #source: LogSource | null = null;
  #linesCut = 0;
  #dropped = 0;
  #streams = 0;
  #gate: LineGate | null = null;
  #receivedBefore = 0;
  /** When the last stream ended: where a stream without line times resumes (inexactly). */
  #lastEnd: Date | null = null;
  /** When the last stream was opened, as a {@link timeKey}. */
  #openedAt: string | null = null;
  /** The wait before the next attempt after engine trouble: cut short by {@link retryNow}. */
  #retry: LinkedSignal | null = null;
  /** The stream in flight alone: cut by {@link readToEndAndStop}. */
  #current: LinkedSignal | null = null;
  /** The next stream is the last one, not following ({@link readToEndAndStop}). */
  #lastRead = false;

  /** `signal`: the recording's life; {@link end} stops this follower alone. */
  constructor(
    readonly runtime: ContainerRuntime,
    readonly container: { readonly id: string; readonly tty: boolean },
    readonly logs: LogOptions,
    signal: AbortSignal,
    readonly hooks: FollowHooks,
  ) {
    this.#end = linkedSignal(signal);
    this.#began = timeKey(hooks.now().toISOString()) as string;
  }

  /**
   * The container started (at `time`, the event's): a restart when later than the follow began (the start
   * that made it worth following comes as an event too): its new output goes on into the same file.
   */
  started(time: string): void {
    const key = timeKey(time);
    if (key !== null && key < this.#began) return;
    this.#starts++;
    this.#wake?.();
  }

  /**
   * The recording ends and the container does not run: let the stream in flight deliver the rest of its
   * log, then stop (the caller ends it for good after a grace period with {@link end}).
   */
  finish(): void {
    this.#finishing = true;
    this.#wake?.();
  }

  /**
   * The recording ends while the container runs (the caller took its last inspect): the following stream
   * is cut and the log read once more, not following, from where the file is, so everything the engine
   * has up to now is in the file, none of it twice. Without line times and with `--tail` a log that has
   * output cannot be resumed exactly: its stream is just cut.
   */
  readToEndAndStop(): void {
    if (this.received() > 0 && this.#resumeMode() === 'inexact') {
      this.end();
      return;
    }
    this.#lastRead = true;
    this.#current?.abort(new Error('recording stopped: the log is read to its end'));
    this.#wake?.();
  }

  /** The engine answers again (the recording's event watcher saw it): a stream waiting after trouble is asked now. */
  retryNow(): void {
    this.#retry?.abort(new Error('the engine answers again'));
  }

  /** Stop following: the stream in flight is cut (the caller took the container's last inspect first). */
  end(): void {
    this.#end.abort(new Error('recording stopped'));
    this.#wake?.();
  }

  /** Bytes received from the engine so far: whether a stream in flight still makes progress. */
  received(): number {
    return this.#receivedBefore + (this.#gate?.received ?? 0);
  }

  get ended(): boolean {
    return this.#end.signal.aborted;
  }

  /** Where the bytes came from (the last stream's source), lines passed on in pieces, and lines dropped as already written. */
  stats(): { source: LogSource | null; linesCut: number; replayedLines: number; streams: number } {
    return { source: this.#source, linesCut: this.#linesCut, replayedLines: this.#dropped, streams: this.#streams };
  }

  /**
   * Follow into `sink` (never ended here) until the container is gone, or {@link end}. Resolves with why
   * the log may lack something, or null; never throws for engine trouble.
   */
  async run(sink: Writable): Promise<string | null> {
    let attempt = 0;
    let broken: { at: Date; reason: string } | null = null;
    try {
      // Once finishing, no new stream, unless the container has output no stream has read: it was found only
      // at the end, or it started again since the last stream opened.
      while (!this.ended && !(this.#finishing && this.#streams > 0 && this.#starts === this.#startsAtStream)) {
        const starts = this.#starts;
        const last = this.#lastRead;
        const failure = await this.#stream(sink, !last);
        if (this.ended || last) break;
        // The following stream was cut for the last read.
        if (this.#lastRead) continue;
        if (failure instanceof ContainerGoneError) return this.point.resumes ? null : 'log not read: the container was removed before its log could be asked for';
        if (failure !== null && this.#finishing) break;
        if (failure !== null) {
          // Engine trouble: wait and ask again from where the file is.
          broken ??= { at: this.hooks.now(), reason: `log stream broke: ${errorMessage(failure)}` };
          const retry = linkedSignal(this.#end.signal);
          this.#retry = retry;
          await pause(retryDelayMs(attempt++), retry.signal);
          this.#retry = null;
          retry.dispose();
          continue;
        }
        if (broken) this.#closeGap(broken);
        broken = null;
        attempt = 0;
        if (this.#starts > starts) continue;
        const activity = await this.hooks.activity().catch(() => 'trouble' as const);
        if (activity === 'gone') return null;
        if (activity === 'running' || activity === 'trouble') {
          // The engine ended the stream of a running container: ask again, not in a tight loop.
          await pause(retryDelayMs(0), this.#end.signal);
          continue;
        }
        await this.#restartOrEnd(starts);
      }
      return null;
    } finally {
      if (broken) this.#closeGap(broken);
      this.#end.dispose();
    }
  }

  #closeGap(broken: { at: Date; reason: string }): void {
    this.hooks.gap({ from: broken.at.toISOString(), to: this.hooks.now().toISOString(), reason: broken.reason });
  }

  /** Wait for the container's next start (already seen, or to come) or the end of the recording. */
  async #restartOrEnd(starts: number): Promise<void> {
    if (this.#starts > starts || this.ended || this.#finishing || this.#lastRead) return;
    await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = null;
  }

  /**
   * How the next stream starts: from the start (nothing passed yet); `since` the last line's time, dropping
   * what the file has; without line times (podman's CLI), the whole log again, dropping as many lines of
   * each stream as were passed; or, when `--tail` cuts what the engine answers, inexactly from a time.
   */
  #resumeMode(): 'first' | 'by-time' | 'by-count' | 'inexact' {
    if (!this.point.resumes) return 'first';
    if (this.point.since() !== undefined) return 'by-time';
    return this.logs.tail === undefined ? 'by-count' : 'inexact';
  }

  /**
   * Where a stream resumes inexactly (no line times, and `--tail`). After a restart:
   * from when the last run ended (everything after it is the new run's; a line of the old run stamped at
   * its very end may come again). After engine trouble: from when the last stream ended, which may drop or
   * repeat a line or two; the gap says so.
   */
  #untimedSince(): string | undefined {
    // The first end of a run after the last stream opened: that stream delivered the run to its end.
    let first: { time: string; key: string } | null = null;
    for (const time of this.hooks.stopTimes()) {
      const key = timeKey(time);
      if (key !== null && this.#openedAt !== null && key > this.#openedAt && (first === null || key < first.key)) first = { time, key };
    }
    return first?.time ?? this.#lastEnd?.toISOString();
  }

  /** One stream into `sink` (following, or the last read): null when it ended cleanly, else the engine's failure. */
  async #stream(sink: Writable, follow: boolean): Promise<unknown> {
    const point = this.point;
    const resume = this.#resumeMode();
    const since = resume === 'by-time' ? point.since() : resume === 'inexact' ? this.#untimedSince() : undefined;
    this.#openedAt = timeKey(this.hooks.now().toISOString());
    this.#streams++;
    this.#startsAtStream = this.#starts;
    const current = linkedSignal(this.#end.signal);
    this.#current = current;
    const log = this.runtime.logs(this.container, { ...this.logs, follow, lineTimes: true, ...(since !== undefined ? { since, tail: undefined } : {}) }, current.signal);
    const gate = new LineGate(log.times, point, resume === 'by-time' || resume === 'by-count', this.passedTimes);
    this.#gate = gate;
    // A file that fails (the disk is full) ends the follow for good: rethrown, not retried.
    // Written chunk by chunk rather than piped: `pipeline(…, sink, { end: false })` leaves its listeners on
    // the sink, one set per stream, and a crash-looping container's log is followed by many streams.
    await pipeline(log.stream, gate, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) if (!sink.write(chunk)) await once(sink, 'drain');
    });
    const failure = await log.finished.then(
      () => null,
      (error: unknown) => error,
    );
    this.#lastEnd = this.hooks.now();
    this.#source = log.source();
    this.#linesCut += log.linesCut();
    this.#dropped += gate.dropped;
    this.#receivedBefore += gate.received;
    this.#gate = null;
    this.#current = null;
    current.dispose();
    if (failure instanceof EngineCancelledError && (this.ended || current.signal.aborted)) return null;
    return failure;
  }
}
