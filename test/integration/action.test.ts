/**
 * The GitHub Action (action.yml) on real podman: its step script, scripts/action/gather.sh, run as the
 * composite step runs it — bash, inputs as INPUT_* variables, GITHUB_ACTIONS=true, $GITHUB_OUTPUT,
 * $GITHUB_STEP_SUMMARY and $GITHUB_ACTION_PATH pointing at temporary files and this checkout — with the
 * built CLI (`cli-path: bin/must-gather.js`; `npm test` builds first). The default CLI (npx) is checked
 * with an `npx` stand-in on PATH: the registry reachable here may not serve must-gather.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithEngine, engine, engineLogBytes, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/action/gather.sh');
const BIN = join(ROOT, 'bin/must-gather.js');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Temporary folders of this file (workspaces, output bases, the npx stand-in), removed at the end. */
const temporary: string[] = [];
function newTemp(prefix: string): string {
  const dir = tempDir(prefix);
  temporary.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The inputs of action.yml, by name, as the workflow would give them. */
type Inputs = Partial<Record<string, string>>;

interface StepRun {
  readonly code: number | null;
  /** stdout and stderr, where the runner reads workflow commands. */
  readonly log: string;
  readonly stdout: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
  readonly base: string;
  readonly workspace: string;
}

/** `name=value` lines and the `name<<DELIMITER` form, as the runner reads $GITHUB_OUTPUT (last one wins). */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      outputs[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return outputs;
}

/** INPUT_<NAME> for input `name`, as action.yml's gather step sets it. */
const inputVariable = (name: string): string => `INPUT_${name.toUpperCase().replace(/-/g, '_')}`;

/** This process's environment without vitest's, must-gather's or another step's variables. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|MUST_GATHER_|INPUT_|GITHUB_|RUNNER_|MG_)/.test(key) || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return env;
}

/**
 * Run the gather step as action.yml does. Defaults: the built CLI, podman (through `args`), a fresh output
 * base; `env` adds or overrides variables (e.g. PATH).
 */
function runStep(inputs: Inputs, env: NodeJS.ProcessEnv = {}): Promise<StepRun> {
  const dir = newTemp('must-gather-action-');
  const workspace = join(dir, 'workspace');
  mkdirSync(workspace);
  const base = join(dir, 'base');
  const files = { output: join(dir, 'github_output'), summary: join(dir, 'step_summary') };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  const all: Inputs = { 'cli-path': BIN, args: '--runtime podman', 'output-dir': base, ...inputs };
  const stepEnv: NodeJS.ProcessEnv = {
    ...baseEnv(),
    NO_COLOR: '1',
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ACTION_PATH: ROOT,
    GITHUB_WORKSPACE: workspace,
    GITHUB_JOB: 'action-test',
    GITHUB_RUN_ATTEMPT: '1',
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) stepEnv[inputVariable(name)] = value;
  Object.assign(stepEnv, env);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT], { cwd: workspace, env: stepEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      log += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        log,
        stdout,
        outputs: parseOutputs(readFileSync(files.output, 'utf8')),
        summary: readFileSync(files.summary, 'utf8'),
        base,
        workspace,
      }),
    );
  });
}

/** Entries of the output base, or none when it was never created. */
const baseEntries = (run: StepRun): string[] => (existsSync(run.base) ? readdirSync(run.base) : []);

