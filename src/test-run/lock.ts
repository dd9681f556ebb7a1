/**
 * Exactly once per run: concurrent callers that share a key elect one of them to do the work; the others
 * wait for it and receive what it returned (or the error it threw).
 *
 * Everything lives in `baseDir` (the must-gather output base), next to the run folders:
 *
 * - `.must-gather-<key>.lock`         held while the work runs: `{ pid, host, nonce, startedAt }`. Created
 *                                     with `link()` from a temporary file, so it never exists half-written;
 *                                     its mtime is refreshed while the holder lives (the heartbeat).
 * - `.must-gather-<key>.lock.result.json`  what the work returned, written to a temporary name and renamed,
 *                                     so a caller arriving a little late gets it too.
 * - `.must-gather-unused-base`       only while callers race in a base folder that one of them created for
 *                                     a run that kept nothing: see {@link UNUSED_BASE_MARKER}.
 *
 * A lock is stale when its holder is a dead process on this host (`kill(pid, 0)` → ESRCH) or its heartbeat
 * stopped more than `staleMs` ago (a holder on another host, or a reused pid). A stale lock is broken by
 * exactly one waiter (see {@link breakStaleLock}), which then competes for the lock again like everyone else.
 * Waiting is bounded by `waitMs`: a caller never hangs, it throws {@link LockTimeoutError}.
 *
 * How long a result lives. Who may still read a result is every caller of the key whose run started before
 * it finished (`notBefore`) — any number, arriving at any time, none of them known to the holder. So no
 * caller can tell that it is the last reader, and the holder cannot wait for them (it would hold up the end of
 * the test run). The rule is therefore part of reading: a result is reused for {@link RESULT_TTL_MS} after it
 * finished, never later (a caller arriving later runs the work itself). Removing an expired result thus
 * changes nothing for anyone, whoever removes it and whenever: the caller that ran the work sweeps expired
 * results (and locks of dead holders, and temporary files a killed process left) after each run, and
 * `must-gather prune` does the same ({@link sweepLockFiles}).
 *
 * Not every result needs keeping. `keep(value)` false (must-gather: nothing matched, nothing was written)
 * stores none: callers still waiting then find the lock free and no result, and run the work themselves (they
 * find nothing either, and write nothing). And a base folder that this call created is removed again when
 * nothing is left in it, so a run that wrote nothing leaves no trace. A key no other process can share (a
 * per-process run key) needs no file at all: {@link runOnceInProcess} keeps its result in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, open, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../_util/errors.js';
import { processAlive } from '../_util/process.js';
import { ensureBase, removeCreatedBase } from '../run-folder/write.js';

export { processAlive };

export const DEFAULT_STALE_MS = 30_000;
export const DEFAULT_POLL_MS = 100;
export const DEFAULT_WAIT_MS = 10 * 60_000;
/**
 * A result is reused for this long after it finished, never later; after that anyone may remove it (see the
 * rule above). Also the age after which a lock whose heartbeat stopped, and a temporary file of the protocol,
 * are swept whoever left them: far beyond any heartbeat's interval or any step's duration.
 */
export const RESULT_TTL_MS = 60 * 60_000;

const MAX_READABLE_KEY = 80;

/** Who holds a lock, as its file says. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** Random: tells this holder from any other, even one with a reused pid. */
  readonly nonce: string;
  readonly startedAt: string;
  readonly key: string;
}

