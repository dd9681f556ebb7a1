import { basename } from 'node:path';
import { formatClock, formatDuration, plural } from '../_util/text.js';
import { formatBytes } from '../_util/units.js';
import type { LogEvent, LogFinding } from '../triage/analyze.js';
import { decisiveText, type Evidence } from '../triage/diagnose.js';
import type { EventMark } from '../triage/events.js';
import type { MessageTemplate } from '../triage/templates.js';
import type { ContainerTriage, TriageReport } from '../triage/verdict.js';

/*
 * What every renderer (SUMMARY.md, terminal digest, index.html, GitHub) says about a run and a container,
 * decided once so they never disagree. Private to src/render/.
 */

/**
 * A link to a file of the run folder from SUMMARY.md or index.html (both at its top): its path, each segment
 * encoded (a run of several engines keeps their files in folders named after them). A path that could point
 * outside the folder (a manifest edited by hand: '..', absolute) is reduced to its file name.
 */
export function runFileTarget(path: string): string {
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return encodeURIComponent(basename(path));
  return segments.map((s) => encodeURIComponent(s)).join('/');
}

export interface RunHeadline {
  /** `demo: 2 of 5 containers failed`. */
  readonly title: string;
  /** Containers with a problem other than "not collected". */
  readonly failed: number;
  readonly notCollected: number;
  readonly total: number;
}

export function isFailed(c: ContainerTriage): boolean {
  return c.problems.some((p) => p.kind !== 'not-collected');
}

/** Containers that did not fail but logged errors: often where the cause is (a dependency refusing connections). */
export function erringContainers(report: TriageReport): ContainerTriage[] {
  return report.containers.filter((c) => c.problems.length === 0 && (c.analysis?.errorCount ?? 0) > 0);
}

/** The first error of a container's log, as a decisive line. */
export function firstErrorLine(c: ContainerTriage): DecisiveLine | null {
  const a = c.analysis;
  if (!a?.firstError) return null;
  return fromEvent('first error', a.firstError, a.findings.find((f) => f.level === 'error' && f.firstLine === a.firstError?.line));
}

/**
 * What the first lines say of timeline.log: where the run's first error is in it (`line` of `path`, then
 * `who`: its container and time), or only that it exists; null when the run wrote none.
 */
export function timelinePointer(report: TriageReport): { path: string; line: number | null; who: string } | null {
  const t = report.timeline;
  if (!t) return null;
  const first = t.firstError;
  return first === null ? { path: t.path, line: null, who: '' } : { path: t.path, line: first.line, who: `${first.container} ${first.time}`.trim() };
}

export function runHeadline(report: TriageReport): RunHeadline {
  const total = report.containers.length;
  const failed = report.containers.filter(isFailed).length;
  const notCollected = report.containers.filter((c) => c.problems.some((p) => p.kind === 'not-collected')).length;
  const main =
    total === 0
      ? 'no containers'
      : failed === 0
        ? `${plural(total, 'container')}, no problems found`
        : `${failed} of ${plural(total, 'container')} failed`;
  const extra = notCollected > 0 ? `, ${notCollected} not fully collected` : '';
  return { title: `${report.service}: ${main}${extra}`, failed, notCollected, total };
}

/** One event mark in words: `die 3`, `oom`, `restart`, `unhealthy` (times added by the caller). */
export function eventMarkLabel(mark: EventMark): string {
  if (mark.kind === 'die') return `exit ${mark.exitCode ?? '?'}${mark.byEngine ? ' (stopped by the engine)' : ''}`;
  if (mark.kind === 'health') return `health ${mark.health ?? '?'}`;
  return mark.kind;
}

/** The container's events that mattered, in order: `exit 3 00:11:17 · restart 00:11:17 · …`; '' when none. */
export function eventsText(c: ContainerTriage, max = 8): string {
  const marks = c.events?.marks ?? [];
  const shown = marks.slice(0, max).map((m) => `${eventMarkLabel(m)} ${formatClock(m.time)}`);
  const more = marks.length - shown.length + (c.events?.omitted ?? 0);
  return shown.length === 0 ? '' : `${shown.join(' · ')}${more > 0 ? ` · ${more} more` : ''} UTC`;
}

