import { NO_PAINT, type Paint } from './paint.js';
import { cleanLine, plural } from '../_util/text.js';
import { shortenLine } from '../triage/salient.js';
import { decisiveLines, enginesText, firstErrorLine, isFailed, repeatText, runHeadline, stateLabel, whenText, type DecisiveLine } from './_summary.js';
import type { ContainerTriage, TriageReport } from '../triage/verdict.js';

/*
 * The verdict for a person at a terminal, printed at the end of a run (and by `must-gather report`): the
 * failed containers with why and their decisive lines, then one line per other container. Log text is
 * stripped of escape sequences and control characters, so a log can never drive the terminal.
 */

/** Decisive lines per failed container while few failed; beyond FULL_ENTRIES failed containers, one each. */
const FULL_ENTRIES = 4;
const TEXT_WIDTH = 160;
const LABEL_WIDTH = 'health check'.length;

function decisiveRow(c: ContainerTriage, d: DecisiveLine, paint: Paint): string[] {
  const where = d.source === 'log' && c.logPath !== null && d.line !== null ? `${c.logPath}:${d.line}` : d.source === 'log' && d.line !== null ? `line ${d.line}` : '';
  const colour = d.label.includes('warning') ? paint.yellow : d.label.includes('error') || d.source !== 'log' ? paint.red : (s: string) => s;
  const rows = [`      ${colour(d.label.padEnd(LABEL_WIDTH))}  ${where ? `${paint.dim(where)}  ` : ''}${shortenLine(d.text, TEXT_WIDTH)}${paint.dim(repeatText(d))}`];
  if (d.cause !== null) rows.push(`      ${paint.dim('caused by'.padEnd(LABEL_WIDTH))}  ${shortenLine(d.cause, TEXT_WIDTH)}`);
  return rows;
}

/** The run's verdict as terminal text; colours only through `paint` (NO_PAINT for none). */
export function renderDigest(report: TriageReport, paint: Paint = NO_PAINT): string {
  const headline = runHeadline(report);
  const out: string[] = [];
  const title = headline.failed > 0 ? paint.red(paint.bold(headline.title)) : paint.bold(headline.title);
  out.push(`${title}  ${paint.dim(`(${enginesText(report)})`)}`);
  if (report.incomplete) out.push(paint.red(`  incomplete: ${cleanLine(report.interruption ?? 'some containers were not fully collected')}`));

  const width = Math.max(4, ...report.containers.map((c) => c.record.name.length));
  const full = report.containers.filter((c) => c.problems.length > 0).length <= FULL_ENTRIES;
  for (const c of report.containers) {
    const name = c.record.name.padEnd(width);
    const a = c.analysis;
    if (c.problems.length > 0) {
      const failed = isFailed(c);
      const mark = failed ? paint.red('✗') : paint.yellow('!');
      const reasons = [...new Set(c.problems.map((p) => p.reason))].join('; ');
      out.push(`  ${mark} ${paint.bold(name)}  ${(failed ? paint.red : paint.yellow)(cleanLine(reasons))} ${paint.dim(`· ${whenText(c)}`)}`);
      const lines = decisiveLines(c);
      for (const d of full ? lines : lines.slice(0, 1)) out.push(...decisiveRow(c, d, paint));
      continue;
    }
    const counts: string[] = [];
    if (a && a.errorCount > 0) counts.push(paint.red(plural(a.errorCount, 'error')));
    if (a && a.warningCount > 0) counts.push(paint.yellow(plural(a.warningCount, 'warning')));
    const mark = a && a.errorCount > 0 ? paint.yellow('!') : paint.green('✓');
    out.push(`  ${mark} ${name}  ${stateLabel(c)} ${paint.dim(`· ${whenText(c)}`)}${counts.length > 0 ? ` · ${counts.join(', ')}` : ''}`);
    const first = firstErrorLine(c);
    if (first) out.push(...decisiveRow(c, first, paint));
  }
  return out.join('\n');
}
