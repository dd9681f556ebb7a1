import { basename } from 'node:path';
import { formatDateTime, formatDuration, plural } from '../_util/text.js';
import { shortenLine } from '../triage/salient.js';
import {
  cappedText,
  containerMessages,
  countsText,
  decisiveLines,
  enginesText,
  erringContainers,
  exitLabel,
  firstErrorLine,
  logSizeLabel,
  MESSAGES_INTRO,
  PLACEHOLDERS,
  repeatedFindings,
  repeatText,
  runHeadline,
  stateLabel,
  templateTimes,
  timelinePointer,
  uptimeLabel,
  whenText,
  type ContainerMessages,
} from './_summary.js';
import type { MessageTemplate } from '../triage/templates.js';
import { e, href, ms, toneOf } from './html-common.js';
import { timeline } from './html-timeline.js';
import type { LogEvent } from '../triage/analyze.js';
import type { ContainerTriage, TriageReport } from '../triage/verdict.js';

/*
 * index.html: one self-contained page for a run folder. Inline CSS and inline SVG only; no script, no
 * external URL (a Content-Security-Policy forbids any load), the only links are relative ones to the log
 * files beside it. Everything that comes from a log or the engine is HTML-escaped.
 */

/** Characters of a log line shown in place (the log file beside the page has it whole). */
const TEXT_CHARS = 300;

// ---------------------------------------------------------------------------------------------- sections

function logLink(c: ContainerTriage, line: number | null): string {
  if (c.logPath === null) return line === null ? '' : `line ${line}`;
  return `<a class="loglink" href="${href(c.logPath)}">${e(line === null ? c.logPath : `${c.logPath}:${line}`)}</a>`;
}

function problemCard(c: ContainerTriage): string {
  const reasons = [...new Set(c.problems.map((p) => p.reason))];
  const lines = decisiveLines(c)
    .map((d) => {
      const where = d.source === 'log' ? logLink(c, d.line) : '';
      const cause = d.cause === null ? '' : `<span class="cause">caused by <code>${e(shortenLine(d.cause, TEXT_CHARS))}</code></span>`;
      return `<li><span class="label">${e(d.label)}</span><span class="text"><code class="logline">${e(shortenLine(d.text, TEXT_CHARS))}</code>${cause}</span><span class="src">${where}${e(repeatText(d))}</span></li>`;
    })
    .join('');
  return `<article class="problem ${toneOf(c)}" id="problem-${e(c.record.name)}">
<h3>${e(c.record.name)} <span class="reason">${e(reasons.join('; '))}</span></h3>
<p class="when">${e(whenText(c))} · ${e(countsText(c))}${c.logPath ? ` · ${logLink(c, null)}` : ''}</p>
${lines ? `<ul class="decisive">${lines}</ul>` : ''}
</article>`;
}

function erringList(erring: readonly ContainerTriage[], afterFailures: boolean): string {
  if (erring.length === 0) return '';
  const items = erring.map((c) => {
    const first = firstErrorLine(c);
    const line = first ? ` · first ${logLink(c, first.line)}<span class="muted">${e(repeatText(first))}</span><code class="logline">${e(shortenLine(first.text, TEXT_CHARS))}</code>` : '';
    return `<li><b>${e(c.record.name)}</b> — ${plural(c.analysis?.errorCount ?? 0, 'error')}${line}</li>`;
  });
  return `<p class="erring-title">${afterFailures ? 'Errors logged by containers that did not fail:' : 'Errors logged:'}</p><ul class="erring">${items.join('')}</ul>`;
}

function tableRow(c: ContainerTriage, engines: boolean): string {
  const a = c.analysis;
  const size = logSizeLabel(c);
  const tone = toneOf(c);
  const cells = [
    `<td class="name ${tone}">${c.logPath ? `<a href="${href(c.logPath)}">${e(c.record.name)}</a>` : e(c.record.name)}</td>`,
    ...(engines ? [`<td>${e(c.record.runtime)}</td>`] : []),
    `<td class="image">${e(c.record.image || '?')}</td>`,
    `<td>${e(stateLabel(c))}</td>`,
    `<td class="num">${e(exitLabel(c) ?? '–')}</td>`,
    `<td class="num">${e(uptimeLabel(c) ?? '–')}</td>`,
    `<td class="num">${size === null ? 'not collected' : c.logPath ? `<a href="${href(c.logPath)}">${e(size)}</a>` : e(size)}</td>`,
    `<td class="num">${a ? a.lines : '–'}</td>`,
    `<td class="num errors${a && a.errorCount > 0 ? ' nonzero' : ''}">${a ? a.errorCount : '–'}</td>`,
    `<td class="num warnings${a && a.warningCount > 0 ? ' nonzero' : ''}">${a ? a.warningCount : '–'}</td>`,
  ];
  return `<tr data-container="${e(c.record.name)}">${cells.join('')}</tr>`;
}

