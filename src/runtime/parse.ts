import { isObject, nonEmptyOrNull, stringOrNull, type JsonObject } from '../_util/json.js';
import type { ContainerDetails, ContainerSummary, HealthStatus, RecordedState } from './types.js';

/*
 * Parsers for the engines' CLI output. Shapes differ by engine and version:
 * - docker `ps --format '{{json .}}'`: one object per line, every field a string, `Names` comma-joined.
 * - podman 4.3 `ps --format json`: one JSON array, `Names` an array, `Id` not `ID`.
 * Both shapes are accepted from either engine so a version change on one side does not break us.
 * The inspect readers are pure functions of the raw JSON: triage applies them to inspect files read back
 * from disk, long after the engine (or the container) is gone.
 */

/** A string field, '' when absent or not a string: list and inspect fields are never null. */
function str(value: unknown): string {
  return stringOrNull(value) ?? '';
}

function stripSlash(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

/** Parse a JSON array or newline-delimited JSON objects into objects. */
export function parseJsonDocuments(text: string): JsonObject[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!Array.isArray(parsed)) throw new Error('expected a JSON array');
    return parsed.filter(isObject);
  }
  return trimmed
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown)
    .filter(isObject);
}

function parseNames(value: unknown): string[] {
  const list = Array.isArray(value) ? value.map(str) : str(value).split(',');
  return list.map((n) => stripSlash(n.trim())).filter((n) => n !== '');
}

/** Parse `ps -a` output of either engine. */
export function parseContainerList(text: string): ContainerSummary[] {
  return parseJsonDocuments(text).map((row) => ({
    id: str(row.Id) || str(row.ID),
    names: parseNames(row.Names),
    image: str(row.Image),
    state: str(row.State).toLowerCase(),
  }));
}

/** A time the engine recorded, or null for "never": absent, empty, or Go's zero time. */
export function dateOrNull(value: unknown): string | null {
  const s = nonEmptyOrNull(value);
  // Engines report "never" as Go's zero time, 0001-01-01T00:00:00Z.
  return s === null || s.startsWith('0001-01-01') ? null : s;
}

function labelsOf(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) labels[k] = str(v);
  }
  return labels;
}

/**
 * The container's object in an inspect document of either engine: the CLI prints a one-element array (and
 * an inspect file may hold it as printed), the Engine API one object. `{}` for anything else.
 */
export function inspectRoot(raw: unknown): JsonObject {
  const root = Array.isArray(raw) ? (raw[0] as unknown) : raw;
  return isObject(root) ? root : {};
}

function stateOf(raw: unknown): JsonObject {
  const root = inspectRoot(raw);
  return isObject(root.State) ? root.State : {};
}

/** What an inspect document of either engine recorded about the container's run. */
export function readState(raw: unknown): RecordedState {
  const root = inspectRoot(raw);
  const state = stateOf(raw);
  return {
    status: str(state.Status).toLowerCase(),
    exitCode: typeof state.ExitCode === 'number' ? state.ExitCode : null,
    oomKilled: state.OOMKilled === true,
    restarting: state.Restarting === true,
    restartCount: typeof root.RestartCount === 'number' ? root.RestartCount : 0,
    createdAt: dateOrNull(root.Created),
    startedAt: dateOrNull(state.StartedAt),
    finishedAt: dateOrNull(state.FinishedAt),
    error: nonEmptyOrNull(state.Error),
    memoryLimit: memoryLimitOf(root),
  };
}

/** `HostConfig.Memory` in bytes (both engines), null for none (0). */
function memoryLimitOf(root: JsonObject): number | null {
  const host = isObject(root.HostConfig) ? root.HostConfig : {};
  return typeof host.Memory === 'number' && host.Memory > 0 ? host.Memory : null;
}

/**
 * The last health check, from docker's `State.Health` or podman's (`State.Health`, or `State.Healthcheck` in
 * some 4.x releases). Null when the container has no health check: podman writes an empty `Health`
 * (`Status: ""`) for those.
 */
export function readHealth(raw: unknown): HealthStatus | null {
  const state = stateOf(raw);
  const health = isObject(state.Health) && nonEmptyOrNull(state.Health.Status) !== null ? state.Health : isObject(state.Healthcheck) ? state.Healthcheck : null;
  if (health === null) return null;
  const status = nonEmptyOrNull(health.Status);
  if (status === null) return null;
  const log = Array.isArray(health.Log) ? health.Log.filter(isObject) : [];
  const last = log.at(-1);
  return {
    status: status.toLowerCase(),
    failingStreak: typeof health.FailingStreak === 'number' ? health.FailingStreak : 0,
    lastOutput: last && typeof last.Output === 'string' && last.Output.trim() !== '' ? last.Output.trim() : null,
    lastExitCode: last && typeof last.ExitCode === 'number' ? last.ExitCode : null,
    lastCheckAt: last ? (dateOrNull(last.End) ?? dateOrNull(last.Start)) : null,
  };
}

/** Parse the object `inspect` returns for one container, from either engine. */
export function parseInspect(raw: unknown): ContainerDetails {
  if (!isObject(raw)) throw new Error('inspect did not return an object');
  const config = isObject(raw.Config) ? raw.Config : {};
  const logConfig = isObject(raw.HostConfig) && isObject(raw.HostConfig.LogConfig) ? raw.HostConfig.LogConfig : {};
  const recorded = readState(raw);
  return {
    id: str(raw.Id),
    name: stripSlash(str(raw.Name)),
    // podman: ImageName is the reference and Image the ID; docker: Config.Image is the reference.
    image: str(raw.ImageName) || str(config.Image) || str(raw.Image),
    state: recorded.status,
    exitCode: recorded.exitCode,
    tty: config.Tty === true,
    oomKilled: recorded.oomKilled,
    restartCount: recorded.restartCount,
    createdAt: recorded.createdAt,
    startedAt: recorded.startedAt,
    finishedAt: recorded.finishedAt,
    labels: labelsOf(config.Labels),
    logDriver: nonEmptyOrNull(logConfig.Type),
    // docker (and podman's compat API) give LogPath; podman's CLI only HostConfig.LogConfig.Path.
    logPath: nonEmptyOrNull(raw.LogPath) ?? nonEmptyOrNull(logConfig.Path),
    raw,
  };
}

/** Text engines print when a container does not exist: docker exits 1, podman exits 125. */
const GONE_PATTERNS = [/no such container/i, /no such object/i, /no container with name or id/i, /container has already been removed/i];

export function isContainerGoneMessage(stderr: string): boolean {
  return GONE_PATTERNS.some((pattern) => pattern.test(stderr));
}

/**
 * A failing engine CLI prints its own error as the last line of stderr, which, for `logs`, shares the
 * log file. Returns the byte offset where that line starts, or -1 when the tail is not an engine error.
 * docker: `Error response from daemon: …` or `Error: …`; podman: `Error: …`.
 */
export function findTrailingEngineError(tail: Buffer): number {
  let end = tail.length;
  if (end > 0 && tail[end - 1] === 0x0a) end -= 1;
  if (end === 0) return -1;
  const start = tail.lastIndexOf(0x0a, end - 1) + 1;
  const line = tail.subarray(start, end).toString('utf8');
  return /^Error( response from daemon)?: /.test(line) ? start : -1;
}
