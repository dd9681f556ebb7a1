/**
 * The examples of suites in another language, run on real podman as a user runs them: wrapped in
 * `must-gather record <service> --archive -- <command>` (this repository's bin/ and dist/; npm test builds
 * first), examples/go-ginkgo with `go test` (Debian's Ginkgo v1 and Gomega, GOPATH mode) and examples/pytest
 * with pytest. The suites hold no must-gather code and remove their containers in their own teardown: a
 * failing run must keep exactly one run folder (and its archive) with both containers' logs, inspect JSON
 * and events all the same, and exit with the suite's code; a passing run keeps nothing. The toolchains
 * come from scripts/setup-test-tools.sh; under CI=true a missing one fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithEngine, engine, removeContainers, tempDir, uniqueService } from '../helpers/engines.js';
import { describeWithTool } from '../helpers/tools.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
/** Debian's golang-github-onsi-ginkgo-dev and golang-gomega-dev, used without modules. */
const GOPATH = '/usr/share/gocode';
const RUN_TIMEOUT_MS = 90_000;
const MUST_GATHER = join(ROOT, 'bin/must-gather.js');

/** `must-gather record <service> --archive -- <command…>`, as a user wraps a suite. */
const recordArgs = (service: string, command: readonly string[]): string[] => [MUST_GATHER, 'record', service, '--archive', '--', ...command];

interface Run {
  readonly code: number | null;
  readonly pid: number;
  readonly output: string;
}

/**
 * The environment of an example: this one's, less vitest's variables, must-gather's and the examples'
 * settings, what would change how go or pytest run, and GitHub's outputs (the CLI would write to them).
 */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|MUST_GATHER|EXAMPLE_|GO|CGO_|PYTEST_|GITHUB_)/.test(key) || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', MUST_GATHER_RUNTIME: 'podman', ...extra };
}

/** Run `command` in its own process group, killed whole if it outlives RUN_TIMEOUT_MS. */
function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n[killed after ${RUN_TIMEOUT_MS} ms]\n`;
      process.kill(-(child.pid as number), 'SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, pid: child.pid as number, output });
    });
  });
}

/** Why `go test` cannot run the Ginkgo example here, or null. */
function goProblem(): string | null {
  const version = spawnSync('go', ['version'], { encoding: 'utf8', timeout: 30_000 });
  if (version.error || version.status !== 0) return 'no go (Debian: golang-go)';
  const env = { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '' };
  const list = spawnSync('go', ['list', 'github.com/onsi/ginkgo', 'github.com/onsi/gomega'], { encoding: 'utf8', env, timeout: 30_000 });
  if (list.status !== 0) return `no Ginkgo v1 and Gomega in ${GOPATH} (Debian: golang-github-onsi-ginkgo-dev golang-gomega-dev)`;
  const cgo = spawnSync('go', ['env', 'CGO_ENABLED', 'CC'], { encoding: 'utf8', env, timeout: 30_000 }).stdout.trim().split('\n');
  if (cgo[0] === '1' && spawnSync(cgo[1] ?? 'gcc', ['--version'], { timeout: 30_000 }).status !== 0) {
    return `no C compiler ${cgo[1] ?? ''} for go's runtime/cgo (Debian: gcc libc6-dev)`;
  }
  return null;
}

/** The first python on PATH, then Debian's, that has pytest: its real executable, or the problem. */
function findPytest(): { python: string } | { problem: string } {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const answer = spawnSync(candidate, ['-c', 'import sys, pytest; print(sys.executable)'], { encoding: 'utf8', timeout: 30_000 });
    const python = answer.status === 0 ? answer.stdout.trim() : '';
    if (python !== '') return { python };
  }
  return { problem: 'no python3 with pytest (Debian: python3-pytest)' };
}

function containerNames(service: string): [string, string] {
  return [`${service}_postgres_test`, `${service}_redis_test`];
}

function leftContainers(service: string): string[] {
  return engine('podman', ['ps', '-a', '--format', '{{.Names}}'])
    .split('\n')
    .filter((name) => name.startsWith(`${service}_`));
}

