/*
 * TEMPORARY: an engine's container events over the Engine API, until the runtime's own events() lands
 * (branch wt-events, src/runtime/events.ts); then this file goes.
 */
import { createInterface } from 'node:readline';
import { ApiRuntime } from '../runtime/api-runtime.js';
import { streamGet } from '../runtime/stream-get.js';
import { EngineError, type ContainerRuntime } from '../runtime/types.js';

/** A container event, normalised. */
export interface WatchedEvent {
  /** RFC 3339, nanoseconds. */
  readonly time: string;
  readonly action: string;
  readonly id: string;
  readonly name: string | null;
  readonly exitCode: number | null;
  readonly image: string | null;
}

interface ApiEvent {
  readonly Action?: string;
  readonly status?: string;
  readonly id?: string;
  readonly time?: number;
  readonly timeNano?: number;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Record<string, string> };
}

function nanoTime(event: ApiEvent): string {
  const nanos = event.timeNano !== undefined ? BigInt(Math.round(event.timeNano)) : BigInt(event.time ?? 0) * 1_000_000_000n;
  const ms = Number(nanos / 1_000_000n);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(nanos % 1_000_000_000n).padStart(9, '0')}Z`;
}

export async function* engineEvents(runtime: ContainerRuntime, range: { since: string; until?: string; signal: AbortSignal }): AsyncGenerator<WatchedEvent> {
  if (!(runtime instanceof ApiRuntime) || runtime.endpoint.kind === 'ssh') throw new EngineError('events over the CLI are not supported yet');
  const toSeconds = (t: string) => String(Math.floor(Date.parse(t) / 1000));
  const query = { filters: { type: ['container'] }, since: toSeconds(range.since), ...(range.until ? { until: toSeconds(range.until) } : {}) };
  const body = await streamGet(runtime.endpoint, '/events', query, range.signal);
  for await (const line of createInterface({ input: body.stream, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    let event: ApiEvent;
    try {
      event = JSON.parse(line) as ApiEvent;
    } catch {
      continue;
    }
    const id = event.Actor?.ID ?? event.id;
    if (!id) continue;
    const raw = event.Action ?? event.status ?? '';
    const attributes = event.Actor?.Attributes ?? {};
    const exit = attributes.exitCode !== undefined ? Number(attributes.exitCode) : NaN;
    yield {
      time: nanoTime(event),
      action: raw === 'died' ? 'die' : raw,
      id,
      name: attributes.name ?? null,
      exitCode: Number.isNaN(exit) ? null : exit,
      image: attributes.image ?? null,
    };
  }
  const failure = body.error();
  if (failure !== null && !range.signal.aborted) throw failure;
}
