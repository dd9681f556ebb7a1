import { formatClock, plural, truncate } from '../_util/text.js';
import { eventMarkLabel, exitLabel, whenText } from './_summary.js';
import { e, href, ms, toneOf, type Tone } from './html-common.js';
import type { ContainerTriage, TriageReport } from '../triage/verdict.js';

/*
 * index.html's timeline: one inline SVG with a row per container (its life as a bar, its errors and
 * warnings as ticks on it), above a histogram of all containers' errors over time. Times in UTC like
 * every time on the page.
 */

const W = 1000;
const LABEL_W = 210;
const PLOT_X0 = LABEL_W + 10;
const PLOT_X1 = W - 150;
const ROW_H = 34;
const AXIS_H = 34;
const HIST_H = 46;
const HIST_BINS = 60;

/** The time range drawn, and where a time falls on the plot. */
class TimeScale {
  constructor(
    readonly t0: number,
    readonly t1: number,
  ) {}

  x(t: number): number {
    return PLOT_X0 + ((t - this.t0) / (this.t1 - this.t0)) * (PLOT_X1 - PLOT_X0);
  }
}

/** When a container was created, started and finished (a running one: as of collection), in epoch ms. */
interface Life {
  readonly created: number | null;
  readonly started: number | null;
  readonly finished: number | null;
}

function niceStep(spanMs: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map((s) => s * 1000);
  return steps.find((s) => spanMs / s <= 8) ?? 86_400_000 * Math.ceil(spanMs / 86_400_000 / 8);
}

export function timeline(report: TriageReport): string {
  const asOf = ms(report.finishedAt);
  const scale = scaleOf(report, asOf);
  if (scale === null) return '<p class="muted">No container recorded when it was created, started or finished.</p>';
  const plotBottom = AXIS_H + report.containers.length * ROW_H;
  const height = plotBottom + HIST_H + 20;
  const parts: string[] = [];
  timeAxis(parts, scale, plotBottom);
  report.containers.forEach((c, i) => containerRow(parts, c, i, scale, asOf));
  errorHistogram(parts, report, scale, plotBottom);
  return `<svg id="timeline" role="img" aria-label="Timeline of container lifetimes" viewBox="0 0 ${W} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${parts.join('')}</svg>
<p class="legend"><span class="key bad"></span>failed <span class="key warn"></span>errors in log <span class="key ok"></span>ok <span class="key idle"></span>never started · ◆ exit · engine events: ✕ exit ■ OOM kill ○ restart • health · <span class="tickkey error"></span>errors <span class="tickkey warning"></span>warnings · times in UTC${
    report.finishedAt ? `, collected ${formatClock(report.finishedAt)}` : ''
  }</p>`;
}

/** Every lifetime event and error bucket in view, with 2 % of room either side; null when there is none. */
function scaleOf(report: TriageReport, asOf: number | null): TimeScale | null {
  const times: number[] = [];
  for (const c of report.containers) {
    for (const t of [c.lifetime.createdAt, c.lifetime.startedAt, c.lifetime.finishedAt]) {
      const v = ms(t);
      if (v !== null) times.push(v);
    }
    for (const mark of c.events?.marks ?? []) {
      const v = ms(mark.time);
      if (v !== null) times.push(v);
    }
    const buckets = c.analysis?.timeline.buckets ?? [];
    for (const b of buckets) {
      const v = ms(b.start);
      if (v !== null) times.push(v, v + (c.analysis?.timeline.bucketMs ?? 0));
    }
  }
  if (asOf !== null && report.containers.some((c) => c.lifetime.running)) times.push(asOf);
  if (times.length === 0) return null;

  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (t1 - t0 < 1000) t1 = t0 + 1000;
  const pad = (t1 - t0) * 0.02;
  t0 -= pad;
  t1 += pad;
  return new TimeScale(t0, t1);
}

function timeAxis(parts: string[], scale: TimeScale, plotBottom: number): void {
  const step = niceStep(scale.t1 - scale.t0);
  for (let t = Math.ceil(scale.t0 / step) * step; t <= scale.t1; t += step) {
    const tx = scale.x(t).toFixed(1);
    parts.push(`<line class="grid" x1="${tx}" y1="${AXIS_H - 6}" x2="${tx}" y2="${plotBottom + HIST_H}"/>`);
    parts.push(`<text class="axis" x="${tx}" y="${AXIS_H - 12}" text-anchor="middle">${formatClock(new Date(t).toISOString())}</text>`);
  }
}