/**
 * The one run folder of `service` under `out`, checked to hold both containers' logs — with what the
 * containers printed — and inspect JSON, with its archive beside it and nothing else (lock results aside).
 */
function theRunFolder(out: string, service: string, output: string): string {
  const entries = readdirSync(out).filter((e) => !e.startsWith('.'));
  const folders = entries.filter((e) => statSync(join(out, e)).isDirectory());
  expect(folders, output).toHaveLength(1);
  const folder = join(out, folders[0] as string);
  expect(folders[0]).toMatch(new RegExp(`^${service}-integration-\\d{8}-\\d{6}$`));
  expect(entries.sort()).toEqual([folders[0], `${folders[0]}.tar.gz`]);
  expect(readdirSync(out).filter((e) => e.endsWith('.lock'))).toEqual([]);

  const [postgres, redis] = containerNames(service);
  const postgresLog = readFileSync(join(folder, `${postgres}.log`), 'utf8');
  expect(postgresLog).toContain('postgres: database system is ready to accept connections\n');
  expect(postgresLog).toContain('ERROR: relation "orders" does not exist\n');
  expect(readFileSync(join(folder, `${redis}.log`), 'utf8')).toBe('redis: Ready to accept connections tcp\n');
  for (const name of [postgres, redis]) {
    const inspect = JSON.parse(readFileSync(join(folder, `${name}_inspect.json`), 'utf8')) as { Name: string; Config: { Cmd: string[] } };
    expect(inspect.Name.replace(/^\//, '')).toBe(name);
    expect(inspect.Config.Cmd.join(' ')).toContain('exec sleep 600');
  }
  return folder;
}

/**
 * manifest.json of a recording: both containers, each exited (the suite removed them: `die` in events.jsonl,
 * its last inspect kept), and the recording said as much.
 */
function expectRecorded(folder: string, service: string): void {
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as {
    arguments: { service: string };
    containers: { name: string; instance: number }[];
    testRun: { mode: string; eventsFile: string };
  };
  expect(manifest.arguments.service).toBe(service);
  expect(manifest.containers.map((c) => [c.name, c.instance]).sort()).toEqual(containerNames(service).map((n) => [n, 1]));
  expect(manifest.testRun).toMatchObject({ mode: 'record', eventsFile: 'events.jsonl' });
  const events = readFileSync(join(folder, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { action: string; name: string });
  for (const name of containerNames(service)) {
    expect(events.filter((e) => e.name === name).map((e) => e.action), name).toEqual(expect.arrayContaining(['die']));
  }
}

describeWithEngine('podman', 'examples that call the CLI', () => {
  const services: string[] = [];
  const newService = (): string => {
    const service = uniqueService('mge');
    services.push(service);
    return service;
  };

  beforeAll(() => {
    // bin/must-gather.js loads dist/ (npm test builds first).
    if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run npm run build');
  });

  afterEach(() => {
    for (const service of services.splice(0)) removeContainers('podman', containerNames(service));
  });

  describeWithTool('Ginkgo v1 (go test)', goProblem(), () => {
    // Go's own build cache (safe for concurrent use); without a usable one, a temporary one for this file.
    let gocache = '';
    let ownCache = false;
    const goEnv = (service: string, out: string): NodeJS.ProcessEnv =>
      childEnv({ GO111MODULE: 'off', GOPATH, GOCACHE: gocache, EXAMPLE_SERVICE: service, EXAMPLE_ENGINE: 'podman', MUST_GATHER_DIR: out });
    // In the package's folder, as a user runs it: `go test` then streams the suite's output, passing or not.
    const goTestCommand = (...flags: string[]): string[] => ['go', 'test', '-count=1', '-ginkgo.noColor', ...flags];
    const goTest = (service: string, out: string, ...flags: string[]): Promise<Run> =>
      run(process.execPath, recordArgs(service, goTestCommand(...flags)), join(EXAMPLES, 'go-ginkgo'), goEnv(service, out));
    beforeAll(async () => {
      gocache = spawnSync('go', ['env', 'GOCACHE'], { encoding: 'utf8', timeout: 30_000 }).stdout.trim();
      if (gocache === '' || gocache === 'off') {
        gocache = tempDir('must-gather-gocache-');
        ownCache = true;
      }
      // Build (and vet) the suite once without running a test: compiling Ginkgo and Gomega into a cold cache
      // takes 10-50 s on two busy cores, which is setup, not what the tests measure.
      const [go, ...args] = goTestCommand('-run', '^$');
      const build = await run(go as string, args, join(EXAMPLES, 'go-ginkgo'), goEnv(uniqueService('mge'), tempDir('must-gather-examples-')));
      if (build.code !== 0) throw new Error(`go test could not build examples/go-ginkgo:\n${build.output}`);
    });
    afterAll(() => {
      if (ownCache) rmSync(gocache, { recursive: true, force: true });
    });

    it('a failing spec: one folder keeps both containers the suite removed; the suite\'s exit code', async () => {
      const service = newService();
      const out = tempDir('must-gather-examples-');
      const result = await goTest(service, out);

      expect(result.code, result.output).toBe(1);
      expect(result.output).toContain('[Fail] orders [It] confirms an order');
      expect(result.output).toContain('Ran 2 of 2 Specs');
      expect(result.output).toMatch(new RegExp(`must-gather: command exited 1; 2 container instances recorded in ${out}/${service}-integration-\\d{8}-\\d{6}\\.tar\\.gz\\n`));
      expectRecorded(theRunFolder(out, service, result.output), service);
      expect(leftContainers(service)).toEqual([]);
    });

    it('passing specs: nothing written, the containers removed', async () => {
      const service = newService();
      const out = tempDir('must-gather-examples-');
      const result = await goTest(service, out, '-ginkgo.focus=lists the orders');

      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('Ran 1 of 2 Specs');
      expect(result.output).toMatch(/^must-gather: command exited 0; nothing kept \(\d+ container instances? followed; --when on-failure\)$/m);
      expect(readdirSync(out)).toEqual([]);
      expect(leftContainers(service)).toEqual([]);
    });
  });

  const pytest = findPytest();
  describeWithTool('pytest', 'problem' in pytest ? pytest.problem : null, () => {
    const runPytest = (service: string, out: string, ...args: string[]): Promise<Run> =>
      run(
        process.execPath,
        recordArgs(service, ['python' in pytest ? pytest.python : 'python3', '-m', 'pytest', '-p', 'no:cacheprovider', ...args]),
        join(EXAMPLES, 'pytest'),
        // Only pytest's own plugins: no .benchmarks/ or xdist workers from whatever else is installed.
        childEnv({ PYTHONDONTWRITEBYTECODE: '1', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1', EXAMPLE_SERVICE: service, EXAMPLE_ENGINE: 'podman', MUST_GATHER_DIR: out }),
      );

    it('a failing test: one folder keeps both containers the fixture removed; pytest\'s exit code', async () => {
      const service = newService();
      const out = tempDir('must-gather-examples-');
      const result = await runPytest(service, out);

      expect(result.code, result.output).toBe(1);
      expect(result.output).toContain('FAILED test_orders.py::test_confirms_an_order');
      expect(result.output).toMatch(/1 failed, 1 passed/);
      expect(result.output).toMatch(new RegExp(`must-gather: command exited 1; 2 container instances recorded in ${out}/${service}-integration-\\d{8}-\\d{6}\\.tar\\.gz\\n`));
      expectRecorded(theRunFolder(out, service, result.output), service);
      expect(leftContainers(service)).toEqual([]);
    });

    it('passing tests: nothing written, the containers removed', async () => {
      const service = newService();
      const out = tempDir('must-gather-examples-');
      const result = await runPytest(service, out, '-k', 'lists_the_orders');

      expect(result.code, result.output).toBe(0);
      expect(result.output).toMatch(/1 passed, 1 deselected/);
      expect(result.output).toMatch(/^must-gather: command exited 0; nothing kept \(\d+ container instances? followed; --when on-failure\)$/m);
      expect(readdirSync(out)).toEqual([]);
      expect(leftContainers(service)).toEqual([]);
    });
  });
});
