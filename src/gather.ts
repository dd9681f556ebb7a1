import { writeArchive } from './archive.js';
import { collectContainer, notCollected, type ContainerRecord } from './collect.js';
import { availableNames, selectContainers } from './discover.js';
import { errorMessage, NoEngineError } from './errors.js';
import { buildManifest, writeManifest, writeRuntimeInfo, type RuntimeSummary } from './manifest.js';
import { resolveOptions, type GatherOptions } from './options.js';
import { createRunFolder } from './output.js';
import { mapPool } from './_pool.js';
import { detectRuntime } from './runtime/detect.js';
import type { ContainerRuntime, RuntimeInfo } from './runtime/types.js';

/** What a run did. Returned by {@link gather}; printed by `must-gather --json`. */
export interface GatherResult {
  readonly service: string;
  /** The run folder, or null when nothing matched (then nothing was written). */
  readonly outputDir: string | null;
  /** `<outputDir>.tar.gz` when an archive was asked for and written. */
  readonly archivePath: string | null;
  /** Why the archive could not be written, or null. */
  readonly archiveError: string | null;
  readonly runtime: RuntimeSummary;
  readonly containers: readonly ContainerRecord[];
  /** Every container name the engine listed: when nothing matched, the user's typo is among them. */
  readonly available: readonly string[];
  /** `--container` names that matched nothing. */
  readonly missing: readonly string[];
  /** True when the run was cut short or a container could not be finished; manifest.json says which. */
  readonly incomplete: boolean;
  /** Why the run was cut short (timeout or abort), or null. */
  readonly interruption: string | null;
  readonly startedAt: string;
  readonly finishedAt: string;
}

interface Engine {
  readonly runtime: ContainerRuntime;
  readonly info: RuntimeInfo;
  readonly reason: string;
}

async function findEngine(options: GatherOptions, resolved: ReturnType<typeof resolveOptions>, signal: AbortSignal): Promise<Engine> {
  if (options.containerRuntime) {
    const runtime = options.containerRuntime;
    return { runtime, info: await runtime.info(signal), reason: 'given by the caller' };
  }
  const detected = await detectRuntime({ runtime: resolved.runtime, env: options.env ?? process.env, signal });
  return detected;
}

/** Everything the engine has, and what it selects by label. An engine that cannot list is no usable engine. */
async function listContainers(runtime: ContainerRuntime, labels: readonly string[], signal: AbortSignal) {
  try {
    const all = await runtime.list({ signal });
    const labelled = labels.length > 0 ? await runtime.list({ labels, signal }) : [];
    return { all, labelled };
  } catch (error) {
    throw new NoEngineError([{ runtime: runtime.name, reason: `answered, but listing containers failed: ${errorMessage(error)}` }]);
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
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const deadline = AbortSignal.timeout(resolved.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const abortReason = (): string =>
    deadline.aborted ? `timed out after ${resolved.timeoutMs / 1000} s (--timeout)` : `interrupted (${errorMessage(options.signal?.reason ?? 'aborted')})`;
  const progress = options.onProgress ?? (() => {});

  const { runtime, info, reason } = await findEngine(options, resolved, signal);
  const runtimeSummary: RuntimeSummary = { name: info.name, transport: info.transport, version: info.version, reason };
  progress({ type: 'runtime', name: info.name, version: info.version, reason });

  const { all, labelled } = await listContainers(runtime, resolved.labels, signal);
  const { selected, missing } = selectContainers(all, resolved, labelled);
  const base = {
    service: resolved.service,
    runtime: runtimeSummary,
    available: availableNames(all),
    missing,
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
      finishedAt: now().toISOString(),
    };
  }

  const outputDir = await createRunFolder(resolved.outputDir, resolved.service, startedAt);
  progress({ type: 'matched', names: selected.map((s) => s.name), outputDir });
  await writeRuntimeInfo(outputDir, info, reason);

  const ctx = { runtime, dir: outputDir, logs: resolved.logs, signal, abortReason };
  const containers = await mapPool(selected, resolved.concurrency, async (container) => {
    const record = await collectContainer(container, ctx).catch((error: unknown) =>
      // collectContainer records engine trouble itself; this is a local failure such as a full disk.
      ({ ...notCollected(container, errorMessage(error)), complete: !signal.aborted }),
    );
    progress({ type: 'container', name: record.name, ok: record.error === null, error: record.error });
    return record;
  });

  const interruption = signal.aborted ? abortReason() : null;
  const incomplete = interruption !== null || containers.some((c) => !c.complete);
  const archiveTarget = resolved.archive ? { path: `${outputDir}.tar.gz` } : null;
  const { available: _available, ...manifestBase } = base;
  const manifestFields = { ...manifestBase, arguments: resolved, incomplete, interruption, containers };
  const finishedAt = now().toISOString();
  await writeManifest(outputDir, buildManifest({ ...manifestFields, archive: archiveTarget, finishedAt }));

  let archivePath: string | null = null;
  let archiveError: string | null = null;
  if (archiveTarget) {
    try {
      archivePath = await writeArchive(outputDir);
      progress({ type: 'archive', path: archivePath });
    } catch (error) {
      archiveError = errorMessage(error);
      await writeManifest(outputDir, buildManifest({ ...manifestFields, archive: null, finishedAt }), { replace: true });
    }
  }
  return { ...base, outputDir, archivePath, archiveError, containers, incomplete, interruption, finishedAt };
}