export function enginesText(report: TriageReport): string {
  return report.runtimes.map((r) => (r.version ? `${r.name} ${r.version}` : r.name)).join(' + ') || 'unknown engine';
}

/** `exited`, `running (unhealthy)`, `created`. */
export function stateLabel(c: ContainerTriage): string {
  const state = c.record.state || 'unknown';
  return c.health && c.health.status !== 'healthy' && c.lifetime.running ? `${state} (${c.health.status})` : state;
}

/** The exit code when the container stopped: `1`, `137 OOM`; null while it runs. */
export function exitLabel(c: ContainerTriage): string | null {
  if (c.lifetime.running || c.lifetime.startedAt === null) return null;
  const code = c.record.exitCode;
  if (code === null) return '?';
  return c.problems.some((p) => p.kind === 'oom') ? `${code} OOM` : String(code);
}

export function uptimeLabel(c: ContainerTriage): string | null {
  return c.lifetime.seconds === null ? null : formatDuration(c.lifetime.seconds);
}

/** When it lived, in words. */
export function whenText(c: ContainerTriage): string {
  const l = c.lifetime;
  if (l.startedAt === null) return l.createdAt === null ? 'no start recorded' : `created ${formatClock(l.createdAt)} UTC`;
  const lived = l.seconds === null ? '' : formatDuration(l.seconds);
  if (l.running) return `up ${lived} (started ${formatClock(l.startedAt)} UTC)`;
  return `lived ${lived} (started ${formatClock(l.startedAt)}, finished ${formatClock(l.finishedAt)} UTC)`;
}

export function logSizeLabel(c: ContainerTriage): string | null {
  if (c.analysis) return formatBytes(c.analysis.bytes);
  const file = c.record.files.find((f) => f.kind === 'log');
  return file ? formatBytes(file.bytes) : null;
}

/** A line worth showing in the first screen: an error line of the log, a health check's output, the engine's error. */
export interface DecisiveLine {
  /** `first error`, `last error`, `error`, `warning`, `health check`, `engine`, `last line`. */
  readonly label: string;
  readonly source: Evidence['source'];
  /** Line number in the log (source `log`). */
  readonly line: number | null;
  readonly text: string;
  readonly cause: string | null;
  /** How often this message came (numbers aside), and its last line, when more than once. */
  readonly repeats: number;
  readonly lastLine: number | null;
}

function fromEvent(label: string, event: LogEvent, finding?: LogFinding): DecisiveLine {
  const repeats = finding?.count ?? 1;
  return { label, source: 'log', line: event.line, ...decisiveText(event), repeats, lastLine: repeats > 1 && finding ? finding.lastLine : null };
}

/** `(300×, lines 2–301)` for a repeated line, else ''. */
export function repeatText(d: DecisiveLine): string {
  return d.repeats > 1 ? ` (${d.repeats}×${d.lastLine !== null && d.line !== null ? `, lines ${d.line}–${d.lastLine}` : ''})` : '';
}

/** The lines that explain a container: the engine's or health check's word, then the first and last error. */
export function decisiveLines(c: ContainerTriage): DecisiveLine[] {
  const lines: DecisiveLine[] = [];
  const outside = c.problems.map((p) => p.evidence).find((e) => e !== null && e.source !== 'log');
  if (outside) lines.push({ label: outside.source === 'engine' ? 'engine' : 'health check', source: outside.source, line: null, text: outside.text, cause: null, repeats: 1, lastLine: null });
  const a = c.analysis;
  if (a?.firstError) {
    const first = a.findings.find((f) => f.level === 'error' && f.firstLine === a.firstError?.line);
    const last = a.lastError;
    // The same message first and last (a retry loop): one line and how often it came.
    if (last && last.line !== a.firstError.line && first?.lastLine !== last.line) {
      const lastFinding = a.findings.find((f) => f.level === 'error' && f.lastLine === last.line);
      lines.push(fromEvent('first error', a.firstError, first), fromEvent('last error', last, lastFinding));
    } else {
      lines.push(fromEvent('error', a.firstError, first));
    }
  } else if (lines.length === 0) {
    const fromLog = c.problems.map((p) => p.evidence).find((e) => e !== null && e.source === 'log');
    if (fromLog) lines.push({ label: fromLog.level ?? 'last line', source: 'log', line: fromLog.line, text: fromLog.text, cause: fromLog.cause, repeats: 1, lastLine: null });
  }
  return lines;
}

