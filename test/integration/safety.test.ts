import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { GatherResult } from '../../src/gather/gather.js';
import type { Manifest } from '../../src/gather/manifest.js';
import { DEFAULT_OUTPUT_DIR } from '../../src/gather/options.js';
import { REDACTION_MARKER, RULE_IDS } from '../../src/redact/rules.js';
import { describeWithEngine, ENGINES, engine, engineLogBytes, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { hangingPath, realEngine, sleepersLeft } from '../helpers/hanging-engine.js';
import { runBin, type CliRun } from '../helpers/run-cli.js';

/*
 * The safety promises, on real engines: secrets never reach a file (or the archive, or the terminal) unless
 * --no-redact; the output base cannot be redirected (symlink, someone else's folder); files are private; a
 * full disk, a huge log, a socket that never answers and an engine that hangs all end in a bounded, honest
 * run; and no service name or option value makes the CLI crash or write outside its --output-dir.
 */

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** Every regular file under `dir`, recursively (symbolic links are reported as such: there must be none). */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    const info = lstatSync(path);
    if (info.isSymbolicLink()) throw new Error(`unexpected symbolic link ${path}`);
    return info.isDirectory() ? walk(path) : [path];
  });
}


/** One header of a tar stream, as written (ustar fields, and the body of pax extended headers). */
interface TarHeader {
  readonly name: string;
  readonly type: string;
  readonly mode: number | null;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly uname: string;
  readonly gname: string;
  readonly pax: string | null;
}

