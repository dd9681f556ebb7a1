/*
 * Which engines a run collects from. `--runtime auto` asks every engine that answers and keeps those that
 * have the service's containers: podman's and docker's alike, whatever DOCKER_HOST points at. An engine
 * reached twice (the docker CLI pointed at podman's socket) is recognised by its containers and used once.
 */
import { errorMessage, NoEngineError } from '../_util/errors.js';
import type { RuntimeSummary } from '../run-folder/manifest.js';
import { detectRuntimes, type DetectedRuntime } from '../runtime/detect.js';
import type { ContainerRuntime, ContainerSummary, RuntimeChoice } from '../runtime/types.js';
import type { GatherOptions, ResolvedOptions } from './options.js';
import { availableNames, selectContainers, type SelectedContainer } from './select.js';

/** What one engine listed and how much of it is the service's, as the result and manifest.json report it. */
export interface EngineListing {
  readonly runtime: RuntimeSummary;
  /** Containers the engine has, running or not. */
  readonly containers: number;
  /** Of those, the service's. */
  readonly matched: number;
  /** Whether the run collected from it. */
  readonly used: boolean;
  /** Every container name it listed (not written to manifest.json). */
  readonly available: readonly string[];
}

export interface EngineChoice {
  /** The engines collected from, in the order their files are listed. */
  readonly used: readonly { readonly engine: DetectedRuntime; readonly summary: RuntimeSummary; readonly selected: readonly SelectedContainer[] }[];
  readonly listings: readonly EngineListing[];
  /** `--container` names that no engine has. */
  readonly missing: readonly string[];
  /** Places the user named that did not answer, and what was used instead. */
  readonly warnings: readonly string[];
}

/** The engines that answer: the caller's adapter, or what detection finds for `--runtime`. */
export async function findEngines(options: GatherOptions, resolved: ResolvedOptions, signal: AbortSignal): Promise<{ engines: readonly DetectedRuntime[]; unanswered: readonly string[] }> {
  if (options.containerRuntime) {
    const runtime = options.containerRuntime;
    return { engines: [{ runtime, info: await runtime.info(signal), reason: 'given by the caller' }], unanswered: [] };
  }
  const { chosen, unanswered } = await detectRuntimes({
    runtime: resolved.runtime,
    transport: resolved.transport,
    env: options.env ?? process.env,
    signal,
  });
  return { engines: chosen, unanswered };
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

function summaryOf({ info, reason }: DetectedRuntime): RuntimeSummary {
  return { name: info.name, transport: info.transport, version: info.version, endpoint: info.endpoint, reason };
}

function sameEngine(a: readonly ContainerSummary[], b: readonly ContainerSummary[]): boolean {
  // Container IDs are 64 random hex digits: two engines that list one of the same are one engine.
  const ids = new Set(a.map((c) => c.id));
  return b.some((c) => ids.has(c.id));
}

function count(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/**
 * List every engine's containers and choose where to collect from. `auto` keeps the engines that have the
 * service's containers (all of them when none has: the result then lists what each has); `podman`,
 * `docker` and `all` keep every engine detection found.
 */
export async function chooseEngines(
  engines: readonly DetectedRuntime[],
  resolved: ResolvedOptions & { readonly runtime: RuntimeChoice },
  signal: AbortSignal,
  timedOut: () => string | null,
  unanswered: readonly string[],
): Promise<EngineChoice> {
  const listed = await Promise.all(
    engines.map(async (engine) => {
      const { all, labelled } = await listContainers(engine.runtime, resolved.labels, signal, timedOut);
      return { engine, all, ...selectContainers(all, resolved, labelled) };
    }),
  );
  const distinct = listed.filter((p, i) => !listed.slice(0, i).some((q) => sameEngine(q.all, p.all)));
  const matching = distinct.filter((p) => p.selected.length > 0);
  const auto = resolved.runtime === 'auto' && distinct.length > 1;
  const usedEngines = auto && matching.length > 0 ? matching : distinct;
  const others = distinct.filter((p) => !usedEngines.includes(p));
  const why = (p: (typeof distinct)[number]): string => {
    if (!auto) return p.engine.reason;
    const rest = others.map((o) => (o.all.length === 0 ? `${o.engine.info.name} has no containers` : `${o.engine.info.name} has ${count(o.all.length, 'container')}, none of them the service's`));
    return [`${p.engine.reason}; it has ${count(p.selected.length, 'container')} of the service's`, ...rest].join('; ');
  };
  const used = usedEngines.map((p) => ({ engine: p.engine, summary: { ...summaryOf(p.engine), reason: why(p) }, selected: p.selected }));
  const listings = distinct.map((p) => ({
    runtime: used.find((u) => u.engine === p.engine)?.summary ?? summaryOf(p.engine),
    containers: p.all.length,
    matched: p.selected.length,
    used: usedEngines.includes(p) && p.selected.length > 0,
    available: availableNames(p.all),
  }));
  const instead = used.map((u) => `${u.summary.name} over ${u.summary.transport === 'api' ? u.summary.endpoint : 'its CLI'}`).join(' and ');
  return {
    used,
    listings,
    // A --container name is missing only when no engine has it.
    missing: resolved.containers.filter((name) => listed.every((p) => p.missing.includes(name))),
    warnings: unanswered.map((place) => `${place}; used ${instead} instead`),
  };
}
