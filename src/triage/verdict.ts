import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ContainerRecord } from '../gather/collect.js';
import { UsageError } from '../_util/errors.js';
import { MANIFEST_FILE } from '../run-folder/manifest.js';
import { safeFileStem, type FileRecord } from '../run-folder/write.js';
import type { RuntimeName } from '../runtime/types.js';
import { analyzeLogFile, type LogAnalysis, type LogEvent } from './analyze.js';
import { compareProblems, diagnose, type Evidence, type HealthStatus, type Lifetime, type Problem } from './diagnose.js';
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
}

export interface EngineInfo {
  readonly name: string;
  readonly version: string;
}

/** What a run says about itself (manifest.json's top level, or gather()'s result). */
export interface RunInfo {
  readonly service: string;
  readonly runtimes: readonly EngineInfo[];
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly incomplete: boolean;
  readonly interruption: string | null;
}

/** One container's evidence, already read: the input of {@link buildReport}. */
export interface ContainerEvidence {
  readonly record: ContainerRecord;
  /** The raw inspect object, or null when there is none. */
  readonly inspect: unknown;
  readonly analysis: LogAnalysis | null;
  readonly logPath: string | null;
  readonly inspectPath: string | null;
  readonly notes?: readonly string[];
}

/** Judge a run from evidence already read. Pure. */
export function buildReport(outputDir: string, run: RunInfo, evidence: readonly ContainerEvidence[]): TriageReport {
  const containers: ContainerTriage[] = evidence.map((e) => {
    const { problems, lifetime, health } = diagnose(e.record, e.inspect, e.analysis, run.finishedAt);
    return {
      record: e.record,
      logPath: e.logPath,
      inspectPath: e.inspectPath,
      analysis: e.analysis,
      problems,
      lifetime,
      health,
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
  return /^[A-Za-z0-9_.-]+$/.test(path) && path !== '.' && path !== '..' && basename(path) === path ? path : null;
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
  const stem = safeFileStem(record.name);
  const inspectPath = await find('inspect', `${stem}_inspect.json`);
  const logPath = await find('log', `${stem}.log`);

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
  // One log at a time: analysis is CPU-bound, and memory stays that of one log.
  for (const record of records) evidence.push(await readEvidence(dir, record, analyses));
  return buildReport(dir, run, evidence);
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function fileRecords(value: unknown): FileRecord[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).flatMap((f): FileRecord[] => {
    const path = str(f.path);
    const kind = f.kind === 'log' || f.kind === 'inspect' ? f.kind : null;
    if (path === null || kind === null) return [];
    return [{ path, kind, bytes: typeof f.bytes === 'number' ? f.bytes : 0, sha256: str(f.sha256) ?? '' }];
  });
}

/** A container record from any manifest version; missing fields take neutral values. */
export function recordFromManifest(raw: unknown, runtime: RuntimeName = 'podman'): ContainerRecord | null {
  if (!isObject(raw)) return null;
  const name = str(raw.name);
  if (name === null || name === '') return null;
  const matchedBy = raw.matchedBy === 'service' || raw.matchedBy === 'container' || raw.matchedBy === 'label' ? raw.matchedBy : 'service';
  return {
    name,
    runtime: raw.runtime === 'podman' || raw.runtime === 'docker' ? raw.runtime : runtime,
    id: str(raw.id) ?? '',
    image: str(raw.image) ?? '',
    state: (str(raw.state) ?? '').toLowerCase(),
    exitCode: typeof raw.exitCode === 'number' ? raw.exitCode : null,
    oomKilled: raw.oomKilled === true,
    restartCount: typeof raw.restartCount === 'number' ? raw.restartCount : 0,
    startedAt: str(raw.startedAt),
    finishedAt: str(raw.finishedAt),
    matchedBy: matchedBy as ContainerRecord['matchedBy'],
    files: fileRecords(raw.files),
    error: str(raw.error),
    complete: raw.complete !== false,
  };
}

/** The top of a manifest of any version. */
function engineInfo(value: unknown): EngineInfo | null {
  if (isObject(value)) return { name: str(value.name) ?? '?', version: str(value.version) ?? '' };
  return typeof value === 'string' && value !== '' ? { name: value, version: '' } : null;
}

export function runInfoFromManifest(manifest: Record<string, unknown>): RunInfo {
  const listed = Array.isArray(manifest.runtimes) ? manifest.runtimes.map(engineInfo).filter((e) => e !== null) : [];
  const single = engineInfo(manifest.runtime);
  return {
    service: str(manifest.service) ?? '?',
    runtimes: listed.length > 0 ? listed : single ? [single] : [],
    startedAt: str(manifest.startedAt),
    finishedAt: str(manifest.finishedAt),
    incomplete: manifest.incomplete === true,
    interruption: str(manifest.interruption),
  };
}

/**
 * Read a saved run folder back: its manifest.json, then each container's files. Throws {@link UsageError}
 * when `dir` has no readable manifest.json (it is not a must-gather run folder).
 */
export async function loadRun(dir: string): Promise<TriageReport> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as unknown;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it has no manifest.json' : `its manifest.json cannot be read (${error instanceof Error ? error.message : String(error)})`;
    throw new UsageError(`${dir} is not a must-gather run folder: ${why}`, { cause: error });
  }
  if (!isObject(manifest)) throw new UsageError(`${dir} is not a must-gather run folder: manifest.json is not an object`);
  const run = runInfoFromManifest(manifest);
  const engine: RuntimeName = run.runtimes[0]?.name === 'docker' ? 'docker' : 'podman';
  const records = (Array.isArray(manifest.containers) ? manifest.containers : []).map((c) => recordFromManifest(c, engine)).filter((r) => r !== null);
  return triageRun(dir, run, records);
}

// ---------------------------------------------------------------------------------------------- manifest.json

export const FINDINGS_SCHEMA_VERSION = 1;

export interface EventJson {
  readonly line: number;
  readonly level: 'error' | 'warning';
  readonly kind: string;
  readonly text: string;
  readonly timestamp: string | null;
  /** A stack trace's most telling line, when the event starts one. */
  readonly cause: string | null;
  readonly traceLines: number | null;
}

export interface ContainerFindingsJson {
  readonly name: string;
  readonly problems: readonly { readonly kind: Problem['kind']; readonly severity: number; readonly reason: string; readonly evidence: Evidence | null }[];
  readonly lifetime: Lifetime;
  readonly health: HealthStatus | null;
  readonly log: {
    readonly path: string;
    readonly bytes: number;
    readonly lines: number;
    readonly errors: number;
    readonly warnings: number;
    readonly firstError: EventJson | null;
    readonly lastError: EventJson | null;
    readonly firstWarning: EventJson | null;
    /** The most frequent distinct messages (at most 20), most frequent first. */
    readonly findings: readonly { level: string; kind: string; text: string; count: number; firstLine: number; lastLine: number }[];
  } | null;
  readonly notes: readonly string[];
}

export interface FindingsJson {
  readonly schemaVersion: number;
  /** Containers with at least one problem, worst first. */
  readonly failed: readonly string[];
  readonly errors: number;
  readonly warnings: number;
  readonly containers: readonly ContainerFindingsJson[];
}

function eventJson(event: LogEvent | null): EventJson | null {
  if (event === null) return null;
  return {
    line: event.line,
    level: event.level,
    kind: event.kind,
    text: event.text,
    timestamp: event.timestamp,
    cause: event.trace?.headline ?? null,
    traceLines: event.trace?.lines ?? null,
  };
}

const FINDINGS_IN_JSON = 20;

/** The report's findings in machine-readable form, for manifest.json. */
export function toFindingsJson(report: TriageReport): FindingsJson {
  const containers = report.containers.map((c): ContainerFindingsJson => {
    const a = c.analysis;
    return {
      name: c.record.name,
      problems: c.problems.map((p) => ({ kind: p.kind, severity: p.severity, reason: p.reason, evidence: p.evidence })),
      lifetime: c.lifetime,
      health: c.health,
      log:
        a === null || c.logPath === null
          ? null
          : {
              path: c.logPath,
              bytes: a.bytes,
              lines: a.lines,
              errors: a.errorCount,
              warnings: a.warningCount,
              firstError: eventJson(a.firstError),
              lastError: eventJson(a.lastError),
              firstWarning: eventJson(a.firstWarning),
              findings: [...a.findings]
                .sort((x, y) => y.count - x.count || x.firstLine - y.firstLine)
                .slice(0, FINDINGS_IN_JSON)
                .map(({ level, kind, text, count, firstLine, lastLine }) => ({ level, kind, text, count, firstLine, lastLine })),
            },
      notes: c.notes,
    };
  });
  return {
    schemaVersion: FINDINGS_SCHEMA_VERSION,
    failed: [...new Set(report.problems.map((p) => p.container))],
    errors: report.containers.reduce((n, c) => n + (c.analysis?.errorCount ?? 0), 0),
    warnings: report.containers.reduce((n, c) => n + (c.analysis?.warningCount ?? 0), 0),
    containers,
  };
}
