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
 *                                     and kept, so a caller arriving a little late gets it too.
 *
 * A lock is stale when its holder is a dead process on this host (`kill(pid, 0)` → ESRCH) or its heartbeat
 * stopped more than `staleMs` ago (a holder on another host, or a reused pid). A stale lock is broken by
 * exactly one waiter (see {@link breakStaleLock}), which then competes for the lock again like everyone else.
 * Waiting is bounded by `waitMs`: a caller never hangs, it throws {@link LockTimeoutError}.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const DEFAULT_STALE_MS = 30_000;
export const DEFAULT_POLL_MS = 100;
export const DEFAULT_WAIT_MS = 10 * 60_000;

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

export interface RunOnceOptions {
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

/** `kill(pid, 0)`: ESRCH means no such process; EPERM means one exists that we may not signal. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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

async function readResult<T>(path: string, notBefore: number | null): Promise<ResultRecord<T> | null> {
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
    return record;
  } catch {
    return null;
  }
}

/**
 * Run `fn` once among every concurrent caller sharing `key` and `baseDir`, on this host or any host that
 * shares the folder. The caller that wins the lock runs it; the others wait and receive its value, or a
 * {@link RunOnceError} when it threw. Nothing is written outside `baseDir`.
 *
 * Throws {@link LockTimeoutError} when the holder neither finishes nor goes stale within `waitMs`.
 */
export async function runOnce<T>(key: string, baseDir: string, fn: () => Promise<T>, options: RunOnceOptions = {}): Promise<RunOnceOutcome<T>> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  const now = options.now ?? Date.now;
  const isAlive = options.isAlive ?? processAlive;
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const notBefore = options.notBefore ? options.notBefore.getTime() : null;

  await mkdir(baseDir, { recursive: true, mode: 0o700 });
  const lockFile = join(baseDir, lockName(key));
  const resultFile = `${lockFile}.result.json`;
  const brokeStale: LockHolder[] = [];
  const started = now();
  const received = (record: ResultRecord<T>): RunOnceOutcome<T> => {
    if (!record.ok) throw new RunOnceError(record.error, record.holder);
    return { value: record.value, ranHere: false, holder: record.holder, lockFile, resultFile, brokeStale };
  };

  for (;;) {
    const done = await readResult<T>(resultFile, notBefore);
    if (done) return received(done);

    const holder: LockHolder = { pid, host, nonce: randomBytes(12).toString('hex'), startedAt: new Date(now()).toISOString(), key };
    if (await tryAcquire(lockFile, holder)) {
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
    try {
      // Another caller may have finished between our look at the result and our taking the lock.
      const done = await readResult<T>(resultFile, notBefore);
      if (done) return received(done);
      const base = { version: 1 as const, key, holder };
      try {
        const value = await fn();
        await writeAtomically(resultFile, JSON.stringify({ ...base, finishedAt: new Date(now()).toISOString(), ok: true, value }));
        return { value, ranHere: true, holder, lockFile, resultFile, brokeStale };
      } catch (error) {
        const record = { ...base, finishedAt: new Date(now()).toISOString(), ok: false, error: serializeError(error) };
        await writeAtomically(resultFile, JSON.stringify(record)).catch(() => {});
        throw error;
      }
    } finally {
      clearInterval(heartbeat);
      await releaseLock(lockFile, holder);
    }
  }
}

/** Remove the lock if it is still ours: a waiter may have broken it and another taken it since. */
async function releaseLock(path: string, holder: LockHolder): Promise<void> {
  const lock = await readLock(path).catch(() => null);
  if (lock?.holder?.nonce === holder.nonce) await unlink(path).catch(() => {});
}