/** A container's row: its name (a link to its log), its life, its errors and warnings. */
function containerRow(parts: string[], c: ContainerTriage, i: number, scale: TimeScale, asOf: number | null): void {
  const y = AXIS_H + i * ROW_H;
  const mid = y + ROW_H / 2;
  const tone = toneOf(c);
  const name = truncate(c.record.name, 28);
  const label = `<g><title>${e(c.record.name)}</title><text class="name ${tone}" x="8" y="${mid + 4}">${e(name)}</text></g>`;
  parts.push(`<g class="row" data-container="${e(c.record.name)}">`);
  if (i % 2 === 1) parts.push(`<rect class="stripe" x="0" y="${y}" width="${W}" height="${ROW_H}"/>`);
  parts.push(c.logPath ? `<a href="${href(c.logPath)}">${label}</a>` : label);

  const life: Life = {
    created: ms(c.lifetime.createdAt),
    started: ms(c.lifetime.startedAt),
    finished: ms(c.lifetime.finishedAt) ?? (c.lifetime.running ? asOf : null),
  };
  const marker = lifeMarks(parts, c, tone, mid, scale, life);
  if (marker !== null) {
    const right = marker.x + 10 + marker.text.length * 7 < W;
    parts.push(`<text class="marker ${tone}" x="${(right ? marker.x + 10 : marker.x - 10).toFixed(1)}" y="${mid + 4}" text-anchor="${right ? 'start' : 'end'}">${e(marker.text)}</text>`);
  }
  errorTicks(parts, c, mid, scale, life);
  eventMarks(parts, c, mid, scale);
  parts.push('</g>');
}

/**
 * The wait between created and started, the bar from start to finish with its exit mark, or the dot of a
 * container that never started; returns where the row's marker text goes and what it says.
 */
function lifeMarks(parts: string[], c: ContainerTriage, tone: Tone, mid: number, scale: TimeScale, life: Life): { x: number; text: string } | null {
  const { created, started, finished } = life;
  if (created !== null && started !== null && started > created) {
    parts.push(`<line class="waiting" x1="${scale.x(created).toFixed(1)}" y1="${mid}" x2="${scale.x(started).toFixed(1)}" y2="${mid}"><title>created ${formatClock(c.lifetime.createdAt)}, started ${formatClock(c.lifetime.startedAt)}</title></line>`);
  }
  if (started !== null) {
    const end = Math.max(finished ?? started, started);
    const x0 = scale.x(started);
    const w = Math.max(3, scale.x(end) - x0);
    const title = `${c.record.name}: ${whenText(c)}`;
    parts.push(`<rect class="bar ${tone}${c.lifetime.running ? ' running' : ''}" x="${x0.toFixed(1)}" y="${mid - 7}" width="${w.toFixed(1)}" height="14" rx="3"><title>${e(title)}</title></rect>`);
    const markerX = x0 + w;
    const exit = exitLabel(c);
    const text = c.lifetime.running ? `running${c.health && c.health.status !== 'healthy' ? ` (${c.health.status})` : ''}` : `exit ${exit ?? '?'}`;
    if (!c.lifetime.running) {
      parts.push(`<path class="exit ${tone}" d="M${markerX.toFixed(1)} ${mid - 8} l6 8 l-6 8 l-6 -8 z"><title>${e(`finished ${formatClock(c.lifetime.finishedAt)} UTC, exit ${exit ?? '?'}`)}</title></path>`);
    }
    return { x: markerX, text };
  }
  if (created !== null) {
    const markerX = scale.x(created);
    parts.push(`<circle class="never" cx="${markerX.toFixed(1)}" cy="${mid}" r="5"><title>created ${formatClock(c.lifetime.createdAt)} UTC, never started</title></circle>`);
    return { x: markerX, text: 'never started' };
  }
  return null;
}

/**
 * The engine's events that mattered (events.jsonl), on the bar: a cross per exit, a filled square for an OOM
 * kill, a ring per restart, a dot per health change (red when it turned unhealthy).
 */
function eventMarks(parts: string[], c: ContainerTriage, mid: number, scale: TimeScale): void {
  for (const mark of c.events?.marks ?? []) {
    const t = ms(mark.time);
    if (t === null) continue;
    const x = scale.x(t).toFixed(1);
    const title = `<title>${e(`${eventMarkLabel(mark)} at ${formatClock(mark.time)} UTC`)}</title>`;
    if (mark.kind === 'die') parts.push(`<path class="ev die" d="M${x} ${mid} m-4 -4 l8 8 m0 -8 l-8 8">${title}</path>`);
    else if (mark.kind === 'oom') parts.push(`<rect class="ev oom" x="${(Number(x) - 5).toFixed(1)}" y="${mid - 5}" width="10" height="10">${title}</rect>`);
    else if (mark.kind === 'restart') parts.push(`<circle class="ev restart" cx="${x}" cy="${mid}" r="5">${title}</circle>`);
    else parts.push(`<circle class="ev health ${mark.health === 'unhealthy' ? 'bad' : 'ok'}" cx="${x}" cy="${mid - 11}" r="3">${title}</circle>`);
  }
}

