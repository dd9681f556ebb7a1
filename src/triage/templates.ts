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
const STARTS_WITH_DIGIT: readonly (readonly [RegExp, string])[] = [
  [AT_TIME, '<t>'],
  [AT_ID, '<id>'],
  [AT_IP, '<ip>'],
  [AT_DURATION, '<d>'],
];
const STARTS_WITH_LETTER: readonly (readonly [RegExp, string])[] = [[AT_ID, '<id>']];
const DIGIT = /\d/g;

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Where the variable part starting at `start` (a word's start) ends, and its placeholder; null for none. */
function variableAt(text: string, start: number, digitFirst: boolean): readonly [number, string] | null {
  for (const [pattern, placeholder] of digitFirst ? STARTS_WITH_DIGIT : STARTS_WITH_LETTER) {
    pattern.lastIndex = start;
    if (pattern.test(text)) return [pattern.lastIndex, placeholder];
  }
  // A number, but not the minor part of a version (`v1.29`).
  if (!digitFirst || (text.charCodeAt(start - 1) === 46 && isWordChar(text.charCodeAt(start - 2)))) return null;
  AT_NUMBER.lastIndex = start;
  return AT_NUMBER.test(text) ? [AT_NUMBER.lastIndex, '<n>'] : null;
}

/**
 * Text with its variable parts blanked: times `<t>`, ids `<id>`, IPv4 addresses `<ip>`, durations `<d>`,
 * numbers `<n>`. It runs for every line of every log, so it scans from digit to digit and tries the
 * patterns only where a word holding a digit starts (one alternation tried at every position took
 * about twice as long).
 */
export function normalizeText(text: string): string {
  DIGIT.lastIndex = 0;
  let found = DIGIT.exec(text);
  if (found === null) return text;
  let out = '';
  let copied = 0;
  while (found !== null) {
    const digit = found.index;
    // Ids may start with a hex letter (`f47ac10b-…`): back to the start of the word the digit is in.
    let start = digit;
    while (start > copied && isWordChar(text.charCodeAt(start - 1))) start--;
    const atWordStart = start === 0 || !isWordChar(text.charCodeAt(start - 1));
    const match = atWordStart ? variableAt(text, start, start === digit) : null;
    if (match === null) {
      // Inside a name (`sha256`, `0006_tenants`): nothing to blank up to the word's end.
      let end = digit + 1;
      while (end < text.length && isWordChar(text.charCodeAt(end))) end++;
      DIGIT.lastIndex = end;
    } else {
      out += text.slice(copied, start) + match[1];
      copied = DIGIT.lastIndex = match[0];
    }
    found = DIGIT.exec(text);
  }
  return out + text.slice(copied);
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
  const text = body.trim();
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

  /**
   * Count line `n`: its body, and the time split from its start (epoch ms), when it had one; without it,
   * the time a structured line carries in a field. Blank lines are not counted.
   */
  see(n: number, body: string, lineMs: number | null): void {
    if (body.trim() === '') return;
    const { template, time } = templateOf(body);
    const ms = lineMs ?? (time === null ? NaN : Date.parse(time));
    const known = this.#byTemplate.get(template);
    if (known === undefined) {
      if (this.#byTemplate.size >= MAX_TEMPLATES) {
        this.#uncounted++;
        return;
      }
      this.#byTemplate.set(template, { count: 1, firstMs: Number.isNaN(ms) ? Infinity : ms, lastMs: Number.isNaN(ms) ? -Infinity : ms, firstLine: n });
      return;
    }
    known.count++;
    if (!Number.isNaN(ms)) {
      if (ms < known.firstMs) known.firstMs = ms;
      if (ms > known.lastMs) known.lastMs = ms;
    }
  }

  summary(): TemplateSummary {
    const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);
    const templates = [...this.#byTemplate.entries()]
      .map(([template, t]): MessageTemplate => ({ template, count: t.count, first: iso(t.firstMs), last: iso(t.lastMs), firstLine: t.firstLine }))
      .sort((a, b) => b.count - a.count || a.firstLine - b.firstLine);
    return { templates, capped: this.#uncounted > 0, uncounted: this.#uncounted };
  }
}
