/*
 * The pass-through between one follow stream and the log's file: it notes each line's engine time in the
 * log's ResumePoint (and queues it for the timeline's tap further down) and, on a resumed stream, drops the
 * lines the file already has. Outside a replay chunks pass as they are (no copy); during one, an unfinished
 * line is held until its newline says which it is (the engine's line joiner bounds a line, so this is
 * bounded too).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { LineTimes, StreamId } from '../runtime/line-join.js';
import type { ReplayVerdict, ResumePoint } from './resume.js';

const NEWLINE = 0x0a;

export class LineGate extends Transform {
  readonly #times: LineTimes | null;
  readonly #point: ResumePoint;
  #judge: ((time: string, stream?: StreamId) => ReplayVerdict) | null;
  /** During a replay: the bytes of the line not ended yet. */
  #held: Buffer[] = [];
  /** Lines dropped as already written. */
  dropped = 0;
  /** Bytes received from the engine. */
  received = 0;
  readonly #passed: LineTimes | null;
  /** The stream of the line whose time {@link #nextTime} gave last. */
  #stream: StreamId = 1;

  /**
   * `replay`: the stream was asked `since` the point and starts with lines the file has. `passed`: where the
   * time of each line passed on is queued (the log's timeline tap reads them), or null.
   */
  constructor(times: LineTimes | null, point: ResumePoint, replay: boolean, passed: LineTimes | null = null) {
    super();
    this.#times = times;
    this.#point = point;
    this.#passed = passed;
    this.#judge = replay && times !== null ? point.replay() : null;
  }

  /** The next line's time and, in {@link #stream}, its stream. */
  #nextTime(): string {
    const time = this.#times?.shift() ?? '';
    this.#stream = this.#times?.lastStream ?? 1;
    return time;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    this.#scan(chunk, callback);
  }

  #scan(chunk: Buffer, callback: TransformCallback): void {
    if (this.#judge === null) {
      for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, at + 1)) this.#linePassed(this.#nextTime(), this.#stream);
      callback(null, chunk);
      return;
    }
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, start)) {
      this.#held.push(chunk.subarray(start, at + 1));
      start = at + 1;
      const time = this.#nextTime();
      const line = Buffer.concat(this.#held);
      this.#held = [];
      const verdict = this.#judge(time, this.#stream);
      if (verdict === 'seen') {
        this.dropped++;
        continue;
      }
      this.#linePassed(time, this.#stream);
      this.push(line);
      if (verdict === 'kept') continue;
      // The first new line: it and everything after it pass.
      this.#judge = null;
      this.#scan(chunk.subarray(start), callback);
      return;
    }
    if (start < chunk.length) this.#held.push(chunk.subarray(start));
    callback();
  }

  #linePassed(time: string, stream: StreamId): void {
    this.#point.passed(time, stream);
    this.#passed?.push(time, stream);
  }

  override _flush(callback: TransformCallback): void {
    // A last line without its newline (the stream ended inside it): kept, as the engine gave it.
    if (this.#held.length > 0 && (this.#judge === null || this.#judge(this.#nextTime(), this.#stream) !== 'seen')) this.push(Buffer.concat(this.#held));
    this.#held = [];
    callback();
  }
}
