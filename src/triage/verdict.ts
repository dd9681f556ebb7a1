import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { containerFiles, EVENTS_FILE } from '../run-folder/layout.js';
import type { ContainerRecord } from '../run-folder/manifest.js';
import type { FileRecord } from '../run-folder/write.js';
import { readManifest, type EngineInfo, type RunInfo, type TimelineRef } from '../run-folder/read-manifest.js';
import { analyzeLogFile, type LogAnalysis } from './analyze.js';
import { compareProblems, diagnose, type HealthStatus, type Lifetime, type Problem } from './diagnose.js';
import { historyKey, readEventHistories, type EventHistory } from './events.js';
import { byName } from '../_util/order.js';

/*
 * A saved run folder, read back and judged: manifest.json, each container's inspect JSON and log (streamed
 * through analyzeLog). Tolerates what a real folder may lack: a container that was never collected, a file
 * that was deleted, a manifest written by an older must-gather.
 */

/** One container of the run, with what its files say. */
export interface ContainerTriage {
  readonly record: ContainerRecord;
  /** The log and inspect files, relative to the run folder, when they exist. */
  readonly logPath: string | null;
  readonly inspectPath: string | null;
  readonly analysis: LogAnalysis | null;
  /** Worst first; empty when nothing is wrong. */
  readonly problems: readonly Problem[];
  readonly lifetime: Lifetime;
  readonly health: HealthStatus | null;
  /** What the engine's events said of it (events.jsonl), or null when the run has none for it. */
  readonly events: EventHistory | null;
  /** Why some of this container's evidence could not be read back. */
  readonly notes: readonly string[];
}

export interface TriageReport {
  readonly service: string;
  /** The run folder. */
  readonly outputDir: string;
  /** The engines the run used (two with `--runtime all`). */
  readonly runtimes: readonly EngineInfo[];
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly incomplete: boolean;
  readonly interruption: string | null;
  /** Containers with problems first (worst first), then the others by name. */
  readonly containers: readonly ContainerTriage[];
  /** Every problem of every container, worst first. */
  readonly problems: readonly Problem[];
  /** timeline.log and where its first error is; absent or null when the run wrote none. */
  readonly timeline?: TimelineRef | null;
}

/** One container's evidence, already read: the input of {@link buildReport}. */
export interface ContainerEvidence {
  readonly record: ContainerRecord;
  /** The raw inspect object, or null when there is none. */
  readonly inspect: unknown;
  readonly analysis: LogAnalysis | null;
  readonly logPath: string | null;
  readonly inspectPath: string | null;
  readonly events?: EventHistory | null;
  readonly notes?: readonly string[];
}

/** Judge a run from evidence already read. Pure. */
export function buildReport(outputDir: string, run: RunInfo, evidence: readonly ContainerEvidence[]): TriageReport {
  const containers: ContainerTriage[] = evidence.map((e) => {
    const { problems, lifetime, health, events } = diagnose(e.record, e.inspect, e.analysis, run.finishedAt, e.events ?? null);
    return {
      record: e.record,
      logPath: e.logPath,
      inspectPath: e.inspectPath,
      analysis: e.analysis,
      problems,
      lifetime,
      health,
      events,
      notes: e.notes ?? [],
    };
  });
  const finished = new Map(containers.map((c) => [c.record.name, c.lifetime.finishedAt]));
  const order = (a: Problem, b: Problem) => compareProblems(a, b, (name) => finished.get(name) ?? null);
  const problems = containers.flatMap((c) => c.problems).sort(order);
  const rank = new Map<string, number>();
  problems.forEach((p, i) => {
    if (!rank.has(p.container)) rank.set(p.container, i);
  });
  containers.sort((a, b) => {
    const ra = rank.get(a.record.name) ?? Infinity;
    const rb = rank.get(b.record.name) ?? Infinity;
    return ra !== rb ? ra - rb : byName(a.record.name, b.record.name);
  });
  return { ...run, outputDir, containers, problems };
}

/** A file name from a manifest that stays inside the run folder, or null. */
function plainFileName(path: string): string | null {
  // A file of the run folder, or of one engine's folder in it (`--runtime all`, or auto with both engines).
  const match = /^(?:(?:podman|docker)\/)?([A-Za-z0-9_.-]+)$/.exec(path);
  const name = match?.[1];
  return name !== undefined && name !== '.' && name !== '..' && basename(name) === name ? path : null;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Inspect files are a few kB; anything far larger is not one. */
const MAX_INSPECT_BYTES = 16 * 1024 * 1024;

async function readEvidence(dir: string, record: ContainerRecord, known: ReadonlyMap<string, LogAnalysis>): Promise<ContainerEvidence> {
  const notes: string[] = [];
  const find = async (kind: FileRecord['kind'], conventional: string): Promise<string | null> => {
    const listed = record.files.find((f) => f.kind === kind);
    const name = listed ? plainFileName(listed.path) : conventional;
    if (listed && name === null) {
      notes.push(`${kind} file ${JSON.stringify(listed.path)} in manifest.json is not a file of the run folder; ignored`);
      return null;
    }
    if (name !== null && (await exists(join(dir, name)))) return name;
    if (listed) notes.push(`${name} is listed in manifest.json but missing from the folder`);
    return null;
  };
  const conventional = containerFiles(record.name);
  const inspectPath = await find('inspect', conventional.inspect);
  const logPath = await find('log', conventional.log);

  let inspect: unknown = null;
  if (inspectPath !== null) {
    try {
      const full = join(dir, inspectPath);
      if ((await stat(full)).size > MAX_INSPECT_BYTES) throw new Error('too large for an inspect file');
      inspect = JSON.parse(await readFile(full, 'utf8')) as unknown;
    } catch (error) {
      notes.push(`${inspectPath} could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let analysis: LogAnalysis | null = null;
  if (logPath !== null) {
    try {
      analysis = known.get(logPath) ?? (await analyzeLogFile(join(dir, logPath)));
    } catch (error) {
      notes.push(`${logPath} could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { record, inspect, analysis, logPath: analysis === null ? null : logPath, inspectPath, notes };
}

/**
 * Read the files of `records` in run folder `dir` and judge them. `analyses` are logs already analysed
 * while they were written (by their path in the folder): those are not read again.
 */
export async function triageRun(dir: string, run: RunInfo, records: readonly ContainerRecord[], analyses: ReadonlyMap<string, LogAnalysis> = new Map()): Promise<TriageReport> {
  const evidence: ContainerEvidence[] = [];
  // A run-level failure (rare: the file is there but unreadable), told with each container it leaves unexplained.
  const runNotes: string[] = [];
  const histories = await readEventHistories(join(dir, EVENTS_FILE), new Set(records.map((r) => historyKey(r.runtime, r.id)))).catch((error: unknown) => {
    runNotes.push(`${EVENTS_FILE} could not be read: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  });
  // One log at a time: analysis is CPU-bound, and memory stays that of one log.
  for (const record of records) {
    const e = await readEvidence(dir, record, analyses);
    const notes = [...(e.notes ?? []), ...runNotes];
    evidence.push({ ...e, events: histories?.get(historyKey(record.runtime, record.id)) ?? null, notes });
  }
  return buildReport(dir, run, evidence);
}

/**
 * Read a saved run folder back: its manifest.json, then each container's files. Throws {@link UsageError}
 * when `dir` has no readable manifest.json (it is not a must-gather run folder).
 */
export async function loadRun(dir: string): Promise<TriageReport> {
  const { run, records } = await readManifest(dir);
  return triageRun(dir, run, records);
}
