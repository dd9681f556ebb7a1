import { Transform, type TransformCallback } from 'node:stream';

/*
 * Docker's multiplexed log stream (used when the container has no TTY): frames of an 8-byte header
 * [stream type, 0, 0, 0, size as uint32 big-endian] and `size` bytes of payload. Types: 0 stdin, 1 stdout,
 * 2 stderr, 3 systemerr (an error from the daemon in the middle of the stream, not container output).
 *
 * docker-modem's demuxStream copies the remaining buffer per frame (~7 MB/s on 100-byte lines, and podman
 * sends one frame per line); this one walks offsets and pushes one buffer per input chunk.
 */

const HEADER = 8;
const SYSTEM_ERR = 3;
/** How much of a daemon error (systemerr frames) is kept. */
const MAX_ERROR_BYTES = 64 * 1024;

export class LogDemuxer extends Transform {
  readonly #header = Buffer.alloc(HEADER);
  #headerFill = 0;
  #type = 0;
  #remaining = 0;
  #raw = false;
  #systemErr: Buffer[] = [];
  #systemErrBytes = 0;

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
      callback(null, chunk);
      return;
    }
    const out: Buffer[] = [];
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
          out.push(Buffer.from(this.#header), chunk.subarray(offset));
          break;
        }
        this.#type = type;
        this.#remaining = this.#header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - offset);
      const payload = chunk.subarray(offset, offset + take);
      if (this.#type === SYSTEM_ERR) this.#keepSystemErr(payload);
      else out.push(payload);
      this.#remaining -= take;
      offset += take;
    }
    if (out.length === 0) callback();
    else callback(null, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  override _flush(callback: TransformCallback): void {
    // A stream cut inside a header: those bytes are all there is; keep them rather than lose them.
    if (this.#headerFill > 0) this.push(Buffer.from(this.#header.subarray(0, this.#headerFill)));
    callback();
  }

  /** Bytes of the last frame that never arrived (the stream ended mid-frame). */
  get missingBytes(): number {
    return this.#remaining;
  }

  #keepSystemErr(payload: Buffer): void {
    const room = MAX_ERROR_BYTES - this.#systemErrBytes;
    if (room <= 0) return;
    const kept = Buffer.from(payload.subarray(0, room));
    this.#systemErr.push(kept);
    this.#systemErrBytes += kept.length;
  }
}
