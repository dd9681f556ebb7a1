import type { ContainerRecord } from '../run-folder/manifest.js';
import { readHealth, readState } from '../runtime/parse.js';
import type { HealthStatus } from '../runtime/types.js';
import { formatClock, plural } from '../_util/text.js';
import { formatBytes } from '../_util/units.js';
import type { EventHistory } from './events.js';
import { shortenLine } from './salient.js';
import type { LogAnalysis, LogEvent } from './analyze.js';
import { byName } from '../_util/order.js';

/*
 * What went wrong with one container, in words, from what the engine recorded (manifest record and raw
 * inspect object, docker or podman) and what its log said. Pure: the time "now" is the run's own time.
 * The inspect object is read through runtime/parse.ts, which knows both engines' shapes; this file judges.
 */

// Re-exported: the verdict names it with the rest of a diagnosis.
export type { HealthStatus };

export type ProblemKind = 'oom' | 'killed' | 'exited' | 'restarting' | 'unhealthy' | 'never-started' | 'not-collected';

/** Problem kinds, worst first. */
export const PROBLEM_ORDER: readonly ProblemKind[] = ['oom', 'killed', 'exited', 'restarting', 'unhealthy', 'never-started', 'not-collected'];

/** The line that says most about a problem. */
export interface Evidence {
  /** `log`: an error line (or, with no error line, the last thing the container printed); `health-check`: the last check's output; `engine`: the engine's own error (State.Error). */
  readonly source: 'log' | 'health-check' | 'engine';
  /** Line number in the container's log, for `log`. */
  readonly line: number | null;
  readonly level: 'error' | 'warning' | null;
  readonly text: string;
  /** A stack trace's most telling line (Python's exception, Java's root cause), when it is not `text`. */
  readonly cause: string | null;
}

export interface Problem {
  readonly container: string;
  readonly kind: ProblemKind;
  /** 1 is worst; the position of `kind` in PROBLEM_ORDER, plus one. */
  readonly severity: number;
  /** In words: `exit 137 — killed (SIGKILL), likely out of memory`. */
  readonly reason: string;
  readonly evidence: Evidence | null;
}

export interface Lifetime {
  readonly createdAt: string | null;
  readonly startedAt: string | null;
  /** When it stopped; null while it runs (or never ran). */
  readonly finishedAt: string | null;
  readonly running: boolean;
  /** From start to finish, or to the time of the run while it runs; null when it never started. */
  readonly seconds: number | null;
}

export interface Diagnosis {
  /** Worst first; empty for a healthy running container or a clean exit 0. */
  readonly problems: readonly Problem[];
  readonly lifetime: Lifetime;
  readonly health: HealthStatus | null;
  /** What the engine's events (events.jsonl) said of the container, or null when there are none. */
  readonly events: EventHistory | null;
}

const SIGNALS: Readonly<Record<number, readonly [string, string]>> = {
  1: ['SIGHUP', 'hung up'],
  2: ['SIGINT', 'interrupted'],
  3: ['SIGQUIT', 'quit'],
  4: ['SIGILL', 'illegal instruction'],
  5: ['SIGTRAP', 'trapped'],
  6: ['SIGABRT', 'aborted'],
  7: ['SIGBUS', 'bus error'],
  8: ['SIGFPE', 'arithmetic error'],
  9: ['SIGKILL', 'killed'],
  10: ['SIGUSR1', 'killed'],
  11: ['SIGSEGV', 'crashed'],
  12: ['SIGUSR2', 'killed'],
  13: ['SIGPIPE', 'broken pipe'],
  14: ['SIGALRM', 'alarm'],
  15: ['SIGTERM', 'terminated'],
};

/** True when an exit code reads as "killed by a signal" (128 + signal number). */
function isSignalExit(code: number): boolean {
  return code > 128 && code < 160;
}

/** An exit code in words: `exit 137 — killed (SIGKILL), likely out of memory`, `exited with code 1`. */
export function describeExit(code: number, oomKilled = false): string {
  if (oomKilled) return `exit ${code} — killed for using too much memory (OOMKilled)`;
  if (isSignalExit(code)) {
    const n = code - 128;
    const [name, words] = SIGNALS[n] ?? [`signal ${n}`, 'killed'];
    if (n === 9) return `exit ${code} — killed (SIGKILL), likely out of memory`;
    if (n === 11) return `exit ${code} — crashed (SIGSEGV, segmentation fault)`;
    return `exit ${code} — ${words} (${name})`;
  }
  if (code === 125) return 'exit 125 — the container runtime failed to run it';
  if (code === 126) return 'exit 126 — its command could not be executed';
  if (code === 127) return 'exit 127 — its command was not found';
  return `exited with code ${code}`;
}

/** Characters kept of the engine's error and a health check's output (the inspect file has them whole). */
const EVIDENCE_CHARS = 500;

const TERMINATED = new Set(['exited', 'stopped', 'dead']);
const NOT_STARTED = new Set(['created', 'configured', 'initialized']);

function secondsBetween(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null;
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  // podman records a finish a little before the start for containers that exit at once.
  return Math.max(0, (b - a) / 1000);
}

