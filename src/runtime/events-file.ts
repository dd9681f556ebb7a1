/*
 * podman's event log, followed where it lies (record mode). podman 4's file events backend writes one JSON
 * event a line, as `podman events --format json` prints them, and its API and CLI read that file by polling
 * it: 70–210 ms late here when the machine is idle, more than half a second under load, so a container a
 * suite's fixture creates and removes within half a second was gone before its first event arrived. A
 * local podman's file is followed here as well, beside the engine's own stream (the recording's watcher
 * drops what both give): its events come within milliseconds of podman writing them. Where there is no
 * such file (journald, a remote engine, another user's podman) none is followed, and a file that stops
 * being written (podman switched to journald) only adds nothing.
 */
import { constants } from 'node:fs';
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nanosToRfc3339, parsePodmanCliEvent, readEvents } from './events.js';
import { engineIsLocal, type DirectLogEngine } from './log-file.js';
import type { ContainerEvent, EventsOptions } from './types.js';

/** How often the file is looked at for more (a stat: next to nothing). */
const POLL_MS = 25;
const CHUNK_BYTES = 64 * 1024;
/**
 * How much of the file's end is read when it is first opened: the recording has just begun, so what it
 * wants is at the end (podman 4.3 never rotates the file: it may have grown for months). The line reading
 * begins inside is a fragment, which parses as no event.
 */
const TAIL_BYTES = 256 * 1024;
/** Ends a line held from a file that was truncated or replaced: it parses as no event. */
const LINE_END = Buffer.from('\n');

/** Where podman's file backend keeps its events by default: root's, or the user's (rootless). */
export function podmanEventsPaths(env: NodeJS.ProcessEnv, uid: number | null): string[] {
  if (uid === 0) return ['/run/libpod/events/events.log'];
  return env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'libpod', 'tmp', 'events', 'events.log')] : [];
}

/**
 * The events of a local podman's file from `options.since` on, followed until `options.signal` aborts; null
 * when the engine is not a local podman or has no readable event file.
 */
export async function localPodmanEvents(engine: DirectLogEngine, options: EventsOptions, env: NodeJS.ProcessEnv = process.env): Promise<AsyncIterable<ContainerEvent> | null> {
  if (engine.name !== 'podman' || options.until !== undefined || !engineIsLocal(engine)) return null;
  for (const path of podmanEventsPaths(env, process.getuid?.() ?? null)) {
    const readable = await access(path, constants.R_OK).then(
      () => true,
      () => false,
    );
    if (readable) return followEventsFile(path, options);
  }
  return null;
}

/**
 * Every event line of `path` at or after `since`, then each one appended, until `signal` aborts. A file
 * truncated or replaced (podman rotates it) is read again from its start; the watcher drops what it has.
 * Lines are read as an engine's answer is (events.ts: {@link readEvents}).
 */
export async function* followEventsFile(path: string, options: EventsOptions): AsyncGenerator<ContainerEvent> {
  const since = nanosToRfc3339(BigInt(options.since.getTime()) * 1_000_000n);
  for await (const event of readEvents(fileChunks(path, options.signal), parsePodmanCliEvent, {})) if (event.time >= since) yield event;
}

/** The bytes of `path` as they are written, from near its end on; from its start again when it is replaced. */
async function* fileChunks(path: string, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  let file: FileHandle | null = null;
  let inode = -1;
  let offset = 0;
  try {
    while (!signal?.aborted) {
      const now = await stat(path).catch(() => null);
      if (now !== null && (file === null || now.ino !== inode || now.size < offset)) {
        const first = file === null && inode === -1;
        if (!first) yield LINE_END;
        await file?.close();
        file = await open(path, 'r').catch(() => null);
        inode = now.ino;
        offset = first ? Math.max(0, now.size - TAIL_BYTES) : 0;
      }
      let read = 0;
      if (file !== null && now !== null && now.size > offset) {
        const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, now.size - offset));
        ({ bytesRead: read } = await file.read(chunk, 0, chunk.length, offset));
        offset += read;
        if (read > 0) yield chunk.subarray(0, read);
      }
      // Caught up: look again in a moment.
      if (read === 0) await sleep(POLL_MS, undefined, { signal }).catch(() => {});
    }
  } finally {
    await file?.close();
  }
}