export interface RunOnceOptions<T = unknown> {
  /** A lock whose heartbeat (mtime) is older than this is stale, whoever holds it. Default 30 s. */
  readonly staleMs?: number;
  /** How often a waiter looks for the result. Default 100 ms. */
  readonly pollMs?: number;
  /** How long a waiter waits in all before giving up with {@link LockTimeoutError}. Default 10 min. */
  readonly waitMs?: number;
  /**
   * A result that finished before this moment belongs to an earlier run and is not reused: the caller
   * competes to run `fn` again. Without it any result under the key is reused.
   */
  readonly notBefore?: Date;
  /** Clock in milliseconds; default `Date.now`. */
  readonly now?: () => number;
  /** Whether a process of this host is alive; default `kill(pid, 0)`. */
  readonly isAlive?: (pid: number) => boolean;
  /** This process, as recorded in the lock; defaults `process.pid` and `os.hostname()`. */
  readonly pid?: number;
  readonly host?: string;
  /**
   * Whether to store what `fn` returned for the other callers (default: always). False stores nothing:
   * callers still waiting run `fn` themselves. Errors are always stored.
   */
  readonly keep?: (value: T) => boolean;
  /** The user `baseDir` must belong to (it is refused otherwise, like a symlink); default this process's. */
  readonly uid?: number;
}

/** What {@link runOnce} returns to every caller. */
export interface RunOnceOutcome<T> {
  readonly value: T;
  /** True for the one caller that ran `fn`; false for those that received its result. */
  readonly ranHere: boolean;
  /** Who ran `fn`. */
  readonly holder: LockHolder;
  readonly lockFile: string;
  readonly resultFile: string;
  /** Stale locks this caller broke on the way (each a holder that died or stopped its heartbeat). */
  readonly brokeStale: readonly LockHolder[];
}

/** A waiter gave up: the holder neither finished nor went stale within `waitMs`. */
export class LockTimeoutError extends Error {
  readonly code = 'LOCK_TIMEOUT';
  readonly lockFile: string;
  readonly holder: LockHolder | null;