/** An `npx` that records its arguments, one a line, and exits 0. */
function fakeNpx(): { path: string; recorded: () => string[] } {
  const dir = newTemp('must-gather-npx-');
  const record = join(dir, 'args');
  const npx = join(dir, 'npx');
  writeFileSync(npx, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${record}'\n`);
  chmodSync(npx, 0o755);
  return { path: `${dir}:${process.env.PATH ?? ''}`, recorded: () => readFileSync(record, 'utf8').split('\n').slice(0, -1) };
}

describe('GitHub Action step: inputs (no engine needed)', () => {
  it('bash -n accepts the step script', () => {
    const check = spawnSync('bash', ['-n', SCRIPT], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it.each([
    { inputs: { service: 'my service' }, message: 'invalid service "my service": use letters, digits' },
    { inputs: { service: '' }, message: 'service is required' },
    { inputs: { service: 'orders', when: 'bogus' }, message: 'invalid when "bogus": expected always, on-failure or never' },
    { inputs: { service: 'orders', components: 'postgres $(touch pwned)' }, message: 'invalid component "$(touch"' },
    { inputs: { service: 'orders', archive: 'yes' }, message: 'invalid archive "yes": expected true or false' },
    { inputs: { service: 'orders', 'fail-on-error': 'maybe' }, message: 'invalid fail-on-error "maybe"' },
    { inputs: { service: 'orders', when: 'on-failure', 'exit-code': 'one' }, message: 'invalid exit-code "one"' },
    { inputs: { service: 'orders', when: 'on-failure', 'job-status': 'skipped' }, message: 'invalid job-status "skipped"' },
    { inputs: { service: 'orders', when: 'on-failure' }, message: 'when: on-failure needs exit-code' },
    { inputs: { service: 'orders', 'retention-days': '2w' }, message: 'invalid retention-days "2w"' },
    { inputs: { service: 'orders', 'artifact-name': 'logs/orders' }, message: 'invalid artifact-name "logs/orders"' },
    { inputs: { service: 'orders', args: '--redact "a b"' }, message: 'quotes are not interpreted in args' },
    { inputs: { service: 'orders', args: '--tail 5 -- other' }, message: 'args may not contain "--"' },
    { inputs: { service: 'orders', 'cli-path': 'no/such/must-gather.js' }, message: 'no/such/must-gather.js" is not a file' },
  ])('invalid input $inputs: exit 2, an ::error:: saying why, exit-code=2, nothing written', async ({ inputs, message }) => {
    const run = await runStep(inputs);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^::error title=must-gather action: invalid input::/m);
    expect(run.log).toContain(message);
    expect(run.outputs).toMatchObject({ 'exit-code': '2', gathered: 'false' });
    expect(run.outputs.dir).toBeUndefined();
    expect(run.summary).toContain(message);
    expect(baseEntries(run)).toEqual([]);
    expect(existsSync(join(run.workspace, 'pwned'))).toBe(false);
  });

  it('when: never, or on-failure with a passing job or test command: exit 0, gathered=false, the reason in the summary', async () => {
    const cases = [
      { inputs: { when: 'never' }, reason: 'when is never' },
      { inputs: { when: 'on-failure', 'job-status': 'success' }, reason: 'the job status is success' },
      // exit-code wins over job-status.
      { inputs: { when: 'on-failure', 'job-status': 'failure', 'exit-code': '0' }, reason: 'the tests exited 0' },
    ];
    for (const { inputs, reason } of cases) {
      // A CLI that would fail if it ran: the skip happens before it.
      const run = await runStep({ service: 'orders', ...inputs, 'cli-path': SCRIPT });
      expect(run.code, run.log).toBe(0);
      expect(run.outputs).toMatchObject({ gathered: 'false', upload: 'false' });
      expect(run.outputs['exit-code']).toBeUndefined();
      expect(run.outputs.dir).toBeUndefined();
      expect(run.summary).toContain(`nothing gathered — ${reason}`);
      expect(baseEntries(run)).toEqual([]);
    }
  });

  it('runs npx --yes --package must-gather@<package.json version> by default, and the package input instead', async () => {
    const npx = fakeNpx();
    const run = await runStep({ service: 'orders', components: 'postgres redis', 'cli-path': '', archive: 'false' }, { PATH: npx.path });
    expect(run.code, run.log).toBe(0);
    expect(npx.recorded()).toEqual(['--yes', '--package', `must-gather@${VERSION}`, '--', 'must-gather', 'gather', '--output-dir', run.base, '--runtime', 'podman', '--', 'orders', 'postgres', 'redis']);
    expect(run.outputs).toMatchObject({ gathered: 'true', 'exit-code': '0', 'artifact-name': 'must-gather-orders-action-test-1' });

    const pinned = await runStep({ service: 'orders', 'cli-path': '', package: 'must-gather@latest', args: '' }, { PATH: npx.path });
    expect(pinned.code, pinned.log).toBe(0);
    expect(npx.recorded()).toEqual(['--yes', '--package', 'must-gather@latest', '--', 'must-gather', 'gather', '--archive', '--output-dir', pinned.base, '--', 'orders']);
  });

  it('names the artifact after the matrix leg when the job has several, and takes artifact-name as given', async () => {
    const npx = fakeNpx();
    const leg = await runStep({ service: 'orders', 'cli-path': '' }, { PATH: npx.path, MG_JOB_INDEX: '2', MG_JOB_TOTAL: '3', GITHUB_RUN_ATTEMPT: '4' });
    expect(leg.outputs['artifact-name']).toBe('must-gather-orders-action-test-2-4');
    const single = await runStep({ service: 'orders', 'cli-path': '' }, { PATH: npx.path, MG_JOB_INDEX: '0', MG_JOB_TOTAL: '1' });
    expect(single.outputs['artifact-name']).toBe('must-gather-orders-action-test-1');
    const named = await runStep({ service: 'orders', 'cli-path': '', 'artifact-name': 'evidence' }, { PATH: npx.path });
    expect(named.outputs['artifact-name']).toBe('evidence');
  });
});

describeWithEngine('podman', 'GitHub Action step', () => {
  const service = uniqueService('mga');
  const app = `${service}_app_test`;
  const db = `${service}_db_test`;
  const decoy = `x${service}_app_test`;
  const ids: Record<string, string> = {};

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run npm run build');
    try {
      ids[app] = engine('podman', ['run', '-d', '--name', app, TEST_IMAGE, 'sh', '-c', 'echo "out 1"; echo "err 1" >&2; exec sleep 3600']).trim();
      ids[db] = engine('podman', ['run', '-d', '--name', db, TEST_IMAGE, 'sh', '-c', 'echo "applying 0007"; echo "ERROR: relation missing" >&2; exit 3']).trim();
      engine('podman', ['run', '-d', '--name', decoy, TEST_IMAGE, 'sh', '-c', 'echo decoy; exec sleep 3600']);
      engine('podman', ['wait', db]);
      for (let i = 0; i < 200 && !engineLogBytes('podman', app).includes('err 1'); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    } catch (error) {
      removeContainers('podman', [app, db, decoy]);
      throw error;
    }
  });

  afterAll(() => removeContainers('podman', [app, db, decoy]));

  it('gathers: dir= is the run folder with each log byte for byte, archive= the .tar.gz, the verdict in the step summary, exit-code=0', async () => {
    const run = await runStep({ service });
    expect(run.code, run.log).toBe(0);
    const { dir, archive } = run.outputs;
    expect(run.outputs).toMatchObject({ gathered: 'true', 'exit-code': '0', upload: 'true', 'artifact-name': `must-gather-${service}-action-test-1` });

    expect(dir).toMatch(new RegExp(`^${run.base}/${service}-integration-\\d{8}-\\d{6}$`));
    expect(statSync(dir!).isDirectory()).toBe(true);
    expect(readdirSync(dir!).filter((f) => f.endsWith('.log') && f !== 'timeline.log').sort()).toEqual([`${app}.log`, `${db}.log`]);
    expect(readFileSync(join(dir!, `${app}.log`))).toEqual(Buffer.from('out 1\nerr 1\n'));
    expect(readFileSync(join(dir!, `${db}.log`))).toEqual(Buffer.from('applying 0007\nERROR: relation missing\n'));
    expect(readFileSync(join(dir!, `${db}.log`))).toEqual(engineLogBytes('podman', ids[db]!));
    expect(existsSync(join(dir!, `${db}_inspect.json`))).toBe(true);

    expect(archive).toBe(`${dir}.tar.gz`);
    expect(statSync(archive!).isFile()).toBe(true);
    const listing = spawnSync('tar', ['-tzf', archive!], { encoding: 'utf8' });
    expect(listing.status).toBe(0);
    expect(listing.stdout).toContain(`${db}.log`);
    expect(listing.stdout).toContain(`${app}.log`);

    expect(run.summary).toContain(`${service}: 1 of 2 containers failed`);
    expect(run.summary).toContain('ERROR: relation missing');
    expect(run.log).toContain(`::error title=${db}%3A exited with code 3::`);
  });

  it('components (spaces, newlines) narrow the containers; archive: false writes no archive and archive= is empty; cli-path is relative to the workspace', async () => {
    const run = await runStep({ service, components: '  db \n', archive: 'false', 'cli-path': 'bin/must-gather.js' }, { GITHUB_WORKSPACE: ROOT });
    expect(run.code, run.log).toBe(0);
    const { dir } = run.outputs;
    expect(readdirSync(dir!).filter((f) => f.endsWith('.log'))).toEqual([`${db}.log`]);
    expect(run.outputs.archive).toBe('');
    expect(baseEntries(run).filter((e) => e.endsWith('.tar.gz'))).toEqual([]);
    expect(run.summary).toContain(`${service}: 1 of 1 container failed`);
  });

  it('when: on-failure gathers when the job failed, or when exit-code is non-zero whatever the job status', async () => {
    for (const inputs of [{ 'job-status': 'failure' }, { 'job-status': 'cancelled' }, { 'job-status': 'success', 'exit-code': '1' }]) {
      const run = await runStep({ service, components: 'app', when: 'on-failure', archive: 'false', ...inputs });
      expect(run.code, run.log).toBe(0);
      expect(run.outputs).toMatchObject({ gathered: 'true', 'exit-code': '0' });
      expect(readFileSync(join(run.outputs.dir!, `${app}.log`))).toEqual(Buffer.from('out 1\nerr 1\n'));
    }
  });

  it('must-gather failing (nothing matched, exit 4) leaves the step green with exit-code=4 and a warning; fail-on-error: true fails it with 4', async () => {
    const nobody = uniqueService('mgn');
    const run = await runStep({ service: nobody });
    expect(run.code, run.log).toBe(0);
    expect(run.outputs).toMatchObject({ gathered: 'true', 'exit-code': '4' });
    expect(run.outputs.dir).toBeUndefined();
    expect(run.stdout).toMatch(/^::warning title=must-gather exited 4::no container of the service matched/m);
    expect(run.summary).toContain(`**must-gather** (${nobody}) exited 4`);

    const strict = await runStep({ service: nobody, 'fail-on-error': 'true' });
    expect(strict.code).toBe(4);
    expect(strict.outputs).toMatchObject({ gathered: 'true', 'exit-code': '4' });
    expect(strict.stdout).toMatch(/^::error title=must-gather exited 4::/m);
  });

  it('args are words passed as they are, never evaluated; a usage error of the CLI (exit 2) fails the step', async () => {
    const run = await runStep({ service, args: '--runtime podman --label a=$(touch${IFS}pwned) `touch pwned2` ;touch pwned3' });
    expect(run.code, run.log).toBe(2);
    expect(run.outputs).toMatchObject({ gathered: 'true', 'exit-code': '2' });
    expect(run.stdout).toMatch(/^::error title=must-gather exited 2::usage error/m);
    for (const file of ['pwned', 'pwned2', 'pwned3']) expect(existsSync(join(run.workspace, file))).toBe(false);
    expect(baseEntries(run).filter((e) => !e.startsWith('.'))).toEqual([]);
  });
});
