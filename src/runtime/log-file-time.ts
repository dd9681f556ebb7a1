import { durationReader, GO_DURATION_GRAMMAR } from '../_util/units.js';

/*
 * The timestamps of engine log files, read from bytes. docker's json-file stores `time` as Go's RFC3339Nano
 * (trailing zeros of the fraction trimmed, UTC); podman's k8s-file (conmon) an RFC 3339 time with nine
 * fraction digits and a numeric offset (`+00:00`). Both CLIs print `logs -t` times in Go's layout
 * `2006-01-02T15:04:05.000000000Z07:00`: nine digits, `Z` for a zero offset, else `±hh:mm`.
 */

/** An instant to nanosecond precision: whole Unix seconds and the nanoseconds after them. */
export interface Instant {
  readonly seconds: number;
  readonly nanos: number;
}

const DIGIT0 = 0x30;
const DOT = 0x2e;
const Z = 0x5a;
const PLUS = 0x2b;
const MINUS = 0x2d;
/** `2006-01-02T15:04:05`: the part of the layout that never varies in length. */
const DATE_TIME = 19;

/** Where a timestamp's parts lie in `buf[start, end)`; null when it is not an RFC 3339 time with a zone. */
interface TimeParts {
  readonly fractionStart: number;
  readonly fractionEnd: number;
  /** Offset east of UTC in minutes. */
  readonly offsetMinutes: number;
}

function digitsAt(buf: Buffer, at: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const d = (buf[at + i] as number) - DIGIT0;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function timeParts(buf: Buffer, start: number, end: number): TimeParts | null {
  if (end - start < DATE_TIME + 1 || buf[start + 10] !== 0x54 /* T */) return null;
  let at = start + DATE_TIME;
  const fractionStart = buf[at] === DOT ? at + 1 : at;
  if (buf[at] === DOT) {
    at++;
    while (at < end && (buf[at] as number) >= DIGIT0 && (buf[at] as number) <= DIGIT0 + 9) at++;
  }
  const fractionEnd = at;
  if (fractionEnd - fractionStart > 9) return null;
  if (at === end - 1 && buf[at] === Z) return { fractionStart, fractionEnd, offsetMinutes: 0 };
  if (at !== end - 6 || (buf[at] !== PLUS && buf[at] !== MINUS) || buf[at + 3] !== 0x3a /* : */) return null;
  const hours = digitsAt(buf, at + 1, 2);
  const minutes = digitsAt(buf, at + 4, 2);
  if (hours < 0 || minutes < 0) return null;
  return { fractionStart, fractionEnd, offsetMinutes: (buf[at] === MINUS ? -1 : 1) * (hours * 60 + minutes) };
}

/** The longest `-t` prefix {@link writeCliTimestamp} writes: 19 + `.` + 9 digits + `+hh:mm` + space. */
export const MAX_CLI_TIMESTAMP = 36;

/**
 * Write the time in `src[start, end)` as the engines' CLIs print it before a line with `logs -t`, and the
 * space after it, at `out[at]`. Returns the position after it, or -1 when the time cannot be read.
 */
export function writeCliTimestamp(src: Buffer, start: number, end: number, out: Buffer, at: number): number {
  const parts = timeParts(src, start, end);
  if (parts === null) return -1;
  src.copy(out, at, start, start + DATE_TIME);
  let pos = at + DATE_TIME;
  out[pos++] = DOT;
  src.copy(out, pos, parts.fractionStart, parts.fractionEnd);
  pos += parts.fractionEnd - parts.fractionStart;
  for (let i = parts.fractionEnd - parts.fractionStart; i < 9; i++) out[pos++] = DIGIT0;
  if (parts.offsetMinutes === 0) out[pos++] = Z;
  else {
    src.copy(out, pos, end - 6, end);
    pos += 6;
  }
  out[pos++] = 0x20;
  return pos;
}

/** The instant a log file's timestamp names, or null when it cannot be read. */
export function readInstant(src: Buffer, start: number, end: number): Instant | null {
  const parts = timeParts(src, start, end);
  if (parts === null) return null;
  const year = digitsAt(src, start, 4);
  const month = digitsAt(src, start + 5, 2);
  const day = digitsAt(src, start + 8, 2);
  const hour = digitsAt(src, start + 11, 2);
  const minute = digitsAt(src, start + 14, 2);
  const second = digitsAt(src, start + 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return null;
  const fraction = parts.fractionEnd - parts.fractionStart;
  const nanos = fraction === 0 ? 0 : digitsAt(src, parts.fractionStart, fraction) * 10 ** (9 - fraction);
  const seconds = Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - parts.offsetMinutes * 60;
  return { seconds, nanos };
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function compareInstants(a: Instant, b: Instant): number {
  return a.seconds !== b.seconds ? a.seconds - b.seconds : a.nanos - b.nanos;
}

/** The instant as RFC 3339 in UTC with nine fraction digits, as {@link LineTimes} carries line times. */
export function utcText(instant: Instant): string {
  const date = new Date(instant.seconds * 1000).toISOString().slice(0, DATE_TIME);
  return `${date}.${String(instant.nanos).padStart(9, '0')}Z`;
}

const readGoDuration = durationReader(GO_DURATION_GRAMMAR);
const RFC3339_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A `--since`/`--until` value as both CLIs read it, when its meaning is certain: an RFC 3339 time with a
 * zone, or a Go duration before `now`. Null for the rest (a time without a zone is local time to the CLI,
 * and Unix seconds are read differently by the two CLIs): the engine is asked instead.
 */
export function parseTimeBound(value: string, now: Date): Instant | null {
  if (RFC3339_WITH_ZONE.test(value)) {
    const buf = Buffer.from(value, 'latin1');
    return readInstant(buf, 0, buf.length);
  }
  const seconds = readGoDuration(value);
  if (seconds === null) return null;
  const nanos = BigInt(now.getTime()) * 1_000_000n - BigInt(Math.round(seconds * 1e9));
  return { seconds: Number(nanos / 1_000_000_000n), nanos: Number(nanos % 1_000_000_000n) };
}