function contextBlock(event: LogEvent): string {
  const hit = event.level === 'error' ? ' hit' : ' hit warn';
  const row = (line: number, text: string, mark: string) => `<span class="ctx${mark}"><span class="ln">${line}</span>${e(text)}</span>`;
  // Each row is a block of its own: no newlines between them, or <pre> would show each twice as tall.
  return `<pre>${[...event.before.map((l) => row(l.line, l.text, '')), row(event.line, event.text, hit), ...event.after.map((l) => row(l.line, l.text, ''))].join('')}</pre>`;
}

/** True when `later` is already in view in `earlier`'s context (or is the same line). */
function shownWith(earlier: LogEvent, later: LogEvent): boolean {
  return later.line === earlier.line || earlier.after.some((l) => l.line === later.line);
}

function details(c: ContainerTriage): string {
  const a = c.analysis;
  const out: string[] = [`<section class="details" id="details-${e(c.record.name)}"><h3>${e(c.record.name)}</h3>`];
  out.push(`<p class="when">image <code>${e(c.record.image || '?')}</code> · ${e(stateLabel(c))} · ${e(whenText(c))}</p>`);
  if (c.health && c.health.lastOutput !== null && c.health.status !== 'healthy') {
    const output = c.health.lastOutput.split('\n').slice(0, 20).map((l) => e(shortenLine(l, TEXT_CHARS)));
    out.push(`<p>Last health check (exit ${c.health.lastExitCode ?? '?'}):</p><pre class="health">${output.join('\n')}</pre>`);
  }
  const events: [string, LogEvent][] = [];
  if (a?.firstError) events.push(['First error', a.firstError]);
  if (a?.lastError && a.firstError && !shownWith(a.firstError, a.lastError)) events.push(['Last error', a.lastError]);
  if (a && !a.firstError && a.firstWarning) events.push(['First warning', a.firstWarning]);
  for (const [label, event] of events) {
    const trace = event.trace
      ? ` — a ${e(event.trace.kind)} stack trace of ${plural(event.trace.lines, 'line')}${event.trace.headline ? ` ending in <code>${e(shortenLine(event.trace.headline, TEXT_CHARS))}</code>` : ''}`
      : '';
    out.push(`<p>${label}, ${logLink(c, event.line)}${trace}</p>${contextBlock(event)}`);
  }
  const repeats = repeatedFindings(c, 5);
  if (repeats.length > 0) {
    out.push(`<p>Repeated:</p><ul class="repeats">${repeats.map((f) => `<li><b>${f.count}×</b> <code>${e(shortenLine(f.text, TEXT_CHARS))}</code> <span class="muted">lines ${f.firstLine}–${f.lastLine}</span></li>`).join('')}</ul>`);
  }
  for (const note of c.notes) out.push(`<p class="note">${e(note)}</p>`);
  out.push('</section>');
  return out.join('\n');
}

function templateRows(templates: readonly MessageTemplate[]): string {
  return templates.map((t) => `<tr><td class="num">${t.count}×</td><td><code>${e(shortenLine(t.template, TEXT_CHARS))}</code></td><td class="muted">${e(templateTimes(t))}</td></tr>`).join('');
}

/** One container's most frequent message templates, and those only this run of it has. */
function messagesOf(m: ContainerMessages): string {
  const c = m.container;
  const distinct = c.analysis?.templates.templates.length ?? 0;
  const capped = cappedText(c);
  const more = m.more > 0 ? `<tr><td></td><td class="muted">… and ${plural(m.more, 'other template')}</td><td></td></tr>` : '';
  const only =
    m.onlyHere !== null && m.onlyHere.templates.length > 0
      ? `<p class="muted">Only in this run, not in ${m.onlyHere.others.map((o) => `<code>${e(o)}</code>`).join(', ')}:</p><table class="templates">${templateRows(m.onlyHere.templates)}</table>`
      : '';
  return `<div class="messages" data-container="${e(c.record.name)}"><h3>${e(c.record.name)} <span class="muted">${plural(c.analysis?.lines ?? 0, 'line')}, ${plural(distinct, 'message template')}${capped ? ` (${e(capped)})` : ''}</span></h3><table class="templates">${templateRows(m.top)}${more}</table>${only}</div>`;
}

