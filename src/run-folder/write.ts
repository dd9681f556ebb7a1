import type { LogSource } from '../runtime/types.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, rmdir, stat, unlink } from 'node:fs/promises';
import { OutputError } from '../_util/errors.js';
import { perUserBase, runFolderName } from './layout.js';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MAX_SUFFIX = 10_000;
/** How often the base is made again when it disappears under a run (see {@link createRunFolder}). */
const MAX_BASE_ATTEMPTS = 5;

/** Where the base folder came from: `--output-dir` (the `outputDir` option), env MUST_GATHER_DIR, or neither. */
export type OutputBaseSource = 'option' | 'MUST_GATHER_DIR' | 'default';

/** The base folder a run writes into, and why; manifest.json records it as `outputBase`. */
export interface OutputBase {
  /** The folder written into. */
  readonly dir: string;
  /** The folder asked for: the option, MUST_GATHER_DIR or the default. */
  readonly requested: string;
  readonly source: OutputBaseSource;
  /** Why `dir` is not `requested` (the default base belongs to another user), or null when it is. */
  readonly fallback: string | null;
}

/**
 * Choose the base folder. A base that was asked for (`source` `option` or `MUST_GATHER_DIR`) is used as it is,
 * and refused later by {@link assertSafeBase} when unsafe. The default is used unless something already
 * stands at its path that belongs to another user — typically root's `/tmp/kubernaut-must-gather` (0700) on a
 * machine where root ran must-gather first, or anything planted there: then this user's private
 * `<default>-<uid>` ({@link perUserBase}) is used instead, subject to the same checks when it is created.
 * Looks (lstat), never creates or follows anything.
 */
export async function chooseOutputBase(requested: string, source: OutputBaseSource, uid = process.getuid?.()): Promise<OutputBase> {
  const as = { dir: requested, requested, source, fallback: null };
  if (source !== 'default' || uid === undefined) return as;
  let owner: number;
  try {
    owner = (await lstat(requested)).uid;
  } catch {
    // Missing (it is created, and so ours), or unreadable (creating it says why).
    return as;
  }
  if (owner === uid) return as;
  return { ...as, dir: perUserBase(requested, uid), fallback: `${requested} belongs to uid ${owner}, not to this user (uid ${uid})` };
}

/**
 * Make the base folder (`mkdir -p`, mode 0700) and check it with {@link assertSafeBase}. Returns the first
 * folder this call created (the base or an ancestor), undefined when the base was there: what
 * {@link removeCreatedBase} may take away again.
 */
export async function ensureBase(baseDir: string, uid = process.getuid?.()): Promise<string | undefined> {
  const first = await mkdir(baseDir, { recursive: true, mode: 0o700 });
  await assertSafeBase(baseDir, uid);
  return first;
}

/**
 * Remove `baseDir` and its ancestors up to `first` (what {@link ensureBase} created), each only while it is
 * empty: `rmdir` fails on a folder another run has written into meanwhile, and that folder stays. True when
 * `baseDir` itself is gone.
 */
export async function removeCreatedBase(baseDir: string, first: string | undefined): Promise<boolean> {
  if (first === undefined) return false;
  for (let dir = baseDir; ; dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return dir !== baseDir;
    }
    if (dir === first || dirname(dir) === dir) return true;
  }
}

/**
 * Create the run folder under `baseDir`. `mkdir` is atomic: a process that loses the race for a name
 * takes the next (`-2`, `-3`…), so runs started in the same second never share a folder. A base that
 * disappears meanwhile (another caller that wrote nothing removed the base it had created, see
 * {@link removeCreatedBase}) is made, and checked, again. `beforeCreate` runs after each check (for tests).
 */
export async function createRunFolder(
  baseDir: string,
  service: string,
  date: Date,
  uid = process.getuid?.(),
  beforeCreate: () => Promise<void> = async () => {},
): Promise<string> {
  const name = runFolderName(service, date);
  for (let attempt = 1; ; attempt++) {
    await ensureBase(baseDir, uid);
    await beforeCreate();
    try {
      return await createUnder(baseDir, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= MAX_BASE_ATTEMPTS) throw error;
    }
  }
}

async function createUnder(baseDir: string, name: string): Promise<string> {
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const dir = join(baseDir, n === 1 ? name : `${name}-${n}`);
    try {
      await mkdir(dir, { mode: 0o700 });
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`could not create a run folder: ${name} and ${MAX_SUFFIX - 1} suffixed names exist`);
}

