import type { LineJoiner, StreamId } from './line-join.js';
import { newEntryFields, type LogFileFormat } from './log-file-format.js';
import { compareInstants, MAX_CLI_TIMESTAMP, readInstant, utcText, writeCliTimestamp, type Instant } from './log-file-time.js';

/*
 * Turns a log file's lines into what the engine's CLI prints, fed to a {@link LineJoiner}. Bytes in, bytes
 * out: each chunk of whole lines becomes one output buffer holding every kept entry's content (with its
 * `-t` prefix), handed to the joiner one run of one stream at a time — or one entry at a time when line
 * times are wanted, since the joiner stamps the lines of one piece with one time.
 */

export interface DecodeOptions {
  readonly timestamps: boolean;
  readonly since: Instant | null;
  readonly until: Instant | null;
  /** Queue each entry's UTC time with its bytes (for `LogStream.times`). */
  readonly lineTimes: boolean;
}

/** The file holds a line that is not an entry of its format. */
class LogFileFormatError extends Error {}

const NEWLINE = 0x0a;

export class EntryDecoder {
  readonly #format: LogFileFormat;
  readonly #options: DecodeOptions;
  readonly #joiner: LineJoiner;
  readonly #entry = newEntryFields();
  #out: Buffer = Buffer.alloc(0);
  #pos = 0;
  #runStart = 0;
  #runStream: StreamId = 1;
  /** `--until` has passed in a file whose entries are in time order: nothing more is read. */
  done = false;

  constructor(format: LogFileFormat, options: DecodeOptions, joiner: LineJoiner) {
    this.#format = format;
    this.#options = options;
    this.#joiner = joiner;
  }

  /** Decode the whole lines of `src[0, end)` (`end` just after a newline). */
  lines(src: Buffer, end: number): void {
    // Content is never longer than its line; a `-t` prefix at most ~20 bytes longer than the file's time
    // (a k8s-file line is over 30 bytes): one buffer for the chunk, else #ensure starts another.
    this.#out = Buffer.allocUnsafe(this.#options.timestamps ? 2 * end + 1024 : end + 1024);
    this.#pos = 0;
    this.#runStart = 0;
    let start = 0;
    while (start < end && !this.done) {
      const nl = src.indexOf(NEWLINE, start);
      const lineEnd = nl < 0 || nl >= end ? end : nl;
      if (lineEnd > start) this.#line(src, start, lineEnd);
      start = lineEnd + 1;
    }
    this.#flushRun();
  }

  #line(src: Buffer, start: number, end: number): void {
    const entry = this.#entry;
    const format = this.#format;
    if (!format.read(src, start, end, entry)) throw new LogFileFormatError(`not a ${format.source} log entry: ${JSON.stringify(src.toString('utf8', start, Math.min(end, start + 120)))}`);
    const timeSrc = entry.timeBuf ?? src;
    const options = this.#options;
    let instant: Instant | null = null;
    if (options.since !== null || options.until !== null || options.lineTimes) {
      instant = readInstant(timeSrc, entry.timeStart, entry.timeEnd);
      if (instant === null) throw new LogFileFormatError(`unreadable time in ${format.source} entry: ${timeSrc.toString('latin1', entry.timeStart, entry.timeEnd)}`);
      if (!this.#inBounds(instant)) return;
    }
    this.#ensure(format.maxContent(entry) + MAX_CLI_TIMESTAMP, entry.stream);
    const entryStart = this.#pos;
    if (options.timestamps) {
      this.#pos = writeCliTimestamp(timeSrc, entry.timeStart, entry.timeEnd, this.#out, this.#pos);
      if (this.#pos < 0) throw new LogFileFormatError(`unreadable time in ${format.source} entry`);
    }
    this.#pos = format.write(src, entry, this.#out, this.#pos);
    if (instant !== null && options.lineTimes) {
      this.#joiner.entry(entry.stream, this.#out.subarray(entryStart, this.#pos), utcText(instant));
      this.#runStart = this.#pos;
    } else if (entry.stream !== this.#runStream) {
      this.#flushRun(entryStart);
      this.#runStream = entry.stream;
    }
  }

  #inBounds(instant: Instant): boolean {
    const { since, until } = this.#options;
    const inclusive = this.#format.boundsInclusive;
    if (since !== null) {
      const c = compareInstants(instant, since);
      if (inclusive ? c < 0 : c <= 0) return false;
    }
    if (until !== null) {
      const c = compareInstants(instant, until);
      if (inclusive ? c > 0 : c >= 0) {
        if (this.#format.untilStops) this.done = true;
        return false;
      }
    }
    return true;
  }

  /** Room for `bytes` more; a new buffer when the current one is full (after passing on the run so far). */
  #ensure(bytes: number, stream: StreamId): void {
    if (this.#pos + bytes <= this.#out.length) return;
    this.#flushRun();
    this.#out = Buffer.allocUnsafe(Math.max(bytes, 64 * 1024));
    this.#pos = 0;
    this.#runStart = 0;
    this.#runStream = stream;
  }

  /** Hand the current run (entries of one stream, up to `to`) to the joiner. */
  #flushRun(to = this.#pos): void {
    if (to > this.#runStart) this.#joiner.entry(this.#runStream, this.#out.subarray(this.#runStart, to), null);
    this.#runStart = to;
  }
}
