/*
 * manifest.json, the index of a run folder: the run's arguments, engines, every container's record
 * (run-folder/manifest.ts) and the verdict's findings (triage/). Assembled here, where all three are known.
 */
import { errorMessage } from '../_util/errors.js';
import { TOOL } from '../_util/version.js';
import type { ContainerRecord, Description, RuntimeSummary } from '../run-folder/manifest.js';
import type { OutputBase } from '../run-folder/write.js';
import type { ContainerRuntime } from '../runtime/types.js';
import type { FindingsJson } from '../triage/findings-json.js';
import type { EngineListing } from './engines.js';
import type { ResolvedOptions } from './options.js';

const MANIFEST_SCHEMA_VERSION = 1;

export interface Manifest {
  readonly schemaVersion: number;
  readonly tool: { readonly name: string; readonly version: string };
  /** The run's options after defaults; `--redact` patterns as `/source/flags` text. */
  readonly arguments: ManifestArguments;
  /**
   * The base folder the run folder was made in: `dir`, `requested` (the option, MUST_GATHER_DIR or the
   * default), `source`, and `fallback` — why `dir` is the per-user base instead of the default, or null.
   */
  readonly outputBase: OutputBase;
  /** Whether secrets were redacted, and the marker that replaced them. Counts are per file. */
  readonly redaction: { readonly enabled: boolean; readonly marker: string };
  readonly runtime: RuntimeSummary;
  readonly runtimes: readonly RuntimeSummary[];
  /** Every engine asked, how many containers it has, how many are the service's, and whether it was used. */
  readonly engines: readonly Omit<EngineListing, 'available'>[];
  readonly startedAt: string;
  readonly finishedAt: string;
  /** True when the run was cut short (timeout or interruption) or a container could not be finished. */
  readonly incomplete: boolean;
  /** Why the run was cut short, or null. */
  readonly interruption: string | null;
  /** `--container` names that matched nothing. */
  readonly missing: readonly string[];
  /** Run-level problems that did not stop the run. */
  readonly warnings: readonly string[];
  readonly archive: { readonly path: string } | null;
  /**
   * Each container's record. In record mode (`testRun.mode: 'record'`) one per instance (a name reused by a
   * new container is a new one), each with record mode's fields too: see `RecordedContainer` in
   * src/record/record.ts (`instance`, `events`, `exits`, `logStreams`).
   */
  readonly containers: readonly ContainerRecord[];
  /**
   * Record mode only (absent in a snapshot): the stretches the recording could not see, oldest first — the
   * engine out of reach (its event stream dropped: events in between may be missing), or one container's
   * log stream broken (`container` set; the log was resumed from its last line's time, no line repeated).
   */
  readonly gaps?: readonly RecordingGap[];
  /** What failed and why, machine-readable: the same findings SUMMARY.md shows. Null if triage failed. */
  readonly findings: FindingsJson | null;
  /** The test run's context (framework, failed tests, run key) when called from a test framework, else null. */
  readonly testRun: unknown;
}

/** A stretch of time a recording could not see (see {@link Manifest.gaps}). */
export interface RecordingGap {
  /** The engine (`podman`, `docker`). */
  readonly engine: string;
  /** The container whose log stream broke; absent for the engine's event stream. */
  readonly container?: string;
  /** RFC 3339. */
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** The options as given and defaulted; where the base came from is `outputBase.source`. */
export type ManifestArguments = Omit<ResolvedOptions, 'redactPatterns' | 'outputDirSource'> & { readonly redactPatterns: readonly string[] };

export function manifestArguments(resolved: ResolvedOptions): ManifestArguments {
  const { outputDirSource: _source, ...args } = resolved;
  return { ...args, redactPatterns: resolved.redactPatterns.map(String) };
}

export function buildManifest(fields: Omit<Manifest, 'schemaVersion' | 'tool'>): Manifest {
  return { schemaVersion: MANIFEST_SCHEMA_VERSION, tool: TOOL, ...fields };
}

/** Ask the engine to describe itself (slow on podman): start it early, write runtime.json when it is done. */
export function describeEngine(runtime: ContainerRuntime, signal?: AbortSignal): Promise<Description> {
  return runtime.describe(signal).then(
    (d) => ({ ...d, error: null }),
    (error: unknown) => ({ versionInfo: null, info: null, error: `could not describe the engine: ${errorMessage(error)}` }),
  );
}