/** The words of an error line worth showing, and its stack trace's root cause when that says more. */
export function decisiveText(event: LogEvent): { readonly text: string; readonly cause: string | null } {
  const headline = event.trace?.headline ?? null;
  // A Python traceback's first line says nothing; its exception says everything.
  const text = headline !== null && /^Traceback \(most recent call last\)/.test(event.text) ? headline : event.text;
  return { text, cause: headline !== null && headline !== text ? headline : null };
}

function fromEvent(event: LogEvent): Evidence {
  return { source: 'log', line: event.line, level: event.level, ...decisiveText(event) };
}

/** The log line that decides: the last error of a container that stopped, the first of one still running. */
function logEvidence(analysis: LogAnalysis | null, stopped: boolean): Evidence | null {
  if (analysis === null) return null;
  const event = stopped ? (analysis.lastError ?? analysis.firstError) : (analysis.firstError ?? analysis.lastError);
  if (event) return fromEvent(event);
  if (analysis.firstWarning) return fromEvent(analysis.firstWarning);
  // Nothing error-like: what it said last is still the best clue why it stopped.
  const last = analysis.tail.at(-1);
  return stopped && last ? { source: 'log', line: last.line, level: null, text: last.text, cause: null } : null;
}

function problem(container: string, kind: ProblemKind, reason: string, evidence: Evidence | null): Problem {
  return { container, kind, severity: PROBLEM_ORDER.indexOf(kind) + 1, reason, evidence };
}

/**
 * Why the container was killed, from its events: an `oom` event, or a SIGKILL (137) the engine did not send
 * (no kill or stop event since it started: the kernel's OOM killer, podman 4.3 sending no oom event and
 * recording `OOMKilled: false`), unless the container was destroyed right after (its removal killed it).
 * Null when the events do not tell.
 */
function killFromEvents(events: EventHistory | null, exitCode: number | null, memoryLimit: number | null): { kind: 'oom' | 'killed'; reason: string } | null {
  if (events === null) return null;
  const code = exitCode ?? events.lastExit?.exitCode ?? 137;
  if (events.oomAt !== null) return { kind: 'oom', reason: `exit ${code} — killed for using too much memory (the engine's oom event at ${formatClock(events.oomAt)} UTC)` };
  const last = events.lastExit;
  if (last === null || last.exitCode !== 137 || exitCode !== 137) return null;
  const at = formatClock(last.time);
  if (last.byEngine === true) return { kind: 'killed', reason: `exit 137 — killed (SIGKILL) at ${at} UTC by the engine (kill or stop)` };
  if (memoryLimit !== null) {
    return { kind: 'oom', reason: `exit 137 — out of memory (SIGKILL at ${at} UTC under its ${formatBytes(memoryLimit)} memory limit, with no kill or stop by the engine before it)` };
  }
  // Without a memory limit, a SIGKILL right before the container was destroyed was its removal's (a memory-limited
  // one destroyed by the suite's teardown a moment after the kernel killed it stays out of memory).
  if (last.removedAt !== undefined) return { kind: 'killed', reason: `exit 137 — killed (SIGKILL) at ${at} UTC as it was removed (rm -f; destroyed at ${formatClock(last.removedAt)} UTC), not a crash` };
  return { kind: 'killed', reason: `exit 137 — killed (SIGKILL) at ${at} UTC, not by the engine (no kill or stop before it): likely out of memory` };
}

/** `exits 3 at 00:11:17, 3 at 00:11:18` for the restart problem, from the events' die marks. */
function exitsText(events: EventHistory | null): string {
  const exits = (events?.marks ?? []).filter((m) => m.kind === 'die');
  if (exits.length === 0) return '';
  const shown = exits.slice(-5).map((m) => `${m.exitCode ?? '?'} at ${formatClock(m.time)}`);
  return ` — exits ${exits.length > 5 ? '…, ' : ''}${shown.join(', ')} UTC`;
}

/**
 * A container whose health, by its last health event, is unhealthy: inspect keeps only the current check
 * (and nothing once it stopped). A container that recovered is no problem; its changes still show as marks.
 */
function healthFromEvents(events: EventHistory | null): string | null {
  const changes = (events?.marks ?? []).filter((m) => m.kind === 'health');
  if (events?.unhealthyAt == null || changes.at(-1)?.health !== 'unhealthy') return null;
  return `turned unhealthy at ${formatClock(events.unhealthyAt)} UTC (health: ${changes.slice(-6).map((m) => `${m.health} ${formatClock(m.time)}`).join(' → ')})`;
}

/**
 * Diagnose one container. `inspect` is its raw inspect object (or null when it was not collected), `asOf`
 * the time of the run, used as "now" for containers still running; `events` what events.jsonl says of it.
 */