const STYLE = `
:root{--bad:#c62828;--bad-bg:#fdecea;--warn:#b26a00;--warn-bg:#fff4e0;--ok:#2e7d32;--idle:#8a8f98;--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#fff;--panel:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px 48px;font:14px/1.5 system-ui,-apple-system,"Segoe UI","Liberation Sans","DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}
h1 .verdict{font-weight:600}
h1 .verdict.bad{color:var(--bad)} h1 .verdict.ok{color:var(--ok)}
h2{font-size:16px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0 0 4px}
.meta,.muted,.when{color:var(--muted)}
.when{margin:0 0 6px}
code,pre,.logline{font:12.5px/1.45 ui-monospace,"DejaVu Sans Mono","Liberation Mono",monospace}
.incomplete{background:var(--warn-bg);border-left:4px solid var(--warn);padding:8px 12px}
.problems{display:grid;gap:12px}
.problem{border:1px solid var(--line);border-left:5px solid var(--bad);border-radius:6px;padding:10px 14px;background:var(--bg)}
.problem.warn{border-left-color:var(--warn)}
.problem .reason{font-weight:500;color:var(--bad);margin-left:6px}
.problem.warn .reason{color:var(--warn)}
.decisive{list-style:none;margin:4px 0 0;padding:0}
.decisive li{display:grid;grid-template-columns:96px minmax(0,1fr) auto;gap:10px;align-items:baseline;margin:4px 0}
.decisive .label{color:var(--muted)}
.decisive .src{color:var(--muted);font-size:12.5px;white-space:nowrap}
.logline{display:block;padding:3px 8px;background:var(--panel);border-radius:4px;white-space:pre-wrap;word-break:break-word}
.cause{display:block;margin:2px 0 0 8px;color:var(--muted)}
a{color:#0969da;text-decoration:none} a:hover{text-decoration:underline}
.loglink{font-size:12.5px}
#timeline{display:block;background:var(--bg);border:1px solid var(--line);border-radius:6px}
#timeline .stripe{fill:#f6f8fa}
#timeline .grid{stroke:#e5e8eb;stroke-width:1}
#timeline .axis{font-size:11px;fill:var(--muted)}
#timeline .name{font-size:13px;fill:var(--fg)}
#timeline a .name{fill:#0969da} #timeline .name.bad,#timeline a .name.bad{fill:var(--bad)}
#timeline .name.bad{font-weight:600}
#timeline .name.muted{fill:var(--muted);font-size:12px}
#timeline .bar.ok{fill:var(--ok)} #timeline .bar.bad{fill:var(--bad)} #timeline .bar.warn{fill:var(--warn)} #timeline .bar.idle{fill:var(--idle)}
#timeline .bar.running{fill-opacity:.75}
#timeline .waiting{stroke:var(--idle);stroke-width:2;stroke-dasharray:3 3}
#timeline .exit{stroke:#fff;stroke-width:1} #timeline .exit.ok{fill:var(--ok)} #timeline .exit.bad{fill:var(--bad)} #timeline .exit.warn{fill:var(--warn)}
#timeline .never{fill:#fff;stroke:var(--idle);stroke-width:2}
#timeline .marker{font-size:12px;fill:var(--muted)} #timeline .marker.bad{fill:var(--bad);font-weight:600}
#timeline .tick{stroke-width:2} #timeline .tick.error{stroke:var(--bad)} #timeline .tick.warning{stroke:var(--warn)}
#timeline .hist{fill:var(--bad);fill-opacity:.8}
#timeline .ev.die{stroke:#24292f;stroke-width:2} #timeline .ev.oom{fill:#82071e} #timeline .ev.restart{fill:none;stroke:#24292f;stroke-width:2}
#timeline .ev.health.bad{fill:var(--bad)} #timeline .ev.health.ok{fill:var(--ok)}
#timeline .baseline{stroke:var(--line)}
.legend{color:var(--muted);font-size:12px;margin:6px 0 0}
.key{display:inline-block;width:14px;height:9px;border-radius:2px;margin:0 4px 0 10px;vertical-align:middle}
.key.bad{background:var(--bad)} .key.warn{background:var(--warn)} .key.ok{background:var(--ok)} .key.idle{background:var(--idle)}
.tickkey{display:inline-block;width:2px;height:11px;margin:0 4px 0 10px;vertical-align:middle}
.tickkey.error{background:var(--bad)} .tickkey.warning{background:var(--warn)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.image{color:var(--muted);word-break:break-all}
td.name.bad a,td.name.bad{color:var(--bad);font-weight:600}
td.errors.nonzero{color:var(--bad);font-weight:600} td.warnings.nonzero{color:var(--warn);font-weight:600}
.details{margin:18px 0 0;padding-top:4px}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px 0;overflow-x:auto;margin:4px 0 10px}
pre.health{padding:8px 12px}
.ctx{display:block;padding:0 12px;white-space:pre}
.ctx.hit{background:var(--bad-bg)} .ctx.hit.warn{background:var(--warn-bg)}
.ln{display:inline-block;min-width:4.5em;color:var(--muted);user-select:none}
.repeats{margin:4px 0 10px;padding-left:20px}
.note{color:var(--warn)}
.messages{margin:14px 0 0} .messages h3 .muted{font-weight:400;font-size:13px}
table.templates td{padding:3px 10px} table.templates td:first-child{width:5em}
.erring-title{margin:14px 0 4px;color:var(--muted)}
.erring{margin:0;padding-left:20px}
.erring li{margin:4px 0}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`;

