import { isObject, nonEmptyOrNull, type JsonObject } from '../_util/json.js';
import type { ContainerEvent, ContainerEventAction, EventsOptions, RuntimeName } from './types.js';

/*
 * Container lifecycle events, one shape for both engines and both transports. What each source sends was
 * captured on podman 4.3.1 and docker 20.10.24 (test/fixtures/events/):
 * - docker's API and `docker events --format '{{json .}}'`: the same object; `Action` `die` with
 *   `Actor.Attributes.exitCode`, `kill` with `signal`, `oom`, `health_status: healthy` (the status inside the
 *   action), `destroy`; a `start` again after each restart (no `restart` event).
 * - podman's compat API: docker's shape, `die` with `exitCode`, `health_status` with the status in a top-level
 *   `HealthStatus`, `restart` before each restart, `remove`. No `oom` event at all (and inspect says
 *   `OOMKilled: false` after an OOM kill): the kernel's SIGKILL shows only as `die` 137 with no `kill` before.
 * - `podman events --format json`: `Status` `died` with `ContainerExitCode`, `health_status` in a key of that
 *   name, `Time` in RFC 3339 with up to nine digits.
 * podman 4.3's `health_status` carries the status from before the check it reports (the first failing check
 * of a `--health-retries 1` container says `starting`, the next `unhealthy`): the verdict trusts inspect's
 * current health over it. Health-check runs show as `exec_*` events every interval on both engines: dropped, their outcome is the
 * `health_status` event.
 * The types (ContainerEvent, EventsOptions) are in types.ts, beside the ContainerRuntime interface that uses them.
 */

/** Which of the engines' spellings means what. */
const ACTIONS: Readonly<Record<string, ContainerEventAction>> = {
  create: 'create',
  init: 'init',
  start: 'start',
  restart: 'restart',
  die: 'die',
  died: 'die',
  oom: 'oom',
  kill: 'kill',
  stop: 'stop',
  pause: 'pause',
  unpause: 'unpause',
  health_status: 'health_status',
  cleanup: 'cleanup',
  rename: 'rename',
  destroy: 'destroy',
  remove: 'destroy',
};

/** One second as nanoseconds. */
const NS = 1_000_000_000n;

