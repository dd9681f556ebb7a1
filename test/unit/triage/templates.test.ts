import { describe, expect, it } from 'vitest';
import { createLogAnalyzer } from '../../../src/triage/analyze.js';
import { MAX_TEMPLATES, normalizeText, TemplateTally, templateOf } from '../../../src/triage/templates.js';

/* Message templates (issue 12, part 3): what each line reduces to, and how they are counted. */

function tally(lines: readonly string[]) {
  const analyzer = createLogAnalyzer();
  analyzer.write(`${lines.join('\n')}\n`);
  return analyzer.end().templates;
}

describe('normalizeText', () => {
  it('blanks numbers, durations, ids, times and IPv4 addresses', () => {
    expect(normalizeText('retry 17: dial tcp 10.88.0.4:5432 after 120ms')).toBe('retry <n>: dial tcp <ip>:<n> after <d>');
    expect(normalizeText('took 1h2m3.5s, then 250 milliseconds, then 3 seconds; 0.75 of 12')).toBe('took <d>, then <d>, then <d>; <n> of <n>');
    expect(normalizeText('request 123e4567-e89b-12d3-a456-426614174000 on 3f2a9c1b7d4e at 0x7ffd')).toBe('request <id> on <id> at <id>');
    expect(normalizeText('at 2026-11-22T02:00:00.123Z, 2026-11-22 02:00:01,5 and 02:00:02.250')).toBe('at <t>, <t> and <t>');
  });

  it('keeps digits that are part of a name', () => {
    expect(normalizeText('applying 0006_tenants.sql over http2 with sha256, k8s v1.29 16MB')).toBe('applying 0006_tenants.sql over http2 with sha256, k8s v1.29 16MB');
  });
});

describe('templateOf', () => {
  it('takes a JSON line by its message and its other fields, level, time and caller aside', () => {
    expect(templateOf('{"level":"info","ts":"2026-01-14T15:25:09.733Z","caller":"buffer/buffer.go:88","msg":"Event buffered successfully","total_buffered":42}')).toEqual({
      template: 'Event buffered successfully (total_buffered=<n>)',
      time: '2026-01-14T15:25:09.733Z',
    });
    expect(templateOf('{"level":"info","msg":"Batch created","count":3,"duration":"12.5ms","ok":true,"tags":["a"],"meta":{"a":1}}').template).toBe(
      'Batch created (count=<n>, duration=<d>, ok=true, tags=[…], meta={…})',
    );
    expect(templateOf('{"message":"flushed","duration_ms":12}').template).toBe('flushed (duration_ms=<d>)');
    // Zap's epoch seconds are a time too.
    expect(templateOf('{"ts":1768404309.733,"msg":"Timer tick"}')).toEqual({ template: 'Timer tick', time: '2026-01-14T15:25:09.733Z' });
  });

  it('takes a logfmt line by its message', () => {
    expect(templateOf('time=2026-01-14T15:25:09Z level=info msg="Batch created" count=3 duration=12.5ms')).toEqual({
      template: 'Batch created (count=<n>, duration=<d>)',
      time: '2026-01-14T15:25:09.000Z',
    });
  });

  it('takes any other line as it is, blanked, without a time of its own', () => {
    expect(templateOf('Timer tick: batch_size_before_flush: 0')).toEqual({ template: 'Timer tick: batch_size_before_flush: <n>', time: null });
    expect(templateOf('  worker 3 ready  ')).toEqual({ template: 'worker <n> ready', time: null });
  });

  it('keeps a template bounded whatever the line', () => {
    expect(templateOf(`ERROR ${'word '.repeat(5000)} connection refused`).template.length).toBeLessThanOrEqual(300);
    expect(templateOf(JSON.stringify({ msg: 'm', error: `${'e'.repeat(5000)} connection refused` })).template).toMatch(/^m \(error=e+…e+ connection refused\)$/);
  });
});

describe('TemplateTally', () => {
  it('counts each template with the earliest and latest time its lines carry, most frequent first', () => {
    const t = new TemplateTally();
    t.see(1, 'job 1 done', Date.parse('2026-01-14T15:25:09.000Z'));
    t.see(2, 'starting', null);
    t.see(3, 'job 2 done', Date.parse('2026-01-14T15:25:07.500Z'));
    t.see(4, '   ', null);
    t.see(5, '{"msg":"job 3 done","ts":"2026-01-14T15:25:11.250Z"}', null);
    expect(t.summary()).toEqual({
      templates: [
        { template: 'job <n> done', count: 3, first: '2026-01-14T15:25:07.500Z', last: '2026-01-14T15:25:11.250Z', firstLine: 1 },
        { template: 'starting', count: 1, first: null, last: null, firstLine: 2 },
      ],
      capped: false,
      uncounted: 0,
    });
  });

  it(`stops at ${MAX_TEMPLATES} distinct templates and says how many lines it did not count`, () => {
    const t = new TemplateTally();
    const word = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)] ?? 'q');
    for (let i = 0; i < MAX_TEMPLATES + 150; i++) t.see(i + 1, `event ${word(i)}`, null);
    t.see(MAX_TEMPLATES + 151, 'event q', null);
    const s = t.summary();
    expect(s.templates).toHaveLength(MAX_TEMPLATES);
    expect(s.capped).toBe(true);
    expect(s.uncounted).toBe(150);
    // A template seen before the cap is still counted after it.
    expect(s.templates[0]).toMatchObject({ template: 'event q', count: 2 });
  });
});

describe('the analyzer counts templates in its one pass', () => {
  it('counts every line but the continuations of a stack trace', () => {
    const t = tally([
      'handled request 1',
      'handled request 2',
      'ERROR failed to sync',
      'java.lang.IllegalStateException: boom',
      '\tat com.example.Sync.run(Sync.java:42)',
      '\tat java.lang.Thread.run(Thread.java:833)',
      'handled request 3',
    ]);
    expect(t.templates.map((x) => [x.count, x.template])).toEqual([
      [3, 'handled request <n>'],
      [1, 'ERROR failed to sync'],
    ]);
  });

  it('uses the engine timestamp of a line when it has one', () => {
    const t = tally(['2026-01-14T15:25:09.100000000Z tick 1', '2026-01-14T15:25:10.100000000Z tick 2']);
    expect(t.templates).toEqual([{ template: 'tick <n>', count: 2, first: '2026-01-14T15:25:09.100Z', last: '2026-01-14T15:25:10.100Z', firstLine: 1 }]);
  });
});