  constructor(lockFile: string, waitedMs: number, holder: LockHolder | null) {
    const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}` : 'an unknown holder';
    super(`gave up after ${Math.round(waitedMs / 1000)} s waiting for ${lockFile}, held by ${who}`);
    this.name = 'LockTimeoutError';
    this.lockFile = lockFile;
    this.holder = holder;
  }
}

/** The caller that ran `fn` failed; every waiter receives this, with the original's name, code and message. */
export class RunOnceError extends Error {
  readonly code: string | undefined;
  readonly holder: LockHolder;

  constructor(error: SerializedError, holder: LockHolder) {
    super(error.message);
    this.name = error.name;
    this.code = error.code;
    this.holder = holder;
  }
}

interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

type ResultRecord<T> = {
  readonly version: 1;
  readonly key: string;
  readonly holder: LockHolder;
  readonly finishedAt: string;
} & ({ readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SerializedError });

/**
 * A file-name-safe form of `key`: a readable prefix of it (`[A-Za-z0-9._-]`, others become `_`) and a hash
 * of the whole, so keys that differ only in unsafe characters never share a lock.
 */
export function lockName(key: string): string {
  const readable = key.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, MAX_READABLE_KEY);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return `.must-gather-${readable}-${hash}.lock`;
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException | null)?.code ?? '');
}

/** Write `data` to a new private file next to `path`, then rename it over `path`: readers never see half. */
async function writeAtomically(path: string, data: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

interface LockState {
  readonly holder: LockHolder | null;
  /** Identity of the file, for files whose content cannot be read as a holder. */
  readonly ino: number;
  readonly mtimeMs: number;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.nonce === 'string') {
      return {
        pid: value.pid,
        host: value.host,
        nonce: value.nonce,
        startedAt: String(value.startedAt ?? ''),
        key: String(value.key ?? ''),
      };
    }
  } catch {
    // Being written (only with the open('wx') fallback) or damaged: judged by its age alone.
  }
  return null;
}

async function readLock(path: string): Promise<LockState | null> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { holder: parseHolder(text), ino: info.ino, mtimeMs: info.mtimeMs };
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
}

function sameLock(a: LockState, b: LockState): boolean {
  return a.holder !== null && b.holder !== null ? a.holder.nonce === b.holder.nonce : a.ino === b.ino && a.mtimeMs === b.mtimeMs;
}

/**
 * Create the lock holding `holder`, or return false when it exists. `link()` publishes a complete file
 * atomically; where the filesystem has no hard links, `open('wx')` is the fallback.
 */
async function tryAcquire(path: string, holder: LockHolder): Promise<boolean> {
  const content = JSON.stringify(holder);
  const temp = `${path}.new-${holder.nonce}`;
  const draft = await open(temp, 'wx', 0o600);
  try {
    await draft.writeFile(content);
  } finally {
    await draft.close();
  }
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    if (!isErrno(error, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV')) throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    throw error;
  }
}

/**
 * Remove the stale lock `judged` — at most one waiter does, however many judged it stale at once.
 *
 * 1. `link(lock, <lock>.broken-<id of judged>)`: only one waiter can create that name (EEXIST for the rest).
 * 2. The link names whatever the lock was at that instant: when that is not `judged` (it was released and
 *    taken again meanwhile), drop the link and leave the new lock alone.
 * 3. Rename the lock away, check once more that it is `judged`, and delete it. Should it be a newer lock after
 *    all (only a holder that outlived `staleMs` and then finished can cause that), link it back in place.
 */
async function breakStaleLock(path: string, judged: LockState): Promise<boolean> {
  const id = judged.holder?.nonce ?? `${judged.ino}-${Math.trunc(judged.mtimeMs)}`;
  const tombstone = `${path}.broken-${id}`;
  let exclusive = true;
  try {
    await link(path, tombstone);
  } catch (error) {
    if (isErrno(error, 'EEXIST', 'ENOENT')) return false;
    // No hard links here: step 3's check alone guards the break.
    if (!isErrno(error, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV')) throw error;
    exclusive = false;
  }
  try {
    if (exclusive) {
      const linked = await readLock(tombstone);
      if (linked === null || !sameLock(linked, judged)) return false;
    }
    const away = `${path}.breaking-${randomBytes(6).toString('hex')}`;
    try {
      await rename(path, away);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false;
      throw error;
    }
    const moved = await readLock(away);
    if (moved !== null && !sameLock(moved, judged)) {
      await link(away, path).catch(() => {});
      await unlink(away).catch(() => {});
      return false;
    }
    await unlink(away).catch(() => {});
    return true;
  } finally {
    // Once the judged lock is gone from its name, a late breaker's link names another lock (step 2).
    if (exclusive) await unlink(tombstone).catch(() => {});
  }
}

/** Whether a result that finished at `finishedAt` may still be reused at `now`: not after {@link RESULT_TTL_MS}. */
function fresh(finishedAt: string, now: number): boolean {
  return now - Date.parse(finishedAt) <= RESULT_TTL_MS;
}

async function readResult<T>(path: string, notBefore: number | null, now: number): Promise<ResultRecord<T> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
  try {
    const record = JSON.parse(text) as ResultRecord<T>;
    if (record.version !== 1 || typeof record.finishedAt !== 'string') return null;
    if (notBefore !== null && !(Date.parse(record.finishedAt) >= notBefore)) return null;
    if (!fresh(record.finishedAt, now)) return null;
    return record;
  } catch {
    return null;
  }
}

/**
 * Run `fn` once among every concurrent caller sharing `key` and `baseDir`, on this host or any host that
 * shares the folder. The caller that wins the lock runs it; the others wait and receive its value, or a
 * {@link RunOnceError} when it threw. Nothing is written outside `baseDir`, which is created (0700) when
 * missing, refused when it is a symbolic link or another user's, and removed again when this call created
 * it and left nothing in it.
 *
 * Throws {@link LockTimeoutError} when the holder neither finishes nor goes stale within `waitMs`.
 */
export async function runOnce<T>(key: string, baseDir: string, fn: () => Promise<T>, options: RunOnceOptions<T> = {}): Promise<RunOnceOutcome<T>> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  const now = options.now ?? Date.now;
  const isAlive = options.isAlive ?? processAlive;
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const notBefore = options.notBefore ? options.notBefore.getTime() : null;
  const keep = options.keep ?? (() => true);
  const uid = options.uid ?? process.getuid?.();

  /** The first folder this call created for the base, if any: removed again when nothing is left in it. */
  let created = await ensureBase(baseDir, uid);
  const lockFile = join(baseDir, lockName(key));
  const resultFile = `${lockFile}.result.json`;
  const brokeStale: LockHolder[] = [];
  const started = now();
  const received = (record: ResultRecord<T>): RunOnceOutcome<T> => {
    if (!record.ok) throw new RunOnceError(record.error, record.holder);
    return { value: record.value, ranHere: false, holder: record.holder, lockFile, resultFile, brokeStale };
  };

  for (;;) {
    const done = await readResult<T>(resultFile, notBefore, now());
    if (done) return received(done);

    const holder: LockHolder = { pid, host, nonce: randomBytes(12).toString('hex'), startedAt: new Date(now()).toISOString(), key };
    let acquired: boolean;
    try {
      acquired = await tryAcquire(lockFile, holder);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
      // The base is gone: its creator found nothing to keep and removed it. Make it (and check it) again.
      created = (await ensureBase(baseDir, uid)) ?? created;
      continue;
    }
    if (acquired) {
      return await runAsHolder(holder);
    }

    const lock = await readLock(lockFile);
    // Released since we tried: the result is there now, or the lock is free.
    if (lock === null) continue;
    if (isStale(lock)) {
      if (await breakStaleLock(lockFile, lock)) brokeStale.push(lock.holder ?? { pid: 0, host: '', nonce: '', startedAt: '', key });
      continue;
    }
    if (now() - started >= waitMs) throw new LockTimeoutError(lockFile, now() - started, lock.holder);
    await sleep(pollMs);
  }

  function isStale(lock: LockState): boolean {
    if (lock.holder !== null && lock.holder.host === host && !isAlive(lock.holder.pid)) return true;
    return now() - lock.mtimeMs > staleMs;
  }

  async function runAsHolder(holder: LockHolder): Promise<RunOnceOutcome<T>> {
    const heartbeat = setInterval(() => {
      const t = new Date(now());
      utimes(lockFile, t, t).catch(() => {});
    }, Math.max(10, Math.floor(staleMs / 4)));
    heartbeat.unref();
    let kept = true;
    try {
      // Another caller may have finished between our look at the result and our taking the lock.
      const done = await readResult<T>(resultFile, notBefore, now());
      if (done) return received(done);
      const base = { version: 1 as const, key, holder };
      let value: T;
      try {
        value = await fn();
      } catch (error) {
        const record = { ...base, finishedAt: new Date(now()).toISOString(), ok: false, error: serializeError(error) };
        await writeAtomically(resultFile, JSON.stringify(record)).catch(() => {});
        throw error;
      }
      kept = keep(value);
      if (kept) await writeAtomically(resultFile, JSON.stringify({ ...base, finishedAt: new Date(now()).toISOString(), ok: true, value }));
      return { value, ranHere: true, holder, lockFile, resultFile, brokeStale };
    } finally {
      clearInterval(heartbeat);
      await releaseLock(lockFile, holder);
      // What earlier runs left that no caller can use any more; best effort, it never fails this one.
      await sweepLockFiles(baseDir, { now, isAlive, host }).catch(() => {});
      if (kept) await unlink(join(baseDir, UNUSED_BASE_MARKER)).catch(() => {});
      else await leaveBase(baseDir, created);
    }
  }
}

/** Remove the lock if it is still ours: a waiter may have broken it and another taken it since. */
async function releaseLock(path: string, holder: LockHolder): Promise<void> {
  const lock = await readLock(path).catch(() => null);
  if (lock?.holder?.nonce === holder.nonce) await unlink(path).catch(() => {});
}

/**
 * Left in a base folder that a caller of {@link runOnce} created, found nothing to keep, and could not remove
 * because other callers were at work in it (their lock files): the next caller that leaves it with nothing
 * to keep removes it and the marker; one that keeps a result removes the marker only.
 */
const UNUSED_BASE_MARKER = '.must-gather-unused-base';

/**
 * The end of a run that kept nothing: remove the base folder when this call created it (or a marker says a
 * caller before did) and nothing is in it. When only other callers' lock files are in it, mark it so
 * that the last of them removes it; then look once more, in case that one finished before the mark.
 */
async function leaveBase(baseDir: string, created: string | undefined): Promise<void> {
  const marker = join(baseDir, UNUSED_BASE_MARKER);
  const marked = await unlink(marker).then(
    () => true,
    () => false,
  );
  if (created === undefined && !marked) return;
  const first = created ?? baseDir;
  if (await removeCreatedBase(baseDir, first)) return;
  const entries = await readdir(baseDir).catch(() => null);
  if (entries === null || !entries.every((entry) => lockFileKind(entry) !== null)) return;
  await writeFile(marker, '', { flag: 'wx', mode: 0o600 }).catch(() => {});
  const after = await readdir(baseDir).catch(() => null);
  if (after !== null && after.length === 1 && after[0] === UNUSED_BASE_MARKER) {
    await unlink(marker).catch(() => {});
    await removeCreatedBase(baseDir, first);
  }
}

/** What {@link sweepLockFiles} removed (with `dryRun`: would remove), and what it left and why. */
export interface SweepResult {
  readonly removed: string[];
  readonly skipped: { path: string; reason: string }[];
}

/** `.must-gather-<readable key>-<hash>.lock`, as {@link lockName} makes it. */
const LOCK_NAME = /^\.must-gather-[A-Za-z0-9._-]*-[0-9a-f]{12}\.lock/;
/** Temporary names of the protocol: a result being written, a lock being made, a lock being broken. */
const DEBRIS_SUFFIX = /^(?:\.result\.json\.tmp-\d+-[0-9a-f]+|\.new-[0-9a-f]+|\.broken-[0-9a-f-]+|\.breaking-[0-9a-f]+)$/;

type LockFileKind = 'lock' | 'result' | 'debris';

function lockFileKind(name: string): LockFileKind | null {
  const match = LOCK_NAME.exec(name);
  if (match === null) return null;
  const rest = name.slice(match[0].length);
  if (rest === '') return 'lock';
  if (rest === '.result.json') return 'result';
  return DEBRIS_SUFFIX.test(rest) ? 'debris' : null;
}

/**
 * Remove, directly under `baseDir`, what the lock protocol left that no caller can use any more:
 *
 * - results that finished more than {@link RESULT_TTL_MS} ago (never reused, so removing them changes nothing);
 * - locks whose holder is a dead process of this host, or whose heartbeat stopped {@link RESULT_TTL_MS} ago
 *   (broken as a waiter breaks them, so a lock taken meanwhile is never removed);
 * - temporary files of the protocol untouched for {@link RESULT_TTL_MS} (left by a process killed mid-step).
 *
 * Only names the protocol makes are looked at, each with lstat; a symbolic link is never followed or removed.
 * A missing `baseDir` sweeps nothing.
 */
export async function sweepLockFiles(
  baseDir: string,
  options: { readonly dryRun?: boolean; readonly now?: () => number; readonly isAlive?: (pid: number) => boolean; readonly host?: string } = {},
): Promise<SweepResult> {
  const { dryRun = false, now = Date.now, isAlive = processAlive, host = hostname() } = options;
  const result: SweepResult = { removed: [], skipped: [] };
  let entries: string[];
  try {
    entries = await readdir(baseDir);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return result;
    throw error;
  }
  // A base that holds anything but the lock's own files is in use: a marker there is out of date.
  if (entries.includes(UNUSED_BASE_MARKER) && entries.some((entry) => entry !== UNUSED_BASE_MARKER && lockFileKind(entry) === null)) {
    const marker = join(baseDir, UNUSED_BASE_MARKER);
    if (!dryRun) await unlink(marker).catch(() => {});
    result.removed.push(marker);
  }
  for (const entry of entries.sort()) {
    const kind = lockFileKind(entry);
    if (kind === null) continue;
    const path = join(baseDir, entry);
    try {
      const info = await lstat(path);
      if (info.isSymbolicLink()) {
        result.skipped.push({ path, reason: 'symbolic link: not followed, not removed' });
        continue;
      }
      if (!info.isFile()) continue;
      const old = now() - info.mtimeMs > RESULT_TTL_MS;
      if (kind === 'lock') {
        const lock = await readLock(path);
        if (lock === null) continue;
        const dead = lock.holder !== null && lock.holder.host === host && !isAlive(lock.holder.pid);
        if (!dead && !old) continue;
        if (dryRun || (await breakStaleLock(path, lock))) result.removed.push(path);
        continue;
      }
      if (kind === 'result') {
        const finishedAt = await readFile(path, 'utf8').then(
          (text) => (JSON.parse(text) as { finishedAt?: unknown }).finishedAt,
          () => undefined,
        );
        const expired = typeof finishedAt === 'string' && !Number.isNaN(Date.parse(finishedAt)) ? !fresh(finishedAt, now()) : old;
        if (!expired) continue;
      } else if (!old) {
        continue;
      }
      if (!dryRun) await unlink(path);
      result.removed.push(path);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) continue; // gone meanwhile
      result.skipped.push({ path, reason: `could not be removed: ${errorMessage(error)}` });
    }
  }
  return result;
}

/** What {@link runOnceInProcess} returns to every caller. */
export interface InProcessOutcome<T> {
  readonly value: T;
  readonly ranHere: boolean;
  readonly holder: LockHolder;
}

type Settled<T> = { readonly finishedAt: number; readonly holder: LockHolder } & ({ readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown });

/**
 * Runs in flight and results kept, of keys only this process uses: by id (see {@link runOnceInProcess}).
 * Kept on globalThis: one process may load must-gather twice (vitest loads its config's reporter and its
 * globalSetup through different module graphs), and both copies must see the same runs.
 */
const IN_PROCESS = Symbol.for('must-gather.runs-in-process');
const inProcess = ((globalThis as Record<symbol, unknown>)[IN_PROCESS] ??= new Map()) as Map<string, { running: Promise<unknown> } | Settled<unknown>>;

/**
 * {@link runOnce} for a key no other process can share (must-gather's per-process run key): callers of this
 * process that share `id` run `fn` once, the others receive its value or its error — with the same rules
 * (`notBefore`, `keep`, {@link RESULT_TTL_MS}) but nothing on disk: no lock, no result file.
 */
export async function runOnceInProcess<T>(
  id: string,
  fn: () => Promise<T>,
  options: Pick<RunOnceOptions<T>, 'notBefore' | 'keep' | 'now'> = {},
): Promise<InProcessOutcome<T>> {
  const now = options.now ?? Date.now;
  const keep = options.keep ?? (() => true);
  const notBefore = options.notBefore ? options.notBefore.getTime() : null;
  for (;;) {
    const entry = inProcess.get(id);
    if (entry !== undefined && 'running' in entry) {
      await entry.running.catch(() => {});
      continue;
    }
    if (entry !== undefined && (notBefore === null || entry.finishedAt >= notBefore) && now() - entry.finishedAt <= RESULT_TTL_MS) {
      const settled = entry as Settled<T>;
      if (!settled.ok) throw settled.error;
      return { value: settled.value, ranHere: false, holder: settled.holder };
    }
    const holder: LockHolder = { pid: process.pid, host: hostname(), nonce: randomBytes(12).toString('hex'), startedAt: new Date(now()).toISOString(), key: id };
    const running = (async () => fn())();
    inProcess.set(id, { running });
    try {
      const value = await running;
      if (keep(value)) inProcess.set(id, { finishedAt: now(), holder, ok: true, value });
      else inProcess.delete(id);
      return { value, ranHere: true, holder };
    } catch (error) {
      inProcess.set(id, { finishedAt: now(), holder, ok: false, error });
      throw error;
    }
  }
}