/** Nanoseconds since the epoch as RFC 3339 UTC with nine fractional digits. */
export function nanosToRfc3339(nanos: bigint): string {
  const seconds = nanos / NS;
  const fraction = String(nanos % NS).padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** RFC 3339 with any offset and 0–9 fractional digits, as nanoseconds since the epoch; null when it is not. */
export function rfc3339ToNanos(text: string): bigint | null {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9})\d*)?(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  if (!match) return null;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return null;
  return BigInt(ms / 1000) * NS + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** `time` of an event as the engine gave it: nanoseconds exactly, read from the text (JSON numbers lose them). */
function apiEventTime(line: string, event: JsonObject): string | null {
  const nano = /"timeNano":\s*(\d+)/.exec(line);
  if (nano) return nanosToRfc3339(BigInt(nano[1] as string));
  return typeof event.time === 'number' ? nanosToRfc3339(BigInt(Math.floor(event.time)) * NS) : null;
}

function integerOrUndefined(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

interface EventParts {
  readonly time: string | null;
  readonly engineAction: string;
  readonly id: string | null;
  readonly name: string | null;
  readonly image: string | null;
  readonly exitCode: unknown;
  readonly signal: unknown;
  readonly health: string | null;
}

/** The normalised event from what a source said; null for exec runs and events without a time or container. */
function normalise(runtime: RuntimeName, parts: EventParts): ContainerEvent | null {
  const { time, id } = parts;
  if (time === null || id === null || parts.engineAction.startsWith('exec_')) return null;
  // docker puts the status in the action: `health_status: unhealthy`.
  const [word = '', inAction] = parts.engineAction.split(/:\s*/, 2);
  const action = ACTIONS[word] ?? 'other';
  const exitCode = action === 'die' ? integerOrUndefined(parts.exitCode) : undefined;
  const signal = action === 'kill' ? integerOrUndefined(parts.signal) : undefined;
  const health = action === 'health_status' ? (nonEmptyOrNull(inAction) ?? parts.health) : null;
  return {
    time,
    runtime,
    action,
    ...(action === parts.engineAction ? {} : { engineAction: parts.engineAction }),
    id,
    name: (parts.name ?? '').replace(/^\//, ''),
    image: parts.image,
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(signal !== undefined ? { signal } : {}),
    ...(health !== null ? { health } : {}),
  };
}

function parseObject(line: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(line);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * One line of an Engine API `/events` answer (docker's or podman's compat API) or of
 * `docker events --format '{{json .}}'`: the normalised container event, or null (another type, an exec run,
 * not JSON).
 */
export function parseApiEvent(line: string, runtime: RuntimeName): ContainerEvent | null {
  const event = parseObject(line);
  if (event === null || (event.Type !== undefined && event.Type !== 'container')) return null;
  const actor = isObject(event.Actor) ? event.Actor : {};
  const attributes = isObject(actor.Attributes) ? actor.Attributes : {};
  return normalise(runtime, {
    time: apiEventTime(line, event),
    engineAction: nonEmptyOrNull(event.Action) ?? nonEmptyOrNull(event.status) ?? '',
    id: nonEmptyOrNull(actor.ID) ?? nonEmptyOrNull(event.id),
    name: nonEmptyOrNull(attributes.name),
    image: nonEmptyOrNull(attributes.image) ?? nonEmptyOrNull(event.from),
    exitCode: attributes.exitCode,
    signal: attributes.signal,
    health: nonEmptyOrNull(event.HealthStatus),
  });
}

/** One line of `podman events --format json`: the normalised container event, or null. */
export function parsePodmanCliEvent(line: string): ContainerEvent | null {
  const event = parseObject(line);
  if (event === null || event.Type !== 'container') return null;
  const time = nonEmptyOrNull(event.Time);
  const nanos = time === null ? null : rfc3339ToNanos(time);
  return normalise('podman', {
    time: nanos === null ? null : nanosToRfc3339(nanos),
    engineAction: nonEmptyOrNull(event.Status) ?? '',
    id: nonEmptyOrNull(event.ID),
    name: nonEmptyOrNull(event.Name),
    image: nonEmptyOrNull(event.Image),
    // Go's omitempty: a `died` event of exit code 0 has no ContainerExitCode at all.
    exitCode: event.ContainerExitCode ?? (event.Status === 'died' ? 0 : undefined),
    signal: undefined,
    // podman 4.3 names the key `health_status`; later versions `HealthStatus`.
    health: nonEmptyOrNull(event.health_status) ?? nonEmptyOrNull(event.HealthStatus),
  });
}

/** A time as the engines' `since`/`until` take it, to the nanosecond: `<unix seconds>.<nine digits>`. */
function unixTime(date: Date): string {
  const ms = date.getTime();
  return `${Math.floor(ms / 1000)}.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}000000`;
}

/**
 * How to ask an engine for events, settled once for both transports. podman's file backend (podman 4.3)
 * stops reading when `until` comes, by a timer started at the request: an `until` in the past gives no
 * events at all, one in the future some, racing the reader. So podman is asked to read to the end of what it
 * has (`stream=false`, which its journald backend honours too) and `until` is applied here.
 */
export interface EventsRequest {
  readonly since: string;
  /** Pass to the engine. */
  readonly until: string | null;
  /** podman: end at the end of the stored events instead of following. */
  readonly readToEnd: boolean;
  readonly containers: readonly string[];
}

export function eventsRequest(runtime: RuntimeName, options: EventsOptions): EventsRequest {
  const until = options.until === undefined ? null : unixTime(options.until);
  return {
    since: unixTime(options.since),
    until: runtime === 'podman' ? null : until,
    readToEnd: runtime === 'podman' && until !== null,
    containers: options.containers ?? [],
  };
}

/** The longest event line kept; longer ones (never seen: events are ~400 bytes) are skipped, not held. */
const MAX_EVENT_LINE_BYTES = 1024 * 1024;

/** The lines of a byte stream, each held only until its newline; a line over the limit is skipped. */
async function* lines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let skipping = false;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let nl = bytes.indexOf(0x0a); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
      if (!skipping) yield Buffer.concat([...held, bytes.subarray(start, nl)]).toString('utf8');
      held = [];
      heldBytes = 0;
      skipping = false;
      start = nl + 1;
    }
    if (start >= bytes.length || skipping) continue;
    heldBytes += bytes.length - start;
    if (heldBytes > MAX_EVENT_LINE_BYTES) {
      skipping = true;
      held = [];
    } else held.push(Buffer.from(bytes.subarray(start)));
  }
  if (!skipping && heldBytes > 0) yield Buffer.concat(held).toString('utf8');
}

/**
 * The container events in an engine's answer, one at a time as they arrive (never collected), up to
 * `options.until` when the engine was not told it (see {@link eventsRequest}).
 */
export async function* readEvents(
  stream: AsyncIterable<Buffer | string>,
  parse: (line: string) => ContainerEvent | null,
  options: Pick<EventsOptions, 'until'>,
): AsyncGenerator<ContainerEvent> {
  const until = options.until === undefined ? null : nanosToRfc3339(BigInt(options.until.getTime()) * 1_000_000n + 999_999n);
  for await (const line of lines(stream)) {
    const event = parse(line);
    if (event !== null && (until === null || event.time <= until)) yield event;
  }
}

const KNOWN_ACTIONS = new Set<string>([...Object.values(ACTIONS), 'other']);

/**
 * One line of events.jsonl read back (written by any must-gather version, or edited by hand): the event
 * when it has the fields every event has, else null. Unknown fields are dropped; optional ones are kept
 * only with the right type.
 */
export function parseEventRecord(line: string): ContainerEvent | null {
  const e = parseObject(line);
  if (e === null) return null;
  const time = nonEmptyOrNull(e.time);
  const id = nonEmptyOrNull(e.id);
  if (time === null || id === null || (e.runtime !== 'podman' && e.runtime !== 'docker') || typeof e.action !== 'string' || !KNOWN_ACTIONS.has(e.action)) return null;
  const exitCode = integerOrUndefined(e.exitCode);
  const signal = integerOrUndefined(e.signal);
  const health = nonEmptyOrNull(e.health);
  const engineAction = nonEmptyOrNull(e.engineAction);
  return {
    time,
    runtime: e.runtime,
    action: e.action as ContainerEventAction,
    ...(engineAction !== null ? { engineAction } : {}),
    id,
    name: nonEmptyOrNull(e.name) ?? '',
    image: nonEmptyOrNull(e.image),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(signal !== undefined ? { signal } : {}),
    ...(health !== null ? { health } : {}),
  };
}
