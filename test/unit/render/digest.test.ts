import { describe, expect, it } from 'vitest';
import { renderDigest } from '../../../src/render/digest.js';
import type { Paint } from '../../../src/render/paint.js';
import { buildReport } from '../../../src/triage/verdict.js';
import { analysisOf, inspectOf, record, RUN, sampleReport } from './sample-report.js';

const TAGS: Paint = {
  red: (s) => `<red>${s}</red>`,
  green: (s) => `<green>${s}</green>`,
  yellow: (s) => `<yellow>${s}</yellow>`,
  dim: (s) => `<dim>${s}</dim>`,
  bold: (s) => `<b>${s}</b>`,
};

describe('renderDigest', () => {
  it('prints the verdict: failed containers with why and their decisive lines, then the others', () => {
    expect(renderDigest(sampleReport()).split('\n')).toEqual([
      'datastorage: 4 of 6 containers failed  (podman 4.3.1)',
      '  ✗ datastorage_redis_test     exit 137 — killed for using too much memory (OOMKilled) · lived 3 min 12 s (started 02:00:00, finished 02:03:12 UTC)',
      "      first error   datastorage_redis_test.log:5  1:M 22 Nov 2026 02:03:05.002 # Can't save in background: fork: Cannot allocate memory",
      '      last error    datastorage_redis_test.log:7  1:M 22 Nov 2026 02:03:12.312 # Out Of Memory allocating 16384 bytes!',
      '  ✗ datastorage_migrate_test   exited with code 1 · lived 2.2 s (started 02:00:01, finished 02:00:03 UTC)',
      '      error         datastorage_migrate_test.log:3  ERROR:  relation "audit_events" does not exist',
      '  ✗ datastorage-service-test   unhealthy — health check failed 12 times in a row · up 3 min 29 s (started 02:00:02 UTC)',
      '      health check  exit 7: curl: (7) Failed to connect to localhost port 8080: Connection refused',
      '      error         datastorage-service-test.log:2  {"level":"error","msg":"audit batch 1 failed","error":"dial tcp 10.88.0.4:5432: connect: connection refused"} (300×, lines 2–301)',
      '  ✗ datastorage_mockllm_test   never started (created) · created 02:00:00 UTC',
      '  ✓ datastorage_kafka_test     running · up 3 min 31 s (started 02:00:00 UTC)',
      '  ! datastorage_postgres_test  running · up 3 min 31 s (started 02:00:00 UTC) · 2 errors',
      '      first error   datastorage_postgres_test.log:2  2026-11-22 02:00:01.530 UTC [65] FATAL:  the database system is starting up (2×, lines 2–3)',
    ]);
  });

  it('colours only through the paint it is given', () => {
    const lines = renderDigest(sampleReport(), TAGS).split('\n');
    expect(lines[0]).toBe('<red><b>datastorage: 4 of 6 containers failed</b></red>  <dim>(podman 4.3.1)</dim>');
    expect(lines[4]).toBe(
      '  <red>✗</red> <b>datastorage_migrate_test </b>  <red>exited with code 1</red> <dim>· lived 2.2 s (started 02:00:01, finished 02:00:03 UTC)</dim>',
    );
    expect(lines[10]).toBe('  <green>✓</green> datastorage_kafka_test     running <dim>· up 3 min 31 s (started 02:00:00 UTC)</dim>');
  });

  it('never lets log text drive the terminal', () => {
    const report = buildReport('/tmp/run', RUN, [
      {
        record: record({ name: 'tty_test', state: 'exited', exitCode: 2 }),
        inspect: inspectOf({ Status: 'exited', ExitCode: 2 }),
        analysis: analysisOf('\u001b[31mERROR\u001b[0m boom\u001b[2J\u0007 \u001b]0;pwned\u0007done\u009b31m\n'),
        logPath: 'tty_test.log',
        inspectPath: null,
      },
    ]);
    const out = renderDigest(report);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    // Escape sequences are removed; a bell and a C1 control character are shown as U+FFFD.
    expect(out.split('\n')[2]).toBe('      error         tty_test.log:1  ERROR boom\ufffd done\ufffd31m');
  });

  it('says so when nothing failed', () => {
    const report = buildReport('/tmp/run', RUN, [
      { record: record({ name: 'ok_test' }), inspect: inspectOf({}), analysis: analysisOf('ready\n'), logPath: 'ok_test.log', inspectPath: null },
    ]);
    expect(renderDigest(report)).toBe('datastorage: 1 container, no problems found  (podman 4.3.1)\n  ✓ ok_test  running · up 3 min 31 s (started 02:00:00 UTC)');
  });
});
