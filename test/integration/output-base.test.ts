import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/gather/manifest.js';
import { DEFAULT_OUTPUT_DIR } from '../../src/gather/options.js';
import { describeWithEngine, tempDir, uniqueService } from '../helpers/engines.js';
import { scriptedEngine, type ScriptedEngine } from '../helpers/hanging-engine.js';
import { BIN, runBin, runCommand, type CliRun } from '../helpers/run-cli.js';

/*
 * Where a run writes when no base folder was chosen, as a real user other than root sees it: this machine's
 * /tmp/kubernaut-must-gather belongs to root (0700), as it does wherever root ran must-gather first. Each test
 * runs the built CLI as a uid of its own (setpriv, no account needed), so each has its own per-user base
 * /tmp/kubernaut-must-gather-<uid>. That user cannot reach root's engine sockets, so the engine is the scripted
 * fake `podman` on PATH (test/fixtures/hanging-engine/engine.sh), which needs none.
 */

const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('sh', ['-c', 'command -v setpriv']).status === 0;
const LOG = 'hello\nERROR: boom\n';

const cleanup: string[] = [];
afterAll(() => {
  for (const path of cleanup.splice(0)) rmSync(path, { recursive: true, force: true });
});

/** A uid with no account and no per-user base yet, so what the test finds there is its own. */
function freshUid(): number {
  for (;;) {
    const uid = 3_000_000 + Math.floor(Math.random() * 1_000_000);
    if (spawnSync('getent', ['passwd', String(uid)]).status !== 0 && !existsSync(`${DEFAULT_OUTPUT_DIR}-${uid}`)) {
      cleanup.push(`${DEFAULT_OUTPUT_DIR}-${uid}`);
      return uid;
    }
  }
}

function chownTree(path: string, uid: number): void {
  chownSync(path, uid, uid);
  if (lstatSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), uid);
}

/** The fake podman, answering as podman 4.3 does, with one exited container of `service`, owned by `uid`. */
function fakePodman(service: string, uid: number): ScriptedEngine {
  const fake = scriptedEngine('podman');
  const name = `${service}_db_test`;
  fake.answer('version', { stdout: '{"Client":{"Version":"4.3.1"}}\n' });
  fake.answer('info', { stdout: '{"host":{"arch":"amd64"}}\n' });
  fake.answer('ps', { stdout: `[{"Id":"c0ffee","Names":["${name}"],"Image":"busybox","State":"exited"}]\n` });
  const state = { Status: 'exited', ExitCode: 1, OOMKilled: false, StartedAt: '2026-11-22T02:01:49Z', FinishedAt: '2026-11-22T02:01:50Z' };
  fake.answer('inspect', { stdout: `${JSON.stringify([{ Id: 'c0ffee', Name: name, Created: '2026-11-22T02:01:48Z', RestartCount: 0, State: state, Config: { Image: 'busybox', Tty: false } }])}\n` });
  fake.answer('logs', { stdout: LOG });
  // The answers folder is where the fake records its arguments: the user must be able to write there.
  chownTree(dirname(fake.env.MG_FAKE_DIR as string), uid);
  cleanup.push(dirname(fake.env.MG_FAKE_DIR as string));
  return fake;
}

/** The built CLI run as `uid` (its gid the same, no supplementary groups). */
function runAs(uid: number, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const home = tempDir('must-gather-home-');
  chownSync(home, uid, uid);
  cleanup.push(home);
  return runCommand('setpriv', ['--reuid', String(uid), '--regid', String(uid), '--clear-groups', process.execPath, BIN, ...args], { HOME: home, NO_COLOR: '1', ...env });
}

/** What `uid` owns directly in the default base: nothing, ever. */
function ownedInDefault(uid: number): string[] {
  return readdirSync(DEFAULT_OUTPUT_DIR).filter((entry) => lstatSync(join(DEFAULT_OUTPUT_DIR, entry)).uid === uid);
}

const ENGINE_FLAGS = ['--runtime', 'podman', '--transport', 'cli'];

function asAnotherUser(title: string, body: () => void): void {
  if (isRoot && hasSetpriv) {
    describe(title, () => {
      // The machine's state this is about: root's default base exists (root ran must-gather here first).
      mkdirSync(DEFAULT_OUTPUT_DIR, { recursive: true, mode: 0o700 });
      body();
    });
    return;
  }
  const problem = isRoot ? 'setpriv is missing' : 'switching to another uid needs root';
  if (process.env.CI === 'true') {
    describe(title, () => it('needs root and setpriv under CI', () => expect.fail(problem)));
    return;
  }
  process.stderr.write(`\n*** SKIPPED "${title}": ${problem} ***\n\n`);
  describe.skip(title, body);
}

