import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutMiddle, shortenLine } from '../../../src/triage/salient.js';

/*
 * Corpus for salient shortening (issue 12, part 2): long error lines whose cause is at their end, in JSON,
 * logfmt and plain text. Whatever the width, the cause words survive and the width is honoured.
 */

const CAUSE = 'dial tcp [::1]:18094: connect: connection refused';
const PADDING = `batch=${'a1b2c3d4'.repeat(150)}`;

const LONG_JSON = JSON.stringify({
  ts: '2026-01-14T15:25:09.733Z',
  level: 'error',
  logger: 'audit-store',
  caller: 'audit/store.go:212',
  msg: 'Failed to write audit batch',
  attempt: 3,
  tenant: 'acme',
  error: `network error: Post http://localhost:18094/api/v1/audit/events?${PADDING}: ${CAUSE}`,
  service: 'datastorage',
});
const LONG_LOGFMT = `time=2026-01-14T15:25:09Z level=error logger=audit-store msg="Failed to write audit batch" attempt=3 err="network error: Post http://localhost:18094/api/v1/audit/events?${PADDING}: ${CAUSE}" caller=audit/store.go:212`;
const LONG_PLAIN = `2026-01-14 15:25:09.733 ERROR [audit-store] Failed to write audit batch: network error: Post http://localhost:18094/api/v1/audit/events?${PADDING}: ${CAUSE}`;
const WIDTHS = [120, 160, 200, 300, 1000];

describe('shortenLine', () => {
  it('leaves a line that fits as it is (cleaned)', () => {
    expect(shortenLine('{"level":"error","msg":"x"}', 200)).toBe('{"level":"error","msg":"x"}');
    expect(shortenLine('a\tb\u0007c', 200)).toBe('a b\ufffdc');
  });

  it('corpus lines are over 1 KiB, their error message ending in the cause', () => {
    for (const line of [LONG_JSON, LONG_LOGFMT, LONG_PLAIN]) expect(line.length).toBeGreaterThan(1024);
    expect((JSON.parse(LONG_JSON) as { error: string }).error.endsWith(CAUSE)).toBe(true);
    expect(LONG_LOGFMT).toContain(`${CAUSE}" caller=`);
    expect(LONG_PLAIN.endsWith(CAUSE)).toBe(true);
  });

  it('keeps the end of a long JSON error and its salient fields, in order, as valid JSON', () => {
    for (const width of WIDTHS) {
      const shown = shortenLine(LONG_JSON, width);
      expect(shown.length).toBeLessThanOrEqual(width);
      expect(shown).toContain('connect: connection refused');
      const parsed = JSON.parse(shown) as Record<string, unknown>;
      // Narrowest, the logger and caller make room for the message and the error's end.
      expect(Object.keys(parsed).slice(0, 3)).toEqual(width < 160 ? ['level', 'msg', 'error'] : ['level', 'logger', 'msg']);
      expect(parsed.level).toBe('error');
      expect(String(parsed.error).endsWith(CAUSE.slice(-30))).toBe(true);
    }
    // At 200 characters (SUMMARY.md's lists): the message, logger and caller whole, the rest counted.
    const at200 = JSON.parse(shortenLine(LONG_JSON, 200)) as Record<string, unknown>;
    expect(at200).toMatchObject({ level: 'error', logger: 'audit-store', msg: 'Failed to write audit batch', caller: 'audit/store.go:212' });
    expect(Object.keys(at200)).toEqual(['level', 'logger', 'msg', 'error', 'caller', '…']);
    expect(at200['…']).toBe(4);
    expect(String(at200.error)).toMatch(new RegExp(`^network error: Post.*….*${CAUSE.replace(/[[\]]/g, '\\$&')}$`));
  });

  it('shows other fields after the salient ones while there is room', () => {
    const line = JSON.stringify({ ts: 't'.repeat(60), attempt: 3, msg: 'Failed to write audit batch', level: 'error', error: 'x'.repeat(57) });
    // 201 characters whole: the salient fields, then the others in the line's order as long as they fit.
    expect(line).toHaveLength(201);
    expect(shortenLine(line, 200)).toBe(`{"level":"error","msg":"Failed to write audit batch","error":"${'x'.repeat(57)}","ts":"${'t'.repeat(60)}","…":1}`);
  });

  it('a line shortened twice still counts every field it left out', () => {
    const once = shortenLine(LONG_JSON, 1000);
    expect(once.length).toBeLessThanOrEqual(1000);
    expect(JSON.parse(once)).toMatchObject({ level: 'error', msg: 'Failed to write audit batch' });
    const twice = JSON.parse(shortenLine(once, 200)) as Record<string, unknown>;
    expect(twice['…']).toBe(4);
    expect(String(twice.error)).toContain('connect: connection refused');
  });

  it('keeps the end of a long logfmt error, salient pairs first', () => {
    for (const width of WIDTHS) {
      const shown = shortenLine(LONG_LOGFMT, width);
      expect(shown.length).toBeLessThanOrEqual(width);
      expect(shown).toContain('connect: connection refused');
      expect(shown).toMatch(/^level=error logger=/);
    }
    expect(shortenLine(LONG_LOGFMT, 200)).toMatch(/^level=error logger=audit-store msg="Failed to write audit batch" err="network error: .*….*connect: connection refused" caller=audit\/store\.go:212 …=2$/);
  });

  it('keeps head and tail of a long plain line', () => {
    for (const width of WIDTHS) {
      const shown = shortenLine(LONG_PLAIN, width);
      expect(shown).toHaveLength(width);
      expect(shown.startsWith(LONG_PLAIN.slice(0, Math.floor((width - 1) / 2)))).toBe(true);
      expect(shown.endsWith(LONG_PLAIN.slice(-Math.ceil((width - 1) / 2)))).toBe(true);
      expect(shown).toContain('connect: connection refused');
      expect(shown).toContain('2026-01-14 15:25:09.733 ERROR');
    }
  });

  it('shows only the first line of a stack field', () => {
    const line = JSON.stringify({ level: 'error', msg: 'boom', stack: `Error: boom\n${'    at f (x.js:1:1)\n'.repeat(40)}`, pad: 'p'.repeat(300) });
    expect(shortenLine(line, 200)).toBe('{"level":"error","msg":"boom","stack":"Error: boom","…":1}');
  });

  it('never splits a character in two', () => {
    expect(cutMiddle('😀😀😀😀😀😀', 6)).toBe('😀…😀');
    expect(cutMiddle('abcdef', 1)).toBe('…');
  });

  it('honours the width and keeps the cause of any JSON error line (property)', () => {
    const word = fc.stringMatching(/^[ -~]{0,400}$/);
    fc.assert(
      fc.property(
        fc.record({ msg: word, logger: word, error: word, extra: fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), word, { maxKeys: 5 }) }),
        fc.integer({ min: 160, max: 2000 }),
        ({ msg, logger, error, extra }, width) => {
          const line = JSON.stringify({ ...extra, level: 'error', logger, msg, error: `${error}: connect: connection refused` });
          const shown = shortenLine(line, width);
          expect(shown.length).toBeLessThanOrEqual(width);
          expect(shown).toContain('connect: connection refused');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('honours the width and keeps head and tail of any line (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 3000 }), fc.integer({ min: 1, max: 1200 }), (text, width) => {
        const shown = shortenLine(text, width);
        expect(shown.length).toBeLessThanOrEqual(width);
        // No half of a surrogate pair left alone by a cut.
        expect(shown).toBe(Buffer.from(shown, 'utf8').toString('utf8'));
      }),
      { numRuns: 300 },
    );
  });
});
