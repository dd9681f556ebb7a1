import { ArchiveParts, writeArchive } from '../run-folder/archive.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { collectContainer, inspectContainer, notCollected, type CollectContext, type Inspection } from './collect.js';
import { collectSecretLiterals, compileRedaction, REDACTION_MARKER } from '../redact/index.js';
import type { SelectedContainer } from './select.js';
import { chooseEngines, findEngines, type EngineListing } from './engines.js';
import { deadline, type Deadline } from '../_util/deadline.js';
import { errorMessage, NoEngineError, OutputError } from '../_util/errors.js';
import { archivePathOf, HTML_FILE, SUMMARY_FILE } from '../run-folder/layout.js';
import { writeManifest, writeRuntimeInfo, type ContainerRecord, type Description, type RuntimeSummary } from '../run-folder/manifest.js';
import type { RunInfo } from '../run-folder/read-manifest.js';
import { buildManifest, describeEngine, manifestArguments, type Manifest } from './manifest.js';
import { resolveOptions, type GatherOptions, type ProgressEvent, type ResolvedOptions } from './options.js';
import { chooseOutputBase, createRunFolder, writeNewFile, type OutputBase } from '../run-folder/write.js';
import type { LogAnalysis } from '../triage/analyze.js';
import { renderHtml } from '../render/html.js';
import { renderSummaryMarkdown } from '../render/markdown.js';
import { toFindingsJson } from '../triage/findings-json.js';
import { triageRun, type TriageReport } from '../triage/verdict.js';
import { mapPool } from '../_util/pool.js';
import type { DetectedRuntime } from '../runtime/detect.js';

/** What a run did. Returned by {@link gather}; printed by `must-gather --json`. */
export interface GatherResult {
  readonly service: string;
  /** The run folder, or null when nothing matched (then nothing was written). */
  readonly outputDir: string | null;
  /**
   * The base folder it was made in, and why that one (the default may have given way to this user's
   * per-user base); null when nothing matched.
   */
  readonly outputBase: OutputBase | null;
  /** `<outputDir>.tar.gz` when an archive was asked for and written. */
  readonly archivePath: string | null;
  /** Why the archive could not be written, or null. */
  readonly archiveError: string | null;
  /** The engine used (the first, with `--runtime all`). */
  readonly runtime: RuntimeSummary;
  /** Every engine used: one, or each that answered with `--runtime all`. */
  readonly runtimes: readonly RuntimeSummary[];
  readonly containers: readonly ContainerRecord[];
  /** Every container name the engines listed: when nothing matched, the user's typo is among them. */
  readonly available: readonly string[];
  /** Every engine asked, what it has and whether it was used: why these engines (`--runtime auto`). */
  readonly engines: readonly EngineListing[];
  /** `--container` names that matched nothing. */
  readonly missing: readonly string[];
  /** True when the run was cut short or a container could not be finished; manifest.json says which. */
  readonly incomplete: boolean;
  /** Why the run was cut short (timeout or abort), or null. */
  readonly interruption: string | null;
  /** Run-level problems that did not stop it, e.g. a runtime.json that could not be written. */
  readonly warnings: readonly string[];
  /** What failed and why (SUMMARY.md, index.html and manifest.json's `findings` are made from it). */
  readonly triage: TriageReport | null;
  readonly startedAt: string;
  readonly finishedAt: string;
}

/** Judge the collected containers and write SUMMARY.md and index.html beside their files (record mode too). */
export async function writeTriage(outputDir: string, run: RunInfo, containers: readonly ContainerRecord[], analyses: ReadonlyMap<string, LogAnalysis>): Promise<TriageReport> {
  const report = await triageRun(outputDir, run, containers, analyses);
  await writeNewFile(join(outputDir, SUMMARY_FILE), renderSummaryMarkdown(report));
  await writeNewFile(join(outputDir, HTML_FILE), renderHtml(report));
  return report;
}

/**
 * Discover a service's test containers, write each one's logs and inspect JSON to a new run folder,
 * then manifest.json and, if asked, `<folder>.tar.gz`.
 *
 * Throws {@link UsageError} for invalid options and {@link NoEngineError} when no engine answers.
 * Everything else (a container that vanished, a log that cannot be read, the timeout) is recorded in the
 * result and manifest.json. Never prints, never exits.
 */
