/*
 * timeline.log: every line of every collected container in one file, ordered by the engines' timestamps,
 * each as `<time> <container> | <line>`.
 *
 * While the logs are written, a tap per container ({@link Timeline.tap}, placed after the redactor, so no
 * unredacted byte is ever in it) writes the container's lines, prefixed, to files of its own in a private
 * folder beside the run folder; a two-file ring keeps the last `maxBytesPerContainer` of them. Once every
 * log is written, {@link Timeline.write} merges those files by time (k-way, one line held per container)
 * into timeline.log. Memory is bounded whatever the logs' sizes: a timeline line holds at most
 * MAX_LINE_BYTES of its log line.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { Readable, Transform } from 'node:stream';
import type { LineTimes } from '../runtime/line-join.js';
import { formatSize } from '../_util/units.js';
import { TIMELINE_FILE, timelinePartsPathOf } from './layout.js';
import { ScratchFolder } from './scratch.js';
import { writeStreamToFile, type FileRecord } from './write.js';

/** Bytes of one log line kept in the timeline; the rest is left out and said so (the .log has it). */
export const MAX_LINE_BYTES = 64 * 1024;
/** A container's lines kept in the timeline at most (its last ones), unless --max-log-size is smaller. */
export const DEFAULT_MAX_BYTES_PER_CONTAINER = 64 * 1024 * 1024;

