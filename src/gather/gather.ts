import { ArchiveParts, writeArchive } from '../run-folder/archive.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { collectContainer, inspectContainer, notCollected, type CollectContext, type Inspection } from './collect.js';
import { collectSecretLiterals, compileRedaction, REDACTION_MARKER } from '../redact/index.js';
import { availableNames, selectContainers } from './select.js';
import { deadline, type Deadline } from '../_util/deadline.js';
import { errorMessage, NoEngineError, OutputError } from '../_util/errors.js';
import { archivePathOf, HTML_FILE, SUMMARY_FILE } from '../run-folder/layout.js';
import { writeManifest, writeRuntimeInfo, type ContainerRecord, type Description, type RuntimeSummary } from '../run-folder/manifest.js';
import type { RunInfo } from '../run-folder/read-manifest.js';
import { buildManifest, describeEngine, manifestArguments } from './manifest.js';
import { resolveOptions, type GatherOptions, type ResolvedOptions } from './options.js';
import { createRunFolder, writeNewFile } from '../run-folder/write.js';
import type { LogAnalysis } from '../triage/analyze.js';
import { renderHtml } from '../render/html.js';
import { renderSummaryMarkdown } from '../render/markdown.js';
import { toFindingsJson } from '../triage/findings-json.js';
import { triageRun, type TriageReport } from '../triage/verdict.js';
import { mapPool } from '../_util/pool.js';
import { detectRuntimes, type DetectedRuntime } from '../runtime/detect.js';
import type { ContainerRuntime } from '../runtime/types.js';

