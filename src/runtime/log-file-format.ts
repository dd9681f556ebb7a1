import type { StreamId } from './line-join.js';

/*
 * What the two log-file formats share: each line of the file is one entry of one stream. A parser reads a
 * line's fields into an {@link EntryFields} (offsets, no strings: a log of short lines has millions of
 * them) and writes its content as the engine CLI prints it.
 */

/** One entry's fields, filled by {@link LogFileFormat.read}; reused from line to line. */
export interface EntryFields {
  stream: StreamId;
  /** Where the entry's timestamp text lies: in the line's buffer, or in `timeBuf` when set. */
  timeStart: number;
  timeEnd: number;
  timeBuf: Buffer | null;
  /** Format-specific: where the content lies, and how it is written. */
  contentStart: number;
  contentEnd: number;
  /** json-file: the content holds escapes; k8s-file: the entry is a whole line (`F`: a newline follows). */
  flag: boolean;
  /** Content decoded another way (json-file's slow path), written as it is. */
  decoded: Buffer | null;
}

export function newEntryFields(): EntryFields {
  return { stream: 1, timeStart: 0, timeEnd: 0, timeBuf: null, contentStart: 0, contentEnd: 0, flag: false, decoded: null };
}

export interface LogFileFormat {
  readonly source: 'json-file' | 'k8s-file';
  /** Read the entry on `src[start, end)` (the line without its newline); false when it is not one. */
  read(src: Buffer, start: number, end: number, entry: EntryFields): boolean;
  /** Most bytes {@link write} writes for the entry just read. */
  maxContent(entry: EntryFields): number;
  /** Write the entry's content at `out[at]`; returns the position after it. */
  write(src: Buffer, entry: EntryFields, out: Buffer, at: number): number;
  /** The file's entries are in time order, so `--until` ends the read at the first later entry (docker). */
  readonly untilStops: boolean;
  /** `--since` keeps an entry at exactly the bound (docker) or only later ones (podman); `--until` alike. */
  readonly boundsInclusive: boolean;
}

/** 1 for `stdout`, 2 for `stderr`, 0 for anything else, read from `src[start, end)`. */
export function streamAt(src: Buffer, start: number, end: number): StreamId | 0 {
  // Byte tests, not Buffer.compare: a native call per entry costs more than the six bytes (profiled).
  if (end - start !== 6 || src[start] !== 0x73 /* s */ || src[start + 1] !== 0x74 /* t */ || src[start + 2] !== 0x64 /* d */) return 0;
  const a = src[start + 3];
  const b = src[start + 4];
  const c = src[start + 5];
  if (a === 0x6f && b === 0x75 && c === 0x74) return 1; // out
  if (a === 0x65 && b === 0x72 && c === 0x72) return 2; // err
  return 0;
}

/** Copy `src[from, to)` to `out[at]`; returns the position after it. Short runs in a loop (no native call). */
export function copyBytes(src: Buffer, from: number, to: number, out: Buffer, at: number): number {
  if (to - from > 128) return at + src.copy(out, at, from, to);
  let pos = at;
  for (let i = from; i < to; i++) out[pos++] = src[i] as number;
  return pos;
}
