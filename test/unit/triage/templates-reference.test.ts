import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TEMPLATES, normalizeText, TemplateTally, templateOf, type TemplateSummary } from '../../../src/triage/templates.js';
import { linesOf, loadCorpus } from './corpus.js';

/*
 * The normaliser is hand-tuned for speed (it runs on every line of every log); its output must stay what
 * the plain version below gives, or templates, counts and findings change between releases. The reference
 * is the normaliser as first written, before its fast paths: patterns tried at every word holding a digit;
 * and the tally as first written, each line's template made and looked up, repeated lines or not.
 */

const REF_TIME = /(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?)\b/y;
const REF_ID = /(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|0x[0-9a-f]+|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,})\b/iy;
const REF_IP = /\d{1,3}(?:\.\d{1,3}){3}\b/y;
const REF_DURATION = /(?:(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+|\d+(?:\.\d+)? ?(?:milliseconds?|seconds?|secs?|minutes?|mins?|hours?))\b/iy;
const REF_NUMBER = /\d+(?:\.\d+)?\b/y;
const REF_DIGIT_FIRST: readonly (readonly [RegExp, string])[] = [
  [REF_TIME, '<t>'],
  [REF_ID, '<id>'],
  [REF_IP, '<ip>'],
  [REF_DURATION, '<d>'],
];
const REF_DIGIT = /\d/g;
const WORD_CHAR = /\w/;

function refVariableAt(text: string, start: number, digitFirst: boolean): readonly [number, string] | null {
  for (const [pattern, placeholder] of digitFirst ? REF_DIGIT_FIRST : [[REF_ID, '<id>'] as const]) {
    pattern.lastIndex = start;
    if (pattern.test(text)) return [pattern.lastIndex, placeholder];
  }
  if (!digitFirst || (text[start - 1] === '.' && WORD_CHAR.test(text[start - 2] ?? ''))) return null;
  REF_NUMBER.lastIndex = start;
  return REF_NUMBER.test(text) ? [REF_NUMBER.lastIndex, '<n>'] : null;
}

function referenceNormalize(text: string): string {
  REF_DIGIT.lastIndex = 0;
  let found = REF_DIGIT.exec(text);
  let out = '';
  let copied = 0;
  while (found !== null) {
    const digit = found.index;
    let start = digit;
    while (start > copied && WORD_CHAR.test(text[start - 1]!)) start--;
    const atWordStart = start === 0 || !WORD_CHAR.test(text[start - 1]!);
    const match = atWordStart ? refVariableAt(text, start, start === digit) : null;
    if (match === null) {
      let end = digit + 1;
      while (end < text.length && WORD_CHAR.test(text[end]!)) end++;
      REF_DIGIT.lastIndex = end;
    } else {
      out += text.slice(copied, start) + match[1];
      copied = REF_DIGIT.lastIndex = match[0];
    }
    found = REF_DIGIT.exec(text);
  }
  return out + text.slice(copied);
}

/** What numbers, ids, times and their neighbours are made of, and what could fool a fast path. */
const PIECES = [
  ...'0123456789',
  ...'abcdefxyzABCDEFXmshnuµμΜ_-:.,+TZ /=[]()"\t',
  'ms',
  's',
  'h',
  'ns',
  'us',
  ' ms',
  ' seconds',
  ' secs',
  ' min',
  ' minutes',
  ' hours',
  ' Milliseconds',
  '0x',
  'v1.',
  'sha256',
  'http2',
  '2026-11-22',
  'T02:00:00',
  '.123Z',
  '+02:00',
  '10.88.0.4',
  '123e4567-e89b-12d3-a456-426614174000',
  '3f2a9c1b7d4e',
  'deadbeef',
  'é',
  '😀',
];

const texts = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((p) => p.join('')),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

describe('normalizeText equals the plain reference normaliser', () => {
  it('on generated text (fast-check)', () => {
    fc.assert(
      fc.property(texts, (text) => {
        expect(normalizeText(text)).toBe(referenceNormalize(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('on every line of the log corpus', () => {
    for (const entry of loadCorpus()) {
      for (const line of linesOf(entry.text)) expect(normalizeText(line), `${entry.name}: ${line}`).toBe(referenceNormalize(line));
    }
  });

  it('on the lines the fast paths decide', () => {
    for (const text of ['short line 42', 'n 42 ms', 'n 42 seconds', 'n 42 Sec', 'n 42 x', '42', '42-', '42:', '42.', '42µs', '42μs', '42Μs', 'v1.29', 'a.42 b', 'abcdef12', 'abcdefg1', 'ABCDEF0123-x']) {
      expect(normalizeText(text), text).toBe(referenceNormalize(text));
    }
  });
});

/** The tally as first written: every line's template made and looked up. */
function referenceTally(lines: readonly (readonly [string, number | null])[]): TemplateSummary {
  const byTemplate = new Map<string, { count: number; firstMs: number; lastMs: number; firstLine: number }>();
  let uncounted = 0;
  lines.forEach(([body, lineMs], i) => {
    if (body.trim() === '') return;
    const { template, time } = templateOf(body);
    const ms = lineMs ?? (time === null ? NaN : Date.parse(time));
    const known = byTemplate.get(template);
    if (known === undefined) {
      if (byTemplate.size >= MAX_TEMPLATES) uncounted++;
      else byTemplate.set(template, { count: 1, firstMs: Number.isNaN(ms) ? Infinity : ms, lastMs: Number.isNaN(ms) ? -Infinity : ms, firstLine: i + 1 });
      return;
    }
    known.count++;
    if (!Number.isNaN(ms)) {
      known.firstMs = Math.min(known.firstMs, ms);
      known.lastMs = Math.max(known.lastMs, ms);
    }
  });
  const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);
  const templates = [...byTemplate.entries()]
    .map(([template, t]) => ({ template, count: t.count, first: iso(t.firstMs), last: iso(t.lastMs), firstLine: t.firstLine }))
    .sort((a, b) => b.count - a.count || a.firstLine - b.firstLine);
  return { templates, capped: uncounted > 0, uncounted };
}

function tallied(lines: readonly (readonly [string, number | null])[]): TemplateSummary {
  const tally = new TemplateTally();
  lines.forEach(([body, lineMs], i) => tally.see(i + 1, body, lineMs));
  return tally.summary();
}

const BODIES = [
  'short line 42',
  'short line 43',
  ' short line 42',
  '',
  '   ',
  '{"level":"info","ts":"2026-01-14T15:25:09.733Z","msg":"Event buffered successfully","total_buffered":42}',
  '{"ts":1768404309.733,"msg":"Timer tick"}',
  'time=2026-01-14T15:25:09Z level=info msg="Batch created" count=3',
  'INFO handled GET /api/items/7 in 12 ms',
];

describe('TemplateTally equals the plain reference tally', () => {
  it('on generated logs with repeated, blank and timed lines (fast-check)', () => {
    const line = fc.tuple(fc.oneof(fc.constantFrom(...BODIES), texts), fc.option(fc.integer({ min: 0, max: 2e12 }), { nil: null }));
    // Runs of one line: what the repeat shortcut takes.
    const log = fc.array(fc.tuple(line, fc.integer({ min: 1, max: 4 })), { maxLength: 30 }).map((runs) => runs.flatMap(([l, times]) => Array<typeof l>(times).fill(l)));
    fc.assert(
      fc.property(log, (lines) => {
        expect(tallied(lines)).toEqual(referenceTally(lines));
      }),
      { numRuns: 2000 },
    );
  });

  it('past MAX_TEMPLATES distinct templates, repeats of uncounted lines included', () => {
    const word = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!);
    const lines: [string, number | null][] = [];
    for (let i = 0; i < MAX_TEMPLATES + 300; i++) {
      const body = `event ${word(i)} ${i}`;
      lines.push([body, i], [body, null]);
      if (i % 7 === 0) lines.push(['short line 42', i * 1000]);
    }
    const summary = tallied(lines);
    expect(summary.capped).toBe(true);
    expect(summary).toEqual(referenceTally(lines));
  });
});
