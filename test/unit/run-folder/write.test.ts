import { createHash } from 'node:crypto';
import { chownSync, lchownSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatTimestamp, runFolderName, safeFileStem } from '../../../src/run-folder/layout.js';
import { chooseOutputBase, createRunFolder, describeFile, ensureBase, removeCreatedBase, writeFileRecord, writeNewFile } from '../../../src/run-folder/write.js';

let tmp: string;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'must-gather-output-'));
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('formatTimestamp', () => {
  it('prints local time as YYYYMMDD-HHMMSS with zero padding', () => {
    expect(formatTimestamp(new Date(2026, 0, 2, 3, 4, 5))).toBe('20260102-030405');
  });

  it('prints two-digit fields unpadded', () => {
    expect(formatTimestamp(new Date(2025, 11, 31, 23, 59, 58))).toBe('20251231-235958');
  });

  it('ignores milliseconds', () => {
    expect(formatTimestamp(new Date(2026, 6, 10, 12, 0, 0, 999))).toBe('20260710-120000');
  });
});

describe('runFolderName', () => {
  it('is <service>-integration-<timestamp>', () => {
    expect(runFolderName('signalprocessing', new Date(2026, 0, 2, 3, 4, 5))).toBe('signalprocessing-integration-20260102-030405');
  });
});

describe('createRunFolder', () => {
  const date = new Date(2026, 0, 2, 3, 4, 5);
  const base = 'sp-integration-20260102-030405';

  it('creates the base folder and the run folder with mode 0700', async () => {
    const baseDir = join(tmp, 'nested', 'out');
    const dir = await createRunFolder(baseDir, 'sp', date);
    expect(dir).toBe(join(baseDir, base));
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(baseDir)).mode & 0o777).toBe(0o700);
  });

  it('takes -2, -3 … when the name is taken', async () => {
    expect(await createRunFolder(tmp, 'sp', date)).toBe(join(tmp, base));
    expect(await createRunFolder(tmp, 'sp', date)).toBe(join(tmp, `${base}-2`));
    expect(await createRunFolder(tmp, 'sp', date)).toBe(join(tmp, `${base}-3`));
  });

  it('skips a name taken by a file', async () => {
    await writeFile(join(tmp, base), 'not a folder');
    expect(await createRunFolder(tmp, 'sp', date)).toBe(join(tmp, `${base}-2`));
  });

  it('gives 20 concurrent runs in the same second 20 distinct folders', async () => {
    const dirs = await Promise.all(Array.from({ length: 20 }, () => createRunFolder(tmp, 'sp', date)));
    const expected = [base, ...Array.from({ length: 19 }, (_, i) => `${base}-${i + 2}`)];
    expect(new Set(dirs).size).toBe(20);
    expect([...dirs].sort()).toEqual(expected.map((n) => join(tmp, n)).sort());
    expect((await readdir(tmp)).sort()).toEqual([...expected].sort());
    for (const dir of dirs) expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('fails with the error of mkdir when the base is not a folder', async () => {
    const file = join(tmp, 'file');
    await writeFile(file, '');
    await expect(createRunFolder(file, 'sp', date)).rejects.toMatchObject({ code: expect.stringMatching(/^(EEXIST|ENOTDIR)$/) });
  });
});

describe('safeFileStem', () => {
  it.each([
    ['signalprocessing_redis_test', 'signalprocessing_redis_test'],
    ['mock-llm.v2', 'mock-llm.v2'],
    ['a/b', 'a_b'],
    ['../etc/passwd', '__etc_passwd'],
    ['..', '_'],
    ['.hidden', '_hidden'],
    ['a b:c', 'a_b_c'],
    ['é', '_'],
    ['', '_'],
    ['a\0b', 'a_b'],
  ])('%j → %j', (name, stem) => {
    expect(safeFileStem(name)).toBe(stem);
  });
});