export async function gather(options: GatherOptions): Promise<GatherResult> {
  const resolved = resolveOptions(options);
  const limit = deadline(resolved.timeoutMs, options.signal);
  try {
    return await gatherWithin(options, resolved, limit);
  } finally {
    limit.dispose();
  }
}

/** What every phase of a run shares: the options, its bound, its clock and where progress goes. */
interface RunScope {
  readonly options: GatherOptions;
  readonly resolved: ResolvedOptions;
  readonly limit: Deadline;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  readonly startedAt: Date;
  readonly progress: (event: ProgressEvent) => void;
  /** Why the run's signal fired, in words, for the records. */
  readonly abortReason: () => string;
  /** `within 120 s (--timeout)`. */
  readonly within: string;
}

/** manifest.json but for what is known only at the end of the run. */
export type ManifestFields = Omit<Manifest, 'schemaVersion' | 'tool' | 'archive' | 'warnings' | 'finishedAt'>;

/** The result fields known once the engines have listed their containers. */
type ListedFields = Pick<GatherResult, 'service' | 'runtime' | 'runtimes' | 'available' | 'engines' | 'missing' | 'startedAt'>;

interface Selected {
  readonly engine: DetectedRuntime;
  readonly container: SelectedContainer;
}

async function gatherWithin(options: GatherOptions, resolved: ResolvedOptions, limit: Deadline): Promise<GatherResult> {
  const now = options.now ?? (() => new Date());
  const scope: RunScope = {
    options,
    resolved,
    limit,
    signal: limit.signal,
    now,
    startedAt: now(),
    progress: options.onProgress ?? (() => {}),
    abortReason: () =>
      limit.timedOut() ? `timed out after ${resolved.timeoutMs / 1000} s (--timeout)` : `interrupted (${errorMessage(options.signal?.reason ?? 'aborted')})`,
    within: `within ${resolved.timeoutMs / 1000} s (--timeout)`,
  };
  const detected = await detectPhase(scope);
  // podman takes ~0.2 s to describe itself: ask now, while containers are listed and collected.
  const descriptions = new Map(detected.engines.map((engine) => [engine, describeEngine(engine.runtime, scope.signal)]));
  const { selected, listed, engines, warnings: choiceWarnings } = await selectPhase(scope, detected.engines, detected.unanswered);
  if (selected.length === 0) return nothingMatched(scope, listed, choiceWarnings);
  const runtimes = listed.runtimes;

  const { outputDir, base } = await openRunFolder(scope, selected);
  // With --archive, each log is compressed as it is written; the archive is then mostly a copy.
  const parts = resolved.archive ? await ArchiveParts.create(outputDir).catch(() => null) : null;
  try {
    /** Run-level problems that did not stop the run (a file beside the evidence that could not be written). */
    const warnings: string[] = [...choiceWarnings];
    const { contexts, runtimeFiles } = await prepareEngines(scope, engines, outputDir, parts, descriptions, warnings);
    const { containers, analyses } = await collectPhase(scope, selected, contexts);
    const interruption = scope.signal.aborted ? scope.abortReason() : null;
    const incomplete = interruption !== null || containers.some((c) => !c.complete);
    const finishedAt = now().toISOString();
    const run: RunInfo = { service: resolved.service, runtimes, startedAt: listed.startedAt, finishedAt, incomplete, interruption };
    // The verdict is written while runtime.json may still wait for the engine (podman's /info takes ~0.15 s).
    const [triage] = await Promise.all([
      writeTriage(outputDir, run, containers, analyses).catch((error: unknown) => {
        warnings.push(`SUMMARY.md and index.html not written: ${errorMessage(error)}`);
        return null;
      }),
      Promise.all(runtimeFiles),
    ]);
    const { available: _available, engines: listings, ...manifestBase } = listed;
    const manifestFields: ManifestFields = {
      ...manifestBase,
      engines: listings.map(({ available: _names, ...listing }) => listing),
      arguments: manifestArguments(resolved),
      outputBase: base,
      redaction: { enabled: resolved.redact, marker: REDACTION_MARKER },
      incomplete,
      interruption,
      containers,
      findings: triage ? toFindingsJson(triage) : null,
      testRun: options.testRun ?? null,
    };
    const { archivePath, archiveError } = await writeManifestAndArchive(scope, outputDir, parts, manifestFields, { warnings, finishedAt });
    return { ...listed, outputDir, outputBase: base, archivePath, archiveError, containers, incomplete, interruption, warnings, finishedAt, triage };
  } finally {
    await parts?.discard();
  }
}

