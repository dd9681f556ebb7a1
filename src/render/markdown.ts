import { basename } from 'node:path';
import { cleanLine, formatDateTime, plural } from '../_util/text.js';
import { shortenLine } from '../triage/salient.js';
import {
  cappedText,
  containerMessages,
  countsText,
  decisiveLines,
  enginesText,
  erringContainers,
  eventsText,
  exitLabel,
  firstErrorLine,
  isFailed,
  logSizeLabel,
  MESSAGES_INTRO,
  PLACEHOLDERS,
  repeatedFindings,
  repeatText,
  runFileTarget,
  runHeadline,
  stateLabel,
  templateTimes,
  timelinePointer,
  uptimeLabel,
  whenText,
  type ContainerMessages,
  type DecisiveLine,
} from './_summary.js';
import { EVENTS_FILE } from '../run-folder/layout.js';
import type { MessageTemplate } from '../triage/templates.js';
import type { LogEvent } from '../triage/analyze.js';
import type { ContainerTriage, TriageReport } from '../triage/verdict.js';

/*
 * SUMMARY.md: the verdict first (failed containers, why, when, the decisive lines), sized to fit a screen
 * of about 40 lines when a few containers failed; then a table of every container; then details with context.
 * Everything from logs is shown in code spans or fenced blocks, so it can never become markup.
 */

export interface MarkdownOptions {
  /**
   * Link log files relative to the run folder (`[x.log#L12](x.log)`), as SUMMARY.md inside the folder
   * wants; off for places where relative links lead nowhere (a GitHub step summary).
   */
  readonly links?: boolean;
}

/** Failed containers shown with every decisive line in the first screen; beyond this, one line each. */
const FULL_ENTRIES = 4;
/** Containers that did not fail but logged errors, listed in the first screen. */
const ERRING_ENTRIES = 5;
const TEXT_IN_LIST = 200;

