import { describe, expect, it } from 'vitest';
import { codeSpan, escapeMarkdown, renderSummaryMarkdown } from '../../../src/render/markdown.js';
import { renderHtml } from '../../../src/render/html.js';
import { buildReport } from '../../../src/triage/verdict.js';
import { analysisOf, inspectOf, record, RUN, sampleEvidence, sampleReport } from './sample-report.js';

describe('renderSummaryMarkdown', () => {
  const md = renderSummaryMarkdown(sampleReport());
  const firstScreen = md.split('\n').slice(0, 40).join('\n');

  it('names every failed container, why, and its decisive line in the first 40 lines', () => {
    const failed: [string, string, string][] = [
      ['datastorage_redis_test', 'exit 137 — killed for using too much memory (OOMKilled)', '`1:M 22 Nov 2026 02:03:12.312 # Out Of Memory allocating 16384 bytes!`'],
      ['datastorage_migrate_test', 'exited with code 1', '`ERROR:  relation "audit_events" does not exist`'],
      ['datastorage-service-test', 'unhealthy — health check failed 12 times in a row', '`exit 7: curl: (7) Failed to connect to localhost port 8080: Connection refused`'],
      ['datastorage_mockllm_test', 'never started (created)', 'created 02:00:00 UTC'],
    ];
    for (const [name, reason, decisive] of failed) {
      expect(firstScreen).toContain(`**${name}** — ${reason}`);
      expect(firstScreen).toContain(decisive);
    }
    // The container that did not fail but refused nothing and logged FATAL is in view too.
    expect(firstScreen).toContain(
      '- **datastorage_postgres_test** — 2 errors · first [datastorage_postgres_test.log#L2](datastorage_postgres_test.log): `2026-11-22 02:00:01.530 UTC [65] FATAL:  the database system is starting up` (2×, lines 2–3)',
    );
  });

  it('opens with the verdict, worst problem first', () => {
    expect(md.split('\n').slice(0, 11)).toEqual([
      '# datastorage: 4 of 6 containers failed',
      '',
      'podman 4.3.1 · collected 2026-11-22 02:03:30 UTC · `datastorage-integration-20261122-020330`',
      '',
      '## Problems',
      '',
      '1. **datastorage_redis_test** — exit 137 — killed for using too much memory (OOMKilled)',
      '   - lived 3 min 12 s (started 02:00:00, finished 02:03:12 UTC) · 2 errors, 1 warning · [datastorage_redis_test.log](datastorage_redis_test.log)',
      "   - first error [datastorage_redis_test.log#L5](datastorage_redis_test.log): `1:M 22 Nov 2026 02:03:05.002 # Can't save in background: fork: Cannot allocate memory`",
      '   - last error [datastorage_redis_test.log#L7](datastorage_redis_test.log): `1:M 22 Nov 2026 02:03:12.312 # Out Of Memory allocating 16384 bytes!`',
      '2. **datastorage_migrate_test** — exited with code 1',
    ]);
  });

  it('counts a repeated error once, with how often it came', () => {
    expect(firstScreen).toContain(
      '   - error [datastorage-service-test.log#L2](datastorage-service-test.log): `{"level":"error","msg":"audit batch 1 failed","error":"dial tcp 10.88.0.4:5432: connect: connection refused"}` (300×, lines 2–301)',
    );
  });

  it('does not flag healthy containers', () => {
    const problems = md.slice(md.indexOf('## Problems'), md.indexOf('## Containers'));
    expect(problems).not.toContain('kafka');
    expect(md).toContain('| ✓ `datastorage_kafka_test` | docker.io/bitnami/kafka:3.7 | running | – | 3 min 31 s | [53 B](datastorage_kafka_test.log) | 1 | 0 | 0 |');
  });

  it('tables every container: image, state, exit, uptime, log size and lines, errors and warnings', () => {
    const table = md.slice(md.indexOf('## Containers'), md.indexOf('## Messages')).trim().split('\n');
    expect(table).toEqual([
      '## Containers',
      '',
      '| container | image | state | exit | uptime | log | lines | errors | warnings |',
      '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      '| ✗ `datastorage_redis_test` | docker.io/library/redis:7.2 | exited | 137 OOM | 3 min 12 s | [766 B](datastorage_redis_test.log) | 7 | 2 | 1 |',
      '| ✗ `datastorage_migrate_test` | localhost/datastorage-migrate:test | exited | 1 | 2.2 s | [104 B](datastorage_migrate_test.log) | 3 | 1 | 0 |',
      '| ✗ `datastorage-service-test` | localhost/datastorage:test | running (unhealthy) | – | 3 min 29 s | [40.2 KiB](datastorage-service-test.log) | 302 | 300 | 0 |',
      '| ✗ `datastorage_mockllm_test` | localhost/mock-llm:test | created | – | – | [0 B](datastorage_mockllm_test.log) | 0 | 0 | 0 |',
      '| ✓ `datastorage_kafka_test` | docker.io/bitnami/kafka:3.7 | running | – | 3 min 31 s | [53 B](datastorage_kafka_test.log) | 1 | 0 | 0 |',
      '| ! `datastorage_postgres_test` | docker.io/library/postgres:16 | running | – | 3 min 31 s | [423 B](datastorage_postgres_test.log) | 4 | 2 | 0 |',
    ]);
  });

  it('shows the decisive lines with context and line numbers in the details', () => {
    expect(md).toContain(
      [
        'First error, line 3 of [datastorage_migrate_test.log](datastorage_migrate_test.log):',
        '',
        '```text',
        '  1 | applying 0006_tenants.sql',
        '  2 | applying 0007_audit_buffer.sql',
        '> 3 | ERROR:  relation "audit_events" does not exist',
        '```',
      ].join('\n'),
    );
  });

  it('writes plain file references instead of links when asked (a GitHub step summary)', () => {
    const plain = renderSummaryMarkdown(sampleReport(), { links: false });
    expect(plain).not.toMatch(/\]\(/);
    expect(plain).toContain('   - error `datastorage_migrate_test.log:3`: `ERROR:  relation "audit_events" does not exist`');
  });

  it('keeps log text literal: markup, HTML and backticks cannot escape their code span', () => {
    const evil = 'ERROR <script>alert(1)</script> `rm -rf` | **bold** [x](http://evil.example)';
    const report = buildReport('/tmp/run', RUN, [
      {
        record: record({ name: 'evil_test', state: 'exited', exitCode: 1 }),
        inspect: inspectOf({ Status: 'exited', ExitCode: 1 }),
        analysis: analysisOf(`${evil}\n`),
        logPath: 'evil_test.log',
        inspectPath: null,
      },
    ]);
    const out = renderSummaryMarkdown(report);
    expect(out).toContain('   - error [evil_test.log#L1](evil_test.log): ``ERROR <script>alert(1)</script> `rm -rf` | **bold** [x](http://evil.example)``');
    // Outside code spans and fences, no HTML tag and no link but the log's own.
    const outside = out.replace(/```text\n[\s\S]*?\n```/g, '').replace(/(`+)[^`][\s\S]*?\1/g, '');
    expect(outside).not.toMatch(/<script/);
    expect(outside.match(/\]\(([^)]*)\)/g)).toEqual(['](evil_test.log)', '](evil_test.log)', '](evil_test.log)', '](evil_test.log)']);
  });

  it('links a log in an engine’s folder by its path (several engines), and one that could leave the folder by its name', () => {
    const report = buildReport('/tmp/run', RUN, [
      { record: record({ name: 'a_test', state: 'exited', exitCode: 1 }), inspect: null, analysis: analysisOf('ERROR a\n'), logPath: 'podman/a_test.log', inspectPath: null },
      { record: record({ name: 'b test', state: 'exited', exitCode: 1 }), inspect: null, analysis: analysisOf('ERROR b\n'), logPath: 'docker/b test.log', inspectPath: null },
      { record: record({ name: 'c_test', state: 'exited', exitCode: 1 }), inspect: null, analysis: analysisOf('ERROR c\n'), logPath: '../c_test.log', inspectPath: null },
    ]);
    const targets = new Set(renderSummaryMarkdown(report).match(/\]\(([^)]*)\)/g));
    expect([...targets].sort()).toEqual(['](c_test.log)', '](docker/b%20test.log)', '](podman/a_test.log)']);
    const html = renderHtml(report);
    expect(new Set(html.match(/href="[^"]*\.log"/g))).toEqual(new Set(['href="podman/a_test.log"', 'href="docker/b%20test.log"', 'href="c_test.log"']));
  });

  it('lists each of many failed containers on one line', () => {
    const many = buildReport(
      '/tmp/run',
      RUN,
      Array.from({ length: 6 }, (_, i) => ({
        record: record({ name: `svc_${i}_test`, state: 'exited', exitCode: i + 1 }),
        inspect: null,
        analysis: analysisOf(`ERROR boom ${i}\n`),
        logPath: `svc_${i}_test.log`,
        inspectPath: null,
      })),
    );
    const lines = renderSummaryMarkdown(many).split('\n');
    const start = lines.indexOf('## Problems') + 2;
    expect(lines.slice(start, start + 7)).toEqual([
      '1. **svc_0_test** — exited with code 1 · error: `ERROR boom 0`',
      '2. **svc_1_test** — exited with code 2 · error: `ERROR boom 1`',
      '3. **svc_2_test** — exited with code 3 · error: `ERROR boom 2`',
      '4. **svc_3_test** — exited with code 4 · error: `ERROR boom 3`',
      '5. **svc_4_test** — exited with code 5 · error: `ERROR boom 4`',
      '6. **svc_5_test** — exited with code 6 · error: `ERROR boom 5`',
      '',
    ]);
  });

  it('says so when nothing failed', () => {
    const calm = buildReport('/tmp/run', RUN, sampleEvidence().filter((e) => e.record.name === 'datastorage_kafka_test'));
    const out = renderSummaryMarkdown(calm);
    expect(out.split('\n')[0]).toBe('# datastorage: 1 container, no problems found');
    expect(out).not.toContain('## Problems');
    expect(out).not.toContain('## Details');
  });

  it('marks an incomplete run', () => {
    const cut = buildReport('/tmp/run', { ...RUN, incomplete: true, interruption: 'timed out after 120 s (--timeout)' }, []);
    expect(renderSummaryMarkdown(cut)).toBe(
      '# datastorage: no containers\n\npodman 4.3.1 · collected 2026-11-22 02:03:30 UTC · `run`\n\n> **Incomplete run**: timed out after 120 s (--timeout)\n',
    );
  });
});

describe('escapeMarkdown', () => {
  it.each([
    ['demo_postgres_test', 'demo_postgres_test'],
    ['_private_', '\\_private\\_'],
    ['a*b*c', 'a\\*b\\*c'],
    ['<img src=x>', '\\<img src=x\\>'],
    ['[x](y) | z', '\\[x\\](y) \\| z'],
    ['~~gone~~ & `c`', '\\~\\~gone\\~\\~ \\& \\`c\\`'],
    ['a\\b', 'a\\\\b'],
    ['line\nbreak\u001b[31m', 'line break'],
  ])('%j → %j', (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped);
  });
});

describe('codeSpan', () => {
  it.each([
    ['plain', '`plain`'],
    ['one ` tick', '``one ` tick``'],
    ['two `` ticks', '```two `` ticks```'],
    ['`edge`', '`` `edge` ``'],
  ])('%j → %j', (text, span) => {
    expect(codeSpan(text)).toBe(span);
  });
});
