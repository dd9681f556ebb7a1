import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { once } from 'node:events';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync, type Gzip } from 'node:zlib';
import { byName } from '../_util/order.js';
import { archivePartialPathOf, archivePartsPathOf, archivePathOf } from './layout.js';

/*
 * `<run folder>.tar.gz`, compressed while the logs are written rather than after.
 *
 * A gzip file may hold several members one after the other, and decompresses to their concatenation (RFC 1952
 * §2.2; gzip, GNU tar, node's zlib and every unzip tool read it so). So each log's tar content — its bytes
 * and the zeros that pad them to a 512-byte block — is compressed into a member of its own as it streams to
 * disk ({@link ArchiveParts.tap}). Writing the archive is then mostly copying: a member of the tar headers and
 * small files (compressed now, together), the member each large log got during collection, and so on, ending
 * with the end-of-archive blocks.
 */

const BLOCK = 512;
/** Files up to this size are compressed when the archive is written, several in one member. */
const SMALL_FILE = 256 * 1024;

/** A log's content compressed during collection: the member's file, and how many content bytes it holds. */
interface Part {
  readonly file: string;
  readonly bytes: number;
}

/**
 * Compressed tar content of the logs, made while they are written. Kept beside the run folder (never in it)
 * until {@link writeArchive} has used it; {@link discard} removes it on every other path.
 */
export class ArchiveParts {
  readonly #dir: string;
  readonly #parts = new Map<string, Part>();
  #next = 0;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Parts for the run folder `runDir`, in a new private folder beside it. */
  static async create(runDir: string): Promise<ArchiveParts> {
    const dir = archivePartsPathOf(runDir, process.pid);
    await mkdir(dir, { mode: 0o700 });
    return new ArchiveParts(dir);
  }

  /** The part of `path` (relative to the run folder), if one was completed for exactly `bytes` bytes. */
  part(path: string, bytes: number): string | null {
    const part = this.#parts.get(path);
    return part !== undefined && part.bytes === bytes ? part.file : null;
  }

  /**
   * A pass-through stage that compresses every byte passing it, as the tar content of `path`. It never fails
   * the stream it sits in: if its part cannot be written, the archive compresses the file itself instead.
   */
  tap(path: string): Transform {
    const file = join(this.#dir, `${this.#next++}.gz`);
    const parts = this.#parts;
    // The first SMALL_FILE bytes are held: a log that ends within them gets no part (compressing it while
    // archiving is quicker than a stream and a file of its own).
    let held: Buffer[] | null = [];
    let heldBytes = 0;
    let gzip: Gzip | null = null;
    let sink: WriteStream | null = null;
    let broken = false;
    let bytes = 0;
    const start = (): Gzip => {
      const z = createGzip();
      const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
      const onError = (): void => {
        broken = true;
        z.unpipe(out);
        z.destroy();
        out.destroy();
      };
      z.once('error', onError);
      out.once('error', onError);
      z.pipe(out);
      gzip = z;
      sink = out;
      return z;
    };
    /** Compress `data`; `done` once gzip can take more (at once if the part is broken). */
    const feed = (data: Buffer, done: () => void): void => {
      let z = gzip;
      if (z === null) {
        held!.push(data);
        heldBytes += data.length;
        if (heldBytes < SMALL_FILE) return done();
        z = start();
        data = Buffer.concat(held!, heldBytes);
        held = null;
      }
      if (broken || z.write(data)) done();
      else afterDrain(z, done);
    };
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        feed(chunk, () => callback(null, chunk));
      },
      flush(callback) {
        const z = gzip;
        if (z === null || broken || sink === null) {
          callback();
          return;
        }
        z.end(Buffer.alloc(padding(bytes)));
        // Done when the member is on disk, or when it failed (then the archive reads the log file itself).
        (sink as WriteStream).once('close', () => {
          if (!broken) parts.set(path, { file, bytes });
          callback();
        });
      },
      destroy(error, callback) {
        // The log's pipeline failed or was stopped: this part will not be used; close its file now.
        broken = true;
        gzip?.destroy();
        sink?.destroy();
        callback(error);
      },
    });
  }

  /** Remove the parts (after the archive was written, or when it never will be). */
  async discard(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** Call `then` once `gzip` drains, or at once if it breaks meanwhile (its bytes are then not needed). */
function afterDrain(gzip: Gzip, then: () => void): void {
  const go = (): void => {
    gzip.off('drain', go);
    gzip.off('close', go);
    then();
  };
  gzip.on('drain', go);
  gzip.on('close', go);
}

/** Zeros after `size` content bytes, up to the next 512-byte block. */
function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Entries of `dir` below `prefix`, folders before their content, each level in name order. */
async function walk(dir: string, prefix: string): Promise<{ path: string; full: string; isDir: boolean }[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => byName(a.name, b.name));
  const out: { path: string; full: string; isDir: boolean }[] = [];
  for (const entry of entries) {
    const full = join(dir, entry.name);
    const path = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push({ path: `${path}/`, full, isDir: true }, ...(await walk(full, path)));
    else if (entry.isFile()) out.push({ path, full, isDir: false });
  }
  return out;
}