/**
 * In a shared /tmp another user may have created the base folder first, or a symlink in its place to make
 * us write where they choose. Refuse both: the base must be a real folder owned by us (or by root, for a
 * root-owned shared base when we are root).
 */
export async function assertSafeBase(baseDir: string, uid: number | undefined): Promise<void> {
  const info = await lstat(baseDir);
  if (info.isSymbolicLink()) throw new OutputError(`refusing to write through a symlink: ${baseDir}`);
  if (!info.isDirectory()) throw new OutputError(`not a folder: ${baseDir}`);
  if (uid !== undefined && info.uid !== uid) {
    throw new OutputError(`refusing to write into ${baseDir}: it belongs to uid ${info.uid}, not to this user (uid ${uid}); choose another --output-dir`);
  }
}

/** A file written to the run folder, as manifest.json records it. */
export interface FileRecord {
  /** Path relative to the run folder. */
  readonly path: string;
  /** A container's `log` or `inspect` file; `timeline`: the run's timeline.log (manifest.json's `timeline`); `events`: the run's events.jsonl (manifest.json's `events`). */
  readonly kind: 'log' | 'inspect' | 'timeline' | 'events';
  /** Size and sha256 of the file as written (after redaction and --max-log-size). */
  readonly bytes: number;
  readonly sha256: string;
  /** Secrets replaced, per rule; absent with --no-redact. Never the values. */
  readonly redactions?: Readonly<Record<string, number>>;
  /** Bytes cut out of the middle of the log by --max-log-size. */
  readonly cutBytes?: number;
  /** Writing stopped part-way (e.g. the disk was full): the file holds only the start. */
  readonly partial?: boolean;
  /** Logs: where the bytes came from (the engine's API or CLI, or its log file read directly). */
  readonly source?: LogSource;
  /**
   * Logs: lines of one stream longer than the hold limit (1 MiB), which were passed on in pieces; a line of
   * the other stream may sit between those pieces. Absent when none.
   */
  readonly linesCut?: number;
}

/** Size and sha256 of a file, read as a stream. */
export async function describeFile(dir: string, path: string, kind: FileRecord['kind']): Promise<FileRecord> {
  const full = join(dir, path);
  const hash = createHash('sha256');
  await pipeline(createReadStream(full), hash);
  const { size } = await stat(full);
  return { path, kind, bytes: size, sha256: hash.digest('hex') };
}

/**
 * Stream `source` into a new file (never an existing one) with private permissions, hashing as it goes.
 * Backpressure from the disk reaches the source, so memory stays flat whatever the size.
 */
export async function writeStreamToFile(
  source: Readable,
  dir: string,
  path: string,
  kind: FileRecord['kind'],
  stages: readonly Transform[] = [],
): Promise<FileRecord> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const handle = await open(join(dir, path), 'wx', 0o600);
  try {
    await pipeline([source, ...stages, tap, handle.createWriteStream()]);
  } catch (error) {
    // What reached the disk before the failure (e.g. ENOSPC) is kept and described as it is on disk.
    const partial = await describeFile(dir, path, kind).then((f) => ({ ...f, partial: true }), () => null);
    throw new PartialFileError(path, partial, error);
  }
  return { path, kind, bytes, sha256: hash.digest('hex') };
}

/** Writing a file failed part-way; `file` describes what is on disk (null if even that cannot be read). */
export class PartialFileError extends Error {
  readonly file: FileRecord | null;

  constructor(path: string, file: FileRecord | null, cause: unknown) {
    super(`writing ${path} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PartialFileError';
    this.file = file;
  }
}

/**
 * {@link writeNewFile}, described from the bytes it was given: the size and sha256 manifest.json records,
 * without reading the file back (a small run writes one per container).
 */
export async function writeFileRecord(dir: string, path: string, kind: FileRecord['kind'], data: string | Uint8Array): Promise<FileRecord> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  await writeNewFile(join(dir, path), bytes);
  return { path, kind, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Write a new file (never an existing one) with private permissions. */
export async function writeNewFile(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(data);
  } catch (error) {
    // A half-written manifest or summary would mislead: leave none (the caller reports the failure).
    await handle.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw error;
  }
  await handle.close();
}