/** What a run did. Returned by {@link gather}; printed by `must-gather --json`. */
export interface GatherResult {
  readonly service: string;
  /** The run folder, or null when nothing matched (then nothing was written). */
  readonly outputDir: string | null;
  /** `<outputDir>.tar.gz` when an archive was asked for and written. */
  readonly archivePath: string | null;
  /** Why the archive could not be written, or null. */
  readonly archiveError: string | null;
  /** The engine used (the first, with `--runtime all`). */
  readonly runtime: RuntimeSummary;
  /** Every engine used: one, or each that answered with `--runtime all`. */
  readonly runtimes: readonly RuntimeSummary[];
  readonly containers: readonly ContainerRecord[];
  /** Every container name the engine listed: when nothing matched, the user's typo is among them. */
  readonly available: readonly string[];
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

async function findEngines(options: GatherOptions, resolved: ResolvedOptions, signal: AbortSignal): Promise<readonly DetectedRuntime[]> {
  if (options.containerRuntime) {
    const runtime = options.containerRuntime;
    return [{ runtime, info: await runtime.info(signal), reason: 'given by the caller' }];
  }
  const { chosen } = await detectRuntimes({
    runtime: resolved.runtime,
    transport: resolved.transport,
    env: options.env ?? process.env,
    signal,
  });
  return chosen;
}

/** Judge the collected containers and write SUMMARY.md and index.html beside their files. */
async function writeTriage(outputDir: string, run: RunInfo, containers: readonly ContainerRecord[], analyses: ReadonlyMap<string, LogAnalysis>): Promise<TriageReport> {
  const report = await triageRun(outputDir, run, containers, analyses);
  await writeNewFile(join(outputDir, SUMMARY_FILE), renderSummaryMarkdown(report));
  await writeNewFile(join(outputDir, HTML_FILE), renderHtml(report));
  return report;
}

/**
 * Everything the engine has, and what it selects by label. An engine that cannot list is no usable engine;
 * `timedOut` tells a listing cut short by the run's own --timeout from one the engine failed.
 */
async function listContainers(runtime: ContainerRuntime, labels: readonly string[], signal: AbortSignal, timedOut: () => string | null) {
  try {
    const all = await runtime.list({ signal });
    const labelled = labels.length > 0 ? await runtime.list({ labels, signal }) : [];
    return { all, labelled };
  } catch (error) {
    const reason = timedOut() ?? `listing containers failed: ${errorMessage(error)}`;
    throw new NoEngineError([{ runtime: runtime.name, reason: `answered, but ${reason}` }]);
  }
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

async function gatherWithin(options: GatherOptions, resolved: ResolvedOptions, limit: Deadline): Promise<GatherResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const signal = limit.signal;
  const abortReason = (): string =>
    limit.timedOut() ? `timed out after ${resolved.timeoutMs / 1000} s (--timeout)` : `interrupted (${errorMessage(options.signal?.reason ?? 'aborted')})`;
  const progress = options.onProgress ?? (() => {});

  const within = `within ${resolved.timeoutMs / 1000} s (--timeout)`;
  const engines = await findEngines(options, resolved, signal).catch((error: unknown) => {
    // The run's own --timeout ran out while looking: no engine answered in time.
    if (limit.timedOut()) throw new NoEngineError([{ runtime: 'any engine', reason: `none answered ${within}` }]);
    throw error;
  });
  const runtimes: RuntimeSummary[] = engines.map(({ info, reason }) => ({
    name: info.name,
    transport: info.transport,
    version: info.version,
    endpoint: info.endpoint,
    reason,
  }));
  for (const r of runtimes) progress({ type: 'runtime', ...r });
  // podman takes ~0.2 s to describe itself: ask now, while containers are listed and collected.
  const descriptions = new Map(engines.map((engine) => [engine, describeEngine(engine.runtime, signal)]));

  // With several engines (`--runtime all`) each one's files go to a folder named after it, so nothing collides.
  const multi = engines.length > 1;
  const perEngine = await Promise.all(
    engines.map(async (engine) => {
      const { all, labelled } = await listContainers(engine.runtime, resolved.labels, signal, () =>
        limit.timedOut() ? `listing containers did not finish ${within}` : null,
      );
      return { engine, all, ...selectContainers(all, resolved, labelled) };
    }),
  );
  const selected = perEngine.flatMap(({ engine, selected }) => selected.map((container) => ({ engine, container })));
  const base = {
    service: resolved.service,
    runtime: runtimes[0] as RuntimeSummary,
    runtimes,
    available: [...new Set(perEngine.flatMap((p) => availableNames(p.all)))].sort(),
    // A --container name is missing only when no engine has it.
    missing: resolved.containers.filter((name) => perEngine.every((p) => p.missing.includes(name))),
    startedAt: startedAt.toISOString(),
  };
  if (selected.length === 0) {
    return {
      ...base,
      outputDir: null,
      archivePath: null,
      archiveError: null,
      containers: [],
      incomplete: false,
      interruption: null,
      warnings: [],
      triage: null,
      finishedAt: now().toISOString(),
    };
  }

  const outputDir = await createRunFolder(resolved.outputDir, resolved.service, startedAt).catch((error: unknown) => {
    if (error instanceof OutputError) throw error;
    throw new OutputError(`cannot create a run folder under ${resolved.outputDir}: ${errorMessage(error)}`, { cause: error });
  });
  progress({ type: 'matched', names: selected.map((s) => s.container.name), outputDir });
  // With --archive, each log is compressed as it is written; the archive is then mostly a copy.
  const parts = resolved.archive ? await ArchiveParts.create(outputDir).catch(() => null) : null;
  try {
    const contexts = new Map<DetectedRuntime, CollectContext>();
    const runtimeFiles: Promise<void>[] = [];
    /** Run-level problems that did not stop the run (a file beside the evidence that could not be written). */
    const warnings: string[] = [];
    for (const engine of engines) {
      const prefix = multi ? engine.info.name : '';
      if (prefix) await mkdir(join(outputDir, prefix), { mode: 0o700 });
      contexts.set(engine, {
        runtime: engine.runtime,
        dir: outputDir,
        prefix,
        logs: resolved.logs,
        signal,
        abortReason,
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

    // Every container is inspected before any log is read: the secrets in any container's environment are
    // then known, and redacted wherever they are echoed, in every log.
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
      progress({ type: 'container', name: record.name, ok: record.error === null, error: record.error });
      return record;
    });

    const interruption = signal.aborted ? abortReason() : null;
    const incomplete = interruption !== null || containers.some((c) => !c.complete);
    const finishedAt = now().toISOString();
    const run = { service: resolved.service, runtimes, startedAt: startedAt.toISOString(), finishedAt, incomplete, interruption };
    // The verdict is written while runtime.json may still wait for the engine (podman's /info takes ~0.15 s).
    const [triage] = await Promise.all([
      writeTriage(outputDir, run, containers, analyses).catch((error: unknown) => {
        warnings.push(`SUMMARY.md and index.html not written: ${errorMessage(error)}`);
        return null;
      }),
      Promise.all(runtimeFiles),
    ]);
    const archiveTarget = resolved.archive ? { path: archivePathOf(outputDir) } : null;
    const { available: _available, ...manifestBase } = base;
    const manifestFields = {
      ...manifestBase,
      arguments: manifestArguments(resolved),
      redaction: { enabled: resolved.redact, marker: REDACTION_MARKER },
      incomplete,
      interruption,
      containers,
      findings: triage ? toFindingsJson(triage) : null,
      testRun: options.testRun ?? null,
    };
    await writeManifest(outputDir, buildManifest({ ...manifestFields, warnings, archive: archiveTarget, finishedAt })).catch((error: unknown) => {
      // Every evidence file that was written is intact; say plainly that the index of them is missing.
      const kept = containers.reduce((n, c) => n + c.files.length, 0);
      throw new OutputError(`manifest.json could not be written in ${outputDir} (${errorMessage(error)}); ${kept === 1 ? 'the file' : `the ${kept} files`} collected there ${kept === 1 ? 'is' : 'are'} kept as written`, { cause: error });
    });

    let archivePath: string | null = null;
    let archiveError: string | null = null;
    if (archiveTarget) {
      try {
        archivePath = await writeArchive(outputDir, parts);
        progress({ type: 'archive', path: archivePath });
      } catch (error) {
        archiveError = errorMessage(error);
        await writeManifest(outputDir, buildManifest({ ...manifestFields, warnings, archive: null, finishedAt }), { replace: true }).catch(() => {});
      }
    }
    return { ...base, outputDir, archivePath, archiveError, containers, incomplete, interruption, warnings, finishedAt, triage };
  } finally {
    await parts?.discard();
  }
}
