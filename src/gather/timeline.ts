/*
 * The run's timeline.log (issue 12): made when a run collects two or more containers — one container's
 * timeline would be its own .log — from each log's lines as they are written (run-folder/timeline.ts), and
 * merged once every log is on disk, so that SUMMARY.md can say where in it the first error is.
 */
import type { ContainerRecord, TimelineError, TimelineRecord } from '../run-folder/manifest.js';
import { DEFAULT_MAX_BYTES_PER_CONTAINER, Timeline, timelineLabel } from '../run-folder/timeline.js';
import type { LogAnalysis } from '../triage/analyze.js';

/** Containers a run must collect for a timeline. */
const MIN_CONTAINERS = 2;

/**
 * A timeline for the run folder `outputDir` when `containers` warrant one: each container's last
 * min(--max-log-size, 64 MiB) of lines are kept in it.
 */
export async function openTimeline(outputDir: string, containers: number, maxLogBytes: number | null): Promise<Timeline | null> {
  if (containers < MIN_CONTAINERS) return null;
  const bound = maxLogBytes !== null && maxLogBytes > 0 ? Math.min(maxLogBytes, DEFAULT_MAX_BYTES_PER_CONTAINER) : DEFAULT_MAX_BYTES_PER_CONTAINER;
  return Timeline.create(outputDir, bound);
}

/** Write timeline.log from what the taps kept, and find each container's first error in it: the earliest is the run's. */
export async function writeTimeline(
  outputDir: string,
  timeline: Timeline,
  containers: readonly ContainerRecord[],
  analyses: ReadonlyMap<string, LogAnalysis>,
): Promise<TimelineRecord> {
  const firstErrors: { label: string; line: number }[] = [];
  for (const record of containers) {
    const log = record.files.find((f) => f.kind === 'log');
    const analysis = log ? analyses.get(log.path) : undefined;
    if (!log || !analysis?.firstError) continue;
    const label = timelineLabel(log.path);
    const line = timeline.lineOfLog(label, analysis.firstError.line, analysis.lines);
    if (line !== null) firstErrors.push({ label, line });
  }
  const written = await timeline.write(outputDir, new Map(firstErrors.map(({ label, line }) => [label, new Set([line])])));
  let firstError: TimelineError | null = null;
  for (const { label, line } of firstErrors) {
    const place = written.places.get(label)?.get(line);
    if (place !== undefined && (firstError === null || place.line < firstError.line)) firstError = { line: place.line, container: label, time: place.time };
  }
  const { path, bytes, sha256 } = written.file;
  return { path, bytes, sha256, lines: written.lines, containers: written.containers, missing: written.missing, firstError };
}