/** Where the first error is in timeline.log (every container's lines in time order), or '' without one. */
function timelineMeta(report: TriageReport): string {
  const t = timelinePointer(report);
  if (t === null) return '';
  const link = (label: string): string => `<a href="${href(t.path)}">${e(label)}</a>`;
  if (t.line === null) return `<p class="meta">Every container's lines in time order: ${link(t.path)}</p>`;
  return `<p class="meta">first error: ${link(`${t.path} line ${t.line}`)}, ${e(t.who)} (every container's lines in time order)</p>`;
}

/** index.html for a run: self-contained, no script, no external resources. */
export function renderHtml(report: TriageReport): string {
  const headline = runHeadline(report);
  const failing = report.containers.filter((c) => c.problems.length > 0);
  const erring = erringContainers(report);
  const engines = new Set(report.containers.map((c) => c.record.runtime)).size > 1;
  const verdict =
    headline.total === 0 ? 'no containers' : headline.failed === 0 ? `${plural(headline.total, 'container')}, no problems found` : `${headline.failed} of ${plural(headline.total, 'container')} failed`;
  const body = [
    `<header><h1>${e(report.service)} · <span class="verdict ${headline.failed > 0 ? 'bad' : 'ok'}">${e(verdict)}</span></h1>`,
    `<p class="meta">${e(enginesText(report))} · collected ${e(formatDateTime(report.startedAt))}${
      report.startedAt && report.finishedAt ? ` in ${e(formatDuration(Math.max(0, ((ms(report.finishedAt) ?? 0) - (ms(report.startedAt) ?? 0)) / 1000)))}` : ''
    } · <code>${e(basename(report.outputDir))}</code></p></header>`,
    timelineMeta(report),
    report.incomplete ? `<p class="incomplete"><b>Incomplete run:</b> ${e(report.interruption ?? 'some containers were not fully collected')}</p>` : '',
    failing.length > 0 || erring.length > 0
      ? `<section id="problems"><h2>Problems</h2><div class="problems">${failing.map(problemCard).join('\n')}</div>${erringList(erring, failing.length > 0)}</section>`
      : '',
    `<section id="timeline-section"><h2>Timeline</h2>${timeline(report)}</section>`,
    `<section id="containers"><h2>Containers</h2><table><thead><tr><th>container</th>${engines ? '<th>engine</th>' : ''}<th>image</th><th>state</th><th class="num">exit</th><th class="num">uptime</th><th class="num">log</th><th class="num">lines</th><th class="num">errors</th><th class="num">warnings</th></tr></thead><tbody>${report.containers.map((c) => tableRow(c, engines)).join('')}</tbody></table></section>`,
  ];
  const messages = containerMessages(report);
  if (messages.length > 0) {
    body.push(
      `<section id="messages"><h2>Messages</h2><p class="muted">${e(MESSAGES_INTRO)} (${PLACEHOLDERS.map(([p, what]) => `${e(what)} <code>${e(p)}</code>`).join(', ')}).</p>${messages.map(messagesOf).join('\n')}</section>`,
    );
  }
  const explained = report.containers.filter((c) => c.problems.length > 0 || (c.analysis?.errorCount ?? 0) > 0 || (c.analysis?.warningCount ?? 0) > 0 || c.notes.length > 0);
  if (explained.length > 0) body.push(`<section id="details"><h2>Details</h2>${explained.map(details).join('\n')}</section>`);
  body.push(`<footer>Written by must-gather. Logs and inspect JSON are in this folder; manifest.json lists every file with its sha256.</footer>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(headline.title)} — must-gather</title>
<style>${STYLE}</style>
</head>
<body><main>
${body.filter((s) => s !== '').join('\n')}
</main></body>
</html>
`;
}