/** Phase 1: the engines that answer (detected, or the caller's adapter). */
async function detectPhase(scope: RunScope): Promise<{ engines: readonly DetectedRuntime[]; unanswered: readonly string[] }> {
  return findEngines(scope.options, scope.resolved, scope.signal).catch((error: unknown) => {
    // The run's own --timeout ran out while looking: no engine answered in time.
    if (scope.limit.timedOut()) throw new NoEngineError([{ runtime: 'any engine', reason: `none answered ${scope.within}` }]);
    throw error;
  });
}

/** Phase 2: every engine lists its containers; the service's are selected, and the engines that have them chosen. */
async function selectPhase(
  scope: RunScope,
  detected: readonly DetectedRuntime[],
  unanswered: readonly string[],
): Promise<{ selected: Selected[]; listed: ListedFields; engines: readonly DetectedRuntime[]; warnings: readonly string[] }> {
  const { resolved, limit } = scope;
  const timedOut = () => (limit.timedOut() ? `listing containers did not finish ${scope.within}` : null);
  const choice = await chooseEngines(detected, resolved, scope.signal, timedOut, unanswered);
  for (const warning of choice.warnings) scope.progress({ type: 'warning', message: warning });
  const selected = choice.used.flatMap(({ engine, selected }) => selected.map((container) => ({ engine, container })));
  if (selected.length > 0) for (const { summary } of choice.used) scope.progress({ type: 'runtime', ...summary });
  const runtimes = choice.used.map((u) => u.summary);
  const listed: ListedFields = {
    service: resolved.service,
    runtime: runtimes[0] as RuntimeSummary,
    runtimes,
    available: [...new Set(choice.listings.flatMap((l) => l.available))].sort(),
    engines: choice.listings,
    missing: choice.missing,
    startedAt: scope.startedAt.toISOString(),
  };
  return { selected, listed, engines: choice.used.map((u) => u.engine), warnings: choice.warnings };
}

/** Nothing matched: nothing is written, and the result lists what the engines have. */
function nothingMatched(scope: RunScope, listed: ListedFields, warnings: readonly string[]): GatherResult {
  return {
    ...listed,
    outputDir: null,
    outputBase: null,
    archivePath: null,
    archiveError: null,
    containers: [],
    incomplete: false,
    interruption: null,
    warnings,
    triage: null,
    finishedAt: scope.now().toISOString(),
  };
}

/**
 * Phase 3: the run folder, created only now that there is something to put in it — and so is the base
 * folder: the one asked for, or, when only the default was and it belongs to another user, this user's own.
 */
export async function openRunFolder(scope: Pick<RunScope, 'resolved' | 'progress' | 'startedAt'>, selected: readonly Pick<Selected, 'container'>[]): Promise<{ outputDir: string; base: OutputBase }> {
  const { resolved } = scope;
  const base = await chooseOutputBase(resolved.outputDir, resolved.outputDirSource);
  if (base.fallback !== null) scope.progress({ type: 'output-base', dir: base.dir, requested: base.requested, reason: base.fallback });
  const outputDir = await createRunFolder(base.dir, resolved.service, scope.startedAt).catch((error: unknown) => {
    const because = base.fallback === null ? '' : ` (the per-user base, because ${base.fallback})`;
    if (error instanceof OutputError) throw because ? new OutputError(`${error.message}${because}`, { cause: error }) : error;
    throw new OutputError(`cannot create a run folder under ${base.dir}${because}: ${errorMessage(error)}`, { cause: error });
  });
  scope.progress({ type: 'matched', names: selected.map((s) => s.container.name), outputDir });
  return { outputDir, base };
}

/**
 * Phase 4: each engine's collection context and its runtime.json. With several engines (`--runtime all`)
 * each one's files go to a folder named after it, so nothing collides.
 */
