import type { ContainerRecord } from '../../../src/run-folder/manifest.js';
import type { RunInfo } from '../../../src/run-folder/read-manifest.js';
import { createLogAnalyzer, type LogAnalysis } from '../../../src/triage/analyze.js';
import { buildReport, type ContainerEvidence, type TriageReport } from '../../../src/triage/verdict.js';

/*
 * Hand-built runs for the renderer tests: the failures the issue names (Redis OOM-killed in a burst test, a
 * migration that exited 1, a storage service refusing audit batches and never turning healthy, PostgreSQL
 * still starting up, a container that never started), with logs as the engines write them.
 */

export function analysisOf(text: string): LogAnalysis {
  const analyzer = createLogAnalyzer();
  analyzer.write(text);
  return analyzer.end();
}

export function record(overrides: Partial<ContainerRecord> & Pick<ContainerRecord, 'name'>): ContainerRecord {
  return {
    runtime: 'podman',
    id: 'f'.repeat(64),
    image: 'docker.io/library/busybox:latest',
    state: 'running',
    exitCode: 0,
    oomKilled: false,
    restartCount: 0,
    startedAt: '2026-11-22T02:00:00.000Z',
    finishedAt: null,
    matchedBy: 'service',
    files: [
      { path: `${overrides.name}_inspect.json`, kind: 'inspect', bytes: 8000, sha256: '0'.repeat(64) },
      { path: `${overrides.name}.log`, kind: 'log', bytes: 0, sha256: '0'.repeat(64) },
    ],
    error: null,
    complete: true,
    ...overrides,
  };
}

/** An inspect object as docker writes it (podman's differs only where a test says so). */
export function inspectOf(state: Record<string, unknown>, created = '2026-11-22T01:59:58.000Z'): unknown {
  return {
    Id: 'f'.repeat(64),
    Created: created,
    Name: '/x',
    RestartCount: 0,
    State: { Status: 'running', Running: true, OOMKilled: false, ExitCode: 0, Error: '', StartedAt: '2026-11-22T02:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', ...state },
  };
}

export const RUN: RunInfo = {
  service: 'datastorage',
  runtimes: [{ name: 'podman', version: '4.3.1' }],
  startedAt: '2026-11-22T02:03:30.000Z',
  finishedAt: '2026-11-22T02:03:31.000Z',
  incomplete: false,
  interruption: null,
};

const REDIS_LOG = [
  '2026-11-22T02:00:00.101Z 1:C 22 Nov 2026 02:00:00.101 * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo',
  '2026-11-22T02:00:00.103Z 1:M 22 Nov 2026 02:00:00.103 # WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition.',
  '2026-11-22T02:00:00.104Z 1:M 22 Nov 2026 02:00:00.104 * Ready to accept connections tcp',
  '2026-11-22T02:03:00.001Z 1:M 22 Nov 2026 02:03:00.001 * 10000 changes in 60 seconds. Saving...',
  "2026-11-22T02:03:05.002Z 1:M 22 Nov 2026 02:03:05.002 # Can't save in background: fork: Cannot allocate memory",
  '2026-11-22T02:03:11.000Z 1:M 22 Nov 2026 02:03:11.000 * 10000 changes in 60 seconds. Saving...',
  '2026-11-22T02:03:12.312Z 1:M 22 Nov 2026 02:03:12.312 # Out Of Memory allocating 16384 bytes!',
  '',
].join('\n');

export const MIGRATE_LOG = ['applying 0006_tenants.sql', 'applying 0007_audit_buffer.sql', 'ERROR:  relation "audit_events" does not exist', ''].join('\n');

const POSTGRES_LOG = [
  '2026-11-22T02:00:00.500Z 2026-11-22 02:00:00.500 UTC [1] LOG:  starting PostgreSQL 16.4 on x86_64-pc-linux-gnu',
  '2026-11-22T02:00:01.530Z 2026-11-22 02:00:01.530 UTC [65] FATAL:  the database system is starting up',
  '2026-11-22T02:00:01.531Z 2026-11-22 02:00:01.531 UTC [66] FATAL:  the database system is starting up',
  '2026-11-22T02:00:01.534Z 2026-11-22 02:00:01.534 UTC [1] LOG:  database system is ready to accept connections',
  '',
].join('\n');

function serviceLog(): string {
  const lines = ['2026-11-22T02:00:02.000Z {"level":"info","msg":"datastorage starting","version":"1.4.2"}'];
  const start = Date.parse('2026-11-22T02:00:05.000Z');
  for (let i = 1; i <= 300; i++) {
    const ts = new Date(start + i * 650).toISOString();
    lines.push(`${ts} {"level":"error","msg":"audit batch ${i} failed","error":"dial tcp 10.88.0.4:5432: connect: connection refused"}`);
  }
  lines.push('2026-11-22T02:03:20.000Z {"level":"info","msg":"0 errors in health probe handler"}', '');
  return lines.join('\n');
}