/**
 * Where this container's errors and warnings happened, as ticks above and below its bar (kept on the
 * bar: a bucket's middle may fall a little outside a short life).
 */
function errorTicks(parts: string[], c: ContainerTriage, mid: number, scale: TimeScale, life: Life): void {
  const a = c.analysis;
  if (!a) return;
  const { started, finished } = life;
  const half = a.timeline.bucketMs / 2;
  const most = Math.max(1, ...a.timeline.buckets.map((b) => Math.max(b.errors, b.warnings)));
  const lo = started ?? -Infinity;
  const hi = started !== null && finished !== null ? Math.max(finished, started) : Infinity;
  for (const b of a.timeline.buckets) {
    const t = ms(b.start);
    if (t === null) continue;
    const tx = scale.x(Math.min(hi, Math.max(lo, t + half))).toFixed(1);
    if (b.errors > 0) {
      const h = 4 + 6 * Math.sqrt(b.errors / most);
      parts.push(`<line class="tick error" x1="${tx}" y1="${mid - 8}" x2="${tx}" y2="${(mid - 8 - h).toFixed(1)}"><title>${plural(b.errors, 'error')} at ${formatClock(b.start)} UTC</title></line>`);
    }
    if (b.warnings > 0) {
      const h = 4 + 6 * Math.sqrt(b.warnings / most);
      parts.push(`<line class="tick warning" x1="${tx}" y1="${mid + 8}" x2="${tx}" y2="${(mid + 8 + h).toFixed(1)}"><title>${plural(b.warnings, 'warning')} at ${formatClock(b.start)} UTC</title></line>`);
    }
  }
}

/** All containers' timed errors, in HIST_BINS equal stretches of the plotted range. */
function errorBins(report: TriageReport, scale: TimeScale): { bins: number[]; binMs: number } {
  const bins = new Array<number>(HIST_BINS).fill(0);
  const binMs = (scale.t1 - scale.t0) / HIST_BINS;
  for (const c of report.containers) {
    const a = c.analysis;
    if (!a) continue;
    for (const b of a.timeline.buckets) {
      const t = ms(b.start);
      if (t === null || b.errors === 0) continue;
      const bin = Math.min(HIST_BINS - 1, Math.max(0, Math.floor((t + a.timeline.bucketMs / 2 - scale.t0) / binMs)));
      bins[bin] = (bins[bin] ?? 0) + b.errors;
    }
  }
  return { bins, binMs };
}

/** All containers' errors together: where they cluster in time. */
function errorHistogram(parts: string[], report: TriageReport, scale: TimeScale, plotBottom: number): void {
  const { bins, binMs } = errorBins(report, scale);
  const peak = Math.max(...bins);
  const histTop = plotBottom + 8;
  parts.push(`<text class="name muted" x="8" y="${histTop + HIST_H / 2}">errors over time</text>`);
  parts.push(`<line class="baseline" x1="${PLOT_X0}" y1="${histTop + HIST_H - 8}" x2="${PLOT_X1}" y2="${histTop + HIST_H - 8}"/>`);
  if (peak > 0) {
    const bw = (PLOT_X1 - PLOT_X0) / HIST_BINS;
    bins.forEach((n, i) => {
      if (n === 0) return;
      const h = Math.max(2, (n / peak) * (HIST_H - 14));
      const bx = PLOT_X0 + i * bw;
      const from = new Date(scale.t0 + i * binMs).toISOString();
      parts.push(`<rect class="hist" x="${(bx + 0.5).toFixed(1)}" y="${(histTop + HIST_H - 8 - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${plural(n, 'error')} from ${formatClock(from)} UTC</title></rect>`);
    });
    parts.push(`<text class="axis" x="${PLOT_X1 + 8}" y="${histTop + 12}">peak ${peak}</text>`);
  } else {
    parts.push(`<text class="axis muted" x="${PLOT_X0}" y="${histTop + HIST_H / 2}">no timed errors (collect with --timestamps to place every error in time)</text>`);
  }
}
