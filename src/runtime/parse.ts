import type { ContainerDetails, ContainerSummary } from './types.js';

/*
 * Parsers for the engines' CLI output. Shapes differ by engine and version:
 * - docker `ps --format '{{json .}}'`: one object per line, every field a string, `Names` comma-joined.
 * - podman 4.3 `ps --format json`: one JSON array, `Names` an array, `Id` not `ID`.
 * Both shapes are accepted from either engine so a version change on one side does not break us.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function stripSlash(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

/** Parse a JSON array or newline-delimited JSON objects into objects. */
export function parseJsonDocuments(text: string): Json[] {
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

function dateOrNull(value: unknown): string | null {
  const s = str(value);
  // Engines report "never" as Go's zero time.
  if (s === '' || s.startsWith('0001-01-01')) return null;
  return s;
}

function labelsOf(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) labels[k] = str(v);
  }
  return labels;
}

/** Parse the object `inspect` returns for one container, from either engine. */
export function parseInspect(raw: unknown): ContainerDetails {
  if (!isObject(raw)) throw new Error('inspect did not return an object');
  const state = isObject(raw.State) ? raw.State : {};
  const config = isObject(raw.Config) ? raw.Config : {};
  const exitCode = typeof state.ExitCode === 'number' ? state.ExitCode : null;
  return {
    id: str(raw.Id),
    name: stripSlash(str(raw.Name)),
    // podman: ImageName is the reference and Image the ID; docker: Config.Image is the reference.
    image: str(raw.ImageName) || str(config.Image) || str(raw.Image),
    state: str(state.Status).toLowerCase(),
    exitCode,
    tty: config.Tty === true,
    oomKilled: state.OOMKilled === true,
    restartCount: typeof raw.RestartCount === 'number' ? raw.RestartCount : 0,
    createdAt: dateOrNull(raw.Created),
    startedAt: dateOrNull(state.StartedAt),
    finishedAt: dateOrNull(state.FinishedAt),
    labels: labelsOf(config.Labels),
    raw,
  };
}

/** Text engines print when a container does not exist: docker exits 1, podman exits 125. */
const GONE_PATTERNS = [/no such container/i, /no such object/i, /no container with name or id/i];

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
