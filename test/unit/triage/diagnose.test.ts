import { describe, expect, it } from 'vitest';
import { compareProblems, describeExit, diagnose, PROBLEM_ORDER } from '../../../src/triage/diagnose.js';
import { readHealth } from '../../../src/runtime/parse.js';
import { analysisOf, inspectOf, record } from '../render/sample-report.js';

const AS_OF = '2026-11-22T02:10:00.000Z';
const exited = (exitCode: number, extra: Record<string, unknown> = {}) =>
  diagnose(
    record({ name: 'x', state: 'exited', exitCode, finishedAt: '2026-11-22T02:05:00.000Z' }),
    inspectOf({ Status: 'exited', Running: false, ExitCode: exitCode, FinishedAt: '2026-11-22T02:05:00Z', ...extra }),
    null,
    AS_OF,
  );

describe('describeExit', () => {
  it.each([
    [1, false, 'exited with code 1'],
    [2, false, 'exited with code 2'],
    [137, false, 'exit 137 — killed (SIGKILL), likely out of memory'],
    [137, true, 'exit 137 — killed for using too much memory (OOMKilled)'],
    [143, false, 'exit 143 — terminated (SIGTERM)'],
    [130, false, 'exit 130 — interrupted (SIGINT)'],
    [134, false, 'exit 134 — aborted (SIGABRT)'],
    [139, false, 'exit 139 — crashed (SIGSEGV, segmentation fault)'],
    [141, false, 'exit 141 — broken pipe (SIGPIPE)'],
    [158, false, 'exit 158 — killed (signal 30)'],
    [125, false, 'exit 125 — the container runtime failed to run it'],
    [126, false, 'exit 126 — its command could not be executed'],
    [127, false, 'exit 127 — its command was not found'],
    [255, false, 'exited with code 255'],
  ])('%i (OOMKilled %s) → %s', (code, oom, text) => {
    expect(describeExit(code, oom)).toBe(text);
  });
});

