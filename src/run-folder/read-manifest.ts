/*
 * Reading manifest.json back, from any must-gather version: a saved run folder (`must-gather report`, a
 * downloaded CI artifact) may be older or newer than this code, or hand-edited. Missing fields take neutral
 * values; nothing here trusts a path or a type it is given.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../_util/errors.js';
import { isObject, stringOrNull, type JsonObject } from '../_util/json.js';
import type { RuntimeName } from '../runtime/types.js';
import { MANIFEST_FILE } from './layout.js';
import type { ContainerRecord } from './manifest.js';
import type { FileRecord } from './write.js';

/** An engine as a run names it. */
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

function fileRecords(value: unknown): FileRecord[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).flatMap((f): FileRecord[] => {
    const path = stringOrNull(f.path);
    const kind = f.kind === 'log' || f.kind === 'inspect' ? f.kind : null;
    if (path === null || kind === null) return [];
    return [{ path, kind, bytes: typeof f.bytes === 'number' ? f.bytes : 0, sha256: stringOrNull(f.sha256) ?? '' }];
  });
}

/** A container record from any manifest version; missing fields take neutral values. */
function recordFromManifest(raw: unknown, runtime: RuntimeName = 'podman'): ContainerRecord | null {
  if (!isObject(raw)) return null;
  const name = stringOrNull(raw.name);
  if (name === null || name === '') return null;
  const matchedBy = raw.matchedBy === 'service' || raw.matchedBy === 'container' || raw.matchedBy === 'label' ? raw.matchedBy : 'service';
  return {
    name,
    runtime: raw.runtime === 'podman' || raw.runtime === 'docker' ? raw.runtime : runtime,
    id: stringOrNull(raw.id) ?? '',
    image: stringOrNull(raw.image) ?? '',
    state: (stringOrNull(raw.state) ?? '').toLowerCase(),
    exitCode: typeof raw.exitCode === 'number' ? raw.exitCode : null,
    oomKilled: raw.oomKilled === true,
    restartCount: typeof raw.restartCount === 'number' ? raw.restartCount : 0,
    startedAt: stringOrNull(raw.startedAt),
    finishedAt: stringOrNull(raw.finishedAt),
    matchedBy: matchedBy as ContainerRecord['matchedBy'],
    files: fileRecords(raw.files),
    error: stringOrNull(raw.error),
    complete: raw.complete !== false,
  };
}

/** The top of a manifest of any version. */
function engineInfo(value: unknown): EngineInfo | null {
  if (isObject(value)) return { name: stringOrNull(value.name) ?? '?', version: stringOrNull(value.version) ?? '' };
  return typeof value === 'string' && value !== '' ? { name: value, version: '' } : null;
}

function runInfoFromManifest(manifest: JsonObject): RunInfo {
  const listed = Array.isArray(manifest.runtimes) ? manifest.runtimes.map(engineInfo).filter((e) => e !== null) : [];
  const single = engineInfo(manifest.runtime);
  return {
    service: stringOrNull(manifest.service) ?? '?',
    runtimes: listed.length > 0 ? listed : single ? [single] : [],
    startedAt: stringOrNull(manifest.startedAt),
    finishedAt: stringOrNull(manifest.finishedAt),
    incomplete: manifest.incomplete === true,
    interruption: stringOrNull(manifest.interruption),
  };
}


/** A run folder's manifest.json, its run and its container records. Throws {@link UsageError} when `dir` has no readable manifest. */
export async function readManifest(dir: string): Promise<{ readonly run: RunInfo; readonly records: ContainerRecord[] }> {
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
  return { run, records };
}
