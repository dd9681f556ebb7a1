import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { deadline } from '../_util/deadline.js';
import { errorMessage } from '../_util/errors.js';
import { EVENTS_FILE } from '../run-folder/layout.js';
import { PartialFileError, writeStreamToFile, type FileRecord } from '../run-folder/write.js';
import type { ContainerRuntime, RuntimeName } from '../runtime/types.js';

/*
 * Snapshot mode's events.jsonl: each engine is asked for its container events from just before the earliest
 * collected container was created until now, filtered to the collected containers, and every event is
 * written as it arrives (one normalised ContainerEvent a line, engine after engine). Events explain what a
 * snapshot cannot see: an OOM kill podman's inspect does not record, each exit of a restarted container,
 * when its health changed. docker keeps only its last 256 events in memory, so this is best effort: a
 * failure is a warning, never a failed run.
 */

/** What one engine is asked for. */
export interface EventSource {
  readonly runtime: ContainerRuntime;
  /** The collected containers' IDs. */
  readonly ids: readonly string[];
  /** The earliest creation (or start) time among them, or null when the engine recorded none. */
  readonly earliest: Date | null;
}

/** What one engine gave. */
interface EngineEvents {
  readonly runtime: RuntimeName;
  /** The span asked for, RFC 3339; null when the engine was not asked. */
  readonly since: string | null;
  readonly until: string;
  readonly events: number;
  /** Why the engine gave none or not all (refused, cancelled, timed out), or null. */
  readonly error: string | null;
}

/**
 * manifest.json's `events`: events.jsonl as written (path, size, sha256) and what each engine gave.
 * Absent from manifests of must-gather versions before engine events.
 */
export interface EventsFileRecord extends FileRecord {
  readonly kind: 'events';
  readonly engines: readonly EngineEvents[];
}

/** The engine's clock may run a little ahead of ours; creation times are whole seconds on some paths. */
const SINCE_MARGIN_MS = 1000;

/** Ask every source for its events and write them to `<dir>/events.jsonl`; throws only when the file cannot be written. */
export async function writeEventsFile(dir: string, sources: readonly EventSource[], signal: AbortSignal, now: Date, timeoutMs: number | null): Promise<EventsFileRecord> {
  const engines: EngineEvents[] = [];
  async function* lines(): AsyncGenerator<string> {
    for (const source of sources) {
      const until = now.toISOString();
      const { runtime } = source;
      if (source.earliest === null || source.ids.length === 0) {
        engines.push({ runtime: runtime.name, since: null, until, events: 0, error: 'no collected container recorded when it was created' });
        continue;
      }
      const since = new Date(source.earliest.getTime() - SINCE_MARGIN_MS);
      // Each engine's request within its own bound (--container-timeout), inside the run's.
      const limit = timeoutMs === null ? null : deadline(timeoutMs, signal);
      let events = 0;
      let error: string | null = null;
      try {
        for await (const event of runtime.events({ since, until: now, containers: source.ids, signal: limit?.signal ?? signal })) {
          events++;
          yield `${JSON.stringify(event)}\n`;
        }
      } catch (failure) {
        error = limit?.timedOut() ? `timed out after ${(timeoutMs ?? 0) / 1000} s (--container-timeout)` : errorMessage(failure);
      } finally {
        limit?.dispose();
      }
      engines.push({ runtime: runtime.name, since: since.toISOString(), until, events, error });
    }
  }
  const file = await writeStreamToFile(Readable.from(lines()), dir, EVENTS_FILE, 'events').catch(async (error: unknown) => {
    // A cut-off events.jsonl (a full disk) would pass for all the engines had: leave none (only one this
    // call created), say why.
    if (error instanceof PartialFileError) await unlink(join(dir, EVENTS_FILE)).catch(() => {});
    throw error;
  });
  return { ...file, kind: 'events', engines };
}