async function prepareEngines(
  scope: RunScope,
  engines: readonly DetectedRuntime[],
  outputDir: string,
  parts: ArchiveParts | null,
  descriptions: ReadonlyMap<DetectedRuntime, Promise<Description>>,
  warnings: string[],
): Promise<{ contexts: Map<DetectedRuntime, CollectContext>; runtimeFiles: Promise<void>[] }> {
  const { resolved } = scope;
  const contexts = new Map<DetectedRuntime, CollectContext>();
  const runtimeFiles: Promise<void>[] = [];
  const multi = engines.length > 1;
  for (const engine of engines) {
    const prefix = multi ? engine.info.name : '';
    if (prefix) await mkdir(join(outputDir, prefix), { mode: 0o700 });
    contexts.set(engine, {
      runtime: engine.runtime,
      dir: outputDir,
      prefix,
      logs: resolved.logs,
      signal: scope.signal,
      abortReason: scope.abortReason,
      containerTimeoutMs: resolved.containerTimeoutMs,
      redaction: null,
      maxLogBytes: resolved.maxLogBytes,
      archive: parts,
    });
    runtimeFiles.push(
      writeRuntimeInfo(join(outputDir, prefix), engine, descriptions.get(engine) as Promise<Description>).catch((error: unknown) => {
        warnings.push(`runtime.json of ${engine.info.name} not written: ${errorMessage(error)}`);
      }),
    );
  }
  return { contexts, runtimeFiles };
}

/**
 * Phase 5: inspect every container, then write each one's files. Every container is inspected before any
 * log is read: the secrets in any container's environment are then known, and redacted wherever they are
 * echoed, in every log.
 */
async function collectPhase(
  scope: RunScope,
  selected: readonly Selected[],
  contexts: ReadonlyMap<DetectedRuntime, CollectContext>,
): Promise<{ containers: ContainerRecord[]; analyses: Map<string, LogAnalysis> }> {
  const { resolved, signal } = scope;
  const inspections = await mapPool(selected, resolved.concurrency, ({ engine, container }) =>
    inspectContainer(container, contexts.get(engine) as CollectContext),
  );
  const redaction = resolved.redact
    ? compileRedaction({
        literals: collectSecretLiterals(inspections.flatMap((i) => (i.details ? [i.details.raw] : []))),
        extraPatterns: resolved.redactPatterns,
      })
    : null;
  const analyses = new Map<string, LogAnalysis>();
  const containers = await mapPool(selected.map((s, i) => ({ ...s, inspection: inspections[i] as Inspection })), resolved.concurrency, async ({ engine, container, inspection }) => {
    const ctx = { ...(contexts.get(engine) as CollectContext), redaction, analyses };
    const record = await collectContainer(container, inspection, ctx).catch((error: unknown) =>
      // collectContainer records engine trouble itself; this is a local failure such as a full disk.
      ({ ...notCollected(container, ctx.runtime.name, errorMessage(error)), complete: !signal.aborted }),
    );
    scope.progress({ type: 'container', name: record.name, ok: record.error === null, error: record.error });
    return record;
  });
  return { containers, analyses };
}

/**
 * Phase 6: manifest.json, then the archive. An archive that fails leaves the evidence as it is and a
 * manifest that says there is no archive.
 */
export async function writeManifestAndArchive(
  scope: Pick<RunScope, 'resolved' | 'progress'>,
  outputDir: string,
  parts: ArchiveParts | null,
  fields: ManifestFields,
  end: Pick<Manifest, 'warnings' | 'finishedAt'>,
): Promise<{ archivePath: string | null; archiveError: string | null }> {
  // Keys in the order manifest.json has always had them.
  const manifest = (archive: Manifest['archive']): Manifest => buildManifest({ ...fields, warnings: end.warnings, archive, finishedAt: end.finishedAt });
  const archiveTarget = scope.resolved.archive ? { path: archivePathOf(outputDir) } : null;
  await writeManifest(outputDir, manifest(archiveTarget)).catch((error: unknown) => {
    // Every evidence file that was written is intact; say plainly that the index of them is missing.
    const kept = fields.containers.reduce((n, c) => n + c.files.length, 0);
    throw new OutputError(`manifest.json could not be written in ${outputDir} (${errorMessage(error)}); ${kept === 1 ? 'the file' : `the ${kept} files`} collected there ${kept === 1 ? 'is' : 'are'} kept as written`, { cause: error });
  });
  if (!archiveTarget) return { archivePath: null, archiveError: null };
  try {
    const archivePath = await writeArchive(outputDir, parts);
    scope.progress({ type: 'archive', path: archivePath });
    return { archivePath, archiveError: null };
  } catch (error) {
    await writeManifest(outputDir, manifest(null), { replace: true }).catch(() => {});
    return { archivePath: null, archiveError: errorMessage(error) };
  }
}
