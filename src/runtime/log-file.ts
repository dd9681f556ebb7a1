import { closeSync, createReadStream, fstatSync, openSync, read as readFd, readdirSync, readSync } from 'node:fs';
import { homedir as osHomedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import type { Endpoint } from './endpoint.js';
import { LineJoiner, LineTimes } from './line-join.js';
import { EntryDecoder, type DecodeOptions } from './log-file-decode.js';
import type { LogFileFormat } from './log-file-format.js';
import { jsonFileFormat } from './log-file-json.js';
import { k8sFileFormat } from './log-file-k8s.js';
import { parseTimeBound } from './log-file-time.js';
import { dockerContextHost } from './sockets.js';
import { EngineCancelledError, EngineError, type LogOptions, type LogStream, type LogTarget, type RuntimeName } from './types.js';

/*
 * The fast path to a log: both engines serve `logs` by reading a file on their host and re-encoding it, so
 * when that file is here and readable, reading it directly gives the same bytes at disk speed. Whether it
 * may be used is decided here and only here ({@link openDirectLog}); everything else falls back to the
 * engine. A log still being written is read up to its size when it was opened (a rotated set: the files
 * found then), and an unfinished last line (a write in progress) is left out.
 */

/** How the engine was reached: only a local engine's log paths name files on this machine. */
export type DirectLogEngine =
  | { readonly name: RuntimeName; readonly transport: 'api'; readonly endpoint: Endpoint }
  | { readonly name: RuntimeName; readonly transport: 'cli'; readonly env: NodeJS.ProcessEnv };

/** Whether the engine runs on this machine: a unix socket, or a CLI not pointed elsewhere. */
export function engineIsLocal(engine: DirectLogEngine): boolean {
  if (engine.transport === 'api') return engine.endpoint.kind === 'unix';
  const env = engine.env;
  const unixOrUnset = (value: string | undefined): boolean => !value || value.startsWith('unix://');
  if (engine.name === 'podman') return unixOrUnset(env.CONTAINER_HOST) && !env.CONTAINER_CONNECTION;
  if (!unixOrUnset(env.DOCKER_HOST)) return false;
  const context = env.DOCKER_HOST ? null : dockerContextHost({ env, homedir: env.HOME ?? osHomedir() });
  return context === null || context.host.startsWith('unix://');
}

/** The format of a driver's file: docker's json-file; podman's k8s-file (its `json-file` is an alias). */
function formatOf(engine: RuntimeName, driver: string | null | undefined): LogFileFormat | null {
  if (engine === 'docker') return driver === 'json-file' ? jsonFileFormat : null;
  return driver === 'k8s-file' || driver === 'json-file' ? k8sFileFormat : null;
}

/** One file of a log, open, with the part of it to read. */
interface LogFilePart {
  readonly path: string;
  readonly fd: number;
  readonly gzip: boolean;
  /** Where reading starts (a `--tail` starts inside the file) and the size it had when opened. */
  start: number;
  readonly size: number;
}

function closeAll(parts: readonly LogFilePart[]): void {
  for (const part of parts) {
    try {
      closeSync(part.fd);
    } catch {
      // already closed
    }
  }
}

function openPart(path: string, gzip: boolean): LogFilePart | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    return null;
  }
  return { path, fd, gzip, start: 0, size: stat.size };
}

/**
 * docker's rotated set, oldest first: `<id>-json.log.N[.gz]` … `.1[.gz]`, then `<id>-json.log`. While a
 * rotated file is being compressed both `.1` and `.1.gz` exist: the uncompressed one is whole.
 */
function rotatedNames(path: string): { name: string; gzip: boolean }[] {
  const base = basename(path);
  const found = new Map<number, { name: string; gzip: boolean }>();
  for (const name of readdirSync(dirname(path))) {
    if (!name.startsWith(base + '.')) continue;
    const match = /^\.(\d+)(\.gz)?$/.exec(name.slice(base.length));
    if (!match) continue;
    const n = Number(match[1]);
    const gzip = match[2] !== undefined;
    if (!found.has(n) || !gzip) found.set(n, { name, gzip });
  }
  return [...found.entries()].sort((a, b) => b[0] - a[0]).map(([, v]) => v);
}

