import { jsonTime } from './classify.js';
import { cutMiddle } from './salient.js';
import { parseStructured, valueText, type Field } from './structured.js';

/*
 * What a container said, counted: each line reduced to a message template (numbers, ids, durations, times
 * and addresses blanked), counted with the first and last time it came. The bug this tool was made for
 * logged no error at all — "Event buffered successfully" 100 times, a timer's tick, "Batch created" twice —
 * and was found by counting (issue 12). Fed line by line by the log analyzer's one pass; memory is bounded
 * by MAX_TEMPLATES whatever the log.
 */

/** Distinct templates counted per log; lines of further templates are only counted in `uncounted`. */
export const MAX_TEMPLATES = 2000;
/** A template longer than this is cut in its middle: its key stays bounded whatever the line. */
const MAX_TEMPLATE_CHARS = 300;
/** A field's value in a template; an error message's end is what differs, so it is cut in the middle. */
const MAX_VALUE_CHARS = 120;

/** One message template and how often it came. */
export interface MessageTemplate {
  /** `Event buffered successfully (total_buffered=<n>)`, `retry <n>: dial tcp <ip>:<n>: connect: connection refused`. */
  readonly template: string;
  readonly count: number;
  /** Earliest and latest time its lines carry (their own timestamp), ISO 8601; null when none has one. */
  readonly first: string | null;
  readonly last: string | null;
  /** Line of its first occurrence. */
  readonly firstLine: number;
}

export interface TemplateSummary {
  /** Most frequent first (then by first line); every distinct template counted, at most MAX_TEMPLATES. */
  readonly templates: readonly MessageTemplate[];
  /** MAX_TEMPLATES distinct templates were reached: lines of any further one were not counted. */
  readonly capped: boolean;
  /** Lines not counted because the cap was reached. */
  readonly uncounted: number;
}

