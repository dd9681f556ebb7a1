/*
 * Whole lines per stream. Engines store a line in pieces when their reader catches a write half-way
 * (podman's k8s-file `P` entries, docker's 16 KiB split of long lines), and when a container writes to
 * stdout and stderr at once, a line of the other stream lands between the pieces: the saved log then holds
 * two torn lines. The joiner holds each stream's unfinished line until its newline arrives, so the output
 * differs from the engine's only in how whole lines of the two streams interleave.
 *
 * Every source feeds it entries (a demultiplexed API frame, a parsed log-file entry, a chunk of a CLI
 * pipe); it never parses. Memory is bounded: a stream holds at most `holdLimit` bytes of an unfinished
 * line; beyond that the piece is passed on as it is and counted in {@link LineJoiner.linesCut}.
 */

/** The container's output streams, numbered as the engines' multiplexed frames number them. */
export type StreamId = 1 | 2;

/** How much of one stream's unfinished line is held before it is passed on in pieces. */
export const DEFAULT_HOLD_LIMIT = 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * A first-in first-out queue of the engine timestamps of a log's lines (RFC 3339, UTC, up to nine fraction
 * digits): one per line, in the order the lines leave the joiner, with the stream each line is of.
 */
export class LineTimes {
  #items: string[] = [];
  #streams: StreamId[] = [];
  #head = 0;
  /** The stream of the line whose time {@link shift} gave last. */
  lastStream: StreamId = 1;

  push(time: string, stream: StreamId = 1): void {
    this.#items.push(time);
    this.#streams.push(stream);
  }

  /** The next line's timestamp (its stream in {@link lastStream}), or undefined when none is queued. */
  shift(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    this.lastStream = this.#streams[this.#head] as StreamId;
    const time = this.#items[this.#head++];
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#streams = this.#streams.slice(this.#head);
      this.#head = 0;
    }
    return time;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }
}

interface Held {
  pieces: Buffer[];
  bytes: number;
  /** A line of this stream has begun and not ended (its bytes are held, or were passed on at the limit). */
  open: boolean;
  /** The open line was passed on in pieces (counted once). */
  cut: boolean;
  /** The time of the open line's first piece ('' when the source gives none). */
  time: string;
}

export interface LineJoinerOptions {
  /** Most bytes of one stream's unfinished line held back (default {@link DEFAULT_HOLD_LIMIT}). */
  readonly holdLimit?: number;
  /** Where each output line's timestamp goes (the time of the line's first piece), or null. */
  readonly times?: LineTimes | null;
}

/**
 * Joins each stream's pieces into whole lines. Output is collected and taken with {@link take} (one buffer
 * per batch of entries, not one per entry); a line's timestamp is queued in `times` when its bytes are.
 */
export class LineJoiner {
  readonly #holdLimit: number;
  readonly #times: LineTimes | null;
  readonly #held: [Held, Held] = [
    { pieces: [], bytes: 0, open: false, cut: false, time: '' },
    { pieces: [], bytes: 0, open: false, cut: false, time: '' },
  ];
  #out: Buffer[] = [];
  #outBytes = 0;
  #linesCut = 0;

  constructor(options: LineJoinerOptions = {}) {
    this.#holdLimit = options.holdLimit ?? DEFAULT_HOLD_LIMIT;
    this.#times = options.times ?? null;
  }

  /** Lines passed on in pieces because their stream held more than the hold limit of them. */
  get linesCut(): number {
    return this.#linesCut;
  }

  /** Bytes collected and not yet taken. */
  get pending(): number {
    return this.#outBytes;
  }

  /**
   * One piece of a stream's output: a whole line ends with "\n"; a piece of a line does not. `time` is the
   * engine's timestamp of the piece, or null.
   */
  entry(stream: StreamId, bytes: Buffer, time: string | null): void {
    if (bytes.length === 0) return;
    const t = time ?? '';
    const held = this.#held[stream - 1] as Held;
    const last = bytes.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.#open(held, t);
      this.#hold(held, bytes);
      return;
    }
    // Through its last newline the piece ends the open line (if any) and holds whole lines; what follows
    // starts the next open line.
    const through = last === bytes.length - 1 ? bytes : bytes.subarray(0, last + 1);
    const first = held.open ? held.time : t;
    if (held.bytes > 0) {
      held.pieces.push(through);
      this.#emit(Buffer.concat(held.pieces, held.bytes + through.length), first, t, stream);
    } else this.#emit(through, first, t, stream);
    held.pieces = [];
    held.bytes = 0;
    held.open = false;
    held.cut = false;
    if (through !== bytes) {
      this.#open(held, t);
      this.#hold(held, bytes.subarray(last + 1));
    }
  }

  /** Take what has been collected: one buffer, or null when nothing has. */
  take(): Buffer | null {
    if (this.#out.length === 0) return null;
    const out = this.#out.length === 1 ? (this.#out[0] as Buffer) : Buffer.concat(this.#out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    return out;
  }

  /**
   * The end of the log: each stream's unfinished last line is passed on as it is (stdout first), and
   * counts as a line of its own for `times`.
   */
  end(): void {
    for (const [index, held] of this.#held.entries()) {
      if (!held.open) continue;
      this.#pass(held);
      this.#times?.push(held.time, index === 0 ? 1 : 2);
      held.open = false;
    }
  }

  #open(held: Held, time: string): void {
    if (held.open) return;
    held.open = true;
    held.cut = false;
    held.time = time;
  }

  #hold(held: Held, piece: Buffer): void {
    // Copied: a source may reuse the buffer it handed over.
    held.pieces.push(Buffer.from(piece));
    held.bytes += piece.length;
    if (held.bytes <= this.#holdLimit) return;
    if (!held.cut) this.#linesCut++;
    held.cut = true;
    this.#pass(held);
  }

  /** Pass the held bytes on without ending the line: its time is queued when its newline comes. */
  #pass(held: Held): void {
    if (held.bytes === 0) return;
    this.#out.push(Buffer.concat(held.pieces, held.bytes));
    this.#outBytes += held.bytes;
    held.pieces = [];
    held.bytes = 0;
  }

  /** Collect bytes and queue one timestamp per line they end: `first` for the first, `rest` for the others. */
  #emit(bytes: Buffer, first: string, rest: string, stream: StreamId): void {
    this.#out.push(bytes);
    this.#outBytes += bytes.length;
    const times = this.#times;
    if (times === null) return;
    let at = bytes.indexOf(NEWLINE);
    if (at < 0) return;
    times.push(first, stream);
    while ((at = bytes.indexOf(NEWLINE, at + 1)) >= 0) times.push(rest, stream);
  }
}
