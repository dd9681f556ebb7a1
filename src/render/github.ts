import { createHash } from 'node:crypto';
import { cleanLine } from '../_util/text.js';
import { shortenLine } from '../triage/salient.js';
import { decisiveLines, isFailed, runHeadline, whenText } from './_summary.js';
import { renderDigest } from './digest.js';
import { renderSummaryMarkdown } from './markdown.js';
import type { TriageReport } from '../triage/verdict.js';

/*
 * What must-gather tells GitHub Actions about a run: the summary for $GITHUB_STEP_SUMMARY, `dir=` and
 * `archive=` for $GITHUB_OUTPUT, and workflow commands on stdout (one `::error` per failed container, the
 * digest folded in a group). Pure: the caller writes the files and prints; outside Actions this is null.
 */

export interface GithubActionsOutput {
  /** Markdown to append to $GITHUB_STEP_SUMMARY, or null when that variable is not set. */
  readonly stepSummary: string | null;
  /** Lines to append to $GITHUB_OUTPUT, or null when that variable is not set. */
  readonly outputs: string | null;
  /** Workflow commands and folded text, for stdout. */
  readonly stdout: string;
}

/** GitHub limits a step summary to 1 MiB; stay well inside it. */
const MAX_STEP_SUMMARY = 900 * 1024;
const MAX_ANNOTATION = 4000;

/** Escape a workflow command's message (as @actions/core does): `%`, CR and LF. */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a workflow command property value: also `:` and `,`, which end a property. */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `name=value`, or the multi-line form with a delimiter the value does not contain. */
function outputLine(name: string, value: string): string {
  if (!/[\r\n]/.test(value)) return `${name}=${value}\n`;
  let delimiter = `ghadelimiter_${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
  while (value.includes(delimiter)) delimiter += '_';
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

function fitStepSummary(markdown: string): string {
  if (Buffer.byteLength(markdown) <= MAX_STEP_SUMMARY) return markdown;
  const lines = markdown.split('\n');
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    size += Buffer.byteLength(line) + 1;
    if (size > MAX_STEP_SUMMARY) break;
    kept.push(line);
  }
  // A cut inside a fenced block would swallow the note; close it first.
  const fences = kept.filter((l) => /^`{3,}/.test(l)).length;
  if (fences % 2 === 1) kept.push('```');
  return `${kept.join('\n')}\n\n_Cut to fit the step summary; SUMMARY.md in the run folder has everything._\n`;
}

/**
 * GitHub Actions output for a run, or null unless `env.GITHUB_ACTIONS === 'true'`. `paths.dir` is the run
 * folder and `paths.archive` the `.tar.gz`, when one was written.
 */
export function githubActions(report: TriageReport, paths: { dir: string; archive: string | null }, env: NodeJS.ProcessEnv): GithubActionsOutput | null {
  if (env.GITHUB_ACTIONS !== 'true') return null;
  const stepSummary = env.GITHUB_STEP_SUMMARY ? fitStepSummary(renderSummaryMarkdown(report, { links: false })) : null;
  const outputs = env.GITHUB_OUTPUT ? outputLine('dir', paths.dir) + outputLine('archive', paths.archive ?? '') : null;

  const out: string[] = [];
  for (const c of report.containers) {
    if (c.problems.length === 0) continue;
    const reasons = [...new Set(c.problems.map((p) => p.reason))].join('; ');
    const decisive = decisiveLines(c)[0];
    const where = decisive?.source === 'log' && decisive.line !== null && c.logPath !== null ? `${c.logPath}:${decisive.line}: ` : '';
    const message = decisive ? `${where}${decisive.text}${decisive.cause ? ` (caused by ${decisive.cause})` : ''}` : `${reasons} · ${whenText(c)}`;
    const command = isFailed(c) ? 'error' : 'warning';
    out.push(`::${command} title=${escapeCommandProperty(`${c.record.name}: ${cleanLine(reasons, 200)}`)}::${escapeCommandData(shortenLine(message, MAX_ANNOTATION))}`);
  }

  // The digest holds log text: commands are switched off around it, so a log line can never be one.
  const digest = renderDigest(report);
  const token = `must-gather-${createHash('sha256').update(digest).digest('hex').slice(0, 32)}`;
  out.push(`::group::${escapeCommandData(`must-gather: ${runHeadline(report).title}`)}`);
  out.push(`::stop-commands::${token}`);
  out.push(digest);
  out.push(`::${token}::`);
  out.push('::endgroup::');
  return { stepSummary, outputs, stdout: `${out.join('\n')}\n` };
}
