import { Transform } from 'node:stream';
import type { LineJoiner, StreamId } from './line-join.js';

/*
 * The `<RFC 3339> ` prefix the engines put before every log entry when asked for timestamps (`timestamps=true`,
 * `logs -t`): docker gives nanoseconds (`2026-12-02T00:11:19.160296588Z`), podman's API whole seconds
 * (`2026-12-02T00:11:17Z`), podman's CLI nanoseconds; both format local time, so an offset is possible.
 * Partial entries (a line stored in pieces) get a prefix of their own, in the middle of the line.
 */

/** The longest prefix read: nine fraction digits, an offset, the space. */
const MAX_TIME_PREFIX = '2026-12-02T00:11:19.160296588+01:00 '.length;

const SPACE = 0x20;
/** What each byte of `2026-12-02T00:11:19` must be: a digit (0) or this character. */
const CLOCK = Array.from('0000-00-00T00:00:00', (c) => (c === '0' ? 0 : c.charCodeAt(0)));

const isDigit = (byte: number | undefined): boolean => byte !== undefined && byte >= 0x30 && byte <= 0x39;

/**
 * The time of a prefix `bytes[start, end)` (without its space), in UTC with the engine's fraction digits;
 * null when those bytes are not a timestamp. Checked byte by byte, not with a RegExp: it runs once per log
 * entry.
 */
export function parseTimePrefix(bytes: Buffer, start: number, end: number): string | null {
  if (end - start < 20 || end - start > MAX_TIME_PREFIX - 1) return null;
  for (let i = 0; i < CLOCK.length; i++) {
    const want = CLOCK[i] as number;
    const byte = bytes[start + i];
    if (want === 0 ? !isDigit(byte) : byte !== want) return null;
  }
  let at = start + CLOCK.length;
  const fractionStart = at;
  if (bytes[at] === 0x2e) {
    do at++;
    while (at < end && isDigit(bytes[at]));
    if (at - fractionStart < 2 || at - fractionStart > 10) return null;
  }
  if (at === end - 1 && bytes[at] === 0x5a) return bytes.toString('latin1', start, end);
  const zone = bytes.toString('latin1', at, end);
  if (!/^[+-]\d{2}:\d{2}$/.test(zone)) return null;
  const ms = Date.parse(`${bytes.toString('latin1', start, fractionStart)}${zone}`);
  if (Number.isNaN(ms)) return null;
  return `${new Date(ms).toISOString().slice(0, 19)}${bytes.toString('latin1', fractionStart, at)}Z`;
}

/**
 * Where a prefix starting at `start` ends: the index of its space, or -1 when `bytes` has none where one
 * could be (the caller then has no prefix, or has not got all of it yet).
 */
function prefixEnd(bytes: Buffer, start: number, end: number = bytes.length): number {
  const at = bytes.indexOf(SPACE, start);
  return at >= 0 && at < Math.min(end, start + MAX_TIME_PREFIX) ? at : -1;
}

/** An entry's prefix, read: its time, and where the entry's bytes resume. */
export interface PrefixRead {
  /** The entry's time, or null when it had no prefix. */
  readonly time: string | null;
  /** Bytes gathered from earlier pieces that are the entry's own (a kept or a false prefix), or null. */
  readonly gathered: Buffer | null;
  /** Where in the last piece the entry's bytes resume. */
  readonly from: number;
  /** The prefix's length with its space, 0 when there was none. */
  readonly length: number;
}

/** What to do with entries' prefixes: take them off, or leave them in the bytes (the user asked for `--timestamps`). */
export type PrefixMode = 'strip' | 'keep';

/**
 * Reads one entry's prefix from pieces as they arrive (a prefix may be split across reads). `strip`: the
 * prefix is not part of the entry's bytes; `keep` (the user asked for `--timestamps`): it is.
 */
export class PrefixReader {
  readonly #strip: boolean;
  readonly #buf = Buffer.alloc(MAX_TIME_PREFIX);
  #fill = 0;

  constructor(mode: PrefixMode) {
    this.#strip = mode === 'strip';
  }

