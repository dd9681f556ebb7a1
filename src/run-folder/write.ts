import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, stat, unlink } from 'node:fs/promises';
import { OutputError } from '../_util/errors.js';
import { runFolderName } from './layout.js';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MAX_SUFFIX = 10_000;

/**
 * Create the run folder under `baseDir`. `mkdir` is atomic: a process that loses the race for a name
 * takes the next (`-2`, `-3`…), so runs started in the same second never share a folder.
 */
export async function createRunFolder(baseDir: string, service: string, date: Date, uid = process.getuid?.()): Promise<string> {
  await mkdir(baseDir, { recursive: true, mode: 0o700 });
  await assertSafeBase(baseDir, uid);
  const name = runFolderName(service, date);
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
  readonly kind: 'log' | 'inspect';
  /** Size and sha256 of the file as written (after redaction and --max-log-size). */
  readonly bytes: number;
  readonly sha256: string;
  /** Secrets replaced, per rule; absent with --no-redact. Never the values. */
  readonly redactions?: Readonly<Record<string, number>>;
  /** Bytes cut out of the middle of the log by --max-log-size. */
  readonly cutBytes?: number;
  /** Writing stopped part-way (e.g. the disk was full): the file holds only the start. */
  readonly partial?: boolean;
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