function openParts(path: string, rotated: boolean): LogFilePart[] | null {
  const parts: LogFilePart[] = [];
  try {
    const names = rotated ? rotatedNames(path) : [];
    for (const { name, gzip } of names) {
      const part = openPart(join(dirname(path), name), gzip);
      if (part === null) throw new Error('unreadable');
      parts.push(part);
    }
    const current = openPart(path, false);
    if (current === null) throw new Error('unreadable');
    parts.push(current);
    return parts;
  } catch {
    closeAll(parts);
    return null;
  }
}

const TAIL_BLOCK = 64 * 1024;
/** A `--tail` that needs more than this much of the file read backwards is left to the engine. */
const TAIL_SCAN_LIMIT = 64 * 1024 * 1024;

/**
 * Start the read `lines` entries before the end (the end being the last newline within the size found).
 * False when that cannot be done exactly: it reaches into a compressed file, or (podman) a `P` entry is
 * among them, which podman 4's `--tail` reassembles in an order of its own.
 */
function seekTail(parts: LogFilePart[], lines: number, format: LogFileFormat): boolean {
  let wanted = lines;
  let scanned = 0;
  const block = Buffer.allocUnsafe(TAIL_BLOCK);
  for (let p = parts.length - 1; p >= 0; p--) {
    const part = parts[p] as LogFilePart;
    if (part.gzip) return false;
    let end = part.size;
    let lastNewline = -1;
    const starts: number[] = [];
    while (end > 0) {
      const from = Math.max(0, end - TAIL_BLOCK);
      const n = readSync(part.fd, block, 0, end - from, from);
      scanned += n;
      if (scanned > TAIL_SCAN_LIMIT) return false;
      for (let i = n - 1; i >= 0; i--) {
        if (block[i] !== 0x0a) continue;
        if (lastNewline < 0) lastNewline = from + i;
        else starts.push(from + i + 1);
        if (starts.length === wanted) break;
      }
      if (starts.length === wanted) break;
      end = from;
    }
    if (starts.length < wanted && lastNewline >= 0) starts.push(0);
    if (format === k8sFileFormat && !startsAllWhole(part.fd, starts)) return false;
    wanted -= starts.length;
    if (wanted <= 0) {
      part.start = starts.at(-1) ?? part.size;
      parts.splice(0, p);
      return true;
    }
  }
  return true;
}

/** Whether every k8s-file entry starting at these offsets is an `F` entry. */
function startsAllWhole(fd: number, starts: readonly number[]): boolean {
  const head = Buffer.allocUnsafe(64);
  for (const start of starts) {
    const n = readSync(fd, head, 0, head.length, start);
    const space = head.indexOf(0x20);
    if (space < 0 || space + 8 >= n || head[space + 8] !== 0x46 /* F */) return false;
  }
  return true;
}

const readAt = promisify(readFd);
const CHUNK = 64 * 1024;
/** No entry of either engine comes near this (docker 16 KiB of content, conmon 8 KiB): a file that does is not theirs. */
const MAX_LINE = 16 * 1024 * 1024;

/** The bytes of one part, from its start to its size when opened (decompressed when it is .gz). */
async function* partBytes(part: LogFilePart): AsyncGenerator<Buffer> {
  if (part.gzip) {
    yield* createReadStream('', { fd: part.fd, autoClose: false }).pipe(createGunzip()) as AsyncIterable<Buffer>;
    return;
  }
  let at = part.start;
  while (at < part.size) {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, part.size - at));
    const { bytesRead } = await readAt(part.fd, buf, 0, buf.length, at);
    if (bytesRead === 0) return;
    at += bytesRead;
    yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  }
}

interface ReadState {
  error: Error | null;
}