export function diagnose(record: ContainerRecord, inspect: unknown, analysis: LogAnalysis | null, asOf: string | null, events: EventHistory | null = null): Diagnosis {
  // The record wins; the inspect object fills in what an older manifest did not record.
  const recorded = readState(inspect);
  const status = (record.state || recorded.status).toLowerCase();
  const exitCode = record.exitCode ?? recorded.exitCode;
  const oomKilled = record.oomKilled || recorded.oomKilled;
  const restartCount = Math.max(record.restartCount || recorded.restartCount, events?.restarts ?? 0);
  const startedAt = record.startedAt ?? recorded.startedAt;
  const terminated = TERMINATED.has(status);
  const restarting = status === 'restarting' || recorded.restarting;
  const neverStarted = NOT_STARTED.has(status) || (startedAt === null && !terminated && status !== 'running' && !restarting);
  const finishedAt = terminated ? (record.finishedAt ?? recorded.finishedAt) : null;
  const running = !terminated && !neverStarted;
  const lifetime: Lifetime = {
    createdAt: recorded.createdAt,
    startedAt: neverStarted ? null : startedAt,
    finishedAt,
    running,
    seconds: neverStarted ? null : secondsBetween(startedAt, terminated ? finishedAt : asOf),
  };
  const health = readHealth(inspect);
  const engineError = recorded.error;
  const engineEvidence: Evidence | null = engineError === null ? null : { source: 'engine', line: null, level: 'error', text: shortenLine(engineError, EVIDENCE_CHARS), cause: null };
  const evidence = logEvidence(analysis, terminated || restarting) ?? engineEvidence;
  const name = record.name;
  const problems: Problem[] = [];

  const killed = terminated || restarting ? killFromEvents(events, exitCode, recorded.memoryLimit) : null;
  // The event's words when there is an oom event, or when only the events tell; else inspect's.
  const oomByEvents = killed?.kind === 'oom' && (events?.oomAt != null || !oomKilled);
  if (oomByEvents) {
    problems.push(problem(name, 'oom', (killed as { reason: string }).reason, evidence));
  } else if (oomKilled) {
    problems.push(problem(name, 'oom', describeExit(exitCode ?? 137, true), evidence));
  } else if (killed !== null) {
    problems.push(problem(name, killed.kind, killed.reason, evidence));
  } else if ((terminated || restarting) && exitCode !== null && exitCode !== 0) {
    problems.push(problem(name, isSignalExit(exitCode) ? 'killed' : 'exited', describeExit(exitCode), evidence));
  } else if (status === 'dead') {
    problems.push(problem(name, 'exited', 'dead — the engine could not stop or remove it cleanly', engineEvidence ?? evidence));
  }

  if (restarting) {
    const last = exitCode !== null && exitCode !== 0 ? `, last exit ${exitCode}` : '';
    problems.push(problem(name, 'restarting', `restarting — restarted ${plural(restartCount, 'time')}${last}${exitsText(events)}`, evidence));
  } else if (restartCount > 0) {
    problems.push(problem(name, 'restarting', `restarted ${plural(restartCount, 'time')}${exitsText(events)}`, evidence));
  }

  if (health !== null && running) {
    const check: Evidence | null =
      health.lastOutput !== null || health.lastExitCode !== null
        ? {
            source: 'health-check',
            line: null,
            level: 'error',
            text: shortenLine(`${health.lastExitCode === null ? '' : `exit ${health.lastExitCode}: `}${health.lastOutput ?? '(no output)'}`, EVIDENCE_CHARS),
            cause: null,
          }
        : null;
    if (health.status === 'unhealthy') {
      const streak = health.failingStreak > 1 ? `health check failed ${health.failingStreak} times in a row` : 'last health check failed';
      const since = events?.unhealthyAt == null ? '' : ` (first unhealthy at ${formatClock(events.unhealthyAt)} UTC)`;
      problems.push(problem(name, 'unhealthy', `unhealthy — ${streak}${since}`, check ?? evidence));
    } else if (health.status === 'starting' && (health.failingStreak > 0 || (health.lastExitCode ?? 0) !== 0)) {
      problems.push(problem(name, 'unhealthy', `never turned healthy — still starting, health check failed ${plural(Math.max(health.failingStreak, 1), 'time')}`, check ?? evidence));
    }
  }

  const unhealthyOnce = healthFromEvents(events);
  if (unhealthyOnce !== null && !problems.some((p) => p.kind === 'unhealthy')) problems.push(problem(name, 'unhealthy', unhealthyOnce, evidence));

  if (neverStarted) {
    problems.push(problem(name, 'never-started', `never started (${status || 'no state'})`, engineEvidence ?? evidence));
  }

  if (record.error !== null) {
    problems.push(problem(name, 'not-collected', record.error, null));
  }

  problems.sort((a, b) => a.severity - b.severity);
  return { problems, lifetime, health, events };
}

/** Order problems of different containers: worst kind first; of one kind, the container that stopped first. */
export function compareProblems(a: Problem, b: Problem, finishedAt: (container: string) => string | null): number {
  if (a.severity !== b.severity) return a.severity - b.severity;
  const fa = Date.parse(finishedAt(a.container) ?? '');
  const fb = Date.parse(finishedAt(b.container) ?? '');
  if (!Number.isNaN(fa) && !Number.isNaN(fb) && fa !== fb) return fa - fb;
  if (Number.isNaN(fa) !== Number.isNaN(fb)) return Number.isNaN(fa) ? 1 : -1;
  return byName(a.container, b.container);
}