asAnotherUser('a user other than the default base’s owner', () => {
  const owner = (): number => statSync(DEFAULT_OUTPUT_DIR).uid;

  it('writes to its private /tmp/kubernaut-must-gather-<uid>, says so on stderr and records it in the manifest', async () => {
    const uid = freshUid();
    const service = uniqueService('mgb');
    const fake = fakePodman(service, uid);
    const r = await runAs(uid, [service, ...ENGINE_FLAGS], fake.env);
    const base = `${DEFAULT_OUTPUT_DIR}-${uid}`;
    const reason = `${DEFAULT_OUTPUT_DIR} belongs to uid ${owner()}, not to this user (uid ${uid})`;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`must-gather: ${reason}: writing to ${base} instead (--output-dir or MUST_GATHER_DIR chooses the base)\n`);
    const dir = r.stdout.trim();
    expect(dirname(dir)).toBe(base);
    expect(dir).toMatch(new RegExp(`/${service}-integration-\\d{8}-\\d{6}$`));

    const info = lstatSync(base);
    expect([info.isDirectory(), info.uid, info.mode & 0o777]).toEqual([true, uid, 0o700]);
    expect(readdirSync(base)).toEqual([dir.slice(base.length + 1)]);
    expect(readFileSync(join(dir, `${service}_db_test.log`), 'utf8')).toBe(LOG);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.outputBase).toEqual({ dir: base, requested: DEFAULT_OUTPUT_DIR, source: 'default', fallback: reason });
    expect(manifest.arguments.outputDir).toBe(DEFAULT_OUTPUT_DIR);
    expect(ownedInDefault(uid)).toEqual([]);
  });

  it.each([
    ['--output-dir', (dir: string) => ({ args: ['--output-dir', dir], env: {} })],
    ['MUST_GATHER_DIR', (dir: string) => ({ args: [], env: { MUST_GATHER_DIR: dir } })],
  ])('keeps refusing someone else’s base chosen with %s (exit 5), creating no per-user base', async (_how, choose) => {
    const uid = freshUid();
    const service = uniqueService('mgb');
    const fake = fakePodman(service, uid);
    const { args, env } = choose(DEFAULT_OUTPUT_DIR);
    const r = await runAs(uid, [service, ...ENGINE_FLAGS, ...args], { ...fake.env, ...env });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`refusing to write into ${DEFAULT_OUTPUT_DIR}: it belongs to uid ${owner()}, not to this user (uid ${uid}); choose another --output-dir`);
    expect(r.stdout).toBe('');
    expect(existsSync(`${DEFAULT_OUTPUT_DIR}-${uid}`)).toBe(false);
  });

  it('a test-suite run (--if-failed) of a shared run key locks and keeps its result in the same per-user base', async () => {
    const uid = freshUid();
    const service = uniqueService('mgb');
    const fake = fakePodman(service, uid);
    const env = { ...fake.env, MUST_GATHER_RUN_KEY: `run-${service}` };
    const first = await runAs(uid, [service, ...ENGINE_FLAGS, '--if-failed', '--exit-code', '1'], env);
    expect(first.code, first.stderr).toBe(0);
    const base = `${DEFAULT_OUTPUT_DIR}-${uid}`;
    const dir = first.stdout.trim();
    expect(dirname(dir)).toBe(base);
    const entries = readdirSync(base).sort();
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatch(/^\.must-gather-run-mgb[0-9a-f]+--mgb[0-9a-f]+-[0-9a-f]{12}\.lock\.result\.json$/);
    expect(entries[1]).toBe(dir.slice(base.length + 1));
    // What the run's other processes would receive: this folder, found through the same base.
    const record = JSON.parse(readFileSync(join(base, entries[0] as string), 'utf8')) as { ok: boolean; value: { result: { outputDir: string } } };
    expect([record.ok, record.value.result.outputDir]).toEqual([true, dir]);
    expect(lstatSync(join(base, entries[0] as string)).uid).toBe(uid);
    expect(ownedInDefault(uid)).toEqual([]);
  });

  it('a run that matches nothing creates no per-user base (exit 4)', async () => {
    const uid = freshUid();
    const fake = fakePodman(uniqueService('mgb'), uid);
    for (const extra of [[], ['--if-failed', '--exit-code', '1']]) {
      const r = await runAs(uid, [uniqueService('mgn'), ...ENGINE_FLAGS, ...extra], { ...fake.env, MUST_GATHER_RUN_KEY: 'shared' });
      expect(r.code, r.stderr).toBe(4);
      expect(existsSync(`${DEFAULT_OUTPUT_DIR}-${uid}`)).toBe(false);
    }
  });

  it('prune looks in the same per-user base', async () => {
    const uid = freshUid();
    const service = uniqueService('mgb');
    const fake = fakePodman(service, uid);
    const run = await runAs(uid, [service, ...ENGINE_FLAGS], fake.env);
    expect(run.code, run.stderr).toBe(0);
    const base = `${DEFAULT_OUTPUT_DIR}-${uid}`;
    const r = await runAs(uid, ['prune', '--older-than', '0s', '--dry-run', '--json'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ baseDir: base, dryRun: true, removed: [run.stdout.trim()] });
    expect(r.stderr).toContain(`must-gather: ${DEFAULT_OUTPUT_DIR} belongs to uid ${owner()}, not to this user (uid ${uid}): pruning ${base} instead`);
    expect(existsSync(run.stdout.trim())).toBe(true);
  });
});

describeWithEngine('podman', 'a run that matches nothing writes nothing', () => {
  it.each([
    ['this process’s run key', {}],
    ['a shared run key', { MUST_GATHER_RUN_KEY: 'shared-key' }],
  ])('must-gather nosuch --if-failed --exit-code 1 -o <new folder>, with %s: exit 4, no folder', async (_what, env) => {
    const parent = tempDir();
    const out = join(parent, 'x');
    const r = await runBin([uniqueService('mgn'), '--if-failed', '--exit-code', '1', '-o', out, '--runtime', 'podman'], { env: { ...process.env, NO_COLOR: '1', ...env } });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/no container of "mgn[0-9a-f]+" found/);
    expect(readdirSync(parent)).toEqual([]);

    const existing = tempDir();
    const again = await runBin([uniqueService('mgn'), '--if-failed', '--exit-code', '1', '-o', existing, '--runtime', 'podman'], { env: { ...process.env, NO_COLOR: '1', ...env } });
    expect(again.code).toBe(4);
    expect(readdirSync(existing)).toEqual([]);
  });
});
