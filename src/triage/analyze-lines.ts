/*
 * Bytes to lines for the log analyzer: chunks may split lines (and UTF-8 sequences) anywhere, and a line
 * is kept to its first MAX_LINE_BYTES whatever its length, so a 1 GB line costs 16 KiB.
 */

/** Bytes of one line that are looked at; the rest of a longer line is counted, not kept. */
export const MAX_LINE_BYTES = 16 * 1024;

/** What the lines go to. */
export interface LineSink {
  /** Each line, 1-based, decoded as UTF-8, without its `\n` or `\r\n`. */
  line(lineNo: number, text: string): void;
}

export class LineSplitter {
  readonly #sink: LineSink;
  #bytes = 0;
  #lines = 0;
  #longLines = 0;
  // The line being assembled across chunks: at most MAX_LINE_BYTES of it are kept.
  #pieces: Buffer[] = [];
  #pieceBytes = 0;
  #overflow = false;

  constructor(sink: LineSink) {
    this.#sink = sink;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get lines(): number {
    return this.#lines;
  }

  /** Lines longer than MAX_LINE_BYTES. */
  get longLines(): number {
    return this.#longLines;
  }

  write(chunk: Uint8Array | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#bytes += buf.length;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl === -1) {
        if (start < buf.length) this.#keep(buf.subarray(start), true);
        return;
      }
      if (this.#pieceBytes === 0 && !this.#overflow) {
        // The whole line is in this chunk (the usual case): decode it from there, no piece to gather.
        this.#lineDone(buf.toString('utf8', start, Math.min(nl, start + MAX_LINE_BYTES)), nl - start > MAX_LINE_BYTES);
      } else {
        this.#keep(buf.subarray(start, nl), false);
        this.#endLine();
      }
      start = nl + 1;
    }
  }

  /** The last line, when the log does not end with a line break. */
  end(): void {
    if (this.#pieceBytes > 0 || this.#overflow) this.#endLine();
  }

  #keep(part: Buffer, copy: boolean): void {
    const room = MAX_LINE_BYTES - this.#pieceBytes;
    if (part.length > room) this.#overflow = true;
    const taken = part.length > room ? part.subarray(0, room) : part;
    if (taken.length === 0) return;
    // A piece that outlives this chunk is copied, so a kept line never pins a whole chunk in memory.
    this.#pieces.push(copy ? Buffer.from(taken) : taken);
    this.#pieceBytes += taken.length;
  }

  #endLine(): void {
    const pieces = this.#pieces;
    const data = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, this.#pieceBytes);
    this.#pieces = [];
    this.#pieceBytes = 0;
    this.#lineDone(data.toString('utf8'), this.#overflow);
    this.#overflow = false;
  }

  #lineDone(decoded: string, long: boolean): void {
    if (long) this.#longLines++;
    this.#sink.line(++this.#lines, decoded.endsWith('\r') ? decoded.slice(0, -1) : decoded);
  }
}
