import { describe, expect, it } from 'vitest';
import { escapeCommandData, escapeCommandProperty, githubActions } from '../../../src/render/github.js';
import { renderSummaryMarkdown } from '../../../src/render/markdown.js';
import { buildReport } from '../../../src/triage/verdict.js';
import { analysisOf, inspectOf, record, RUN, sampleReport } from './sample-report.js';

const ACTIONS = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '/home/runner/work/_temp/step_summary', GITHUB_OUTPUT: '/home/runner/work/_temp/output' };
const PATHS = { dir: '/tmp/kubernaut-must-gather/datastorage-integration-20261122-020330', archive: '/tmp/kubernaut-must-gather/datastorage-integration-20261122-020330.tar.gz' };

describe('githubActions', () => {
  it.each([[{}], [{ GITHUB_ACTIONS: 'false' }], [{ GITHUB_ACTIONS: '1' }], [{ GITHUB_ACTIONS: 'TRUE', GITHUB_OUTPUT: '/o' }]])('does nothing outside GitHub Actions (%j)', (env) => {
    expect(githubActions(sampleReport(), PATHS, env)).toBeNull();
  });

  it('emits one ::error per failed container, with its decisive line', () => {
    const out = githubActions(sampleReport(), PATHS, ACTIONS);
    const commands = out?.stdout.split('\n').filter((l) => l.startsWith('::error') || l.startsWith('::warning'));
    expect(commands).toEqual([
      '::error title=datastorage_redis_test%3A exit 137 — killed for using too much memory (OOMKilled)::datastorage_redis_test.log:5: 1:M 22 Nov 2026 02:03:05.002 # Can\'t save in background: fork: Cannot allocate memory',
      '::error title=datastorage_migrate_test%3A exited with code 1::datastorage_migrate_test.log:3: ERROR:  relation "audit_events" does not exist',
      '::error title=datastorage-service-test%3A unhealthy — health check failed 12 times in a row::exit 7: curl: (7) Failed to connect to localhost port 8080: Connection refused',
      '::error title=datastorage_mockllm_test%3A never started (created)::never started (created) · created 02:00:00 UTC',
    ]);
  });

  it('folds the digest in a group, with workflow commands switched off around the log text', () => {
    const report = buildReport('/tmp/run', RUN, [
      {
        record: record({ name: 'sneaky_test', state: 'exited', exitCode: 1 }),
        inspect: inspectOf({ Status: 'exited', ExitCode: 1 }),
        analysis: analysisOf('::add-mask::secret\n::endgroup::\nERROR ::set-output name=x::y\n'),
        logPath: 'sneaky_test.log',
        inspectPath: null,
      },
    ]);
    const lines = githubActions(report, PATHS, ACTIONS)?.stdout.split('\n') ?? [];
    const group = lines.indexOf('::group::must-gather: datastorage: 1 of 1 container failed');
    expect(group).toBe(1);
    const stop = lines[group + 1] ?? '';
    expect(stop).toMatch(/^::stop-commands::must-gather-[0-9a-f]{32}$/);
    const token = stop.slice('::stop-commands::'.length);
    const resume = lines.indexOf(`::${token}::`);
    expect(lines.slice(resume, resume + 3)).toEqual([`::${token}::`, '::endgroup::', '']);
    // Every line that could be a workflow command is ours; the log's own text is only inside the stopped region.
    const live = [...lines.slice(0, group + 2), ...lines.slice(resume)].filter((l) => l.startsWith('::'));
    expect(live).toEqual([
      '::error title=sneaky_test%3A exited with code 1::sneaky_test.log:3: ERROR ::set-output name=x::y',
      '::group::must-gather: datastorage: 1 of 1 container failed',
      `::stop-commands::${token}`,
      `::${token}::`,
      '::endgroup::',
    ]);
    expect(lines.slice(group + 2, resume).join('\n')).toContain('ERROR ::set-output name=x::y');
  });

  it('writes the summary for $GITHUB_STEP_SUMMARY without relative links', () => {
    const out = githubActions(sampleReport(), PATHS, ACTIONS);
    expect(out?.stepSummary).toBe(renderSummaryMarkdown(sampleReport(), { links: false }));
    expect(out?.stepSummary).not.toMatch(/\]\(/);
    expect(githubActions(sampleReport(), PATHS, { GITHUB_ACTIONS: 'true' })).toMatchObject({ stepSummary: null, outputs: null });
  });

  it('writes dir= and archive= for $GITHUB_OUTPUT', () => {
    expect(githubActions(sampleReport(), PATHS, ACTIONS)?.outputs).toBe(
      'dir=/tmp/kubernaut-must-gather/datastorage-integration-20261122-020330\narchive=/tmp/kubernaut-must-gather/datastorage-integration-20261122-020330.tar.gz\n',
    );
    expect(githubActions(sampleReport(), { dir: '/tmp/x', archive: null }, ACTIONS)?.outputs).toBe('dir=/tmp/x\narchive=\n');
    const odd = githubActions(sampleReport(), { dir: '/tmp/a\nb', archive: null }, ACTIONS)?.outputs ?? '';
    expect(odd).toMatch(/^dir<<(ghadelimiter_[0-9a-f]{16})\n\/tmp\/a\nb\n\1\narchive=\n$/);
  });
});

describe('workflow command escaping', () => {
  it('escapes %, CR and LF in messages, and also : and , in properties', () => {
    expect(escapeCommandData('100% done\r\nnext: a,b')).toBe('100%25 done%0D%0Anext: a,b');
    expect(escapeCommandProperty('100% done\r\nnext: a,b')).toBe('100%25 done%0D%0Anext%3A a%2Cb');
    expect(escapeCommandData('%0A')).toBe('%250A');
  });

  it('keeps an annotation on one line whatever the container printed', () => {
    const report = buildReport('/tmp/run', RUN, [
      {
        record: record({ name: 'odd_test', state: 'exited', exitCode: 3 }),
        inspect: null,
        analysis: analysisOf('ERROR: 50% of a,b: failed\r\n'),
        logPath: 'odd_test.log',
        inspectPath: null,
      },
    ]);
    const line = githubActions(report, PATHS, ACTIONS)?.stdout.split('\n')[0];
    expect(line).toBe('::error title=odd_test%3A exited with code 3::odd_test.log:1: ERROR: 50%25 of a,b: failed');
  });
});