  /**
   * The next piece of an entry whose prefix has not been read. `last`: the entry ends with this piece.
   * Null when all of `piece` was taken and more is needed to tell.
   */
  read(piece: Buffer, last: boolean): PrefixRead | null {
    if (this.#fill === 0) {
      // The usual case: the whole prefix is in this piece, nothing is copied.
      const space = prefixEnd(piece, 0);
      if (space >= 0) {
        const time = parseTimePrefix(piece, 0, space);
        return { time, gathered: null, from: time !== null && this.#strip ? space + 1 : 0, length: time === null ? 0 : space + 1 };
      }
    }
    const scan = piece.subarray(0, MAX_TIME_PREFIX - this.#fill);
    const space = scan.indexOf(SPACE);
    const upTo = space >= 0 ? space : scan.length;
    piece.copy(this.#buf, this.#fill, 0, upTo);
    this.#fill += upTo;
    if (space < 0 && this.#fill < MAX_TIME_PREFIX && !last) return null;
    // A space ends the prefix; none where one would be (or the entry ended first): there is no prefix.
    const time = space >= 0 ? parseTimePrefix(this.#buf, 0, this.#fill) : null;
    const gathered = time !== null && this.#strip ? null : Buffer.from(this.#buf.subarray(0, this.#fill));
    const length = time === null ? 0 : this.#fill + 1;
    this.#fill = 0;
    return { time, gathered, from: time !== null && this.#strip ? space + 1 : upTo, length };
  }

  /** The input ended inside a prefix: what was gathered is content. */
  flush(): Buffer | null {
    if (this.#fill === 0) return null;
    const gathered = Buffer.from(this.#buf.subarray(0, this.#fill));
    this.#fill = 0;
    return gathered;
  }
}

/** docker's log copier stores a line longer than this in pieces of exactly this many bytes (moby daemon/logger/copier.go). */
export const DOCKER_PARTIAL_BYTES = 16 * 1024;

const NEWLINE = 0x0a;

/**
 * One stream of entries that are not framed (docker's TTY logs over the API, a CLI's `logs -t` pipe), fed
 * to a joiner. An entry's prefix stands at the start of every line; an entry that continues a line the
 * engine split has one mid-line, and only `partialBytes` says where (docker: after each 16 KiB piece):
 * without it, a mid-line prefix cannot be told from the container's own text and stays in the bytes.
 */
export class UnframedEntries {
  readonly #joiner: LineJoiner;
  readonly #stream: StreamId;
  readonly #prefix: PrefixReader;
  readonly #partialBytes: number;
  readonly #keep: boolean;
  #atEntryStart = true;
  /** Content bytes of the current entry so far. */
  #entryBytes = 0;
  #time: string | null = null;

  constructor(joiner: LineJoiner, stream: StreamId, mode: PrefixMode, partialBytes: number | null) {
    this.#joiner = joiner;
    this.#stream = stream;
    this.#prefix = new PrefixReader(mode);
    this.#keep = mode === 'keep';
    this.#partialBytes = partialBytes ?? Infinity;
  }

  write(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#atEntryStart) {
        const piece = offset === 0 ? chunk : chunk.subarray(offset);
        const read = this.#prefix.read(piece, false);
        if (read === null) return;
        this.#atEntryStart = false;
        // A kept prefix passes through #content but is not the entry's content.
        this.#entryBytes = this.#keep ? -read.length : 0;
        this.#time = read.time;
        if (read.gathered) this.#content(read.gathered);
        offset += read.from;
        continue;
      }
      const room = this.#partialBytes - this.#entryBytes;
      const limit = room >= chunk.length - offset ? chunk.length : offset + room;
      const newline = chunk.subarray(offset, limit).indexOf(NEWLINE);
      const end = newline >= 0 ? offset + newline + 1 : limit;
      this.#content(offset === 0 && end === chunk.length ? chunk : chunk.subarray(offset, end));
      offset = end;
    }
  }

  /** The input ended: a prefix cut short is content. */
  end(): void {
    const gathered = this.#prefix.flush();
    if (gathered) this.#joiner.entry(this.#stream, gathered, null);
  }

  #content(bytes: Buffer): void {
    this.#joiner.entry(this.#stream, bytes, this.#time);
    this.#entryBytes += bytes.length;
    if (bytes[bytes.length - 1] === NEWLINE || this.#entryBytes >= this.#partialBytes) this.#atEntryStart = true;
  }
}

/** An unframed log as a stream: its entries' prefixes read (see {@link UnframedEntries}), one buffer out per chunk in. */
export function unframedLog(joiner: LineJoiner, mode: PrefixMode, partialBytes: number | null): Transform {
  const entries = new UnframedEntries(joiner, 1, mode, partialBytes);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      entries.write(chunk);
      callback(null, joiner.take() ?? undefined);
    },
    flush(callback) {
      entries.end();
      joiner.end();
      callback(null, joiner.take() ?? undefined);
    },
  });
}
