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
  engineError: string | null = null;

  constructor(limit: number, hasFailed: () => Promise<boolean>) {
    super();
    this.#limit = limit;
    this.#hasFailed = hasFailed;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length >= this.#limit) {
      if (this.#held.length > 0) this.push(this.#held);
      this.push(chunk.subarray(0, chunk.length - this.#limit));
      this.#held = Buffer.from(chunk.subarray(chunk.length - this.#limit));
      callback();
      return;
    }
    const all = Buffer.concat([this.#held, chunk]);
    const excess = all.length - this.#limit;
    if (excess > 0) this.push(all.subarray(0, excess));
    this.#held = excess > 0 ? all.subarray(excess) : all;
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const release = (failed: boolean): void => {
      const at = failed ? findTrailingEngineError(this.#held) : -1;
      if (at >= 0) {
        this.engineError = this.#held.subarray(at).toString('utf8').trim();
        this.#held = this.#held.subarray(0, at);
      }
      callback(null, this.#held.length > 0 ? this.#held : undefined);
    };
    this.#hasFailed().then(release, () => release(false));
  }
}