/** `2026-01-14T15:25:09.733123456Z`: every time has nine fraction digits, so the column is aligned. */
const TIME_WIDTH = 30;
/** Where a line has no engine timestamp; it sorts right after the line before it of its container. */
const NO_TIME = '-'.padEnd(TIME_WIDTH);
const NEWLINE = 0x0a;
const READ_CHUNK = 64 * 1024;
/** Output is handed to the file in batches of about this size, not a write per line. */
const WRITE_BATCH = 64 * 1024;

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * An engine timestamp as the timeline shows it: UTC with nine fraction digits (docker's RFC 3339 "nano"
 * times drop trailing zeros; podman's API gives whole seconds, which read `.000000000`); '' when the
 * engine gave none or something that is no time.
 */
export function timelineTime(engineTime: string): string {
  const match = RFC3339.exec(engineTime.trim());
  if (match === null) return '';
  const [, seconds, fraction = '', zone] = match as unknown as [string, string, string | undefined, string];
  let utc = seconds;
  if (zone.toUpperCase() !== 'Z') {
    const date = new Date(`${seconds}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
    if (Number.isNaN(date.getTime())) return '';
    utc = date.toISOString().slice(0, 19);
  }
  return `${utc}.${fraction.padEnd(9, '0')}Z`;
}

/** How a container is named in the timeline: its log's path without `.log` (`<engine>/<name>` with several engines). */
export function timelineLabel(logPath: string): string {
  return logPath.replace(/\.log$/, '');
}

/** Where --max-log-size cuts the log file the tap's bytes go on to (see SizeLimiter). */
export interface LogCut {
  /** The log is cut when it has more bytes than this. */
  readonly maxBytes: number;
  /** Bytes of its start that are kept. */
  readonly headBytes: number;
}

/** One container's lines on their way to the timeline: written to a ring of two files. */
class Part {
  readonly label: string;
  readonly #times: LineTimes;
  readonly #segmentBytes: number;
  /** The ring's files: [older, newer]; the newer is written. */
  readonly #files: [string, string];
  #lineCounts: [number, number] = [0, 0];
  #segmentFill = 0;
  #out: WriteStream | null = null;
  #closing: Promise<void> = Promise.resolve();
  /** Lines seen, and lines of them left out at the start when the ring turned. */
  lines = 0;
  leftOut = 0;
  /** Bytes seen; newlines among the first `#cut.headBytes` of them. */
  #bytes = 0;
  #headLines = 0;
  readonly #cut: LogCut | null;
  error: string | null = null;
  // The line being assembled: at most MAX_LINE_BYTES of it are kept, the rest counted.
  #pieces: Buffer[] = [];
  #kept = 0;
  #over = 0;
  #open = false;

  constructor(label: string, times: LineTimes, segmentBytes: number, files: [string, string], cut: LogCut | null) {
    this.label = label;
    this.#cut = cut;
    this.#times = times;
    this.#segmentBytes = segmentBytes;
    this.#files = files;
  }

  /** The ring's files that hold lines, oldest first. */
  files(): string[] {
    return this.#files.filter((_file, i) => (this.#lineCounts[i] as number) > 0);
  }

  /**
   * The number, in what this part saw, of line `logLine` of the log file, which has `logLines` lines; null
   * for the marker line --max-log-size put where it cut the middle out.
   */
  lineOfLog(logLine: number, logLines: number): number | null {
    const cut = this.#cut;
    if (cut === null || this.#bytes <= cut.maxBytes) return logLine;
    // The file: the head's lines, the rest of the head's last line, the marker line, then the tail's lines,
    // which end where the log ends.
    if (logLine <= this.#headLines + 1) return logLine;
    if (logLine === this.#headLines + 2) return null;
    return logLine + (this.lines - logLines);
  }

  /** The timeline records of the whole lines in `chunk` (the last, unfinished one is held). */
  records(chunk: Buffer): Buffer[] {
    this.#countHead(chunk);
    const out: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      this.#keep(chunk.subarray(start, nl));
      out.push(this.#record());
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.#keep(chunk.subarray(start));
      // A piece that outlives this chunk is copied, so a held line never pins the chunk in memory.
      const last = this.#pieces.length - 1;
      if (last >= 0) this.#pieces[last] = Buffer.from(this.#pieces[last] as Buffer);
    }
    return out;
  }

  #countHead(chunk: Buffer): void {
    const headLeft = this.#cut === null ? 0 : Math.max(0, this.#cut.headBytes - this.#bytes);
    this.#bytes += chunk.length;
    for (let at = chunk.indexOf(NEWLINE); at >= 0 && at < headLeft; at = chunk.indexOf(NEWLINE, at + 1)) this.#headLines++;
  }

  /** The record of the log's last line, when it does not end with a newline. */
  rest(): Buffer | null {
    return this.#open ? this.#record() : null;
  }

  #keep(piece: Buffer): void {
    this.#open = true;
    const room = MAX_LINE_BYTES - this.#kept;
    if (piece.length > room) this.#over += piece.length - room;
    const taken = piece.length > room ? piece.subarray(0, room) : piece;
    if (taken.length === 0) return;
    this.#pieces.push(taken);
    this.#kept += taken.length;
  }

  #record(): Buffer {
    // The line's time was queued before its last byte left the engine's stream: it is there by now. A
    // redacted multi-line secret is one line here, so times may outnumber lines: the extras stay unused.
    const time = timelineTime(this.#times.shift() ?? '') || NO_TIME;
    const over = this.#over > 0 ? ` [must-gather: ${this.#over} more bytes of this line are in the log, not in the timeline]` : '';
    const record = Buffer.concat([Buffer.from(`${time} ${this.label} | `), ...this.#pieces, Buffer.from(`${over}\n`)]);
    this.lines++;
    this.#pieces = [];
    this.#kept = 0;
    this.#over = 0;
    this.#open = false;
    return record;
  }

  /** Write records to the ring; resolves when the file can take more. */
  async write(records: readonly Buffer[]): Promise<void> {
    if (this.error !== null || records.length === 0) return;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (const record of records) {
      if (this.#out === null || this.#segmentFill >= this.#segmentBytes) {
        await this.#drainInto(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        await this.#turn();
      }
      batch.push(record);
      batchBytes += record.length;
      this.#segmentFill += record.length;
      this.#lineCounts[1]++;
    }
    await this.#drainInto(batch, batchBytes);
  }

  async #drainInto(batch: Buffer[], bytes: number): Promise<void> {
    const out = this.#out;
    if (out === null || bytes === 0) return;
    if (!out.write(batch.length === 1 ? batch[0] : Buffer.concat(batch, bytes))) await once(out, 'drain');
  }

  /** Start the next file of the ring: the newer becomes the older, the older's lines are left out. */
  async #turn(): Promise<void> {
    if (this.#out !== null) {
      await this.close();
      this.leftOut += this.#lineCounts[0];
      this.#lineCounts = [this.#lineCounts[1], 0];
      this.#files.reverse();
    }
    this.#segmentFill = 0;
    await rm(this.#files[1], { force: true });
    this.#out = createWriteStream(this.#files[1], { flags: 'wx', mode: 0o600 });
  }

  /** Close the file being written (its data is on disk once this resolves); again: the same promise. */
  close(): Promise<void> {
    const out = this.#out;
    this.#out = null;
    if (out !== null && !out.destroyed) {
      const closed = once(out, 'close').then(() => {});
      out.end();
      this.#closing = closed;
    }
    return this.#closing;
  }

  fail(error: unknown): void {
    this.error ??= error instanceof Error ? error.message : String(error);
    this.#out?.destroy();
    this.#out = null;
  }
}

/** Where a log's line landed in timeline.log. */
interface TimelinePlace {
  /** 1-based line number in timeline.log. */
  readonly line: number;
  /** The time the timeline shows for it ('' when the engine gave none). */
  readonly time: string;
}

/** What {@link Timeline.write} wrote. */
export interface TimelineWritten {
  readonly file: FileRecord;
  readonly lines: number;
  /** Per container label: its lines seen, and those of them left out at the start (the ring's bound). */
  readonly containers: readonly { readonly name: string; readonly lines: number; readonly leftOut: number }[];
  /** Where each asked-for line (by label, then its 1-based line number in what the tap saw) landed. */
  readonly places: ReadonlyMap<string, ReadonlyMap<number, TimelinePlace>>;
  /** Containers whose timeline files could not be written, and why: they are not in the timeline. */
  readonly missing: readonly { readonly name: string; readonly error: string }[];
}

/** A line of a part's files, or the note that its earlier lines were left out (no line of the log). */
interface PartLine {
  readonly bytes: Buffer;
  readonly note: boolean;
}

/** One container's timeline lines while they are merged: the line at hand and its sort key. */
interface Cursor {
  readonly part: Part;
  readonly lines: AsyncIterator<PartLine>;
  /** 1-based line number, in what the tap saw, of the line at hand. */
  lineNo: number;
  line: PartLine | null;
  key: string;
}

/**
 * The run's timeline: taps while the logs are written, then timeline.log. Its private folder is removed by
 * {@link discard}, which the run calls on every path.
 */
export class Timeline {
  readonly #scratch: ScratchFolder;
  readonly #segmentBytes: number;
  readonly #bound: number;
  readonly #parts: Part[] = [];
  readonly #missing: { readonly name: string; readonly error: string }[] = [];

  private constructor(scratch: ScratchFolder, maxBytesPerContainer: number) {
    this.#scratch = scratch;
    this.#bound = maxBytesPerContainer;
    this.#segmentBytes = Math.max(1, Math.floor(maxBytesPerContainer / 2));
  }

  /** A timeline for the run folder `runDir`, its parts in a new private folder beside it. */
  static async create(runDir: string, maxBytesPerContainer = DEFAULT_MAX_BYTES_PER_CONTAINER): Promise<Timeline> {
    return new Timeline(await ScratchFolder.create(timelinePartsPathOf(runDir, process.pid)), maxBytesPerContainer);
  }

  /**
   * A pass-through stage for the log of the container `label` (its name, `<engine>/<name>` with several
   * engines): each line passing gets the next time from `times`. `cut`: where --max-log-size cuts the file
   * after it, so that lines of the file can be found in the timeline ({@link lineOfLog}). It never fails the
   * log it sits in: a timeline part that cannot be written leaves that container out, and says so.
   */
  tap(label: string, times: LineTimes, cut: LogCut | null = null): Transform {
    const n = this.#parts.length;
    const part = new Part(label, times, this.#segmentBytes, [this.#scratch.file(`${n}-a`), this.#scratch.file(`${n}-b`)], cut);
    this.#parts.push(part);
    const write = (records: readonly Buffer[], then: () => void): void => {
      part.write(records).then(then, (error: unknown) => {
        part.fail(error);
        then();
      });
    };
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        write(part.records(chunk), () => callback(null, chunk));
      },
      flush(callback) {
        const rest = part.rest();
        write(rest === null ? [] : [rest], () => {
          part.close().then(() => callback(), (error: unknown) => {
            part.fail(error);
            callback();
          });
        });
      },
      destroy(error, callback) {
        // The log was cut short: what reached the part so far stays in the timeline.
        part.close().then(() => callback(error), () => callback(error));
      },
    });
  }

  /**
   * Merge every container's lines into `<runDir>/timeline.log` by time; ties keep each container's order
   * and then the order of the labels. `wanted` names lines (by label, their line numbers in what the tap
   * saw) whose place in the timeline the caller needs.
   */
  async write(runDir: string, wanted: ReadonlyMap<string, ReadonlySet<number>> = new Map()): Promise<TimelineWritten> {
    const parts = [...this.#parts].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
    // A log cut short closes its part as its pipeline is torn down, which may still be under way.
    await Promise.all(parts.map((p) => p.close().catch((error: unknown) => p.fail(error))));
    const usable = parts.filter((p) => p.error === null);
    const places = new Map<string, Map<number, TimelinePlace>>();
    let lines = 0;
    const merged = async function* (this: Timeline): AsyncGenerator<Buffer> {
      const cursors: Cursor[] = [];
      for (const part of usable) {
        const cursor: Cursor = { part, lines: this.#linesOf(part), lineNo: part.leftOut, line: null, key: '' };
        if (await advance(cursor)) cursors.push(cursor);
      }
      let batch: Buffer[] = [];
      let batchBytes = 0;
      while (cursors.length > 0) {
        let at = 0;
        for (let i = 1; i < cursors.length; i++) if ((cursors[i] as Cursor).key < (cursors[at] as Cursor).key) at = i;
        const cursor = cursors[at] as Cursor;
        const line = (cursor.line as PartLine).bytes;
        lines++;
        if (!(cursor.line as PartLine).note && wanted.get(cursor.part.label)?.has(cursor.lineNo)) {
          const found = places.get(cursor.part.label) ?? new Map<number, TimelinePlace>();
          found.set(cursor.lineNo, { line: lines, time: line.toString('latin1', 0, TIME_WIDTH).trim().replace(/^-$/, '') });
          places.set(cursor.part.label, found);
        }
        batch.push(line);
        batchBytes += line.length;
        if (batchBytes >= WRITE_BATCH) {
          yield Buffer.concat(batch, batchBytes);
          batch = [];
          batchBytes = 0;
        }
        if (!(await advance(cursor))) cursors.splice(at, 1);
      }
      if (batchBytes > 0) yield Buffer.concat(batch, batchBytes);
    };
    const file = await writeStreamToFile(Readable.from(merged.call(this), { objectMode: false }), runDir, TIMELINE_FILE, 'timeline');
    return {
      file,
      lines,
      containers: parts.map((p) => ({ name: p.label, lines: p.lines, leftOut: p.leftOut })),
      places,
      missing: [...this.#missing, ...parts.filter((p) => p.error !== null).map((p) => ({ name: p.label, error: p.error as string }))].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      ),
    };
  }

  /** A part's records, oldest first; a note first when its earlier lines were left out. */
  async *#linesOf(part: Part): AsyncGenerator<PartLine> {
    let first = true;
    for (const file of part.files()) {
      for await (const line of readLines(file)) {
        if (first && part.leftOut > 0) {
          // Placed at the time of the first line kept, so it reads where the container's lines begin.
          const note = `[must-gather: the first ${part.leftOut} lines of this container are not in the timeline, which keeps the last ${formatSize(this.#bound)} of each container; its .log has them]`;
          yield { bytes: Buffer.concat([line.subarray(0, TIME_WIDTH + 1), Buffer.from(`${part.label} | ${note}\n`)]), note: true };
        }
        first = false;
        yield { bytes: line, note: false };
      }
    }
  }

  /** A container whose lines cannot be in the timeline (its engine gave no timestamps), and why. */
  leaveOut(label: string, error: string): void {
    this.#missing.push({ name: label, error });
  }

  /** {@link Part.lineOfLog} of the container `label`, or null when it has no tap. */
  lineOfLog(label: string, logLine: number, logLines: number): number | null {
    return this.#parts.find((p) => p.label === label)?.lineOfLog(logLine, logLines) ?? null;
  }

  /** Remove the parts (after timeline.log was written, or when it never will be). */
  async discard(): Promise<void> {
    await this.#scratch.discard();
  }
}

/**
 * The cursor's next line and its key: its time, or for a line without one the key of the line before it
 * (so it stays right after that line). False at the end.
 */
async function advance(cursor: Cursor): Promise<boolean> {
  const next = await cursor.lines.next();
  if (next.done === true) {
    cursor.line = null;
    return false;
  }
  const line = next.value;
  const time = line.bytes.toString('latin1', 0, TIME_WIDTH);
  if (time !== NO_TIME) cursor.key = time;
  if (!line.note) cursor.lineNo++;
  cursor.line = line;
  return true;
}

/** The lines of `file`, each with its newline, reading a chunk at a time (a line is at most a record). */
async function* readLines(file: string): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  try {
    let held: Buffer | null = null;
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      let data = chunk.subarray(0, bytesRead);
      if (held !== null) {
        data = Buffer.concat([held, data]);
        held = null;
      }
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
        yield data.subarray(start, nl + 1);
        start = nl + 1;
      }
      if (start < data.length) held = Buffer.from(data.subarray(start));
    }
    if (held !== null) yield held;
  } finally {
    await handle.close();
  }
}
