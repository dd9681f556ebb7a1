import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRecord } from '../gather/collect.js';
import type { ResolvedOptions } from '../gather/options.js';
import type { FindingsJson } from '../triage/verdict.js';
import { writeNewFile } from './write.js';
import { errorMessage } from '../_util/errors.js';
import type { ContainerRuntime, EngineDescription, RuntimeInfo } from '../runtime/types.js';
import { TOOL } from '../_util/version.js';

export const MANIFEST_FILE = 'manifest.json';
export const RUNTIME_FILE = 'runtime.json';
export const SUMMARY_FILE = 'SUMMARY.md';
export const HTML_FILE = 'index.html';
export const MANIFEST_SCHEMA_VERSION = 1;

/** The engine a run used, as the result and manifest.json report it. */
export interface RuntimeSummary {
  readonly name: RuntimeInfo['name'];
  readonly transport: RuntimeInfo['transport'];
  readonly version: string;
  /** The CLI command or API address used. */
  readonly endpoint: string;
  /** Why this engine was chosen. */
  readonly reason: string;
}

export interface Manifest {
  readonly schemaVersion: number;
  readonly tool: { readonly name: string; readonly version: string };
  /** The run's options after defaults; `--redact` patterns as `/source/flags` text. */
  readonly arguments: ManifestArguments;
  /** Whether secrets were redacted, and the marker that replaced them. Counts are per file. */
  readonly redaction: { readonly enabled: boolean; readonly marker: string };
  readonly runtime: RuntimeSummary;
  readonly runtimes: readonly RuntimeSummary[];
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
  readonly containers: readonly ContainerRecord[];
  /** What failed and why, machine-readable: the same findings SUMMARY.md shows. Null if triage failed. */
  readonly findings: FindingsJson | null;
  /** The test run's context (framework, failed tests, run key) when called from a test framework, else null. */
  readonly testRun: unknown;
}

export type ManifestArguments = Omit<ResolvedOptions, 'redactPatterns'> & { readonly redactPatterns: readonly string[] };

export function manifestArguments(resolved: ResolvedOptions): ManifestArguments {
  return { ...resolved, redactPatterns: resolved.redactPatterns.map(String) };
}

export function buildManifest(fields: Omit<Manifest, 'schemaVersion' | 'tool'>): Manifest {
  return { schemaVersion: MANIFEST_SCHEMA_VERSION, tool: TOOL, ...fields };
}

/** Write manifest.json; `replace` rewrites the one this run already wrote (e.g. after the archive failed). */
export async function writeManifest(dir: string, manifest: Manifest, options: { replace?: boolean } = {}): Promise<void> {
  const text = JSON.stringify(manifest, null, 2) + '\n';
  const path = join(dir, MANIFEST_FILE);
  if (options.replace) await writeFile(path, text, { mode: 0o600 });
  else await writeNewFile(path, text);
}

/** The engine's `version`/`info` documents, or why they could not be had; never rejects. */
export type Description = EngineDescription & { readonly error: string | null };

/** Ask the engine to describe itself (slow on podman): start it early, write runtime.json when it is done. */
export function describeEngine(runtime: ContainerRuntime, signal?: AbortSignal): Promise<Description> {
  return runtime.describe(signal).then(
    (d) => ({ ...d, error: null }),
    (error: unknown) => ({ versionInfo: null, info: null, error: `could not describe the engine: ${errorMessage(error)}` }),
  );
}

/** runtime.json: which engine, why, and its own `version` and `info` documents (or why they are missing). */
export async function writeRuntimeInfo(dir: string, engine: { readonly info: RuntimeInfo; readonly reason: string }, description: Promise<Description>): Promise<void> {
  const document = { ...engine.info, reason: engine.reason, ...(await description) };
  await writeNewFile(join(dir, RUNTIME_FILE), JSON.stringify(document, null, 2) + '\n');
}