/** The failures in one run: 4 failed containers, one more that logged errors, one healthy. */
export function sampleEvidence(): ContainerEvidence[] {
  const redis = analysisOf(REDIS_LOG);
  const migrate = analysisOf(MIGRATE_LOG);
  const postgres = analysisOf(POSTGRES_LOG);
  const service = analysisOf(serviceLog());
  const healthy = analysisOf('2026-11-22T02:00:01.000Z mock LLM listening on :8080\n');
  return [
    {
      record: record({ name: 'datastorage-service-test', image: 'localhost/datastorage:test', startedAt: '2026-11-22T02:00:02.000Z' }),
      inspect: inspectOf(
        {
          StartedAt: '2026-11-22T02:00:02Z',
          Health: {
            Status: 'unhealthy',
            FailingStreak: 12,
            Log: [{ Start: '2026-11-22T02:03:20Z', End: '2026-11-22T02:03:20.1Z', ExitCode: 7, Output: 'curl: (7) Failed to connect to localhost port 8080: Connection refused\n' }],
          },
        },
        '2026-11-22T02:00:01.500Z',
      ),
      analysis: service,
      logPath: 'datastorage-service-test.log',
      inspectPath: 'datastorage-service-test_inspect.json',
    },
    {
      record: record({ name: 'datastorage_redis_test', image: 'docker.io/library/redis:7.2', state: 'exited', exitCode: 137, oomKilled: true, finishedAt: '2026-11-22T02:03:12.400Z' }),
      inspect: inspectOf({ Status: 'exited', Running: false, OOMKilled: true, ExitCode: 137, FinishedAt: '2026-11-22T02:03:12.4Z' }),
      analysis: redis,
      logPath: 'datastorage_redis_test.log',
      inspectPath: 'datastorage_redis_test_inspect.json',
    },
    {
      record: record({
        name: 'datastorage_migrate_test',
        image: 'localhost/datastorage-migrate:test',
        state: 'exited',
        exitCode: 1,
        startedAt: '2026-11-22T02:00:01.000Z',
        finishedAt: '2026-11-22T02:00:03.200Z',
      }),
      inspect: inspectOf({ Status: 'exited', Running: false, ExitCode: 1, StartedAt: '2026-11-22T02:00:01Z', FinishedAt: '2026-11-22T02:00:03.2Z' }),
      analysis: migrate,
      logPath: 'datastorage_migrate_test.log',
      inspectPath: 'datastorage_migrate_test_inspect.json',
    },
    {
      record: record({ name: 'datastorage_postgres_test', image: 'docker.io/library/postgres:16' }),
      inspect: inspectOf({}),
      analysis: postgres,
      logPath: 'datastorage_postgres_test.log',
      inspectPath: 'datastorage_postgres_test_inspect.json',
    },
    {
      record: record({ name: 'datastorage_mockllm_test', image: 'localhost/mock-llm:test', state: 'created', exitCode: 0, startedAt: null, files: [] }),
      inspect: inspectOf({ Status: 'created', Running: false, StartedAt: '0001-01-01T00:00:00Z' }, '2026-11-22T02:00:00.800Z'),
      analysis: analysisOf(''),
      logPath: 'datastorage_mockllm_test.log',
      inspectPath: 'datastorage_mockllm_test_inspect.json',
    },
    {
      record: record({ name: 'datastorage_kafka_test', image: 'docker.io/bitnami/kafka:3.7', startedAt: '2026-11-22T02:00:00.200Z' }),
      inspect: inspectOf({ StartedAt: '2026-11-22T02:00:00.2Z' }),
      analysis: healthy,
      logPath: 'datastorage_kafka_test.log',
      inspectPath: 'datastorage_kafka_test_inspect.json',
    },
  ];
}

export function sampleReport(outputDir = '/tmp/kubernaut-must-gather/datastorage-integration-20261122-020330'): TriageReport {
  return buildReport(outputDir, RUN, sampleEvidence());
}

/** The log text of each sample container, to write beside a rendered index.html. */
export function sampleLogs(): Record<string, string> {
  return {
    'datastorage-service-test.log': serviceLog(),
    'datastorage_redis_test.log': REDIS_LOG,
    'datastorage_migrate_test.log': MIGRATE_LOG,
    'datastorage_postgres_test.log': POSTGRES_LOG,
    'datastorage_mockllm_test.log': '',
    'datastorage_kafka_test.log': '2026-11-22T02:00:01.000Z mock LLM listening on :8080\n',
  };
}
