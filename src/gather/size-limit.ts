/**
 * `--max-log-size`: keep a log's first and last bytes, with a marker line where the middle was cut.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { formatSize } from '../_util/units.js';

/**
 * The line that replaces the cut middle of a log, newlines included:
 * `\n[must-gather: 123456 bytes cut here by --max-log-size 50MB]\n`.
 */
export function cutMarker(cutBytes: number, label: string): string {
  return `\n[must-gather: ${cutBytes} bytes cut here by --max-log-size ${label}]\n`;
}

export interface SizeLimiterOptions {
  /** How the limit is named in the marker, e.g. what the user typed (`50MB`); default `formatSize(maxBytes)`. */
  readonly label?: string;
}

/**
 * A Transform that passes a stream through unchanged when it has at most `maxBytes` bytes, and otherwise
 * writes its first `floor(maxBytes / 2)` bytes, the {@link cutMarker} line, and its last
 * `maxBytes - floor(maxBytes / 2)` bytes, exactly. The head streams through at once; the tail is held in a
 * ring buffer of the tail's size (allocated only once the head is full), so memory is bounded by
 * `maxBytes / 2` whatever the input. `maxBytes` 0 (or `Infinity`) means no limit.
 *
 * Put it after the redactor, so the cut never leaves half a secret that no rule recognizes.
 */
export class SizeLimiter extends Transform {
  readonly maxBytes: number;
  readonly #label: string;
  readonly #headSize: number;
  readonly #tailSize: number;
  #total = 0;
  #ring: Buffer | null = null;
  /** Next write position in the ring. */
  #ringEnd = 0;
  /** Bytes held in the ring (≤ its size). */
  #ringFill = 0;

  constructor(maxBytes: number, options: SizeLimiterOptions = {}) {
    super();
    if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0) && maxBytes !== Infinity) {
      throw new RangeError(`maxBytes must be a whole number of bytes ≥ 0 or Infinity, got ${maxBytes}`);
    }
    this.maxBytes = maxBytes === 0 ? Infinity : maxBytes;
    this.#label = options.label ?? formatSize(maxBytes);
    this.#headSize = this.maxBytes === Infinity ? Infinity : Math.floor(this.maxBytes / 2);
    this.#tailSize = this.maxBytes === Infinity ? 0 : this.maxBytes - this.#headSize;
  }

  /** Bytes kept from the start of a log that is cut (Infinity without a limit). */
  headBytes(): number {
    return this.#headSize;
  }

  /** Bytes received so far. */
  totalBytes(): number {
    return this.#total;
  }

  /** Bytes cut out (0 when the stream fits); final once the stream has ended. */
  cutBytes(): number {
    return Math.max(0, this.#total - this.maxBytes);
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    const headLeft = Math.max(0, this.#headSize - this.#total);
    this.#total += bytes.length;
    if (bytes.length <= headLeft) {
      if (bytes.length > 0) this.push(bytes);
    } else {
      if (headLeft > 0) this.push(bytes.subarray(0, headLeft));
      this.#keep(bytes.subarray(headLeft));
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const cut = this.cutBytes();
    if (cut > 0) this.push(Buffer.from(cutMarker(cut, this.#label), 'latin1'));
    const tail = this.#tail();
    if (tail.length > 0) this.push(tail);
    this.#ring = null;
    callback();
  }

  /** Add bytes after the head to the ring, overwriting the oldest. */
  #keep(bytes: Buffer): void {
    const size = this.#tailSize;
    const ring = (this.#ring ??= Buffer.allocUnsafe(size));
    if (bytes.length >= size) {
      bytes.copy(ring, 0, bytes.length - size);
      this.#ringEnd = 0;
      this.#ringFill = size;
      return;
    }
    const first = Math.min(bytes.length, size - this.#ringEnd);
    bytes.copy(ring, this.#ringEnd, 0, first);
    bytes.copy(ring, 0, first);
    this.#ringEnd = (this.#ringEnd + bytes.length) % size;
    this.#ringFill = Math.min(size, this.#ringFill + bytes.length);
  }

  /** The ring's bytes, oldest first. */
  #tail(): Buffer {
    const ring = this.#ring;
    if (ring === null || this.#ringFill === 0) return Buffer.alloc(0);
    if (this.#ringFill < ring.length) return Buffer.from(ring.subarray(this.#ringEnd - this.#ringFill, this.#ringEnd));
    return Buffer.concat([ring.subarray(this.#ringEnd), ring.subarray(0, this.#ringEnd)]);
  }
}

/** A {@link SizeLimiter}: `createSizeLimiter(parseSize('50MB'), { label: '50MB' })`. */
export function createSizeLimiter(maxBytes: number, options: SizeLimiterOptions = {}): SizeLimiter {
  return new SizeLimiter(maxBytes, options);
}
