/*
 * What manifest.json records of each container and engine, and writing it (and runtime.json). The document
 * as a whole is assembled by the run (gather/manifest.ts); readers of any version use read-manifest.ts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineDescription, RuntimeInfo, RuntimeName } from '../runtime/types.js';
import { MANIFEST_FILE, RUNTIME_FILE } from './layout.js';
import { writeNewFile, type FileRecord } from './write.js';

/** Why a container was collected: its name holds the service, a `--label` selected it, or `--container` named it. */
export type MatchReason = 'service' | 'label' | 'container';


/** What was collected of one container, as manifest.json and the result record it. */
export interface ContainerRecord {
  readonly name: string;
  /** The engine it was collected from. */
  readonly runtime: RuntimeName;
  readonly id: string;
  readonly image: string;
  readonly state: string;
  readonly exitCode: number | null;
  readonly oomKilled: boolean;
  readonly restartCount: number;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly matchedBy: MatchReason;
  readonly files: FileRecord[];
  /** Why something of this container is missing, or null when everything was collected. */
  readonly error: string | null;
  /** False when the run was cut short (timeout, interruption) before this container was finished. */
  readonly complete: boolean;
}

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

/** Write manifest.json; `replace` rewrites the one this run already wrote (e.g. after the archive failed). */
export async function writeManifest(dir: string, manifest: object, options: { replace?: boolean } = {}): Promise<void> {
  const text = JSON.stringify(manifest, null, 2) + '\n';
  const path = join(dir, MANIFEST_FILE);
  if (options.replace) await writeFile(path, text, { mode: 0o600 });
  else await writeNewFile(path, text);
}

/** The engine's `version` document and (with `--engine-info`, else null) its `info`, or why they could not be had. */
export type Description = EngineDescription & { readonly error: string | null };

/**
 * runtime.json: which engine (`name`, `transport`, `version`, `endpoint`), why (`reason`), its own
 * `versionInfo` (over podman's API: its `_ping` headers), `info` — the engine's `info` document with
 * `--engine-info` (`engineInfo: true`), else null — and `error`: why they could not be had, or null.
 */
export async function writeRuntimeInfo(dir: string, engine: { readonly info: RuntimeInfo; readonly reason: string }, description: Promise<Description>): Promise<void> {
  const document = { ...engine.info, reason: engine.reason, ...(await description) };
  await writeNewFile(join(dir, RUNTIME_FILE), JSON.stringify(document, null, 2) + '\n');
}