/** The parts' output, chunk by chunk, as the consumer asks for it; a failure ends it and is kept in `state`. */
async function* decodeParts(parts: LogFilePart[], decoder: EntryDecoder, joiner: LineJoiner, state: ReadState, signal?: AbortSignal): AsyncGenerator<Buffer> {
  try {
    for (const part of parts) {
      let carry: Buffer | null = null;
      for await (const bytes of partBytes(part)) {
        if (signal?.aborted) throw new EngineCancelledError('reading the log file was cancelled');
        const chunk: Buffer = carry === null ? bytes : Buffer.concat([carry, bytes]);
        const last = chunk.lastIndexOf(0x0a);
        carry = last === chunk.length - 1 ? null : chunk.subarray(last + 1);
        if (carry !== null && carry.length > MAX_LINE) throw new EngineError(`${part.path}: a line longer than ${MAX_LINE} bytes`);
        if (last >= 0) decoder.lines(chunk, last + 1);
        const out = joiner.take();
        if (out !== null) yield out;
        if (decoder.done) return;
      }
      // What follows the last newline of the current file is a write in progress: left out.
    }
  } catch (error) {
    state.error = error instanceof EngineError ? error : new EngineError(`reading the log file failed: ${(error as Error).message}`, { cause: error });
  } finally {
    closeAll(parts);
  }
  // Each stream's unfinished last line, as it is (also after a failure: what arrived is evidence).
  joiner.end();
  const out = joiner.take();
  if (out !== null) yield out;
}

/** `--tail` as a count of entries, null for none; undefined when it cannot be applied here (`0`, `all`…). */
function tailCount(tail: string | undefined): number | null | undefined {
  if (tail === undefined) return null;
  return /^[1-9]\d{0,8}$/.test(tail) ? Number(tail) : undefined;
}

/** What the options ask for, when all of it can be done from the file; null when not. */
function decodeOptions(options: LogOptions, now: Date): (DecodeOptions & { tail: number | null }) | null {
  const tail = tailCount(options.tail);
  if (tail === undefined) return null;
  const since = options.since === undefined ? null : parseTimeBound(options.since, now);
  const until = options.until === undefined ? null : parseTimeBound(options.until, now);
  if ((options.since !== undefined && since === null) || (options.until !== undefined && until === null)) return null;
  // The engines apply --tail and --since/--until in orders of their own: leave the pair to them.
  if (tail !== null && (since !== null || until !== null)) return null;
  return { timestamps: options.timestamps === true, since, until, tail, lineTimes: options.lineTimes === true };
}

/**
 * The container's log read from the engine's own file, or null when that is not certain to give what the
 * engine's CLI prints: the engine is remote, its driver keeps no such file, the file is not readable here,
 * or an option cannot be applied from the file's entries. Opening is synchronous (a few system calls).
 */
export function openDirectLog(target: LogTarget, options: LogOptions, engine: DirectLogEngine, signal?: AbortSignal, now: Date = new Date()): LogStream | null {
  if (options.direct === false || !engineIsLocal(engine)) return null;
  const format = formatOf(engine.name, target.logDriver);
  const path = target.logPath;
  if (format === null || !path || !isAbsolute(path)) return null;
  const decoding = decodeOptions(options, now);
  if (decoding === null) return null;
  const parts = openParts(path, format === jsonFileFormat);
  if (parts === null) return null;
  if (decoding.tail !== null && !seekTail(parts, decoding.tail, format)) {
    closeAll(parts);
    return null;
  }
  const times = decoding.lineTimes ? new LineTimes() : null;
  const joiner = new LineJoiner({ times });
  const state: ReadState = { error: null };
  const stream = Readable.from(decodeParts(parts, new EntryDecoder(format, decoding, joiner), joiner, state, signal), { objectMode: false });
  const finished = new Promise<void>((resolve, reject) => {
    const settle = (): void => (state.error === null ? resolve() : reject(state.error));
    stream.once('end', settle);
    stream.once('close', settle);
  });
  finished.catch(() => {});
  return { stream, finished, times, source: () => format.source, linesCut: () => joiner.linesCut };
}