describe('describeFile', () => {
  it('gives size and sha256 of the file', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0x0a, 0x68, 0x69, 0xe2, 0x82]);
    await writeFile(join(tmp, 'x.log'), bytes);
    expect(await describeFile(tmp, 'x.log', 'log')).toEqual({
      path: 'x.log',
      kind: 'log',
      bytes: 7,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('hashes "abc" to the known digest', async () => {
    await writeFile(join(tmp, 'abc.json'), 'abc');
    expect(await describeFile(tmp, 'abc.json', 'inspect')).toEqual({
      path: 'abc.json',
      kind: 'inspect',
      bytes: 3,
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });

  it('describes an empty file', async () => {
    await writeFile(join(tmp, 'empty.log'), '');
    expect(await describeFile(tmp, 'empty.log', 'log')).toEqual({
      path: 'empty.log',
      kind: 'log',
      bytes: 0,
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
  });

  it('hashes a file larger than one stream chunk', async () => {
    const bytes = Buffer.alloc(300_000, 0x61);
    bytes[299_999] = 0x0a;
    await writeFile(join(tmp, 'big.log'), bytes);
    const record = await describeFile(tmp, 'big.log', 'log');
    expect(record.bytes).toBe(300_000);
    expect(record.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('rejects for a missing file', async () => {
    await expect(describeFile(tmp, 'missing.log', 'log')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('writeFileRecord', () => {
  it('describes the file from the bytes it wrote: the same record describeFile reads back', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'must-gather-record-'));
    const text = '{"Id":"abc","Name":"é"}\n';
    const record = await writeFileRecord(tmp, 'c_inspect.json', 'inspect', text);
    expect(await readFile(join(tmp, 'c_inspect.json'), 'utf8')).toBe(text);
    expect(record).toEqual(await describeFile(tmp, 'c_inspect.json', 'inspect'));
    expect(record.bytes).toBe(Buffer.byteLength(text));
    expect((await stat(join(tmp, 'c_inspect.json'))).mode & 0o777).toBe(0o600);
    await expect(writeFileRecord(tmp, 'c_inspect.json', 'inspect', 'again')).rejects.toMatchObject({ code: 'EEXIST' });
    await rm(tmp, { recursive: true, force: true });
  });
});

describe('writeNewFile', () => {
  it('writes the bytes with mode 0600', async () => {
    const path = join(tmp, 'new.log');
    await writeNewFile(path, Buffer.from([1, 2, 3, 0xff]));
    expect(await readFile(path)).toEqual(Buffer.from([1, 2, 3, 0xff]));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('writes a string as UTF-8', async () => {
    const path = join(tmp, 'new.json');
    await writeNewFile(path, '{"a":"é"}\n');
    expect(await readFile(path)).toEqual(Buffer.from('{"a":"\u00e9"}\n', 'utf8'));
  });

  it('refuses to overwrite an existing file and leaves it alone', async () => {
    const path = join(tmp, 'existing.log');
    await writeFile(path, 'original');
    await expect(writeNewFile(path, 'replacement')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path, 'utf8')).toBe('original');
  });
});

/*
 * The base folder when none was chosen: the default, unless it belongs to someone else (root ran must-gather
 * first on this machine); then a private per-user base beside it. Real folders, really owned by another uid
 * (chown needs root; under CI=true not being root is a failure, never a skip).
 */
const isRoot = process.getuid?.() === 0;
const OTHER_UID = 4_242_424;
if (!isRoot) {
  if (process.env.CI === 'true') describe('chooseOutputBase', () => it('needs root under CI (chown)', () => expect.fail('not root')));
  else process.stderr.write('\n*** SKIPPED "chooseOutputBase": chown to another uid needs root ***\n\n');
}
describe.runIf(isRoot)('chooseOutputBase and ensureBase', () => {
  const me = 0;

  it('keeps the default when it does not exist yet, or is ours', async () => {
    const missing = join(tmp, 'default');
    expect(await chooseOutputBase(missing, 'default', me)).toEqual({ dir: missing, requested: missing, source: 'default', fallback: null });
    expect(await readdir(tmp)).toEqual([]);
    await mkdir(missing, { mode: 0o700 });
    expect(await chooseOutputBase(missing, 'default', me)).toMatchObject({ dir: missing, fallback: null });
  });

  it('uses <default>-<uid> when the default belongs to another uid, and says why', async () => {
    const theirs = join(tmp, 'default');
    await mkdir(theirs, { mode: 0o700 });
    chownSync(theirs, OTHER_UID, OTHER_UID);
    const base = await chooseOutputBase(theirs, 'default', me);
    expect(base).toEqual({
      dir: `${theirs}-0`,
      requested: theirs,
      source: 'default',
      fallback: `${theirs} belongs to uid ${OTHER_UID}, not to this user (uid 0)`,
    });
    // Choosing creates nothing; ensureBase creates it private, and a run folder goes there, none in theirs.
    expect(await readdir(tmp)).toEqual(['default']);
    expect(await ensureBase(base.dir, me)).toBe(base.dir);
    expect((await stat(base.dir)).mode & 0o777).toBe(0o700);
    const dir = await createRunFolder(base.dir, 'sp', new Date(2026, 0, 2, 3, 4, 5), me);
    expect(dir).toBe(join(`${theirs}-0`, 'sp-integration-20260102-030405'));
    expect(await readdir(theirs)).toEqual([]);
    expect(await ensureBase(base.dir, me)).toBeUndefined();
  });

  it('also when the default is another uid’s symlink, never following it', async () => {
    const target = join(tmp, 'target');
    await mkdir(target);
    const link = join(tmp, 'default');
    await symlink(target, link);
    lchownSync(link, OTHER_UID, OTHER_UID);
    const base = await chooseOutputBase(link, 'default', me);
    expect(base).toMatchObject({ dir: `${link}-0`, fallback: `${link} belongs to uid ${OTHER_UID}, not to this user (uid 0)` });
    await createRunFolder(base.dir, 'sp', new Date(2026, 0, 2, 3, 4, 5), me);
    expect(await readdir(target)).toEqual([]);
  });

  it('refuses a per-user base that is a symlink or another uid’s folder, as it refuses any base', async () => {
    const theirs = join(tmp, 'default');
    await mkdir(theirs);
    chownSync(theirs, OTHER_UID, OTHER_UID);
    const target = join(tmp, 'target');
    await mkdir(target);
    await symlink(target, `${theirs}-0`);
    const base = await chooseOutputBase(theirs, 'default', me);
    await expect(createRunFolder(base.dir, 'sp', new Date(), me)).rejects.toMatchObject({ code: 'OUTPUT', message: `refusing to write through a symlink: ${theirs}-0` });
    expect(await readdir(target)).toEqual([]);

    await rm(`${theirs}-0`);
    await mkdir(`${theirs}-0`);
    chownSync(`${theirs}-0`, OTHER_UID + 1, OTHER_UID + 1);
    await expect(ensureBase(base.dir, me)).rejects.toMatchObject({
      code: 'OUTPUT',
      message: `refusing to write into ${theirs}-0: it belongs to uid ${OTHER_UID + 1}, not to this user (uid 0); choose another --output-dir`,
    });
  });

  it.each(['option', 'MUST_GATHER_DIR'] as const)('keeps a base chosen by %s, however owned: writing there is refused as before', async (source) => {
    const theirs = join(tmp, 'chosen');
    await mkdir(theirs);
    chownSync(theirs, OTHER_UID, OTHER_UID);
    expect(await chooseOutputBase(theirs, source, me)).toEqual({ dir: theirs, requested: theirs, source, fallback: null });
    await expect(createRunFolder(theirs, 'sp', new Date(), me)).rejects.toMatchObject({
      code: 'OUTPUT',
      message: `refusing to write into ${theirs}: it belongs to uid ${OTHER_UID}, not to this user (uid 0); choose another --output-dir`,
    });
    expect(await readdir(tmp)).toEqual(['chosen']);
  });
});

describe('removeCreatedBase', () => {
  it('removes the folders ensureBase created, only while empty, never one that was there', async () => {
    const dir = join(tmp, 'a', 'b', 'c');
    const first = await ensureBase(dir, process.getuid?.());
    expect(first).toBe(join(tmp, 'a'));
    await removeCreatedBase(dir, first);
    expect(await readdir(tmp)).toEqual([]);

    const again = await ensureBase(dir, process.getuid?.());
    await writeFile(join(dir, 'kept'), 'x');
    await removeCreatedBase(dir, again);
    expect(await readdir(dir)).toEqual(['kept']);
    await removeCreatedBase(dir, undefined);
    expect(await readdir(dir)).toEqual(['kept']);
  });
});

describe('createRunFolder when the base disappears meanwhile', () => {
  it('creates the base again (another run that wrote nothing removed the folder it had created)', async () => {
    const baseDir = join(tmp, 'out');
    const uid = process.getuid?.();
    // The base is removed between the check and the mkdir of the run folder, as a racing rmdir would.
    let removals = 0;
    const dir = await createRunFolder(baseDir, 'sp', new Date(2026, 0, 2, 3, 4, 5), uid, async () => {
      if (removals++ === 0) await rm(baseDir, { recursive: true });
    });
    expect(dir).toBe(join(baseDir, 'sp-integration-20260102-030405'));
    expect(removals).toBe(2);
  });
});