/** Write `data` to `out`, waiting for it to drain if it must (`once` rejects on an error meanwhile). */
async function writeOut(out: WriteStream, data: Buffer): Promise<void> {
  if (!out.write(data)) await once(out, 'drain');
}

/** A writable end that passes every chunk on to `out`, leaving `out` open (pipeline's `end: false` keeps listeners). */
function into(out: WriteStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writeOut(out, chunk).then(() => callback(), callback);
    },
  });
}

/** node-tar's header encoders: only these (6 ms to load, where all of tar takes 12). */
type Encoders = { readonly Header: typeof import('tar/header').Header; readonly Pax: typeof import('tar/pax').Pax };

async function loadEncoders(): Promise<Encoders> {
  const [{ Header }, { Pax }] = await Promise.all([import('tar/header'), import('tar/pax')]);
  return { Header, Pax };
}

/**
 * The header block(s) of one entry, portable as node-tar's `portable` option makes them: no uid, gid, user
 * or group names, modes without group/other write, no mtime on folders; a pax record for a long path.
 */
function headerBlocks({ Header, Pax }: Encoders, entry: { path: string; isDir: boolean }, mode: number, size: number, mtime: Date): Buffer {
  const fields = {
    path: entry.path,
    mode: portableMode(mode, entry.isDir),
    size,
    mtime: entry.isDir ? undefined : mtime,
    type: entry.isDir ? ('Directory' as const) : ('File' as const),
  };
  const header = new Header(fields);
  const needsPax = header.encode();
  const block = header.block as Buffer;
  return needsPax ? Buffer.concat([new Pax({ path: entry.path, size, mtime: fields.mtime }).encode(), block]) : block;
}

/** node-tar's mode fix in portable mode: permission bits, owner read/write, no group/other write; a readable folder is listable. */
function portableMode(mode: number, isDir: boolean): number {
  let m = ((mode & 0o7777) | 0o600) & ~0o22;
  if (!isDir) return m;
  if (m & 0o400) m |= 0o100;
  if (m & 0o40) m |= 0o10;
  if (m & 0o4) m |= 0o1;
  return m;
}

/** The first `size` bytes of `file`, which must have them. */
async function readExactly(file: FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.alloc(size);
  let read = 0;
  while (read < size) {
    const { bytesRead } = await file.read(buffer, read, size - read, read);
    if (bytesRead === 0) throw new Error(`file changed while archived: read ${read} of ${size} bytes`);
    read += bytesRead;
  }
  return buffer;
}

/** A gzip member of `file`'s bytes and its block padding, written to `out` (left open). */
async function compressFile(file: FileHandle, size: number, out: WriteStream): Promise<void> {
  let seen = 0;
  const pad = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      callback(null, Buffer.alloc(padding(seen)));
    },
  });
  await pipeline(file.createReadStream({ start: 0, end: Math.max(0, size - 1), autoClose: false }), pad, createGzip(), into(out));
  if (seen !== size) throw new Error(`file changed while archived: read ${seen} of ${size} bytes`);
}

/**
 * Pack `dir` into `<dir>.tar.gz` beside it, with the folder's name as the top entry, using the logs' parts
 * compressed during collection where they match the files. Written under a temporary name and renamed, so a
 * reader never sees half an archive. The parts are removed either way.
 */
export async function writeArchive(dir: string, parts: ArchiveParts | null = null): Promise<string> {
  const target = archivePathOf(dir);
  const partial = archivePartialPathOf(dir, process.pid);
  try {
    const out = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
    const closed = new Promise<void>((resolve, reject) => {
      out.once('close', resolve);
      out.once('error', reject);
    });
    closed.catch(() => {}); // awaited below; an early error must not count as unhandled meanwhile

    try {
      const name = basename(dir);
      const entries = [{ path: `${name}/`, full: dir, isDir: true }, ...(await walk(dir, name))];
      const encoders = await loadEncoders();
      // Tar bytes of small entries, gathered into one member: a member each would cost zlib's set-up each.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        const member = gzipSync(Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
        await writeOut(out, member);
      };
      const add = (data: Buffer): void => {
        pending.push(data);
        pendingBytes += data.length;
      };
      for (const entry of entries) {
        const handle = entry.isDir ? null : await open(entry.full, 'r');
        try {
          const st = handle ? await handle.stat() : await stat(entry.full);
          const size = entry.isDir ? 0 : st.size;
          add(headerBlocks(encoders, entry, st.mode, size, st.mtime));
          if (handle === null || size === 0) continue;
          const made = parts?.part(entry.full.slice(dir.length + 1), size) ?? null;
          if (made === null && size <= SMALL_FILE) {
            add(await readExactly(handle, size));
            add(Buffer.alloc(padding(size)));
            if (pendingBytes >= SMALL_FILE) await flush();
            continue;
          }
          await flush();
          if (made !== null) await pipeline(createReadStream(made), into(out));
          else await compressFile(handle, size, out);
        } finally {
          await handle?.close();
        }
      }
      // End of archive: two zero blocks.
      add(Buffer.alloc(2 * BLOCK));
      await flush();
    } finally {
      out.end();
      await closed;
    }
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    await parts?.discard();
  }
  return target;
}