// Variable parts, tried in this order where a word holding a digit starts: a time before the number it
// starts with, an id before a number, an IPv4 address before its numbers, a duration before its number.
// Each must end where a word does (`16MB`, `http2` are names).
const AT_TIME = /(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?)\b/y;
const AT_ID = /(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|0x[0-9a-f]+|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,})\b/iy;
const AT_IP = /\d{1,3}(?:\.\d{1,3}){3}\b/y;
const AT_DURATION = /(?:(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+|\d+(?:\.\d+)? ?(?:milliseconds?|seconds?|secs?|minutes?|mins?|hours?))\b/iy;
const AT_NUMBER = /\d+(?:\.\d+)?\b/y;
type Patterns = readonly (readonly [RegExp, string])[];
const STARTS_WITH_DIGIT: Patterns = [
  [AT_TIME, '<t>'],
  [AT_ID, '<id>'],
  [AT_IP, '<ip>'],
  [AT_DURATION, '<d>'],
];
const STARTS_WITH_LETTER: Patterns = [[AT_ID, '<id>']];
// What may follow a word's first digits, by what comes after them (see patternsAfterDigits).
const AFTER_DIGITS_DOT: Patterns = [
  [AT_IP, '<ip>'],
  [AT_DURATION, '<d>'],
];
const AFTER_DIGITS_LETTER: Patterns = [
  [AT_ID, '<id>'],
  [AT_DURATION, '<d>'],
];
const AFTER_DIGITS_SPACE: Patterns = [[AT_DURATION, '<d>']];
const NONE: Patterns = [];

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/** Whether a unit word (` milliseconds`, ` secs`, ` hours`…) may start with `c`, the patterns being case-insensitive. */
function mayStartUnit(c: number): boolean {
  const lower = c | 32;
  return c >= 128 || lower === 109 || lower === 115 || lower === 104; // `m`, `s`, `h`
}

/**
 * The patterns that may match a word whose first digits end before `next` (then `afterNext`), in their
 * order; null for none, a plain number (most numbers of a log). A time needs `-` or `:` after its first
 * digits, an address `.`, an id a letter or `-`, a duration `.`, a unit letter, `µ` (or a character the
 * case-insensitive pattern takes for it) or a space and a unit word.
 */
function patternsAfterDigits(next: number, afterNext: number): Patterns | null {
  if (Number.isNaN(next)) return null; // the text's end
  if (next === 32) return mayStartUnit(afterNext) ? AFTER_DIGITS_SPACE : null;
  if (next === 46) return AFTER_DIGITS_DOT;
  if (next === 45 || next === 58 || next >= 128) return STARTS_WITH_DIGIT;
  return isWordChar(next) ? AFTER_DIGITS_LETTER : null;
}

/** Where the variable part starting at `start` (a word's start) ends, and its placeholder; null for none. */
function variableAt(text: string, start: number, digitFirst: boolean): readonly [number, string] | null {
  let end = start + 1;
  let patterns = STARTS_WITH_LETTER;
  if (digitFirst) {
    while (isDigit(text.charCodeAt(end))) end++;
    patterns = patternsAfterDigits(text.charCodeAt(end), text.charCodeAt(end + 1)) ?? NONE;
  } else {
    // A word starting with a letter can only be an id, whose first 8 characters are hex digits.
    for (let i = start; i < start + 8; i++) if (!isHex(text.charCodeAt(i))) return null;
  }
  for (const [pattern, placeholder] of patterns) {
    pattern.lastIndex = start;
    if (pattern.test(text)) return [pattern.lastIndex, placeholder];
  }
  if (!digitFirst || isVersionMinor(text, start)) return null;
  // Digits followed by neither a word character nor `.`: the number they are (what AT_NUMBER would say).
  if (patterns === NONE || patterns === AFTER_DIGITS_SPACE) return [end, '<n>'];
  AT_NUMBER.lastIndex = start;
  return AT_NUMBER.test(text) ? [AT_NUMBER.lastIndex, '<n>'] : null;
}

/** A number, but the minor part of a version (`v1.29`): not blanked. */
function isVersionMinor(text: string, start: number): boolean {
  return text.charCodeAt(start - 1) === 46 && isWordChar(text.charCodeAt(start - 2));
}

/**
 * Text with its variable parts blanked: times `<t>`, ids `<id>`, IPv4 addresses `<ip>`, durations `<d>`,
 * numbers `<n>`. It runs for every line of every log, so it scans from digit to digit and tries the
 * patterns only where a word holding a digit starts (one alternation tried at every position took
 * about twice as long), and there only those that may match (see patternsAfterDigits).
 */
export function normalizeText(text: string): string {
  const length = text.length;
  let out = '';
  let copied = 0;
  let at = 0;
  while (at < length) {
    if (!isDigit(text.charCodeAt(at))) {
      at++;
      continue;
    }
    const digit = at;
    // Ids may start with a hex letter (`f47ac10b-…`): back to the start of the word the digit is in.
    let start = digit;
    while (start > copied && isWordChar(text.charCodeAt(start - 1))) start--;
    const atWordStart = start === 0 || !isWordChar(text.charCodeAt(start - 1));
    const match = atWordStart ? variableAt(text, start, start === digit) : null;
    if (match === null) {
      // Inside a name (`sha256`, `0006_tenants`): nothing to blank up to the word's end.
      at = digit + 1;
      while (at < length && isWordChar(text.charCodeAt(at))) at++;
    } else {
      out += text.slice(copied, start) + match[1];
      copied = at = match[0];
    }
  }
  // Nothing blanked: the text itself, not a copy.
  return copied === 0 ? text : out + text.slice(copied);
}

// A number in a field named for a time span is a duration (`duration_ms: 12`).
const DURATION_KEY = /duration|elapsed|latency|took|_ms$|_seconds$|^ms$/i;

function fieldTemplate(field: Field): string {
  const v = field.value;
  const shown =
    typeof v === 'number'
      ? DURATION_KEY.test(field.key)
        ? '<d>'
        : '<n>'
      : typeof v === 'string'
        ? cutMiddle(normalizeText(v), MAX_VALUE_CHARS)
        : Array.isArray(v)
          ? '[…]'
          : v !== null && typeof v === 'object'
            ? '{…}'
            : valueText(v);
  return `${field.key}=${shown}`;
}

/** A structured line's template: its message, then its other fields (level, time and caller aside). */
function structuredTemplate(fields: readonly Field[]): string {
  const message = fields.find((f) => f.role === 'message');
  const params = fields.filter((f) => f !== message && f.role !== 'level' && f.role !== 'time' && f.role !== 'caller').map(fieldTemplate);
  const head = message === undefined ? '' : normalizeText(valueText(message.value));
  if (params.length === 0) return head;
  return head === '' ? params.join(', ') : `${head} (${params.join(', ')})`;
}

function timeOf(fields: readonly Field[]): string | null {
  const times = fields.filter((f) => f.role === 'time');
  return times.length === 0 ? null : jsonTime(Object.fromEntries(times.map((f) => [f.key, f.value])));
}

/**
 * A line's template and the time the line itself carries: JSON and logfmt by their message field (`msg`,
 * `message`) and their `time`/`ts` field; other lines as they are, variable parts blanked, and no time (a
 * time at a line's start is split off before, with the engine's: see classify.ts's splitTimestamp).
 */
export function templateOf(body: string): { readonly template: string; readonly time: string | null } {
  return templateOfTrimmed(body.trim());
}

function templateOfTrimmed(text: string): { readonly template: string; readonly time: string | null } {
  const c = text.charCodeAt(0);
  // `{`, or a letter and an `=`: what a JSON or logfmt line starts with and holds.
  const structured = c === 123 || (c >= 65 && c <= 122 && text.includes('=')) ? parseStructured(text) : null;
  const template = structured === null ? normalizeText(text) : structuredTemplate(structured.fields);
  return { template: cutMiddle(template, MAX_TEMPLATE_CHARS), time: structured === null ? null : timeOf(structured.fields) };
}

interface Tally {
  count: number;
  firstMs: number;
  lastMs: number;
  readonly firstLine: number;
}

/** Templates of one log and their counts, bounded by MAX_TEMPLATES. */
export class TemplateTally {
  readonly #byTemplate = new Map<string, Tally>();
  #uncounted = 0;
  // The previous line's body, its template's tally (null: not counted, the cap was reached) and the time
  // its fields carry. A line repeated as it is (a loop's message, `yes`) is counted without its template
  // being made again: that was most of the cost of a log of short repeated lines.
  #lastBody: string | null = null;
  #lastTally: Tally | null = null;
  #lastTime: string | null = null;

  /**
   * Count line `n`: its body, and the time split from its start (epoch ms), when it had one; without it,
   * the time a structured line carries in a field. Blank lines are not counted.
   */
  see(n: number, body: string, lineMs: number | null): void {
    if (body !== this.#lastBody) {
      const text = body.trim();
      if (text === '') return;
      const { template, time } = templateOfTrimmed(text);
      this.#lastBody = body;
      this.#lastTally = this.#tallyOf(template, n);
      this.#lastTime = time;
    }
    const known = this.#lastTally;
    if (known === null) {
      this.#uncounted++;
      return;
    }
    const time = this.#lastTime;
    const ms = lineMs ?? (time === null ? NaN : Date.parse(time));
    known.count++;
    if (!Number.isNaN(ms)) {
      if (ms < known.firstMs) known.firstMs = ms;
      if (ms > known.lastMs) known.lastMs = ms;
    }
  }

  /** The template's tally, a new one (first seen on line `n`) if there is room; null if the cap is reached. */
  #tallyOf(template: string, n: number): Tally | null {
    const known = this.#byTemplate.get(template);
    if (known !== undefined) return known;
    if (this.#byTemplate.size >= MAX_TEMPLATES) return null;
    const tally = { count: 0, firstMs: Infinity, lastMs: -Infinity, firstLine: n };
    this.#byTemplate.set(template, tally);
    return tally;
  }

  summary(): TemplateSummary {
    const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);
    const templates = [...this.#byTemplate.entries()]
      .map(([template, t]): MessageTemplate => ({ template, count: t.count, first: iso(t.firstMs), last: iso(t.lastMs), firstLine: t.firstLine }))
      .sort((a, b) => b.count - a.count || a.firstLine - b.firstLine);
    return { templates, capped: this.#uncounted > 0, uncounted: this.#uncounted };
  }
}