function tarHeaders(tar: Buffer): TarHeader[] {
  const headers: TarHeader[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const h = tar.subarray(offset, offset + 512);
    if (h.every((b) => b === 0)) break;
    const text = (from: number, to: number): string => h.subarray(from, to).toString('latin1').replace(/\0[\s\S]*$/, '');
    const octal = (from: number, to: number): number | null => {
      const t = text(from, to).trim();
      return t === '' ? null : parseInt(t, 8);
    };
    const size = octal(124, 136) ?? 0;
    const type = String.fromCharCode(h[156] ?? 0);
    const prefix = text(345, 500);
    headers.push({
      name: prefix ? `${prefix}/${text(0, 100)}` : text(0, 100),
      type,
      mode: octal(100, 108),
      uid: octal(108, 116),
      gid: octal(116, 124),
      uname: text(265, 297),
      gname: text(297, 329),
      pax: type === 'x' || type === 'g' ? tar.subarray(offset + 512, offset + 512 + size).toString('utf8') : null,
    });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return headers;
}

/**
 * runBin, stopped if it has not ended after `boundMs` (SIGTERM, then SIGKILL 10 s later): a hang must fail the
 * test with what was printed, not time it out. `killed` says whether it had to be stopped.
 */
async function runBounded(args: readonly string[], env: NodeJS.ProcessEnv, boundMs: number): Promise<CliRun & { killed: boolean }> {
  const timers: NodeJS.Timeout[] = [];
  let killed = false;
  const result = await runBin(args, {
    env,
    onSpawn: (pid) => {
      timers.push(
        setTimeout(() => {
          killed = true;
          process.kill(pid, 'SIGTERM');
          timers.push(setTimeout(() => process.kill(pid, 'SIGKILL'), 10_000));
        }, boundMs),
      );
    },
  });
  for (const timer of timers) clearTimeout(timer);
  return { ...result, killed };
}

/**
 * `env` with a preload that runs V8's garbage collector every 50 ms in the CLI process. A timeout must fire
 * however often the collector runs (an `AbortSignal.timeout()` held only by `AbortSignal.any()` does not:
 * nodejs/node#57736).
 */
function withGcPressure(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const preload = join(tempDir('must-gather-gc-'), 'gc-pressure.mjs');
  writeFileSync(
    preload,
    [
      "import { setFlagsFromString } from 'node:v8';",
      "import { runInNewContext } from 'node:vm';",
      "setFlagsFromString('--expose-gc');",
      "const gc = runInNewContext('gc');",
      'setInterval(() => gc(), 50).unref();',
      '',
    ].join('\n'),
  );
  return { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(preload).href}`.trim() };
}

/** Kill, by pid, the `sleep <seconds>` processes a hanging engine left (each test uses its own number). */
function killSleepers(seconds: number): void {
  for (const line of sleepersLeft(seconds).split('\n').filter(Boolean)) {
    try {
      process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

for (const name of ENGINES) {
  describeWithEngine(name, 'safety on a real engine', () => {
    const service = uniqueService('mgs');
    const c = {
      secrets: `${service}_secrets_test`,
      big: `${service}_big_test`,
      plain: `${service}_plain_test`,
      slowA: `${service}_slow_a_test`,
      slowB: `${service}_slow_b_test`,
    };
    const ids: Record<string, string> = {};
    const mounts: string[] = [];

    // Fresh secrets for every run: hex and base64url only, so no secret can be mistaken for another rule's.
    const s = {
      password: `Pg-${hex(10)}`,
      apiToken: `at${hex(16)}`,
      urlPassword: `Url${hex(10)}`,
      bearer: hex(20),
      jwt: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${b64url(JSON.stringify({ sub: hex(8), iat: 1_763_776_800 }))}.${b64url(randomBytes(32))}`,
      aws: `AKIA${Array.from(randomBytes(16), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('')}`,
      pem: [hex(32), hex(32), hex(32), hex(20)],
      custom: `tok_${hex(12)}`,
    };
    const secretValues = [s.password, s.apiToken, s.urlPassword, s.bearer, s.jwt, s.jwt.split('.')[2] as string, s.aws, ...s.pem, s.custom];
    const NEIGHBOUR = 'cache warmed in 42 ms, 7 entries: a=1 b=2';
    const PEM_HEADER = '-----BEGIN RSA PRIVATE KEY-----';
    const PEM_FOOTER = '-----END RSA PRIVATE KEY-----';
    const secretScript = [
      'echo "booting audit service"',
      'echo "connecting with password $POSTGRES_PASSWORD"',
      `echo "${NEIGHBOUR}"`,
      'echo "api token is $API_TOKEN"',
      `echo "db url postgres://app:${s.urlPassword}@db:5432/app?sslmode=disable"`,
      `echo "Authorization: Bearer ${s.bearer}"`,
      `echo "received id token ${s.jwt}"`,
      `echo "using aws key ${s.aws} for uploads"`,
      "cat <<'PEM'",
      PEM_HEADER,
      ...s.pem,
      PEM_FOOTER,
      'PEM',
      `echo "session ${s.custom} opened"`,
      `echo "${NEIGHBOUR}"`,
      'echo "shutdown complete"',
    ].join('\n');
    /** 2 MiB: 262 144 lines of 8 bytes, every line different, so a misplaced cut cannot go unnoticed. */
    const BIG_LINES = 262_144;

    beforeAll(() => {
      const run = (container: string, flags: readonly string[], script: string): void => {
        ids[container] = engine(name, ['run', '-d', '--name', container, ...flags, TEST_IMAGE, 'sh', '-c', script]).trim();
      };
      run(c.secrets, ['-e', `POSTGRES_PASSWORD=${s.password}`, '-e', `API_TOKEN=${s.apiToken}`], secretScript);
      run(c.big, [], `seq 1000000 ${1000000 + BIG_LINES - 1}`);
      run(c.plain, [], 'echo "plain container"');
      run(c.slowA, [], 'echo slow a; sleep 3600');
      run(c.slowB, [], 'echo slow b; sleep 3600');
      for (const done of [c.secrets, c.big, c.plain]) engine(name, ['wait', done]);
    });
    afterAll(() => {
      for (const mount of mounts) spawnSync('umount', [mount], { stdio: 'ignore' });
      removeContainers(name, Object.values(c));
    });

    it('redacts every kind of secret from logs, inspect JSON, reports, manifest, stdout and the archive', async () => {
      const base = tempDir();
      const cli = await runBin([service, 'secrets', '--runtime', name, '--output-dir', base, '--archive', '--json', '--redact', 'tok_[a-z0-9]+']);
      expect({ code: cli.code, stderr: cli.code === 0 ? '' : cli.stderr }).toEqual({ code: 0, stderr: '' });
      const result = JSON.parse(cli.stdout) as GatherResult;
      const dir = result.outputDir as string;
      const archive = result.archivePath as string;
      expect(archive).toBe(`${dir}.tar.gz`);

      const leaks = (where: string, bytes: Buffer): string[] => {
        const text = bytes.toString('latin1');
        return secretValues.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret}`);
      };
      const files = walk(dir);
      expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(
        ['SUMMARY.md', 'index.html', 'manifest.json', 'runtime.json', 'events.jsonl', `${c.secrets}.log`, `${c.secrets}_inspect.json`].sort(),
      );
      const found = [
        ...files.flatMap((f) => leaks(f, readFileSync(f))),
        // Every byte of the archive, decompressed, headers included…
        ...leaks('archive (gunzipped)', gunzipSync(readFileSync(archive))),
        ...leaks('stdout', Buffer.from(cli.stdout)),
        ...leaks('stderr', Buffer.from(cli.stderr)),
      ];
      // …and every file it extracts to.
      const extracted = tempDir('must-gather-extract-');
      execFileSync('tar', ['-xzf', archive, '-C', extracted]);
      const extractedFiles = walk(extracted);
      expect(extractedFiles).toHaveLength(files.length);
      for (const f of extractedFiles) found.push(...leaks(f, readFileSync(f)));
      expect(found).toEqual([]);

      // The log is the engine's, with each secret (and only the secret) replaced by one marker.
      const original = engineLogBytes(name, ids[c.secrets] as string).toString('latin1');
      for (const secret of secretValues) expect({ secret, inEngineLog: original.includes(secret) }).toEqual({ secret, inEngineLog: true });
      let expected = original;
      for (const secret of [s.password, s.apiToken, s.urlPassword, s.bearer, s.jwt, s.aws, s.pem.join('\n'), s.custom]) {
        expected = expected.split(secret).join(REDACTION_MARKER);
      }
      const saved = readFileSync(join(dir, `${c.secrets}.log`));
      expect(saved.toString('latin1')).toBe(expected);
      expect(saved.toString('latin1').split(REDACTION_MARKER).length - 1).toBe(8);
      // The non-secret neighbour lines are byte for byte what `<engine> logs` gives.
      const neighbours = (text: string) => text.split('\n').filter((line) => line.startsWith('cache warmed'));
      expect(neighbours(saved.toString('latin1'))).toEqual([NEIGHBOUR, NEIGHBOUR]);
      expect(neighbours(saved.toString('latin1'))).toEqual(neighbours(original));
      expect(saved.toString('latin1')).toContain(`${PEM_HEADER}\n${REDACTION_MARKER}\n${PEM_FOOTER}\n`);
      expect(saved.toString('latin1')).toContain(`postgres://app:${REDACTION_MARKER}@db:5432/app`);

      // Secret-named env values are replaced in the inspect JSON, the names kept.
      const inspectText = readFileSync(join(dir, `${c.secrets}_inspect.json`), 'utf8');
      const inspect = JSON.parse(inspectText) as { Id: string; Config: { Env: string[] } };
      expect(inspect.Id).toBe(ids[c.secrets]);
      expect(inspect.Config.Env).toContain(`POSTGRES_PASSWORD=${REDACTION_MARKER}`);
      expect(inspect.Config.Env).toContain(`API_TOKEN=${REDACTION_MARKER}`);

      // manifest.json: counts per rule, never values.
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.redaction).toEqual({ enabled: true, marker: REDACTION_MARKER });
      expect(manifest.arguments.redactPatterns).toEqual(['/tok_[a-z0-9]+/']);
      const record = manifest.containers.find((x) => x.name === c.secrets);
      const logFile = record?.files.find((f) => f.kind === 'log');
      const inspectFile = record?.files.find((f) => f.kind === 'inspect');
      expect(logFile?.redactions).toEqual({
        'env-literal': 2,
        'url-userinfo': 1,
        'auth-bearer': 1,
        jwt: 1,
        'aws-access-key': 1,
        'pem-private-key': 1,
        custom: 1,
      });
      expect(inspectFile?.redactions?.['env-secret']).toBe(2);
      for (const file of record?.files ?? []) {
        for (const [rule, count] of Object.entries(file.redactions ?? {})) {
          expect(RULE_IDS).toContain(rule);
          expect(Number.isInteger(count) && count > 0).toBe(true);
        }
        const bytes = readFileSync(join(dir, file.path));
        expect({ path: file.path, bytes: file.bytes, sha256: file.sha256 }).toEqual({ path: file.path, bytes: bytes.length, sha256: sha256(bytes) });
      }
    });

    it('--no-redact keeps every secret, byte for byte as the engine returns the log', async () => {
      const cli = await runBin([service, 'secrets', '--runtime', name, '--output-dir', tempDir(), '--no-redact', '--json', '-q']);
      expect(cli.code).toBe(0);
      const result = JSON.parse(cli.stdout) as GatherResult;
      const dir = result.outputDir as string;
      const saved = readFileSync(join(dir, `${c.secrets}.log`));
      expect(saved.toString('base64')).toBe(engineLogBytes(name, ids[c.secrets] as string).toString('base64'));
      for (const secret of secretValues) expect(saved.toString('latin1')).toContain(secret);
      expect(saved.toString('latin1')).not.toContain(REDACTION_MARKER);
      const inspect = JSON.parse(readFileSync(join(dir, `${c.secrets}_inspect.json`), 'utf8')) as { Config: { Env: string[] } };
      expect(inspect.Config.Env).toContain(`POSTGRES_PASSWORD=${s.password}`);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.redaction.enabled).toBe(false);
      for (const file of manifest.containers.flatMap((x) => x.files)) expect(file).not.toHaveProperty('redactions');
    });

    it('refuses a base folder that is a planted symlink (exit 5), writing nothing where it points', async () => {
      const target = tempDir('must-gather-symlink-target-');
      const link = join(tempDir(), 'kubernaut-must-gather');
      symlinkSync(target, link);
      const cli = await runBin([service, 'plain', '--runtime', name, '--output-dir', link]);
      expect(cli.code).toBe(5);
      expect(cli.stdout).toBe('');
      expect(cli.stderr).toContain(`must-gather: refusing to write through a symlink: ${link}`);
      expect(readdirSync(target)).toEqual([]);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);

      // A symlink to a folder that does not exist yet: it is not created either.
      const missing = join(tempDir('must-gather-symlink-target-'), 'planted');
      const dangling = join(tempDir(), 'kubernaut-must-gather');
      symlinkSync(missing, dangling);
      const again = await runBin([service, 'plain', '--runtime', name, '--output-dir', dangling]);
      expect(again.code).toBe(5);
      expect(again.stderr).toContain(`cannot create a run folder under ${dangling}`);
      expect(existsSync(missing)).toBe(false);
    });

    it('refuses a base folder owned by another uid (exit 5), writing nothing in it', async () => {
      const planted = join(tempDir(), 'kubernaut-must-gather');
      mkdirSync(planted, { mode: 0o777 });
      chownSync(planted, 12345, 12345);
      const cli = await runBin([service, 'plain', '--runtime', name, '--output-dir', planted]);
      expect(cli.code).toBe(5);
      expect(cli.stdout).toBe('');
      const uid = process.getuid?.() ?? 0;
      expect(cli.stderr).toContain(`must-gather: refusing to write into ${planted}: it belongs to uid 12345, not to this user (uid ${uid}); choose another --output-dir`);
      expect(readdirSync(planted)).toEqual([]);
    });

    it('makes the base and run folders 0700, every file and the archive 0600; archive entries carry no owner', async () => {
      const base = join(tempDir(), 'new-base');
      const cli = await runBin([service, 'plain', '--runtime', name, '--output-dir', base, '--archive', '--json', '-q']);
      expect(cli.code).toBe(0);
      const result = JSON.parse(cli.stdout) as GatherResult;
      const dir = result.outputDir as string;
      const archive = result.archivePath as string;
      expect(statSync(base).mode & 0o777).toBe(0o700);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const files = walk(dir);
      // The container's log and inspect JSON, manifest.json, runtime.json, SUMMARY.md, index.html, events.jsonl.
      expect(files.length).toBe(7);
      for (const f of files) expect({ file: f, mode: (statSync(f).mode & 0o777).toString(8) }).toEqual({ file: f, mode: '600' });
      expect((statSync(archive).mode & 0o777).toString(8)).toBe('600');
      expect(readdirSync(base).sort()).toEqual([dir.slice(base.length + 1), archive.slice(base.length + 1)].sort());

      // node-tar's portable mode leaves the uid, gid, user and group fields of every header empty (all NUL
      // bytes), and writes no pax record that would carry them; GNU tar shows the empty numbers as 0/0.
      const headers = tarHeaders(gunzipSync(readFileSync(archive)));
      const folder = dir.slice(base.length + 1);
      expect(headers.filter((h) => h.type !== 'x' && h.type !== 'g').map((h) => h.name).sort()).toEqual(
        [`${folder}/`, ...files.map((f) => `${folder}/${f.slice(dir.length + 1)}`)].sort(),
      );
      for (const h of headers) {
        expect({ name: h.name, uid: h.uid, gid: h.gid, uname: h.uname, gname: h.gname }).toEqual({ name: h.name, uid: null, gid: null, uname: '', gname: '' });
        if (h.pax !== null) expect(h.pax).not.toMatch(/ (uid|gid|uname|gname)=/);
        expect(h.mode).toBe(h.type === '5' ? 0o700 : 0o600);
      }
      // `tar -tvzf` shows the owner as numbers only.
      const listing = execFileSync('tar', ['-tvzf', archive], { encoding: 'utf8' }).trimEnd().split('\n');
      expect(listing).toHaveLength(files.length + 1);
      for (const line of listing) expect(line).toMatch(/^[-d]rw[-x]------ 0\/0 /);
    });

    it('a full disk (ENOSPC) does not crash the run: exit 5 says the manifest is missing and the files kept; nothing is left half-written', async (ctx) => {
      const mount = tempDir('must-gather-tmpfs-');
      const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount], { encoding: 'utf8' });
      if (mounted.status !== 0) {
        if (process.getuid?.() !== 0 && process.env.CI !== 'true') ctx.skip();
        throw new Error(`cannot mount a tmpfs at ${mount}: ${mounted.stderr}`);
      }
      mounts.push(mount);
      const base = join(mount, 'base');
      const cli = await runBin([service, 'big', '--runtime', name, '--output-dir', base]);
      const dir = /collecting 1 container into (\S+)\n/.exec(cli.stderr)?.[1] ?? '';
      expect(dir.startsWith(`${base}/${service}-integration-`)).toBe(true);
      expect(cli.stderr).not.toContain('unexpected error');
      expect(cli.stderr).toContain(`${c.big}: logs failed: writing ${c.big}.log failed: ENOSPC: no space left on device`);
      // The code's choice: the manifest cannot be written, so the run exits 5 and says what is kept.
      expect(cli.code).toBe(5);
      expect(cli.stdout).toBe('');
      expect(cli.stderr).toContain(`must-gather: manifest.json could not be written in ${dir} (ENOSPC: no space left on device, write); the 2 files collected there are kept as written`);

      const left = walk(mount).map((f) => f.slice(dir.length + 1));
      expect(left.filter((f) => f.includes('.partial'))).toEqual([]);
      // The inspect JSON, written before the disk filled, is whole.
      const inspect = JSON.parse(readFileSync(join(dir, `${c.big}_inspect.json`), 'utf8')) as { Id: string };
      expect(inspect.Id).toBe(ids[c.big]);
      // What was written of the log is the engine's first bytes, nothing else.
      const expected = engineLogBytes(name, ids[c.big] as string);
      if (existsSync(join(dir, `${c.big}.log`))) {
        const partial = readFileSync(join(dir, `${c.big}.log`));
        expect(partial.length).toBeLessThan(expected.length);
        expect(sha256(partial)).toBe(sha256(expected.subarray(0, partial.length)));
      }
      // No file that claims to be complete is an empty or cut-off one: a reader (must-gather report, prune, a
      // person) must never find an empty manifest.json, SUMMARY.md or runtime.json.
      const broken = left.flatMap((f) => {
        const bytes = readFileSync(join(dir, f));
        if (f.endsWith('.log')) return [];
        if (bytes.length === 0) return [`${f}: empty`];
        if (f.endsWith('.json')) {
          try {
            JSON.parse(bytes.toString('utf8'));
          } catch {
            return [`${f}: not whole JSON`];
          }
        }
        return [];
      });
      expect(broken).toEqual([]);
    });

    it('--max-log-size 64KB keeps exactly the first and last bytes of a 2 MiB log with the marker line between', async () => {
      const cli = await runBin([service, 'big', '--runtime', name, '--output-dir', tempDir(), '--max-log-size', '64KB', '--json', '-q']);
      expect(cli.code).toBe(0);
      const result = JSON.parse(cli.stdout) as GatherResult;
      const dir = result.outputDir as string;
      const engineBytes = engineLogBytes(name, ids[c.big] as string);
      expect(engineBytes.length).toBe(BIG_LINES * 8);
      const saved = readFileSync(join(dir, `${c.big}.log`));
      const half = 32_000; // 64KB = 64 000 bytes (k is decimal): 32 000 of head, 32 000 of tail
      expect(saved.subarray(0, half).equals(engineBytes.subarray(0, half))).toBe(true);
      expect(saved.subarray(saved.length - half).equals(engineBytes.subarray(engineBytes.length - half))).toBe(true);
      const cut = engineBytes.length - 2 * half;
      const marker = saved.subarray(half, saved.length - half).toString('latin1');
      expect(marker).toMatch(new RegExp(`^\\n\\[must-gather: ${cut} bytes cut here by --max-log-size (64KB|64kB)\\]\\n$`));
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      const file = manifest.containers.find((x) => x.name === c.big)?.files.find((f) => f.kind === 'log');
      expect(file).toMatchObject({ cutBytes: cut, bytes: saved.length, sha256: sha256(saved) });
      expect(manifest.arguments.maxLogBytes).toBe(64_000);
    });

    for (const pressure of [false, true]) {
      it(`--container-timeout bounds each container when the engine CLI hangs in \`logs\`, without orphans${pressure ? ', however often the GC runs' : ''}`, async () => {
        const hang = 900_000 + Math.floor(Math.random() * 90_000);
        const plain = { ...process.env, NO_COLOR: '1', PATH: hangingPath(name), MUST_GATHER_DIRECT_LOGS: '0', MG_REAL_ENGINE: realEngine(name), MG_HANG_SECONDS: String(hang) };
        try {
          const cli = await runBounded(
            [service, 'slow', '--runtime', name, '--transport', 'cli', '--output-dir', tempDir(), '--container-timeout', '2s', '--concurrency', '1', '--json'],
            pressure ? withGcPressure(plain) : plain,
            60_000,
          );
          expect({ killed: cli.killed, code: cli.code }).toEqual({ killed: false, code: 0 });
          const result = JSON.parse(cli.stdout) as GatherResult;
          expect(result.interruption).toBeNull();
          expect(result.incomplete).toBe(true);
          expect(result.containers.map((x) => x.name)).toEqual([c.slowA, c.slowB]);
          // Each container had its own 2 s (one at a time): both were cut short in `logs`, neither was skipped.
          for (const record of result.containers) {
            expect({ name: record.name, error: record.error, complete: record.complete }).toEqual({
              name: record.name,
              error: 'logs cut short: timed out after 2 s (--container-timeout)',
              complete: false,
            });
            expect(record.files.map((f) => f.kind).sort()).toEqual(['inspect', 'log']);
            const inspect = JSON.parse(readFileSync(join(result.outputDir as string, `${record.name}_inspect.json`), 'utf8')) as { Id: string };
            expect(inspect.Id).toBe(ids[record.name]);
          }
          expect(sleepersLeft(hang)).toBe('');
        } finally {
          killSleepers(hang);
        }
      }, 90_000);
    }
  });
}

