/*
 * The k-way merge behind timeline.log: each container's records (`<time> <label> | <line>`, files written
 * by timeline.ts's taps, oldest first) are read a chunk at a time, and the record with the earliest time
 * goes next. Memory: a read chunk per container, whatever the files' sizes. The merge never reorders a
 * container's own lines: a line whose time goes back, or that has none, waits behind the line before it.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** Width of the time column: `2026-01-14T15:25:09.733123456Z`. */
export const TIME_WIDTH = 30;
/** The time column of a line the engine gave no time: it sorts right after the line before it. */
export const NO_TIME = '-'.padEnd(TIME_WIDTH);

const NEWLINE = 0x0a;
const NO_TIME_BYTE = NO_TIME.charCodeAt(0);
const READ_CHUNK = 64 * 1024;
/** Output goes out in batches of about this size, not a write per line. */
const WRITE_BATCH = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/** One container's records. */
export interface MergeSource {
  readonly label: string;
  /** Its files, oldest first. */
  readonly files: readonly string[];
  /** Lines of its log before the first record (left out by the tap's bound): record k is line `leftOut + k`. */
  readonly leftOut: number;
  /** A line (its text after `<label> | `) put before the first record, at that record's time; or null. */
  readonly note: string | null;
}

/** Where a log's line landed in timeline.log. */
export interface TimelinePlace {
  /** 1-based line number in timeline.log. */
  readonly line: number;
  /** The time the timeline shows for it ('' when the engine gave none). */
  readonly time: string;
}

/** One source while it is merged: the line at hand, its sort key and its number in the source's log. */
class Cursor {
  readonly source: MergeSource;
  line: Buffer = EMPTY;
  /** The line is the source's note, no line of its log. */
  note = false;
  lineNo: number;
  /** The time of the line at hand, or of the last line before it that had one (empty: none yet). */
  key: Buffer = EMPTY;
  #file = -1;
  #handle: FileHandle | null = null;
  #buf: Buffer = EMPTY;
  #pos = 0;
  #pending: Buffer | null = null;
  #noteDue: boolean;

  constructor(source: MergeSource) {
    this.source = source;
    this.lineNo = source.leftOut;
    this.#noteDue = source.note !== null;
  }

  /** Take the next line from what has been read: false when a whole line is not there (see {@link fill}). */
  next(): boolean {
    let line = this.#pending;
    this.#pending = null;
    if (line === null) {
      const nl = this.#buf.indexOf(NEWLINE, this.#pos);
      if (nl < 0) return false;
      line = this.#buf.subarray(this.#pos, nl + 1);
      this.#pos = nl + 1;
      if (this.#noteDue) {
        this.#noteDue = false;
        this.#pending = line;
        this.#take(Buffer.concat([line.subarray(0, TIME_WIDTH), Buffer.from(` ${this.source.label} | ${this.source.note}\n`)]), true);
        return true;
      }
    }
    this.#take(line, false);
    return true;
  }

  #take(line: Buffer, note: boolean): void {
    this.line = line;
    this.note = note;
    if (!note) this.lineNo++;
    if (line[0] !== NO_TIME_BYTE) this.key = line.subarray(0, TIME_WIDTH);
  }

  /** Read on, from this file or the next: false at the end of the last. */
  async fill(): Promise<boolean> {
    for (;;) {
      if (this.#handle === null) {
        if (++this.#file >= this.source.files.length) return false;
        this.#handle = await open(this.source.files[this.#file] as string, 'r');
      }
      const chunk = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await this.#handle.read(chunk, 0, READ_CHUNK, null);
      const rest = this.#buf.subarray(this.#pos);
      if (bytesRead === 0) {
        await this.close();
        // A file that ends without a newline (its writer failed part-way): its last line is ended here.
        this.#buf = rest.length > 0 ? Buffer.concat([rest, Buffer.from('\n')]) : EMPTY;
        this.#pos = 0;
        if (rest.length > 0) return true;
        continue;
      }
      this.#buf = rest.length > 0 ? Buffer.concat([rest, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      this.#pos = 0;
      if (this.#buf.includes(NEWLINE)) return true;
    }
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    await handle?.close();
  }
}

/** The next line of `cursor`, reading on when needed: false at its end. */
async function advance(cursor: Cursor): Promise<boolean> {
  while (!cursor.next()) if (!(await cursor.fill())) return false;
  return true;
}

/**
 * timeline.log's bytes, in batches: every source's records by time; equal times keep the order of
 * `sources`. `wanted` (by label, line numbers in the source's log) are the lines whose {@link places}
 * the caller needs.
 */
export class TimelineMerge {
  readonly #sources: readonly MergeSource[];
  readonly #wanted: ReadonlyMap<string, ReadonlySet<number>>;
  readonly places = new Map<string, Map<number, TimelinePlace>>();
  /** Lines written so far. */
  lines = 0;

  constructor(sources: readonly MergeSource[], wanted: ReadonlyMap<string, ReadonlySet<number>>) {
    this.#sources = sources;
    this.#wanted = wanted;
  }

  async *batches(): AsyncGenerator<Buffer> {
    const cursors = this.#sources.map((s) => new Cursor(s));
    try {
      const live: Cursor[] = [];
      for (const cursor of cursors) if (await advance(cursor)) live.push(cursor);
      let batch: Buffer[] = [];
      let batchBytes = 0;
      while (live.length > 0) {
        // Few containers: a scan beats a heap; the first of equal keys wins, so ties keep the sources' order.
        let at = 0;
        for (let i = 1; i < live.length; i++) if ((live[i] as Cursor).key.compare((live[at] as Cursor).key) < 0) at = i;
        const cursor = live[at] as Cursor;
        this.lines++;
        if (!cursor.note) this.#place(cursor);
        batch.push(cursor.line);
        batchBytes += cursor.line.length;
        if (batchBytes >= WRITE_BATCH) {
          yield Buffer.concat(batch, batchBytes);
          batch = [];
          batchBytes = 0;
        }
        if (!(await advance(cursor))) live.splice(at, 1);
      }
      if (batchBytes > 0) yield Buffer.concat(batch, batchBytes);
    } finally {
      await Promise.all(cursors.map((c) => c.close()));
    }
  }

  #place(cursor: Cursor): void {
    const label = cursor.source.label;
    if (this.#wanted.get(label)?.has(cursor.lineNo) !== true) return;
    const found = this.places.get(label) ?? new Map<number, TimelinePlace>();
    const time = cursor.line.toString('latin1', 0, TIME_WIDTH);
    found.set(cursor.lineNo, { line: this.lines, time: time === NO_TIME ? '' : time });
    this.places.set(label, found);
  }
}
