import { Transform, type TransformCallback } from 'node:stream';
import { findTrailingEngineError } from './parse.js';

/**
 * Passes bytes through but holds back the last `limit` bytes until the stream ends, then asks `hasFailed`
 * whether the engine CLI failed: if so, and the held tail ends with the CLI's own `Error…` line, that line
 * is dropped from the output and kept in {@link engineError}. Memory is bounded by `limit`.
 */
export class EngineErrorHoldback extends Transform {
  readonly #limit: number;
  readonly #hasFailed: () => Promise<boolean>;
  #held: Buffer = Buffer.alloc(0);
  /** The last byte already passed on, to tell whether the held tail starts at a line start. */
  #lastPassed: number | null = null;
  engineError: string | null = null;

  constructor(limit: number, hasFailed: () => Promise<boolean>) {
    super();
    this.#limit = limit;
    this.#hasFailed = hasFailed;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length >= this.#limit) {
      if (this.#held.length > 0) this.push(this.#held);
      const passed = chunk.subarray(0, chunk.length - this.#limit);
      if (passed.length > 0) this.#pass(passed);
      else if (this.#held.length > 0) this.#lastPassed = this.#held[this.#held.length - 1] as number;
      this.#held = Buffer.from(chunk.subarray(chunk.length - this.#limit));
      callback();
      return;
    }
    const all = Buffer.concat([this.#held, chunk]);
    const excess = all.length - this.#limit;
    if (excess > 0) this.#pass(all.subarray(0, excess));
    this.#held = excess > 0 ? all.subarray(excess) : all;
    callback();
  }

  #pass(bytes: Buffer): void {
    this.push(bytes);
    this.#lastPassed = bytes[bytes.length - 1] as number;
  }

  override _flush(callback: TransformCallback): void {
    const release = (failed: boolean): void => {
      let at = failed ? findTrailingEngineError(this.#held) : -1;
      // At offset 0 the line may have begun before the held tail: only a line start if what preceded was "\n".
      if (at === 0 && this.#lastPassed !== null && this.#lastPassed !== 0x0a) at = -1;
      if (at >= 0) {
        this.engineError = this.#held.subarray(at).toString('utf8').trim();
        this.#held = this.#held.subarray(0, at);
      }
      callback(null, this.#held.length > 0 ? this.#held : undefined);
    };
    this.#hasFailed().then(release, () => release(false));
  }
}