describeWithEngine(
  'docker',
  'a socket that accepts and never answers',
  () => {
    const service = uniqueService('mgq');
    const container = `${service}_app_test`;
    let socket: string;
    let server: Server;
    const connections: Socket[] = [];

    beforeAll(async () => {
      engine('docker', ['run', '-d', '--name', container, TEST_IMAGE, 'sh', '-c', 'echo "app up"; sleep 3600']);
      socket = join(tempDir('must-gather-mute-'), 'mute.sock');
      server = createServer((connection) => {
        // Read everything, answer nothing, never close.
        connections.push(connection);
        connection.on('data', () => {});
        connection.on('error', () => {});
      });
      await new Promise<void>((resolve) => server.listen(socket, resolve));
    });
    afterAll(async () => {
      // Ends any engine CLI still waiting on the socket (e.g. `docker version` left by a killed process).
      for (const connection of connections) connection.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      removeContainers('docker', [container]);
    });

    const env = (): NodeJS.ProcessEnv => ({ ...process.env, NO_COLOR: '1', DOCKER_HOST: `unix://${socket}` });

    for (const pressure of [false, true]) {
      it(`DOCKER_HOST pointing at it: the run gives up on it after 5 s, uses another engine and finishes${pressure ? ', however often the GC runs' : ''}`, async () => {
        const out = tempDir();
        const accepted = connections.length;
        const cli = await runBounded([service, '--runtime', 'auto', '--output-dir', out, '--json'], pressure ? withGcPressure(env()) : env(), 60_000);
        expect({ killed: cli.killed, code: cli.code }).toEqual({ killed: false, code: 0 });
        expect(connections.length).toBeGreaterThan(accepted);
        const result = JSON.parse(cli.stdout) as GatherResult;
        expect(result.runtime).toMatchObject({ name: 'docker', transport: 'api', endpoint: 'unix:///var/run/docker.sock' });
        // auto asks podman too; the reason says docker had the service's container.
        expect(result.runtime.reason).toMatch(/^docker socket answered; it has 1 container of the service's; podman has (no containers|\d+ containers?, none of them the service's)$/);
        expect(result.warnings).toEqual([`DOCKER_HOST unix://${socket} did not answer: did not answer within 5 s; used docker over unix:///var/run/docker.sock instead`]);
        expect(result.containers.map((x) => x.name)).toEqual([container]);
        expect(readFileSync(join(result.outputDir as string, `${container}.log`), 'utf8')).toBe('app up\n');
      }, 90_000);
    }

    it('doctor lists that place with "did not answer within 5 s", and still ends', async () => {
      const cli = await runBounded(['doctor'], env(), 100_000);
      expect({ killed: cli.killed, code: cli.code }).toEqual({ killed: false, code: 0 });
      const escaped = socket.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      expect(cli.stdout).toMatch(new RegExp(`^api  DOCKER_HOST unix://${escaped} +did not answer within 5 s$`, 'm'));
      expect(cli.stdout).toMatch(/^would ask docker \S+ over api at unix:\/\/\/var\/run\/docker\.sock /m);
      expect(cli.stdout).toContain(`warning: DOCKER_HOST unix://${socket} did not answer: did not answer within 5 s`);
    }, 150_000);
  },
  'api',
);

