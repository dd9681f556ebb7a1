import { isObject } from '../_util/json.js';
import type { EntryFields, LogFileFormat } from './log-file-format.js';

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
/** What follows the `log` string in moby's encoding, for each stream: the time string comes next. */
const SUFFIXES: readonly [Buffer, Buffer] = [Buffer.from('","stream":"stdout","time":"'), Buffer.from('","stream":"stderr","time":"')];
const SUFFIX = 28;

/** Byte loops, not Buffer.compare: a native call per short field costs more than the bytes (profiled). */
function matchAt(src: Buffer, at: number, expected: Buffer): boolean {
  for (let i = 0; i < expected.length; i++) if (src[at + i] !== expected[i]) return false;
  return true;
}

/**
 * moby's own encoding, read from both ends without scanning the content: `{"log":"` first, `"}` last, the
 * time the last string, the stream just before it. Anything else (attrs, another order) is left to readSlow.
 */
function readFast(src: Buffer, start: number, end: number, entry: EntryFields): boolean {
  if (end - start < LOG_PREFIX.length + SUFFIX + 2 || src[end - 1] !== 0x7d /* } */ || src[end - 2] !== QUOTE || !matchAt(src, start, LOG_PREFIX)) return false;
  let timeStart = end - 3;
  while (timeStart > start && src[timeStart] !== QUOTE) timeStart--;
  timeStart++;
  const contentEnd = timeStart - SUFFIX;
  if (contentEnd < start + LOG_PREFIX.length) return false;
  const stream = matchAt(src, contentEnd, SUFFIXES[0]) ? 1 : matchAt(src, contentEnd, SUFFIXES[1]) ? 2 : 0;
  if (stream === 0) return false;
  entry.stream = stream;
  entry.timeStart = timeStart;
  entry.timeEnd = end - 2;
  entry.timeBuf = null;
  entry.contentStart = start + LOG_PREFIX.length;
  entry.contentEnd = contentEnd;
  entry.flag = true;
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

/** The byte each one-letter escape stands for (`\\n` → 0x0a), -1 for the rest. */
const SIMPLE_ESCAPES = new Int16Array(256).fill(-1);
for (const [letter, byte] of [['n', 0x0a], ['r', 0x0d], ['t', 0x09], ['"', 0x22], ['\\', 0x5c], ['/', 0x2f], ['b', 0x08], ['f', 0x0c]] as const) {
  SIMPLE_ESCAPES[letter.charCodeAt(0)] = byte;
}

/** Decode the JSON string body `src[from, to)` (escapes and all) as UTF-8 bytes at `out[at]`. */
export function unescapeJson(src: Buffer, from: number, to: number, out: Buffer, at: number): number {
  let pos = at;
  let i = from;
  while (i < to) {
    const byte = src[i] as number;
    if (byte !== BACKSLASH) {
      out[pos++] = byte;
      i++;
      continue;
    }
    const kind = src[i + 1] as number;
    const simple = SIMPLE_ESCAPES[kind] as number;
    if (simple >= 0) {
      out[pos++] = simple;
      i += 2;
      continue;
    }
    // \uXXXX, a surrogate pair as two; a lone surrogate is U+FFFD, as Go's decoder makes it.
    let code = kind === 0x75 ? hex(src, i + 2) : -1;
    i += 6;
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
    return unescapeJson(src, entry.contentStart, entry.contentEnd, out, at);
  },
};
