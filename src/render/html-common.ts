import { cleanLine, escapeHtml } from '../_util/text.js';
import { isFailed, runFileTarget } from './_summary.js';
import type { ContainerTriage } from '../triage/verdict.js';

/*
 * What every part of index.html (html.ts, html-timeline.ts) writes with: escaping, links to the logs
 * beside the page, a container's colour.
 */

/** Text from a log or the engine, made safe to show: control characters replaced, then HTML-escaped. */
export const e = (text: string): string => escapeHtml(cleanLine(text, 10_000));

/** A relative link to a file beside the page. */
export function href(path: string): string {
  return escapeHtml(runFileTarget(path));
}

export type Tone = 'bad' | 'warn' | 'ok' | 'idle';

export function toneOf(c: ContainerTriage): Tone {
  if (isFailed(c)) return 'bad';
  if (c.problems.length > 0 || (c.analysis?.errorCount ?? 0) > 0) return 'warn';
  return c.lifetime.startedAt === null ? 'idle' : 'ok';
}

/** An ISO time as epoch ms; null when absent or unreadable. */
export function ms(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}
