import { isObject } from '../_util/json.js';
import { streamAt, type EntryFields, type LogFileFormat } from './log-file-format.js';

/*
 * docker's json-file driver: one JSON object a line, `{"log":"…","stream":"stdout","time":"…"}` in that
 * order (moby's jsonlog encoder; `attrs` between stream and time with `--log-opt labels/env`). `log` is the
 * entry's bytes: a line with its "\n", or a piece of a longer line (16 KiB) or a last line without one.
 * The encoder escapes `"`, `\`, control bytes, `<>&`, U+2028/9 and stores invalid UTF-8 as U+FFFD, so the
 * decoded string's UTF-8 bytes are what `docker logs` prints. The fast path decodes from the bytes; any
 * other shape goes through JSON.parse, which gives the same bytes.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LOG_PREFIX = Buffer.from('{"log":"');
const STREAM_KEY = Buffer.from(',"stream":"');
const TIME_KEY = Buffer.from(',"time":"');

function startsWith(src: Buffer, at: number, end: number, prefix: Buffer): boolean {
  return at + prefix.length <= end && src.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

/** The position of the quote that ends the JSON string starting at `from`, or -1. */
function stringEnd(src: Buffer, from: number, end: number): number {
  let q = src.indexOf(QUOTE, from);
  while (q >= 0 && q < end) {
    let slashes = 0;
    while (src[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
    q = src.indexOf(QUOTE, q + 1);
  }
  return -1;
}

function readFast(src: Buffer, start: number, end: number, entry: EntryFields): boolean {
  if (!startsWith(src, start, end, LOG_PREFIX)) return false;
  const logStart = start + LOG_PREFIX.length;
  const logEnd = stringEnd(src, logStart, end);
  if (logEnd < 0 || !startsWith(src, logEnd + 1, end, STREAM_KEY)) return false;
  const streamStart = logEnd + 1 + STREAM_KEY.length;
  const stream = streamAt(src, streamStart, streamStart + 6);
  if (stream === 0 || src[streamStart + 6] !== QUOTE || !startsWith(src, streamStart + 7, end, TIME_KEY)) return false;
  const timeStart = streamStart + 7 + TIME_KEY.length;
  const timeEnd = src.indexOf(QUOTE, timeStart);
  if (timeEnd !== end - 2 || src[end - 1] !== 0x7d /* } */) return false;
  const slash = src.indexOf(BACKSLASH, logStart);
  entry.stream = stream;
  entry.timeStart = timeStart;
  entry.timeEnd = timeEnd;
  entry.timeBuf = null;
  entry.contentStart = logStart;
  entry.contentEnd = logEnd;
  entry.flag = slash >= 0 && slash < logEnd;
  entry.decoded = null;
  return true;
}

/** Any other shape of entry (attrs, another key order): parsed whole. */
function readSlow(src: Buffer, start: number, end: number, entry: EntryFields): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(src.toString('utf8', start, end));
  } catch {
    return false;
  }
  if (!isObject(parsed) || typeof parsed.log !== 'string' || typeof parsed.time !== 'string') return false;
  const stream = parsed.stream === 'stderr' ? 2 : parsed.stream === 'stdout' ? 1 : 0;
  if (stream === 0) return false;
  const time = Buffer.from(parsed.time, 'latin1');
  entry.stream = stream;
  entry.timeBuf = time;
  entry.timeStart = 0;
  entry.timeEnd = time.length;
  entry.decoded = Buffer.from(parsed.log, 'utf8');
  return true;
}

function hex(src: Buffer, at: number): number {
  const text = src.toString('latin1', at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(text) ? parseInt(text, 16) : -1;
}

const SIMPLE_ESCAPES: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c };

/** Decode the JSON string body `src[from, to)` (escapes and all) as UTF-8 bytes at `out[at]`. */
export function unescapeJson(src: Buffer, from: number, to: number, out: Buffer, at: number): number {
  let pos = at;
  let i = from;
  while (i < to) {
    const slash = src.indexOf(BACKSLASH, i);
    const runEnd = slash < 0 || slash >= to ? to : slash;
    pos += src.copy(out, pos, i, runEnd);
    if (runEnd === to) break;
    const kind = src[slash + 1] as number;
    const simple = SIMPLE_ESCAPES[kind];
    if (simple !== undefined) {
      out[pos++] = simple;
      i = slash + 2;
      continue;
    }
    // \uXXXX, a surrogate pair as two; a lone surrogate is U+FFFD, as Go's decoder makes it.
    let code = kind === 0x75 ? hex(src, slash + 2) : -1;
    i = slash + 6;
    if (code >= 0xd800 && code < 0xdc00 && src[i] === BACKSLASH && src[i + 1] === 0x75) {
      const low = hex(src, i + 2);
      if (low >= 0xdc00 && low < 0xe000) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i += 6;
      } else code = 0xfffd;
    } else if ((code >= 0xd800 && code < 0xe000) || code < 0) code = 0xfffd;
    pos += out.write(String.fromCodePoint(code), pos, 'utf8');
  }
  return pos;
}

export const jsonFileFormat: LogFileFormat = {
  source: 'json-file',
  untilStops: true,
  boundsInclusive: true,
  read(src, start, end, entry) {
    return readFast(src, start, end, entry) || readSlow(src, start, end, entry);
  },
  // Unescaping never makes the content longer than its JSON text (`\\uXXXX` is six bytes for at most three).
  maxContent: (entry) => entry.decoded?.length ?? entry.contentEnd - entry.contentStart,
  write(src, entry, out, at) {
    if (entry.decoded !== null) return at + entry.decoded.copy(out, at);
    const { contentStart, contentEnd } = entry;
    if (!entry.flag) return at + src.copy(out, at, contentStart, contentEnd);
    // The common escape: the line's own newline, last.
    if (src[contentEnd - 2] === BACKSLASH && src[contentEnd - 1] === 0x6e && src.indexOf(BACKSLASH, contentStart) === contentEnd - 2) {
      const pos = at + src.copy(out, at, contentStart, contentEnd - 2);
      out[pos] = 0x0a;
      return pos + 1;
    }
    return unescapeJson(src, contentStart, contentEnd, out, at);
  },
};
