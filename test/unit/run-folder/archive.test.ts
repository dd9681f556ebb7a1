import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ArchiveParts, writeArchive } from '../../../src/run-folder/archive.js';
import { writeStreamToFile } from '../../../src/run-folder/write.js';

const parent = mkdtempSync(join(tmpdir(), 'must-gather-archive-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));
let n = 0;

/** A run folder with a log written through a part tap (as collection writes it), and a small file. */
async function runFolder(log: Buffer, name = `svc-integration-20261122-000000-${n++}`) {
  const dir = join(parent, name);
  mkdirSync(dir, { mode: 0o700 });
  const parts = await ArchiveParts.create(dir);
  // Written in uneven pieces, as an engine delivers them.
  const pieces = [log.subarray(0, 7), log.subarray(7, 70_000), log.subarray(70_000)];
  await writeStreamToFile(Readable.from(pieces), dir, 'app.log', 'log', [parts.tap('app.log')]);
  writeFileSync(join(dir, 'manifest.json'), '{"ok":true}\n', { mode: 0o600 });
  return { dir, parts, name };
}

/** Every file of the archive, extracted by the system's tar. */
function extract(archive: string): Map<string, Buffer> {
  const into = mkdtempSync(join(parent, 'x-'));
  execFileSync('tar', ['-xzf', archive, '-C', into]);
  const files = new Map<string, Buffer>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else files.set(`${rel}${e.name}`, readFileSync(join(d, e.name)));
    }
  };
  walk(into, '');
  return files;
}

describe('writeArchive with parts compressed during collection', () => {
  const log = Buffer.concat([randomBytes(100_000), Buffer.from('line\n'.repeat(50_000)), Buffer.from([0, 255, 13, 10])]);

  it('extracts (system tar) to the very bytes written, uses the part, and removes the parts', async () => {
    const { dir, parts, name } = await runFolder(log);
    const archive = await writeArchive(dir, parts);
    const files = extract(archive);
    expect([...files.keys()].sort()).toEqual([`${name}/app.log`, `${name}/manifest.json`]);
    expect(files.get(`${name}/app.log`)?.equals(log)).toBe(true);
    expect(files.get(`${name}/manifest.json`)?.toString()).toBe('{"ok":true}\n');
    expect(existsSync(`${dir}.tar.gz.parts-${process.pid}`)).toBe(false);
    expect(readdirSync(parent).filter((f) => f.startsWith(name)).sort()).toEqual([name, `${name}.tar.gz`]);
  });

  it('is one gzip stream of several members whose concatenation is a tar that node’s zlib reads whole', async () => {
    const { dir, parts } = await runFolder(log);
    const bytes = readFileSync(await writeArchive(dir, parts));
    // gzip members start with 1f 8b 08: the folder's entry with the log's header, the log's part, the small
    // manifest with the end blocks: at least 3.
    let members = 0;
    for (let i = bytes.indexOf(Buffer.from([0x1f, 0x8b, 0x08])); i !== -1; i = bytes.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), i + 1)) members++;
    expect(members).toBeGreaterThanOrEqual(3);
    const tar = gunzipSync(bytes);
    expect(tar.length % 512).toBe(0);
    expect(tar.subarray(-1024).equals(Buffer.alloc(1024))).toBe(true);
  });

  it('copies the part made during collection instead of compressing the file again', async () => {
    const { dir, parts, name } = await runFolder(log);
    // Same size, other bytes: only a copied part can still hold the log as it was written.
    writeFileSync(join(dir, 'app.log'), Buffer.alloc(log.length));
    const files = extract(await writeArchive(dir, parts));
    expect(files.get(`${name}/app.log`)?.equals(log)).toBe(true);
  });

  it('gives the same archive content whether the part is used or the file is compressed now', async () => {
    const withPart = await runFolder(log);
    const a = extract(await writeArchive(withPart.dir, withPart.parts));
    const without = await runFolder(log);
    await without.parts.discard();
    const b = extract(await writeArchive(without.dir, null));
    const strip = (m: Map<string, Buffer>, name: string) => new Map([...m].map(([k, v]) => [k.slice(name.length), v.toString('base64')]));
    expect(strip(a, withPart.name)).toEqual(strip(b, without.name));
  });

  it('does not use a part that no longer matches its file (it changed after it was written)', async () => {
    const { dir, parts, name } = await runFolder(log);
    writeFileSync(join(dir, 'app.log'), 'replaced\n');
    const files = extract(await writeArchive(dir, parts));
    expect(files.get(`${name}/app.log`)?.toString()).toBe('replaced\n');
  });

  it('never fails the log it sits in when its part cannot be written; the archive then reads the file', async () => {
    const dir = join(parent, `svc-integration-20261122-000001-${n++}`);
    mkdirSync(dir, { mode: 0o700 });
    const parts = await ArchiveParts.create(dir);
    // The parts' folder disappears before the tap opens its file.
    rmSync(`${dir}.tar.gz.parts-${process.pid}`, { recursive: true });
    const written = await writeStreamToFile(Readable.from([log]), dir, 'app.log', 'log', [parts.tap('app.log')]);
    expect(written.bytes).toBe(log.length);
    expect(readFileSync(join(dir, 'app.log')).equals(log)).toBe(true);
    const files = extract(await writeArchive(dir, parts));
    expect([...files.values()][0]?.equals(log)).toBe(true);
  });

  it('writes a pax record for a path too long for a ustar header, and tar restores the full name', async () => {
    const long = `${'s'.repeat(120)}-integration-20261122-000000`;
    const { dir, parts } = await runFolder(Buffer.from('x\n'), long);
    const files = extract(await writeArchive(dir, parts));
    expect(files.get(`${long}/app.log`)?.toString()).toBe('x\n');
  });
});