describeWithEngine(
  'podman',
  'property: no service name or option value crashes the CLI or writes outside --output-dir',
  () => {
    const service = uniqueService('mgp');
    const containers = [`${service}_app_test`, `${service}-db-test`];
    const parent = tempDir('must-gather-prop-');
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };

    beforeAll(() => {
      engine('podman', ['run', '-d', '--name', containers[0] as string, TEST_IMAGE, 'sh', '-c', 'echo "app token=abc"; sleep 3600']);
      engine('podman', ['run', '-d', '--name', containers[1] as string, TEST_IMAGE, 'sh', '-c', 'echo "db down"; exit 2']);
      engine('podman', ['wait', containers[1] as string]);
    });
    afterAll(() => removeContainers('podman', containers));

    async function cli(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      let stdout = '';
      let stderr = '';
      const code = await runCli(argv, {
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stderr += t),
        env,
        color: false,
        signal: new AbortController().signal,
      });
      return { code, stdout, stderr };
    }

    /** Run folders or archives of service `svc` in the places a stray write would land (the temp dir, the working
     * directory, the default base): a run must never add one. */
    const watched = [tmpdir(), process.cwd(), DEFAULT_OUTPUT_DIR];
    const strays = (svc: string): string[] =>
      watched.flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((e) => e.startsWith(`${svc}-integration-`)).map((e) => join(dir, e)) : [])).sort();

    const text = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constantFrom('', '.', '..', '../..', '/etc', '-', '--', '-o', 'a/b', 'a\\b', '\u0000', 'a\nb', ' x', 'x'.repeat(129), '%2e%2e', '0', '1'),
    );
    const serviceArb = fc.oneof(
      { arbitrary: fc.constant(service), weight: 3 },
      { arbitrary: text, weight: 2 },
      { arbitrary: fc.constantFrom(`${service}/../x`, `../${service}`, `${service}_app_test`, `/${service}`, `${service}\n`, `.${service}`), weight: 1 },
      { arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/), weight: 1 },
      { arbitrary: fc.constantFrom(`${service}x`, `${service}.app`, 'nomatch'), weight: 2 },
    );
    /** Mostly values the option accepts (so runs get as far as the engine), sometimes anything at all. */
    const value = (...valid: string[]) => fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 4 }, { arbitrary: text, weight: 1 });
    /** A --timeout that cannot fire before the engine answers (see the separate test of a tiny --timeout). */
    const timeoutArb = fc.oneof({ arbitrary: fc.constantFrom('90', '2m', '1h'), weight: 3 }, { arbitrary: text.filter((t) => !/^\s*\d/.test(t)), weight: 1 });
    /** `--name=value`, present one time in four. */
    const sometimes = (v: fc.Arbitrary<string>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: v, weight: 1 });
    const flag = (name: string, v: fc.Arbitrary<string>) => sometimes(v.map((x) => `--${name}=${x}`));
    const switchArb = (name: string) => sometimes(fc.constant(`--${name}`));
    const argsArb = fc.record({
      service: serviceArb,
      components: fc.array(value('app', 'db', 'test'), { maxLength: 2 }),
      options: fc.tuple(
        flag('alias', value('sp', 'app2', 'zz9')),
        flag('container', value(containers[0] as string, 'nonexistent_x', 'abc123def4567')),
        flag('label', value('com.example.project=x', 'project', 'a=b=c')),
        flag('since', value('10m', '2026-01-01T00:00:00Z', '1700000000')),
        flag('until', value('1s', '2099-01-01T00:00:00Z')),
        flag('tail', value('all', '0', '5')),
        flag('max-log-size', value('1KB', '64KB', '0', '1.5MiB', '-1', '1e3', '1023')),
        flag('concurrency', value('1', '64', '65', '0')),
        flag('container-timeout', value('1ms', '1', '2s')),
        flag('timeout', timeoutArb),
        flag('redact', value('tok_[a-z0-9]+', '/secret/i', '(', '.*', 'a|', '/usr/bin', 'token=(?<secret>\\w+)')),
        switchArb('archive'),
        switchArb('json'),
        switchArb('no-redact'),
        switchArb('timestamps'),
        switchArb('quiet'),
      ),
    });

    type Args = typeof argsArb extends fc.Arbitrary<infer T> ? T : never;
    const noOptions = new Array(16).fill(undefined) as unknown as Args['options'];

    it('every run exits 0, 2 or 4, never throws, and creates nothing but its own base folder', async () => {
      let n = 0;
      const codes = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(argsArb, async ({ service: svc, components, options }) => {
          const base = join(parent, `base-${n++}`);
          const argv = [
            ...options.filter((o): o is string => o !== undefined),
            '--runtime',
            'podman',
            '--transport',
            'api',
            '--output-dir',
            base,
            '--',
            svc,
            ...components,
          ];
          const parentBefore = readdirSync(parent).sort();
          const straysBefore = strays(svc);
          let outcome: { code: number; stdout: string; stderr: string };
          try {
            outcome = await cli(argv);
          } catch (error) {
            throw new Error(`runCli threw for ${JSON.stringify(argv)}: ${String(error)}`, { cause: error });
          }
          const { code, stderr } = outcome;
          if (![0, 2, 4].includes(code)) throw new Error(`exit ${code} (expected 0, 2 or 4) for ${JSON.stringify(argv)}:\n${stderr}`);
          codes.set(code, (codes.get(code) ?? 0) + 1);
          expect(stderr).not.toContain('unexpected error');
          expect(strays(svc)).toEqual(straysBefore);
          const parentAfter = readdirSync(parent).sort();
          if (code === 0) {
            expect(parentAfter).toEqual([...parentBefore, `base-${n - 1}`].sort());
            // Everything created is a regular file or folder under the base, named after the (valid) service.
            for (const entry of readdirSync(base)) expect(entry).toMatch(new RegExp(`^${svc.replace(/\./g, '\\.')}-integration-\\d{8}-\\d{6}(-\\d+)?(\\.tar\\.gz)?$`));
            for (const file of walk(base)) expect(file.startsWith(`${base}/`)).toBe(true);
          } else {
            // Usage errors and no match write nothing, not even the base folder.
            expect(parentAfter).toEqual(parentBefore);
          }
        }),
        {
          numRuns: 60,
          // Besides the random ones, one run of each outcome for sure: collected, no match, usage error.
          examples: [
            [{ service, components: [], options: noOptions }],
            [{ service: `${service}x`, components: [], options: noOptions }],
            [{ service: `${service}/../x`, components: [], options: noOptions }],
          ],
        },
      );
      // The runs got as far as collecting, as far as "no match", and were refused as usage errors.
      expect({ collected: (codes.get(0) ?? 0) > 0, noMatch: (codes.get(4) ?? 0) > 0, usage: (codes.get(2) ?? 0) > 0 }).toEqual({
        collected: true,
        noMatch: true,
        usage: true,
      });
    }, 300_000);

    it('a --timeout that fires while the engine is still being asked ends with a clear message, not an internal error (exit 1)', async () => {
      const base = join(parent, 'tiny-timeout');
      const { code, stdout, stderr } = await cli([service, '--runtime', 'podman', '--transport', 'api', '--output-dir', base, '--timeout', '1ms']);
      expect(stderr).not.toContain('unexpected error');
      expect(code).not.toBe(1);
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/--timeout|timed out/);
      expect(stdout).toBe('');
      expect(existsSync(base)).toBe(false);
    });
  },
  'api',
);
