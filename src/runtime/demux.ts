import { Transform, type TransformCallback } from 'node:stream';
import type { LineJoiner } from './line-join.js';
import { PrefixReader, type PrefixMode } from './log-time.js';

/*
 * Docker's multiplexed log stream (used when the container has no TTY): frames of an 8-byte header
 * [stream type, 0, 0, 0, size as uint32 big-endian] and `size` bytes of payload. Types: 0 stdin, 1 stdout,
 * 2 stderr, 3 systemerr (an error from the daemon in the middle of the stream, not container output).
 * Each frame is one log entry: a line, or a piece of one (podman's partial entries, docker's 16 KiB split);
 * with `timestamps=true` every frame, pieces included, starts with `<RFC 3339> `.
 *
 * docker-modem's demuxStream copies the remaining buffer per frame (~7 MB/s on 100-byte lines, and podman
 * sends one frame per line); this one walks offsets and pushes one buffer per input chunk.
 */

const HEADER = 8;
const SYSTEM_ERR = 3;
/** How much of a daemon error (systemerr frames) is kept. */
const MAX_ERROR_BYTES = 64 * 1024;
/**
 * How podman's API begins the error it writes, unframed, into a logs body it has already answered 200 (the
 * container was removed as the stream began): `{"cause":…,"message":…,"response":500}`.
 */
const UNFRAMED_ERROR_START = Buffer.from('{"cause":');

/** The message of an engine's JSON error body (`response` 400 or more), or null when the bytes are not one. */
function engineErrorMessage(bytes: Buffer): string | null {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const { message, response } = value as { message?: unknown; response?: unknown };
    return typeof message === 'string' && typeof response === 'number' && response >= 400 ? message : null;
  } catch {
    return null;
  }
}

export interface LogDemuxerOptions {
  /**
   * Keeps each stream's lines whole (stdin and stdout frames are stream 1, stderr 2) and receives each
   * frame's time. Without one, payloads are output as they come.
   */
  readonly joiner?: LineJoiner | null;
  /** Every frame starts with a timestamp (asked with `timestamps=true`); needs a joiner, which gets the time. */
  readonly prefixes?: PrefixMode | null;
}

export class LogDemuxer extends Transform {
  readonly #header = Buffer.alloc(HEADER);
  #headerFill = 0;
  #type = 0;
  #remaining = 0;
  #raw = false;
  #sawFrame = false;
  /** Unframed bytes that may be the engine's JSON error (see {@link UNFRAMED_ERROR_START}), held to the end. */
  #rawHeld: Buffer[] | null = null;
  #rawHeldBytes = 0;
  #systemErr: Buffer[] = [];
  #systemErrBytes = 0;
  readonly #joiner: LineJoiner | null;
  /** The current frame's prefix is still to be read (some of it may be in #prefix). */
  #prefixPending = false;
  readonly #prefix: PrefixReader | null;
  /** The current frame's time, once its prefix is read. */
  #time: string | null = null;
  /** Payload pieces of the chunk being read, when there is no joiner. */
  #out: Buffer[] = [];

  constructor(options: LogDemuxerOptions = {}) {
    super();
    this.#joiner = options.joiner ?? null;
    const prefixes = this.#joiner ? (options.prefixes ?? null) : null;
    this.#prefix = prefixes ? new PrefixReader(prefixes) : null;
  }

  /** Text the daemon sent as systemerr frames (e.g. "Error grabbing logs: …"), or null. */
  get daemonError(): string | null {
    return this.#systemErr.length === 0 ? null : Buffer.concat(this.#systemErr).toString('utf8').trim();
  }