/** Findings that came more than once, most frequent first: the repeats worth a line of their own. */
export function repeatedFindings(c: ContainerTriage, max: number) {
  return [...(c.analysis?.findings ?? [])]
    .filter((f) => f.count > 1)
    .sort((a, b) => b.count - a.count || a.firstLine - b.firstLine)
    .slice(0, max);
}

export function countsText(c: ContainerTriage): string {
  const a = c.analysis;
  if (!a) return 'no log';
  return `${plural(a.errorCount, 'error')}, ${plural(a.warningCount, 'warning')}`;
}

/** What the Messages section says first, and how it names each placeholder of a template. */
export const MESSAGES_INTRO = 'What each container logged most, lines counted by message template';
export const PLACEHOLDERS: readonly (readonly [string, string])[] = [
  ['<n>', 'numbers'],
  ['<d>', 'durations'],
  ['<id>', 'ids'],
  ['<t>', 'times'],
  ['<ip>', 'IPv4 addresses'],
];

/** Templates shown per container; the manifest's findings carry more. */
const TEMPLATES_SHOWN = 8;
const ONLY_HERE_SHOWN = 5;

/** What a container said most, and what it said that its other runs did not. */
export interface ContainerMessages {
  readonly container: ContainerTriage;
  /** Its most frequent templates, most frequent first. */
  readonly top: readonly MessageTemplate[];
  /** Distinct templates not in `top`. */
  readonly more: number;
  /** Templates of this run that no other run of the same container has; null when it has no other run. */
  readonly onlyHere: { readonly templates: readonly MessageTemplate[]; readonly others: readonly string[] } | null;
}

/** `x`, `x-2`, `x-3` are runs of one container (record mode names a restarted container's next run so). */
function instanceOf(name: string): string {
  return name.replace(/-\d+$/, '');
}

/** Per container with a log, its most frequent message templates and those only one of its runs has. */
export function containerMessages(report: TriageReport): ContainerMessages[] {
  const withLog = report.containers.filter((c) => (c.analysis?.templates.templates.length ?? 0) > 0);
  const runs = new Map<string, ContainerTriage[]>();
  for (const c of withLog) runs.set(instanceOf(c.record.name), [...(runs.get(instanceOf(c.record.name)) ?? []), c]);
  return withLog.map((c) => {
    const templates = c.analysis?.templates.templates ?? [];
    const others = (runs.get(instanceOf(c.record.name)) ?? []).filter((o) => o !== c);
    // A run that stopped counting (capped) may have said it too: nothing is "only here" then.
    const comparable = others.length > 0 && others.every((o) => !o.analysis?.templates.capped);
    const elsewhere = new Set(others.flatMap((o) => o.analysis?.templates.templates.map((t) => t.template) ?? []));
    return {
      container: c,
      top: templates.slice(0, TEMPLATES_SHOWN),
      more: Math.max(0, templates.length - TEMPLATES_SHOWN),
      onlyHere: comparable ? { templates: templates.filter((t) => !elsewhere.has(t.template)).slice(0, ONLY_HERE_SHOWN), others: others.map((o) => o.record.name) } : null,
    };
  });
}

/** `02:00:00.100–02:00:09.900 UTC`, one time when both are the same, '' when the lines carry none. */
export function templateTimes(t: MessageTemplate): string {
  const clock = (iso: string) => iso.slice(11, 23);
  if (t.first === null || t.last === null) return '';
  return t.first === t.last ? `${clock(t.first)} UTC` : `${clock(t.first)}–${clock(t.last)} UTC`;
}

/** `2,000 templates counted; 1,234 lines of further ones were not` when the tally was capped, else null. */
export function cappedText(c: ContainerTriage): string | null {
  const t = c.analysis?.templates;
  return t?.capped ? `capped at ${t.templates.length.toLocaleString('en-US')} templates; ${plural(t.uncounted, 'line')} of further ones not counted` : null;
}