/** Markdown text that renders as itself: markup characters escaped, no raw HTML. */
export function escapeMarkdown(text: string): string {
  return cleanLine(text, 10_000)
    .replace(/[\\`*[\]<>|~&]/g, (c) => `\\${c}`)
    // `_` only where it could open or close emphasis: intraword underscores (demo_postgres_test) stay as they are.
    .replace(/(^|[^A-Za-z0-9])_|_(?=[^A-Za-z0-9]|$)/g, (m) => m.replace('_', '\\_'));
}

/** An inline code span holding `text` literally, whatever backticks it contains. */
export function codeSpan(text: string): string {
  const clean = cleanLine(text, 10_000);
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') || (clean.startsWith(' ') && clean.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/** A code span for a GFM table cell, where `|` ends the cell even inside code. */
function cellCode(text: string): string {
  return codeSpan(text).replace(/\|/g, '\\|');
}

function fencedBlock(lines: readonly string[]): string[] {
  const longest = Math.max(2, ...lines.flatMap((l) => l.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}text`, ...lines, fence];
}

function logRef(c: ContainerTriage, line: number | null, options: Required<MarkdownOptions>): string {
  if (c.logPath === null) return line === null ? '' : `line ${line}`;
  const label = line === null ? c.logPath : `${c.logPath}#L${line}`;
  return options.links ? `[${escapeMarkdown(label)}](${runFileTarget(c.logPath)})` : codeSpan(line === null ? c.logPath : `${c.logPath}:${line}`);
}

/** `first error: timeline.log line 1234, <container> <time>`, or where every container's lines are in time order. */
function timelineLine(t: NonNullable<ReturnType<typeof timelinePointer>>, options: Required<MarkdownOptions>): string {
  const ref = (label: string): string => (options.links ? `[${escapeMarkdown(label)}](${runFileTarget(t.path)})` : codeSpan(label));
  if (t.line === null) return `Every container's lines in time order: ${ref(t.path)}`;
  return `first error: ${ref(`${t.path} line ${t.line}`)}, ${escapeMarkdown(t.who)} (every container's lines in time order)`;
}

function decisiveBullet(c: ContainerTriage, d: DecisiveLine, options: Required<MarkdownOptions>): string[] {
  const where = d.source === 'log' ? ` ${logRef(c, d.line, options)}` : '';
  const lines = [`   - ${d.label}${where}: ${codeSpan(shortenLine(d.text, TEXT_IN_LIST))}${repeatText(d)}`];
  if (d.cause !== null) lines.push(`     caused by ${codeSpan(shortenLine(d.cause, TEXT_IN_LIST))}`);
  return lines;
}

function problemEntry(c: ContainerTriage, n: number, full: boolean, options: Required<MarkdownOptions>): string[] {
  const reasons = [...new Set(c.problems.map((p) => p.reason))];
  const head = `${n}. **${escapeMarkdown(c.record.name)}** — ${escapeMarkdown(reasons.join('; '))}`;
  const decisive = decisiveLines(c);
  if (!full) {
    const first = decisive[0];
    return [first ? `${head} · ${first.label}: ${codeSpan(shortenLine(first.text, 120))}` : head];
  }
  const lines = [head, `   - ${escapeMarkdown(whenText(c))} · ${escapeMarkdown(countsText(c))}${c.logPath ? ` · ${logRef(c, null, options)}` : ''}`];
  const events = eventsText(c);
  if (events !== '') lines.push(`   - events: ${escapeMarkdown(events)}`);
  for (const d of decisive) lines.push(...decisiveBullet(c, d, options));
  return lines;
}

function tableRow(c: ContainerTriage, options: Required<MarkdownOptions>, engines: boolean): string {
  const mark = isFailed(c) ? '✗' : c.problems.length > 0 || (c.analysis?.errorCount ?? 0) > 0 ? '!' : '✓';
  const a = c.analysis;
  const size = logSizeLabel(c);
  const log = size === null ? 'not collected' : options.links && c.logPath ? `[${escapeMarkdown(size)}](${runFileTarget(c.logPath)})` : escapeMarkdown(size);
  const cells = [
    `${mark} ${cellCode(c.record.name)}`,
    ...(engines ? [escapeMarkdown(c.record.runtime)] : []),
    escapeMarkdown(c.record.image || '?'),
    escapeMarkdown(stateLabel(c)),
    exitLabel(c) ?? '–',
    uptimeLabel(c) ?? '–',
    log,
    a ? String(a.lines) : '–',
    a ? String(a.errorCount) : '–',
    a ? String(a.warningCount) : '–',
  ];
  return `| ${cells.join(' | ')} |`;
}

function contextBlock(event: LogEvent): string[] {
  const width = String(event.after.at(-1)?.line ?? event.line).length;
  const row = (line: number, text: string, mark: boolean) => `${mark ? '>' : ' '} ${String(line).padStart(width)} | ${text}`;
  return fencedBlock([
    ...event.before.map((l) => row(l.line, l.text, false)),
    row(event.line, shortenLine(event.text, 300), true),
    ...event.after.map((l) => row(l.line, l.text, false)),
  ]);
}

/** True when `later` is already in view in `earlier`'s context (or is the same line). */
function shownWith(earlier: LogEvent, later: LogEvent): boolean {
  return later.line === earlier.line || earlier.after.some((l) => l.line === later.line);
}

function details(c: ContainerTriage, options: Required<MarkdownOptions>): string[] {
  const out = [`### ${escapeMarkdown(c.record.name)}`, ''];
  const a = c.analysis;
  const facts = [
    `image ${codeSpan(c.record.image || '?')}`,
    escapeMarkdown(stateLabel(c)),
    ...(exitLabel(c) === null ? [] : [`exit ${escapeMarkdown(exitLabel(c) ?? '')}`]),
    escapeMarkdown(whenText(c)),
  ];
  out.push(`${facts.join(' · ')}`, '');
  for (const p of c.problems) out.push(`- **${escapeMarkdown(p.kind)}**: ${escapeMarkdown(p.reason)}`);
  if (c.problems.length > 0) out.push('');
  const engineEvents = eventsText(c, 40);
  if (engineEvents !== '') out.push(`Engine events (${EVENTS_FILE}): ${escapeMarkdown(engineEvents)}`, '');
  if (c.health && c.health.lastOutput !== null && c.health.status !== 'healthy') {
    out.push(`Last health check (exit ${c.health.lastExitCode ?? '?'}):`, '', ...fencedBlock(c.health.lastOutput.split('\n').slice(0, 10).map((l) => shortenLine(l, 300))), '');
  }
  const events: [string, LogEvent][] = [];
  if (a?.firstError) events.push(['First error', a.firstError]);
  if (a?.lastError && a.firstError && !shownWith(a.firstError, a.lastError)) events.push(['Last error', a.lastError]);
  if (a && !a.firstError && a.firstWarning) events.push(['First warning', a.firstWarning]);
  for (const [label, event] of events) {
    out.push(`${label}, line ${event.line} of ${logRef(c, null, options)}:`, '', ...contextBlock(event), '');
    if (event.trace) {
      out.push(
        `A ${event.trace.kind} stack trace of ${plural(event.trace.lines, 'line')}${event.trace.headline ? `, ending in ${codeSpan(shortenLine(event.trace.headline, 300))}` : ''}.`,
        '',
      );
    }
  }
  const repeats = repeatedFindings(c, 5);
  if (repeats.length > 0) {
    out.push('Repeated:', '');
    for (const f of repeats) out.push(`- ${f.count}× ${codeSpan(shortenLine(f.text, TEXT_IN_LIST))} (lines ${f.firstLine}–${f.lastLine})`);
    out.push('');
  }
  if (a && !a.firstError && !a.firstWarning && a.tail.length > 0 && isFailed(c)) {
    out.push('Last lines:', '', ...fencedBlock(a.tail.map((l) => `${l.line} | ${l.text}`)), '');
  }
  for (const note of c.notes) out.push(`> ${escapeMarkdown(note)}`, '');
  return out;
}

function templateBullet(t: MessageTemplate): string {
  const when = templateTimes(t);
  return `- ${t.count}× ${codeSpan(shortenLine(t.template, TEXT_IN_LIST))}${when ? ` · ${when}` : ''}`;
}

/** What one container said most (and what only this run of it said), counted by message template. */
function messagesOf(m: ContainerMessages): string[] {
  const c = m.container;
  const a = c.analysis;
  const distinct = a?.templates.templates.length ?? 0;
  const capped = cappedText(c);
  const out = [`**${escapeMarkdown(c.record.name)}** — ${plural(a?.lines ?? 0, 'line')}, ${plural(distinct, 'message template')}${capped ? ` (${escapeMarkdown(capped)})` : ''}:`, ''];
  out.push(...m.top.map(templateBullet));
  if (m.more > 0) out.push(`- … and ${plural(m.more, 'other template')}`);
  out.push('');
  if (m.onlyHere !== null && m.onlyHere.templates.length > 0) {
    out.push(`Only in this run, not in ${m.onlyHere.others.map((o) => codeSpan(o)).join(', ')}:`, '', ...m.onlyHere.templates.map(templateBullet), '');
  }
  return out;
}

/** SUMMARY.md for a run. */
export function renderSummaryMarkdown(report: TriageReport, options: MarkdownOptions = {}): string {
  const opts: Required<MarkdownOptions> = { links: options.links ?? true };
  const headline = runHeadline(report);
  const out: string[] = [`# ${escapeMarkdown(headline.title)}`, ''];
  const when = report.startedAt ? `collected ${formatDateTime(report.startedAt)}` : 'collection time unknown';
  out.push(`${escapeMarkdown(enginesText(report))} · ${when} · ${codeSpan(basename(report.outputDir))}`, '');
  const timeline = timelinePointer(report);
  if (timeline) out.push(timelineLine(timeline, opts), '');
  if (report.incomplete) out.push(`> **Incomplete run**: ${escapeMarkdown(report.interruption ?? 'some containers were not fully collected')}`, '');

  const failing = report.containers.filter((c) => c.problems.length > 0);
  if (failing.length > 0) {
    out.push('## Problems', '');
    const full = failing.length <= FULL_ENTRIES;
    failing.forEach((c, i) => out.push(...problemEntry(c, i + 1, full, opts)));
    out.push('');
  }

  const erring = erringContainers(report);
  if (erring.length > 0) {
    out.push(failing.length > 0 ? 'Errors logged by containers that did not fail:' : '## Errors logged', '');
    for (const c of erring.slice(0, ERRING_ENTRIES)) {
      const first = firstErrorLine(c);
      const where = first ? ` · first ${logRef(c, first.line, opts)}: ${codeSpan(shortenLine(first.text, TEXT_IN_LIST))}${repeatText(first)}` : '';
      out.push(`- **${escapeMarkdown(c.record.name)}** — ${plural(c.analysis?.errorCount ?? 0, 'error')}${where}`);
    }
    if (erring.length > ERRING_ENTRIES) out.push(`- … and ${erring.length - ERRING_ENTRIES} more (see the table)`);
    out.push('');
  }

  if (report.containers.length > 0) {
    const engines = new Set(report.containers.map((c) => c.record.runtime)).size > 1;
    out.push('## Containers', '');
    out.push(`| container |${engines ? ' engine |' : ''} image | state | exit | uptime | log | lines | errors | warnings |`);
    out.push(`| --- |${engines ? ' --- |' : ''} --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |`);
    for (const c of report.containers) out.push(tableRow(c, opts, engines));
    out.push('');
  }

  const messages = containerMessages(report);
  if (messages.length > 0) {
    out.push('## Messages', '', `${MESSAGES_INTRO} (${PLACEHOLDERS.map(([p, what]) => `${what} ${codeSpan(p)}`).join(', ')}):`, '');
    for (const m of messages) out.push(...messagesOf(m));
  }

  const explained = report.containers.filter((c) => c.problems.length > 0 || (c.analysis?.errorCount ?? 0) > 0 || (c.analysis?.warningCount ?? 0) > 0 || c.notes.length > 0);
  if (explained.length > 0) {
    out.push('## Details', '');
    for (const c of explained) out.push(...details(c, opts));
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
