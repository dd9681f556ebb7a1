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
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { Readable, Transform } from 'node:stream';
import type { LineTimes } from '../runtime/line-join.js';
import { formatSize } from '../_util/units.js';
import { TIMELINE_FILE, timelinePartsPathOf } from './layout.js';
import { ScratchFolder } from './scratch.js';
import { NO_TIME, TIME_WIDTH, TimelineMerge, type TimelinePlace } from './timeline-merge.js';
import { writeStreamToFile, type FileRecord } from './write.js';

/** Bytes of one log line kept in the timeline; the rest is left out and said so (the .log has it). */
export const MAX_LINE_BYTES = 64 * 1024;
/** A container's lines kept in the timeline at most (its last ones), unless --max-log-size is smaller. */
export const DEFAULT_MAX_BYTES_PER_CONTAINER = 64 * 1024 * 1024;

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);
/** Records are built into buffers of this size (a longer record gets one of its own). */
const BUILD_BYTES = 64 * 1024;

const UTC_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * An engine timestamp (as {@link LineTimes} holds them: RFC 3339 in UTC, the runtime converted any offset)
 * as the timeline shows it: nine fraction digits, so the column is aligned and sorts as text (docker's
 * RFC 3339 "nano" times drop trailing zeros; podman's API gives whole seconds, which read `.000000000`);
 * '' when the engine gave none or something else.
 */
export function timelineTime(engineTime: string): string {
  const match = UTC_TIME.exec(engineTime);
  if (match === null) return '';
  return `${match[1] as string}.${(match[2] ?? '').padEnd(9, '0')}Z`;
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

/** Records bound for one file of the ring; `turn`: the ring turns to its other file before they are written. */
interface Batch {
  readonly bytes: Buffer;
  readonly lines: number;
  readonly turn: boolean;
}

/** One container's lines on their way to the timeline: written to a ring of two files. */
class Part {
  readonly label: string;
  readonly #times: LineTimes;
  readonly #segmentBytes: number;
  /** ` <label> | `, the bytes between a record's time and its line. */
  readonly #infix: Buffer;
  /** The ring's files: [older, newer]; the newer is written. */
  readonly #files: [string, string];
  #lineCounts: [number, number] = [0, 0];
  /** Bytes of records assigned to the ring's newer file (they may still be on their way to it). */
  #fill = 0;
  #started = false;
  #out: WriteStream | null = null;
  #closing: Promise<void> = Promise.resolve();
  /** Lines seen, and lines of them left out at the start when the ring turned. */
  lines = 0;
  /** Whether any line came with an engine time (podman's CLI, for one, gives none). */
  timed = false;
  leftOut = 0;
  /** Bytes seen; newlines among the first `#cut.headBytes` of them. */
  #bytes = 0;
  #headLines = 0;
  readonly #cut: LogCut | null;
  error: string | null = null;
  // The line being assembled across chunks: at most MAX_LINE_BYTES of it are kept, the rest counted.
  #pieces: Buffer[] = [];
  #kept = 0;
  #over = 0;
  #open = false;
  // Records are built in `#buf`: the batch being built is `#buf[#batchStart, #pos)`.
  #buf: Buffer = EMPTY;
  #pos = 0;
  #batchStart = 0;
  #batchLines = 0;
  #batches: Batch[] = [];
  // The last time read, and how it is shown (podman's whole seconds repeat from line to line).
  #lastTime = '';
  #lastShown: Buffer = Buffer.from(NO_TIME, 'latin1');

  constructor(label: string, times: LineTimes, segmentBytes: number, files: [string, string], cut: LogCut | null) {
    this.label = label;
    this.#infix = Buffer.from(` ${label} | `);
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

  /** The timeline records of the whole lines in `chunk`, in batches (the last, unfinished line is held). */
  records(chunk: Buffer): Batch[] {
    this.#countHead(chunk);
    let start = 0;
    let nl = chunk.indexOf(NEWLINE);
    if (nl >= 0 && this.#open) {
      this.#keep(chunk.subarray(0, nl));
      this.#addHeld();
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    for (; nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      // The usual line, whole in this chunk and not too long: copied into its record straight from the chunk.
      if (nl - start <= MAX_LINE_BYTES) this.#add(chunk.subarray(start, nl + 1));
      else {
        this.#keep(chunk.subarray(start, nl));
        this.#addHeld();
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.#keep(chunk.subarray(start));
      // A piece that outlives this chunk is copied, so a held line never pins the chunk in memory.
      const last = this.#pieces.length - 1;
      if (last >= 0) this.#pieces[last] = Buffer.from(this.#pieces[last] as Buffer);
    }
    return this.#take();
  }

  /** The record of the log's last line, when it does not end with a newline. */
  rest(): Batch[] {
    if (this.#open) this.#addHeld();
    return this.#take();
  }

  #countHead(chunk: Buffer): void {
    const headLeft = this.#cut === null ? 0 : Math.max(0, this.#cut.headBytes - this.#bytes);
    this.#bytes += chunk.length;
    for (let at = chunk.indexOf(NEWLINE); at >= 0 && at < headLeft; at = chunk.indexOf(NEWLINE, at + 1)) this.#headLines++;
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

  /** Add the held line's record. */
  #addHeld(): void {
    const over = this.#over > 0 ? ` [must-gather: ${this.#over} more bytes of this line are in the log, not in the timeline]` : '';
    this.#add(Buffer.concat([...this.#pieces, Buffer.from(`${over}\n`)]));
    this.#pieces = [];
    this.#kept = 0;
    this.#over = 0;
    this.#open = false;
  }

  /**
   * Add the record of `line` (newline included) to the batch: `<time> <label> | <line>`. The ring turns
   * first when the newer file has its share. Records are copied into one buffer after the other: a batch
   * is a slice of it, never a buffer per line.
   */
  #add(line: Buffer): void {
    if (!this.#started || this.#fill >= this.#segmentBytes) {
      this.#endBatch();
      this.#started = true;
      this.#fill = 0;
      this.#batches.push({ bytes: EMPTY, lines: 0, turn: true });
    }
    const size = TIME_WIDTH + this.#infix.length + line.length;
    if (this.#buf.length - this.#pos < size) {
      this.#endBatch();
      this.#buf = Buffer.allocUnsafe(Math.max(BUILD_BYTES, size));
      this.#pos = 0;
      this.#batchStart = 0;
    }
    // The line's time was queued before its last byte left the engine's stream: it is there by now. A
    // redacted multi-line secret is one line here, so times may outnumber lines: the extras stay unused.
    const time = this.#times.shift() ?? '';
    if (time !== this.#lastTime) {
      this.#lastTime = time;
      const shown = timelineTime(time);
      if (shown !== '') this.timed = true;
      this.#lastShown = Buffer.from(shown || NO_TIME, 'latin1');
    }
    const buf = this.#buf;
    this.#pos += this.#lastShown.copy(buf, this.#pos);
    this.#pos += this.#infix.copy(buf, this.#pos);
    this.#pos += line.copy(buf, this.#pos);
    this.#batchLines++;
    this.#fill += size;
    this.lines++;
  }

  /** End the batch being built. */
  #endBatch(): void {
    if (this.#batchLines === 0) return;
    this.#batches.push({ bytes: this.#buf.subarray(this.#batchStart, this.#pos), lines: this.#batchLines, turn: false });
    this.#batchStart = this.#pos;
    this.#batchLines = 0;
  }

  #take(): Batch[] {
    this.#endBatch();
    const batches = this.#batches;
    this.#batches = [];
    return batches;
  }

  /** Write batches to the ring; resolves when the file can take more. */
  async write(batches: readonly Batch[]): Promise<void> {
    for (const batch of batches) {
      if (this.error !== null) return;
      if (batch.turn) await this.#turn();
      this.#lineCounts[1] += batch.lines;
      const out = this.#out;
      if (out !== null && batch.bytes.length > 0 && !out.write(batch.bytes)) await once(out, 'drain');
    }
  }

  /** Start the next file of the ring: the newer becomes the older, the older's lines are left out. */
  async #turn(): Promise<void> {
    if (this.#out !== null) {
      await this.close();
      this.leftOut += this.#lineCounts[0];
      this.#lineCounts = [this.#lineCounts[1], 0];
      this.#files.reverse();
    }
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
    const write = (records: readonly Batch[], then: () => void): void => {
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
        write(part.rest(), () => {
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
    const note = (p: Part): string | null =>
      p.leftOut === 0
        ? null
        : `[must-gather: the first ${p.leftOut} lines of this container are not in the timeline, which keeps the last ${formatSize(this.#bound)} of each container; its .log has them]`;
    // Placed at the time of the first line kept, so the note reads where the container's kept lines begin.
    // A log whose lines have no times at all would only sit, whole, before every other: it is left out.
    const untimed = parts.filter((p) => p.error === null && !p.timed && p.lines > 0);
    for (const p of untimed) p.fail('the engine gave no timestamps for its lines');
    const without = [...untimed.map((p) => p.label), ...this.#missing.map((m) => m.name)];
    if (without.length > 0 && !parts.some((p) => p.error === null && p.timed)) {
      // Nothing to order by: a timeline would be nothing but the logs one after the other.
      throw new Error(`none of the containers' lines came with engine timestamps (${without.sort().join(', ')})`);
    }
    const sources = parts.filter((p) => p.error === null).map((p) => ({ label: p.label, files: p.files(), leftOut: p.leftOut, note: note(p) }));
    const merge = new TimelineMerge(sources, wanted);
    const file = await writeStreamToFile(Readable.from(merge.batches(), { objectMode: false }), runDir, TIMELINE_FILE, 'timeline');
    const { places, lines } = merge;
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
