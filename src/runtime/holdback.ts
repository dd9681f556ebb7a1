import { Transform, type TransformCallback } from 'node:stream';
import { findTrailingEngineError } from './parse.js';

/** How the engine CLIs' own error lines begin (podman, docker). */
const ENGINE_ERROR_STARTS = ['Error: ', 'Error response from daemon: '];
const LONGEST_START = Math.max(...ENGINE_ERROR_STARTS.map((s) => s.length));
const LF = 0x0a;

/** Whether a line (or the start of one that is still arriving) can be the engine CLI's own error line. */
function mayBeEngineError(line: Buffer): boolean {
  const head = line.toString('latin1', 0, Math.min(line.length, LONGEST_START));
  return ENGINE_ERROR_STARTS.some((start) => (head.length >= start.length ? head.startsWith(start) : start.startsWith(head)));
}

/**
 * The engine CLI's stderr, where the container's stderr and, when `logs` fails, the CLI's own `Error…` line
 * arrive. Bytes pass through as they come, except a last line that looks like an engine error (at most
 * `limit` bytes): it is held until another line follows (it was the container's) or the stream ends. Then
 * `hasFailed` says whether the CLI failed: if so, that line is dropped from the output and kept in
 * {@link engineError}. Holding only that line keeps the container's stderr lines in step with its stdout.
 */
export class EngineErrorHoldback extends Transform {
  readonly #limit: number;
  readonly #hasFailed: () => Promise<boolean>;
  /** A last line that may be the engine's error; it starts at a line start. */
  #held: Buffer = Buffer.alloc(0);
  /** The next byte starts a line (nothing was passed on yet, or the last byte passed on was "\n"). */
  #lineStart = true;
  engineError: string | null = null;

  constructor(limit: number, hasFailed: () => Promise<boolean>) {
    super();
    this.#limit = limit;
    this.#hasFailed = hasFailed;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const all = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk;
    // The last line, complete (its "\n" included) or still arriving.
    const end = all[all.length - 1] === LF ? all.length - 1 : all.length;
    const start = end === 0 ? 0 : all.lastIndexOf(LF, end - 1) + 1;
    const last = all.subarray(start);
    if ((start > 0 || this.#lineStart) && last.length <= this.#limit && mayBeEngineError(last)) {
      if (start > 0) this.#pass(all.subarray(0, start));
      this.#held = Buffer.from(last);
    } else {
      this.#pass(all);
      this.#held = Buffer.alloc(0);
    }
    callback();
  }

  #pass(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.push(bytes);
    this.#lineStart = bytes[bytes.length - 1] === LF;
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