describe('diagnose', () => {
  it('finds nothing wrong with a healthy running container or a clean exit 0', () => {
    const healthy = diagnose(record({ name: 'ok' }), inspectOf({ Health: { Status: 'healthy', FailingStreak: 0, Log: [{ ExitCode: 0, Output: 'ok' }] } }), null, AS_OF);
    expect(healthy.problems).toEqual([]);
    expect(healthy.health).toMatchObject({ status: 'healthy' });
    expect(exited(0).problems).toEqual([]);
    // podman writes an empty Health for containers without a health check.
    expect(diagnose(record({ name: 'ok' }), inspectOf({ Health: { Status: '', FailingStreak: 0, Log: null } }), null, AS_OF)).toMatchObject({ problems: [], health: null });
  });

  it('says why a container exited, in words, worst first', () => {
    expect(exited(1).problems).toEqual([{ container: 'x', kind: 'exited', severity: 3, reason: 'exited with code 1', evidence: null }]);
    expect(exited(137).problems.map((p) => [p.kind, p.reason])).toEqual([['killed', 'exit 137 — killed (SIGKILL), likely out of memory']]);
    expect(exited(143).problems.map((p) => [p.kind, p.reason])).toEqual([['killed', 'exit 143 — terminated (SIGTERM)']]);
    expect(exited(137, { OOMKilled: true }).problems.map((p) => [p.kind, p.severity, p.reason])).toEqual([
      ['oom', 1, 'exit 137 — killed for using too much memory (OOMKilled)'],
    ]);
  });

  it('takes OOMKilled from the record or, for an old manifest, from inspect', () => {
    const fromRecord = diagnose(record({ name: 'r', state: 'exited', exitCode: 137, oomKilled: true }), null, null, AS_OF);
    expect(fromRecord.problems.map((p) => p.kind)).toEqual(['oom']);
  });

  it('reports restarts, with the last exit of a restarting container', () => {
    const restarting = diagnose(
      record({ name: 'r', state: 'restarting', exitCode: 3, restartCount: 4 }),
      inspectOf({ Status: 'restarting', Restarting: true, ExitCode: 3 }),
      null,
      AS_OF,
    );
    expect(restarting.problems.map((p) => [p.kind, p.reason])).toEqual([
      ['exited', 'exited with code 3'],
      ['restarting', 'restarting — restarted 4 times, last exit 3'],
    ]);
    const restarted = diagnose(record({ name: 'r', restartCount: 1 }), inspectOf({}), null, AS_OF);
    expect(restarted.problems.map((p) => [p.kind, p.reason])).toEqual([['restarting', 'restarted 1 time']]);
  });

  it.each([
    ['docker', { Health: { Status: 'unhealthy', FailingStreak: 5, Log: [{ Start: '2026-11-22T02:00:01Z', End: '2026-11-22T02:00:02Z', ExitCode: 1, Output: 'checking\n' }] } }],
    ['podman 4.3 (State.Health)', { Health: { Status: 'unhealthy', FailingStreak: 5, Log: [{ Start: '2026-11-22T02:00:01Z', End: '2026-11-22T02:00:02Z', ExitCode: 1, Output: 'checking' }] } }],
    ['podman (State.Healthcheck)', { Healthcheck: { Status: 'unhealthy', FailingStreak: 5, Log: [{ Start: '2026-11-22T02:00:01Z', End: '2026-11-22T02:00:02Z', ExitCode: 1, Output: 'checking' }] } }],
  ])('reads an unhealthy health check as %s writes it', (_engine, state) => {
    const d = diagnose(record({ name: 'api' }), inspectOf(state), null, AS_OF);
    expect(d.problems).toEqual([
      {
        container: 'api',
        kind: 'unhealthy',
        severity: 5,
        reason: 'unhealthy — health check failed 5 times in a row',
        evidence: { source: 'health-check', line: null, level: 'error', text: 'exit 1: checking', cause: null },
      },
    ]);
    expect(d.health).toEqual({ status: 'unhealthy', failingStreak: 5, lastOutput: 'checking', lastExitCode: 1, lastCheckAt: '2026-11-22T02:00:02Z' });
  });

  it('flags a health check that never turned healthy, not one that has not run yet', () => {
    const failing = diagnose(record({ name: 'api' }), inspectOf({ Health: { Status: 'starting', FailingStreak: 2, Log: [{ ExitCode: 1, Output: 'no' }] } }), null, AS_OF);
    expect(failing.problems.map((p) => p.reason)).toEqual(['never turned healthy — still starting, health check failed 2 times']);
    const fresh = diagnose(record({ name: 'api' }), inspectOf({ Health: { Status: 'starting', FailingStreak: 0, Log: [] } }), null, AS_OF);
    expect(fresh.problems).toEqual([]);
  });

  it('reports a container that never started, with the engine’s own error', () => {
    const d = diagnose(
      record({ name: 'mock', state: 'created', startedAt: null }),
      inspectOf({ Status: 'created', Running: false, StartedAt: '0001-01-01T00:00:00Z', Error: 'exec: "mock-llm": executable file not found in $PATH' }, '2026-11-22T02:00:00.800Z'),
      null,
      AS_OF,
    );
    expect(d.problems).toEqual([
      {
        container: 'mock',
        kind: 'never-started',
        severity: 6,
        reason: 'never started (created)',
        evidence: { source: 'engine', line: null, level: 'error', text: 'exec: "mock-llm": executable file not found in $PATH', cause: null },
      },
    ]);
    expect(d.lifetime).toEqual({ createdAt: '2026-11-22T02:00:00.800Z', startedAt: null, finishedAt: null, running: false, seconds: null });
  });

  it('reports what could not be collected', () => {
    const d = diagnose(record({ name: 'gone', error: 'container was removed during collection (logs): no such container', files: [] }), null, null, AS_OF);
    expect(d.problems.map((p) => [p.kind, p.reason])).toEqual([['not-collected', 'container was removed during collection (logs): no such container']]);
  });

  it('measures how long a container lived; running ones up to the time of the run', () => {
    expect(exited(1).lifetime).toEqual({
      createdAt: '2026-11-22T01:59:58.000Z',
      startedAt: '2026-11-22T02:00:00.000Z',
      finishedAt: '2026-11-22T02:05:00.000Z',
      running: false,
      seconds: 300,
    });
    expect(diagnose(record({ name: 'r' }), null, null, AS_OF).lifetime).toMatchObject({ running: true, finishedAt: null, seconds: 600 });
    // podman records the finish of an instant exit a little before its start.
    const instant = diagnose(
      record({ name: 'm', state: 'exited', exitCode: 1, startedAt: '2026-11-22T02:16:20.442961324Z', finishedAt: '2026-11-22T02:16:20.438457789Z' }),
      null,
      null,
      AS_OF,
    );
    expect(instant.lifetime.seconds).toBe(0);
  });

  it('uses the last error of a stopped container and the first of a running one as evidence', () => {
    const log = analysisOf('starting\nERROR first\nok\nERROR last\n');
    const stopped = diagnose(record({ name: 's', state: 'exited', exitCode: 1 }), null, log, AS_OF);
    expect(stopped.problems[0]?.evidence).toEqual({ source: 'log', line: 4, level: 'error', text: 'ERROR last', cause: null });
    const running = diagnose(record({ name: 'r', restartCount: 1 }), null, log, AS_OF);
    expect(running.problems[0]?.evidence).toMatchObject({ line: 2, text: 'ERROR first' });
  });

  it('shows a Python traceback by its exception, a Java error with its root cause', () => {
    const py = analysisOf('Traceback (most recent call last):\n  File "/app/main.py", line 3, in <module>\n    main()\nValueError: bad DSN\n');
    expect(diagnose(record({ name: 'p', state: 'exited', exitCode: 1 }), null, py, AS_OF).problems[0]?.evidence).toEqual({
      source: 'log',
      line: 1,
      level: 'error',
      text: 'ValueError: bad DSN',
      cause: null,
    });
    const java = analysisOf('ERROR Application run failed\njava.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\nCaused by: java.net.ConnectException: Connection refused\n');
    expect(diagnose(record({ name: 'j', state: 'exited', exitCode: 1 }), null, java, AS_OF).problems[0]?.evidence).toEqual({
      source: 'log',
      line: 1,
      level: 'error',
      text: 'ERROR Application run failed',
      cause: 'java.net.ConnectException: Connection refused',
    });
  });

  it('falls back to what a stopped container said last when it printed no error', () => {
    const d = diagnose(record({ name: 's', state: 'exited', exitCode: 137 }), null, analysisOf('starting\nloading 3 GB index\n\n'), AS_OF);
    expect(d.problems[0]?.evidence).toEqual({ source: 'log', line: 2, level: null, text: 'loading 3 GB index', cause: null });
  });

  it('accepts podman’s one-element inspect array', () => {
    const d = diagnose(record({ name: 'a', state: '', exitCode: null }), [inspectOf({ Status: 'exited', ExitCode: 2 })], null, AS_OF);
    expect(d.problems.map((p) => p.reason)).toEqual(['exited with code 2']);
  });
});

describe('readHealth', () => {
  it('is null without a health check', () => {
    expect(readHealth(inspectOf({}))).toBeNull();
    expect(readHealth(null)).toBeNull();
  });
});

describe('compareProblems', () => {
  it('orders by kind, then the container that stopped first', () => {
    expect(PROBLEM_ORDER).toEqual(['oom', 'killed', 'exited', 'restarting', 'unhealthy', 'never-started', 'not-collected']);
    const p = (container: string, severity: number) => ({ container, kind: 'exited' as const, severity, reason: '', evidence: null });
    const finished: Record<string, string | null> = { a: '2026-11-22T02:05:00Z', b: '2026-11-22T02:01:00Z', c: null };
    const sorted = [p('c', 3), p('a', 3), p('d', 1), p('b', 3)].sort((x, y) => compareProblems(x, y, (n) => finished[n] ?? null));
    expect(sorted.map((x) => x.container)).toEqual(['d', 'b', 'a', 'c']);
  });
});
