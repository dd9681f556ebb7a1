import { describe, expect, it } from 'vitest';
import { renderDigest } from '../../../src/render/digest.js';
import { githubActions } from '../../../src/render/github.js';
import { renderHtml } from '../../../src/render/html.js';
import { renderSummaryMarkdown } from '../../../src/render/markdown.js';
import { buildReport } from '../../../src/triage/verdict.js';
import { analysisOf, inspectOf, record, RUN } from './sample-report.js';

/*
 * Issue 12, part 2: the audit store's error line was shown cut at ~200 characters as `…connect: c…`, the
 * words naming the cause gone. Every place that shows a line shortened must keep them.
 */

const ISSUE_LINE =
  '{"level":"error","logger":"audit-store","msg":"Failed to write audit batch","attempt":3,"error":"network error: Post http://localhost:18094/api/v1/audit/events/batch: dial tcp [::1]:18094: connect: connection refused"}';
const LONG_LINE = JSON.stringify({
  level: 'error',
  ts: '2026-01-14T15:25:09.733Z',
  logger: 'audit-store',
  caller: 'audit/store.go:212',
  msg: 'Failed to write audit batch',
  attempt: 3,
  batch: Array.from({ length: 40 }, (_, i) => `evt-${i}`),
  error: `network error: Post http://localhost:18094/api/v1/audit/events/batch?ids=${'0123456789abcdef'.repeat(64)}: dial tcp [::1]:18094: connect: connection refused`,
});

function report(line: string) {
  return buildReport('/tmp/kubernaut-must-gather/datastorage-integration-20260114-152510', RUN, [
    {
      record: record({ name: 'datastorage_service_test', state: 'exited', exitCode: 1, finishedAt: '2026-01-14T15:25:10.000Z' }),
      inspect: inspectOf({ Status: 'exited', Running: false, ExitCode: 1, FinishedAt: '2026-01-14T15:25:10Z' }),
      analysis: analysisOf(`{"level":"info","msg":"starting"}\n${line}\n`),
      logPath: 'datastorage_service_test.log',
      inspectPath: 'datastorage_service_test_inspect.json',
    },
  ]);
}

describe.each([
  ['the issue line', ISSUE_LINE],
  ['a 1.3 KiB line', LONG_LINE],
])('the cause of %s survives shortening', (_, line) => {
  it('is longer than any place shows whole', () => {
    expect(line.length).toBeGreaterThan(200);
  });

  it('in the first screen of SUMMARY.md, with level, logger and message', () => {
    const decisive = renderSummaryMarkdown(report(line))
      .split('\n')
      .slice(0, 25)
      .find((l) => l.startsWith('   - error '));
    expect(decisive).toMatch(/`\{"level":"error","logger":"audit-store","msg":"Failed to write audit batch","error":"network error: .*connect: connection refused".*\}`$/);
  });

  it('in index.html, the terminal digest and the GitHub annotation', () => {
    const r = report(line);
    expect(renderHtml(r)).toMatch(/<code class="logline">\{&#34;level&#34;:&#34;error&#34;,&#34;logger&#34;:&#34;audit-store&#34;,.*connect: connection refused&#34;/);
    const digestLine = renderDigest(r).split('\n').find((l) => l.includes('datastorage_service_test.log:2'));
    expect(digestLine).toContain('connect: connection refused');
    const annotation = githubActions(r, { dir: '/tmp/x', archive: null }, { GITHUB_ACTIONS: 'true' })?.stdout.split('\n')[0];
    expect(annotation).toContain('connect: connection refused');
  });
});