  /** True when the stream turned out not to be multiplexed and was passed through as it came. */
  get passedThrough(): boolean {
    return this.#raw;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#raw) {
      this.#passRaw(chunk);
      callback(null, this.#collected() ?? undefined);
      return;
    }
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining === 0) {
        const take = Math.min(HEADER - this.#headerFill, chunk.length - offset);
        chunk.copy(this.#header, this.#headerFill, offset, offset + take);
        this.#headerFill += take;
        offset += take;
        if (this.#headerFill < HEADER) break;
        this.#headerFill = 0;
        const type = this.#header[0] as number;
        if (type > SYSTEM_ERR || this.#header[1] !== 0 || this.#header[2] !== 0 || this.#header[3] !== 0) {
          // Not a frame header: the stream is not multiplexed. Keep every byte, from here on unchanged.
          this.#raw = true;
          this.#endLines();
          // After frames, bytes that begin as podman's JSON error are held: it is the engine's, not the log's.
          if (this.#sawFrame && UNFRAMED_ERROR_START.subarray(0, HEADER).equals(this.#header)) this.#rawHeld = [];
          this.#passRaw(Buffer.concat([this.#header, chunk.subarray(offset)]));
          break;
        }
        this.#type = type;
        this.#sawFrame = true;
        this.#remaining = this.#header.readUInt32BE(4);
        this.#prefixPending = this.#prefix !== null && type !== SYSTEM_ERR;
        this.#time = null;
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - offset);
      const payload = chunk.subarray(offset, offset + take);
      this.#remaining -= take;
      offset += take;
      if (this.#type === SYSTEM_ERR) this.#keepSystemErr(payload);
      else if (this.#prefixPending) this.#readPrefix(payload);
      else this.#payload(payload);
    }
    callback(null, this.#collected() ?? undefined);
  }

  override _flush(callback: TransformCallback): void {
    // A frame cut inside its prefix: what arrived of it is content.
    const gathered = this.#prefix?.flush();
    if (gathered) this.#payload(gathered);
    this.#endLines();
    if (this.#rawHeld !== null) {
      const held = Buffer.concat(this.#rawHeld);
      this.#rawHeld = null;
      const message = engineErrorMessage(held);
      if (message === null) this.#out.push(held);
      else this.#systemErr.push(Buffer.from(message));
    }
    // A stream cut inside a header: those bytes are all there is; keep them rather than lose them.
    if (this.#headerFill > 0) this.#out.push(Buffer.from(this.#header.subarray(0, this.#headerFill)));
    const rest = this.#collected();
    if (rest) this.push(rest);
    callback();
  }

  /** Unframed bytes: passed on, or held while they may still be the engine's error (up to its limit). */
  #passRaw(bytes: Buffer): void {
    if (this.#rawHeld === null) {
      this.#out.push(bytes);
      return;
    }
    this.#rawHeld.push(bytes);
    this.#rawHeldBytes += bytes.length;
    const held = this.#rawHeldBytes <= UNFRAMED_ERROR_START.length ? null : Buffer.concat(this.#rawHeld);
    if (held !== null && (this.#rawHeldBytes > MAX_ERROR_BYTES || !held.subarray(0, UNFRAMED_ERROR_START.length).equals(UNFRAMED_ERROR_START))) {
      this.#out.push(held);
      this.#rawHeld = null;
    } else if (held !== null) {
      this.#rawHeld = [held];
    }
  }

  /** Bytes of the last frame that never arrived (the stream ended mid-frame). */
  get missingBytes(): number {
    return this.#remaining;
  }

  #payload(payload: Buffer): void {
    if (this.#joiner === null) this.#out.push(payload);
    else this.#joiner.entry(this.#type === 2 ? 2 : 1, payload, this.#time);
  }

  /** The frame's `<time> ` prefix, possibly split over chunks; the rest of `payload` is content. */
  #readPrefix(payload: Buffer): void {
    const read = (this.#prefix as PrefixReader).read(payload, this.#remaining === 0);
    if (read === null) return;
    this.#prefixPending = false;
    this.#time = read.time;
    if (read.gathered) this.#payload(read.gathered);
    if (read.from < payload.length) this.#payload(read.from === 0 ? payload : payload.subarray(read.from));
  }

  /** The joiner's held lines are passed on as they are (the stream ended, or is not multiplexed). */
  #endLines(): void {
    if (this.#joiner === null) return;
    this.#joiner.end();
    const rest = this.#joiner.take();
    if (rest) this.#out.push(rest);
  }

  /** What this chunk gave: one buffer, or null. */
  #collected(): Buffer | null {
    const joined = this.#joiner?.take() ?? null;
    if (joined) this.#out.push(joined);
    const out = this.#out;
    if (out.length === 0) return null;
    this.#out = [];
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  #keepSystemErr(payload: Buffer): void {
    const room = MAX_ERROR_BYTES - this.#systemErrBytes;
    if (room <= 0) return;
    const kept = Buffer.from(payload.subarray(0, room));
    this.#systemErr.push(kept);
    this.#systemErrBytes += kept.length;
  }
}
