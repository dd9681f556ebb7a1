import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NoEngineError, UsageError } from '../../../src/_util/errors.js';
import {
  detectRuntime,
  detectRuntimes,
  parseRuntimeChoice,
  parseTransportChoice,
  probeAll,
  RUNTIME_CHOICES,
  runtimeCandidates,
  TRANSPORT_CHOICES,
  type DetectOptions,
  type Probe,
} from '../../../src/runtime/detect.js';
import { endpointUrl, type Endpoint } from '../../../src/runtime/endpoint.js';
import { EngineCancelledError, type ContainerRuntime, type RuntimeInfo, type RuntimeName, type TransportName } from '../../../src/runtime/types.js';

/*
 * Every detection here runs against fakes: `connectApi` and `createCliRuntime` are always injected, `env` is
 * explicit and `homedir` is an empty temporary folder, so no real socket or CLI on this machine is touched.
 */

const VERSIONS: Record<RuntimeName, string> = { podman: '4.9.3', docker: '27.3.1' };

const ROOTFUL_PODMAN = 'unix:///run/podman/podman.sock';
const DOCKER_SOCKET = 'unix:///var/run/docker.sock';

const homes: string[] = [];
afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty home folder: no ~/.docker/config.json, so no docker context. */
function emptyHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'must-gather-detect-'));
  homes.push(dir);
  return dir;
}

const desktopSocket = (home: string): string => `unix://${home}/.docker/run/docker.sock`;

function infoFor(name: RuntimeName, transport: TransportName, endpoint: string): RuntimeInfo {
  return { name, transport, version: VERSIONS[name], endpoint };
}

function fakeRuntime(name: RuntimeName, transport: TransportName, info: ContainerRuntime['info']): ContainerRuntime {
  const unused = (): never => {
    throw new Error(`${name} ${transport}: not used in detection`);
  };
  return { name, transport, info, describe: async () => unused(), list: async () => unused(), inspect: async () => unused(), logs: () => unused(), events: () => unused() };
}

/** What each API address answers: an engine name, or a failure (an Error or any thrown value). */
type ApiAnswers = Readonly<Record<string, RuntimeName | { readonly fail: unknown }>>;

/** A fake `connectApi`: addresses not in `answers` have no socket. Records every call in order. */
function fakeApi(answers: ApiAnswers = {}) {
  const calls: string[] = [];
  const endpoints: Endpoint[] = [];
  const signals: AbortSignal[] = [];
  const runtimes = new Map<string, ContainerRuntime>();
  const connectApi = async (endpoint: Endpoint, signal: AbortSignal): Promise<{ runtime: ContainerRuntime; info: RuntimeInfo }> => {
    const url = endpointUrl(endpoint);
    calls.push(url);
    endpoints.push(endpoint);
    signals.push(signal);
    const answer = answers[url];
    if (answer === undefined) throw new Error('no socket there');
    if (typeof answer === 'object') throw answer.fail;
    const info = infoFor(answer, 'api', url);
    const runtime = fakeRuntime(answer, 'api', async () => info);
    runtimes.set(url, runtime);
    return { runtime, info };
  };
  return { calls, endpoints, signals, runtimes, connectApi };
}

/** A fake CLI factory: engines not in `outcomes` answer; a value there is thrown by `info()`. */
function fakeCli(outcomes: Partial<Record<RuntimeName, unknown>> = {}) {
  const calls: string[] = [];
  const envs: NodeJS.ProcessEnv[] = [];
  const runtimes = new Map<RuntimeName, ContainerRuntime>();
  const createCliRuntime = (name: RuntimeName, env: NodeJS.ProcessEnv): ContainerRuntime => {
    calls.push(`create:${name}`);
    envs.push(env);
    const runtime = fakeRuntime(name, 'cli', async (signal?: AbortSignal) => {
      calls.push(`${name}.info:${signal instanceof AbortSignal ? 'signal' : 'nosignal'}`);
      if (name in outcomes) throw outcomes[name];
      return infoFor(name, 'cli', name);
    });
    runtimes.set(name, runtime);
    return runtime;
  };
  return { calls, envs, runtimes, createCliRuntime };
}

interface Setup {
  readonly env?: NodeJS.ProcessEnv;
  readonly api?: ApiAnswers;
  readonly cli?: Partial<Record<RuntimeName, unknown>>;
}

/** Options wired to fakes, plus the fakes to inspect afterwards. */
function setup({ env = {}, api = {}, cli = {} }: Setup = {}) {
  const home = emptyHome();
  const fakeApis = fakeApi(api);
  const fakeClis = fakeCli(cli);
  const options = {
    env,
    homedir: home,
    connectApi: fakeApis.connectApi,
    createCliRuntime: fakeClis.createCliRuntime,
  } satisfies DetectOptions;
  return { home, options, api: fakeApis, cli: fakeClis };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** The chosen engines in a comparable form, without the reason (see the `it.fails` cases below). */
function withoutReason(chosen: readonly { info: RuntimeInfo; runtime: ContainerRuntime }[]) {
  return chosen.map((c) => ({ name: c.runtime.name, transport: c.runtime.transport, endpoint: c.info.endpoint }));
}

/** The chosen engines in a comparable form. */
function summary(chosen: readonly { info: RuntimeInfo; reason: string; runtime: ContainerRuntime }[]) {
  return chosen.map((c) => ({ name: c.runtime.name, transport: c.runtime.transport, endpoint: c.info.endpoint, reason: c.reason }));
}

describe('runtimeCandidates', () => {
  it('tries podman then docker with no hint in the env', () => {
    expect(runtimeCandidates('auto', {})).toEqual([
      { name: 'podman', reason: 'podman answered' },
      { name: 'docker', reason: 'docker answered' },
    ]);
  });

  it('puts podman first with its reason when CONTAINER_HOST is set', () => {
    expect(runtimeCandidates('auto', { CONTAINER_HOST: 'unix:///run/podman/podman.sock' })).toEqual([
      { name: 'podman', reason: 'CONTAINER_HOST is set' },
      { name: 'docker', reason: 'docker answered' },
    ]);
  });

  it('puts docker first when DOCKER_HOST is set', () => {
    expect(runtimeCandidates('auto', { DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toEqual([
      { name: 'docker', reason: 'DOCKER_HOST is set' },
      { name: 'podman', reason: 'podman answered' },
    ]);
  });

  it('prefers CONTAINER_HOST over DOCKER_HOST when both are set', () => {
    expect(runtimeCandidates('auto', { CONTAINER_HOST: 'unix:///a', DOCKER_HOST: 'unix:///b' })).toEqual([
      { name: 'podman', reason: 'CONTAINER_HOST is set' },
      { name: 'docker', reason: 'DOCKER_HOST is set' },
    ]);
  });

  it('ignores empty host variables', () => {
    expect(runtimeCandidates('auto', { CONTAINER_HOST: '', DOCKER_HOST: '' })).toEqual([
      { name: 'podman', reason: 'podman answered' },
      { name: 'docker', reason: 'docker answered' },
    ]);
  });

  it('tries only the engine chosen explicitly, whatever the env says', () => {
    expect(runtimeCandidates('docker', { CONTAINER_HOST: 'unix:///a' })).toEqual([{ name: 'docker', reason: '--runtime docker' }]);
    expect(runtimeCandidates('podman', { DOCKER_HOST: 'unix:///b' })).toEqual([{ name: 'podman', reason: '--runtime podman' }]);
  });
});

describe('parseRuntimeChoice / parseTransportChoice', () => {
  it('default to auto', () => {
    expect([parseRuntimeChoice(undefined), parseTransportChoice(undefined)]).toEqual(['auto', 'auto']);
  });

  it.each([
    ['auto', 'auto'],
    ['podman', 'podman'],
    ['docker', 'docker'],
    ['all', 'all'],
    ['DOCKER', 'docker'],
    [' All\n', 'all'],
  ])('runtime %j → %s', (value, choice) => {
    expect(parseRuntimeChoice(value)).toBe(choice);
  });

  it.each([
    ['auto', 'auto'],
    ['api', 'api'],
    ['cli', 'cli'],
    [' CLI ', 'cli'],
  ])('transport %j → %s', (value, choice) => {
    expect(parseTransportChoice(value)).toBe(choice);
  });

  it.each(['', 'containerd', 'nerdctl', 'podman,docker', 'both'])('rejects runtime %j', (value) => {
    let caught: unknown;
    try {
      parseRuntimeChoice(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).code).toBe('USAGE');
    expect((caught as UsageError).message).toBe(`invalid runtime "${value}": expected one of auto, podman, docker, all`);
  });

  it.each(['', 'socket', 'ssh', 'api,cli'])('rejects transport %j', (value) => {
    let caught: unknown;
    try {
      parseTransportChoice(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).toBe(`invalid transport "${value}": expected one of auto, api, cli`);
  });

  it('list the choices in order', () => {
    expect(RUNTIME_CHOICES).toEqual(['auto', 'podman', 'docker', 'all']);
    expect(TRANSPORT_CHOICES).toEqual(['auto', 'api', 'cli']);
  });
});

/*
 * `--runtime auto` finds every engine that answers (issue 14): gather() then keeps those that have the
 * service's containers. Every socket is asked once, all at once; an engine no socket answers for is asked
 * over its CLI. The engine the user's environment names comes first.
 */
describe('detectRuntimes --runtime auto', () => {
  it('finds both engines over their sockets, asking every socket once and starting no CLI', async () => {
    const s = setup({ api: { [ROOTFUL_PODMAN]: 'podman', [DOCKER_SOCKET]: 'docker' }, cli: {} });
    const { chosen, probes, unanswered } = await detectRuntimes(s.options);
    expect(summary(chosen)).toEqual([
      { name: 'podman', transport: 'api', endpoint: ROOTFUL_PODMAN, reason: 'rootful podman socket answered' },
      { name: 'docker', transport: 'api', endpoint: DOCKER_SOCKET, reason: 'docker socket answered' },
    ]);
    expect(chosen[0]?.runtime).toBe(s.api.runtimes.get(ROOTFUL_PODMAN));
    expect(chosen[0]?.info).toEqual(infoFor('podman', 'api', ROOTFUL_PODMAN));
    expect(s.api.calls).toEqual([ROOTFUL_PODMAN, DOCKER_SOCKET, desktopSocket(s.home)]);
    expect(s.api.endpoints[0]).toEqual({ kind: 'unix', socketPath: '/run/podman/podman.sock' });
    expect(s.cli.calls).toEqual([]);
    expect(probes).toEqual([
      { transport: 'api', place: `rootful podman socket ${ROOTFUL_PODMAN}`, answered: { name: 'podman', version: '4.9.3' }, problem: null },
      { transport: 'api', place: `docker socket ${DOCKER_SOCKET}`, answered: { name: 'docker', version: '27.3.1' }, problem: null },
      { transport: 'api', place: `Docker Desktop socket ${desktopSocket(s.home)}`, answered: null, problem: 'no socket there' },
    ]);
    expect(unanswered).toEqual([]);
  });

  it('asks the podman CLI when only docker has a socket, and returns both', async () => {
    const s = setup({ api: { [DOCKER_SOCKET]: 'docker' } });
    const { chosen, probes } = await detectRuntimes(s.options);
    expect(summary(chosen)).toEqual([
      { name: 'podman', transport: 'cli', endpoint: 'podman', reason: 'podman answered' },
      { name: 'docker', transport: 'api', endpoint: DOCKER_SOCKET, reason: 'docker socket answered' },
    ]);
    expect(chosen[0]?.runtime).toBe(s.cli.runtimes.get('podman'));
    expect(s.cli.calls).toEqual(['create:podman', 'podman.info:signal']);
    expect(probes.map((p) => [p.place, p.answered?.name ?? p.problem])).toEqual([
      [`rootful podman socket ${ROOTFUL_PODMAN}`, 'no socket there'],
      [`docker socket ${DOCKER_SOCKET}`, 'docker'],
      [`Docker Desktop socket ${desktopSocket(s.home)}`, 'no socket there'],
      ['podman CLI', 'podman'],
    ]);
  });

  it('returns docker alone when podman answers nowhere', async () => {
    const s = setup({ api: { [DOCKER_SOCKET]: 'docker' }, cli: { podman: new Error('spawn podman ENOENT') } });
    const { chosen } = await detectRuntimes(s.options);
    expect(summary(chosen)).toEqual([{ name: 'docker', transport: 'api', endpoint: DOCKER_SOCKET, reason: 'docker socket answered' }]);
    expect(s.api.calls).toEqual([ROOTFUL_PODMAN, DOCKER_SOCKET, desktopSocket(s.home)]);
    expect(s.cli.calls).toEqual(['create:podman', 'podman.info:signal']);
  });

  it('falls back to the CLIs when no socket answers', async () => {
    const s = setup({ cli: { podman: new Error('spawn podman ENOENT') } });
    const { chosen, probes } = await detectRuntimes(s.options);
    expect(withoutReason(chosen)).toEqual([{ name: 'docker', transport: 'cli', endpoint: 'docker' }]);
    expect(s.api.calls).toEqual([ROOTFUL_PODMAN, DOCKER_SOCKET, desktopSocket(s.home)]);
    // The engines are probed at once: each engine's calls are in order, the two interleave.
    expect([...s.cli.calls].sort()).toEqual(['create:podman', 'create:docker', 'podman.info:signal', 'docker.info:signal'].sort());
    expect(probes.map((p) => [p.place, p.problem])).toEqual([
      [`rootful podman socket ${ROOTFUL_PODMAN}`, 'no socket there'],
      [`docker socket ${DOCKER_SOCKET}`, 'no socket there'],
      [`Docker Desktop socket ${desktopSocket(s.home)}`, 'no socket there'],
      ['podman CLI', 'command not found on PATH'],
      ['docker CLI', null],
    ]);
  });

  it('takes podman from the socket CONTAINER_HOST points at, before the default one', async () => {
    const s = setup({
      env: { CONTAINER_HOST: 'unix:///tmp/mg-test/podman.sock' },
      api: { 'unix:///tmp/mg-test/podman.sock': 'podman', [ROOTFUL_PODMAN]: 'podman' },
      cli: { docker: new Error('spawn docker ENOENT') },
    });
    const { chosen } = await detectRuntimes(s.options);
    expect(summary(chosen)).toEqual([
      { name: 'podman', transport: 'api', endpoint: 'unix:///tmp/mg-test/podman.sock', reason: 'CONTAINER_HOST answered' },
    ]);
    expect(s.api.calls).toEqual(['unix:///tmp/mg-test/podman.sock', ROOTFUL_PODMAN, DOCKER_SOCKET, desktopSocket(s.home)]);
  });

  it('puts docker first when DOCKER_HOST names it, and still finds podman at its default socket', async () => {
    const s = setup({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' }, api: { 'tcp://127.0.0.1:2375': 'docker', [ROOTFUL_PODMAN]: 'podman' } });
    const { chosen } = await detectRuntimes(s.options);
    expect(summary(chosen)).toEqual([
      { name: 'docker', transport: 'api', endpoint: 'tcp://127.0.0.1:2375', reason: 'DOCKER_HOST answered' },
      { name: 'podman', transport: 'api', endpoint: ROOTFUL_PODMAN, reason: 'rootful podman socket answered' },
    ]);
    expect(s.api.endpoints[0]).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375, tls: null });
    expect(s.cli.calls).toEqual([]);
  });

  it('names the engine behind DOCKER_HOST by what answers: podman serving the docker API', async () => {
    const s = setup({
      env: { DOCKER_HOST: 'unix:///run/user/1000/podman/podman.sock' },
      api: { 'unix:///run/user/1000/podman/podman.sock': 'podman' },
      cli: { docker: new Error('spawn docker ENOENT') },
    });
    const { chosen } = await detectRuntimes(s.options);
    expect(summary(chosen)).toEqual([
      { name: 'podman', transport: 'api', endpoint: 'unix:///run/user/1000/podman/podman.sock', reason: 'DOCKER_HOST answered' },
    ]);
  });

  it('says that CONTAINER_HOST did not answer, and goes on with what did', async () => {
    const s = setup({
      env: { CONTAINER_HOST: 'unix:///tmp/mg-test/none.sock', DOCKER_HOST: 'unix:///tmp/mg-test/docker.sock' },
      api: { 'unix:///tmp/mg-test/docker.sock': 'docker', [ROOTFUL_PODMAN]: 'podman' },
    });
    const { chosen, unanswered } = await detectRuntimes(s.options);
    expect(summary(chosen)).toEqual([
      { name: 'podman', transport: 'api', endpoint: ROOTFUL_PODMAN, reason: 'rootful podman socket answered' },
      { name: 'docker', transport: 'api', endpoint: 'unix:///tmp/mg-test/docker.sock', reason: 'DOCKER_HOST answered' },
    ]);
    expect(unanswered).toEqual(['CONTAINER_HOST unix:///tmp/mg-test/none.sock did not answer: no socket there']);
  });

  it('when CONTAINER_HOST does not answer, asks the podman CLI (which honours it) and says when that fails too', async () => {
    const s = setup({ env: { CONTAINER_HOST: 'unix:///tmp/mg-test/none.sock' }, api: { [DOCKER_SOCKET]: 'docker' }, cli: { podman: new Error('Cannot connect to Podman') } });
    const { chosen, unanswered } = await detectRuntimes(s.options);
    expect(withoutReason(chosen)).toEqual([{ name: 'docker', transport: 'api', endpoint: DOCKER_SOCKET }]);
    expect(s.cli.calls).toEqual(['create:podman', 'podman.info:signal']);
    expect(unanswered).toEqual([
      'CONTAINER_HOST unix:///tmp/mg-test/none.sock did not answer: no socket there',
      'podman CLI (CONTAINER_HOST=unix:///tmp/mg-test/none.sock) did not answer: Cannot connect to Podman',
    ]);
  });

  it('follows the docker context as a place the user pointed at', async () => {
    const home = emptyHome();
    const digest = createHash('sha256').update('colima').digest('hex');
    mkdirSync(join(home, '.docker', 'contexts', 'meta', digest), { recursive: true });
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'colima' }));
    writeFileSync(
      join(home, '.docker', 'contexts', 'meta', digest, 'meta.json'),
      JSON.stringify({ Name: 'colima', Endpoints: { docker: { Host: `unix://${home}/.colima/docker.sock` } } }),
    );
    const api = fakeApi({ [`unix://${home}/.colima/docker.sock`]: 'docker', [ROOTFUL_PODMAN]: 'podman' });
    const cli = fakeCli();
    const { chosen } = await detectRuntimes({ env: {}, homedir: home, connectApi: api.connectApi, createCliRuntime: cli.createCliRuntime });
    expect(summary(chosen)).toEqual([
      { name: 'podman', transport: 'api', endpoint: ROOTFUL_PODMAN, reason: 'rootful podman socket answered' },
      { name: 'docker', transport: 'api', endpoint: `unix://${home}/.colima/docker.sock`, reason: 'docker context "colima" answered' },
    ]);
    expect(api.calls[0]).toBe(`unix://${home}/.colima/docker.sock`);
  });

  it('takes the home folder from env.HOME when no homedir is given', async () => {
    const home = emptyHome();
    const api = fakeApi({ [desktopSocket(home)]: 'docker' });
    const cli = fakeCli({ podman: new Error('spawn podman ENOENT') });
    const { chosen } = await detectRuntimes({ env: { HOME: home }, connectApi: api.connectApi, createCliRuntime: cli.createCliRuntime });
    expect(summary(chosen)).toEqual([{ name: 'docker', transport: 'api', endpoint: desktopSocket(home), reason: 'Docker Desktop socket answered' }]);
  });

  it('when DOCKER_HOST does not answer, asks the docker CLI (which honours it) and still finds podman', async () => {
    const s = setup({ env: { DOCKER_HOST: 'unix:///tmp/mg-test/none.sock' }, api: { [ROOTFUL_PODMAN]: 'podman' } });
    const { chosen, unanswered } = await detectRuntimes(s.options);
    expect(withoutReason(chosen)).toEqual([
      { name: 'docker', transport: 'cli', endpoint: 'docker' },
      { name: 'podman', transport: 'api', endpoint: ROOTFUL_PODMAN },
    ]);
    expect(chosen[0]?.reason).toBe('DOCKER_HOST is set');
    expect(s.api.calls).toEqual(['unix:///tmp/mg-test/none.sock', ROOTFUL_PODMAN, DOCKER_SOCKET, desktopSocket(s.home)]);
    expect(s.cli.calls).toEqual(['create:docker', 'docker.info:signal']);
    expect(unanswered).toEqual(['DOCKER_HOST unix:///tmp/mg-test/none.sock did not answer: no socket there']);
  });

  it('records an address that cannot be parsed as a problem without connecting to it', async () => {
    const s = setup({ env: { DOCKER_HOST: 'ftp://example.com' }, api: { [ROOTFUL_PODMAN]: 'podman' }, cli: { docker: new Error('spawn docker ENOENT') } });
    const { chosen, probes, unanswered } = await detectRuntimes(s.options);
    expect(summary(chosen)).toEqual([{ name: 'podman', transport: 'api', endpoint: ROOTFUL_PODMAN, reason: 'rootful podman socket answered' }]);
    expect(s.api.calls).toEqual([ROOTFUL_PODMAN, DOCKER_SOCKET, desktopSocket(s.home)]);
    expect(s.cli.calls).toEqual(['create:docker', 'docker.info:signal']);
    expect(probes[0]).toEqual({
      transport: 'api',
      place: 'DOCKER_HOST ftp://example.com',
      answered: null,
      problem: 'unsupported engine address scheme ftp: in ftp://example.com',
    });
    expect(unanswered).toEqual([
      'DOCKER_HOST ftp://example.com did not answer: unsupported engine address scheme ftp: in ftp://example.com',
      'docker CLI (DOCKER_HOST=ftp://example.com) did not answer: command not found on PATH',
    ]);
  });
});

describe('detectRuntimes --runtime podman|docker', () => {
  it('--runtime docker skips a socket that answers as podman', async () => {
    const s = setup({ env: { DOCKER_HOST: 'unix:///tmp/mg-test/podman.sock' }, api: { 'unix:///tmp/mg-test/podman.sock': 'podman', [DOCKER_SOCKET]: 'docker' } });
    const { chosen } = await detectRuntimes({ ...s.options, runtime: 'docker' });
    expect(summary(chosen)).toEqual([{ name: 'docker', transport: 'api', endpoint: DOCKER_SOCKET, reason: 'docker socket answered' }]);
    // Every socket is asked at once; the one that answers as podman is not used.
    expect(s.api.calls).toEqual(['unix:///tmp/mg-test/podman.sock', ROOTFUL_PODMAN, DOCKER_SOCKET, desktopSocket(s.home)]);
    expect(s.cli.calls).toEqual([]);
  });

  it('--runtime docker uses the docker CLI when only podman answers over the API, and never starts podman', async () => {
    const s = setup({ api: { [ROOTFUL_PODMAN]: 'podman' } });
    const { chosen } = await detectRuntimes({ ...s.options, runtime: 'docker' });
    expect(summary(chosen)).toEqual([{ name: 'docker', transport: 'cli', endpoint: 'docker', reason: '--runtime docker' }]);
    expect(s.cli.calls).toEqual(['create:docker', 'docker.info:signal']);
  });

  it('--runtime podman says a socket answered by the wrong engine when nothing else answers', async () => {
    const s = setup({ api: { [DOCKER_SOCKET]: 'docker' }, cli: { podman: new Error('spawn podman ENOENT') } });
    const error = await rejection(detectRuntimes({ ...s.options, runtime: 'podman' }));
    expect(error).toBeInstanceOf(NoEngineError);
    expect((error as NoEngineError).message).toBe(
      'no usable container engine found. Tried:\n' +
        `  - rootful podman socket ${ROOTFUL_PODMAN}: no socket there\n` +
        `  - docker socket ${DOCKER_SOCKET}: answered as docker 27.3.1, not the engine asked for\n` +
        `  - Docker Desktop socket ${desktopSocket(s.home)}: no socket there\n` +
        '  - podman CLI: command not found on PATH',
    );
    expect(s.cli.calls).toEqual(['create:podman', 'podman.info:signal']);
  });

  it('detectRuntime returns the one engine found', async () => {
    const s = setup({ api: { [DOCKER_SOCKET]: 'docker' } });
    const detected = await detectRuntime({ ...s.options, runtime: 'docker', transport: 'api' });
    expect(detected.runtime).toBe(s.api.runtimes.get(DOCKER_SOCKET));
    expect(detected.info).toEqual(infoFor('docker', 'api', DOCKER_SOCKET));
    expect(detected.reason).toBe('docker socket answered');
  });

  it('detectRuntime refuses "all" before probing anything', async () => {
    const s = setup({ api: { [ROOTFUL_PODMAN]: 'podman' } });
    const error = await rejection(detectRuntime({ ...s.options, runtime: 'all' }));
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('detectRuntime() finds one engine; use detectRuntimes() for "all"');
    expect([s.api.calls, s.cli.calls]).toEqual([[], []]);
  });
});

describe('detectRuntimes --runtime all', () => {
  it('returns both engines, each over its socket', async () => {
    const s = setup({ api: { [ROOTFUL_PODMAN]: 'podman', [DOCKER_SOCKET]: 'docker' } });
    const { chosen } = await detectRuntimes({ ...s.options, runtime: 'all' });
    expect(summary(chosen)).toEqual([
      { name: 'podman', transport: 'api', endpoint: ROOTFUL_PODMAN, reason: 'rootful podman socket answered' },
      { name: 'docker', transport: 'api', endpoint: DOCKER_SOCKET, reason: 'docker socket answered' },
    ]);
    expect(s.api.calls).toEqual([ROOTFUL_PODMAN, DOCKER_SOCKET, desktopSocket(s.home)]);
    expect(s.cli.calls).toEqual([]);
  });

  it('returns both engines, mixing transports, and asks each socket once', async () => {
    const s = setup({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, api: { 'unix:///run/user/1000/podman/podman.sock': 'podman' } });
    const { chosen, probes } = await detectRuntimes({ ...s.options, runtime: 'all' });
    expect(summary(chosen)).toEqual([
      { name: 'podman', transport: 'api', endpoint: 'unix:///run/user/1000/podman/podman.sock', reason: 'rootless podman socket answered' },
      { name: 'docker', transport: 'cli', endpoint: 'docker', reason: 'docker answered' },
    ]);
    // podman stops at the rootless socket; docker asks the rest, and only the rest.
    expect(s.api.calls).toEqual([
      ROOTFUL_PODMAN,
      'unix:///run/user/1000/podman/podman.sock',
      DOCKER_SOCKET,
      desktopSocket(s.home),
      'unix:///run/user/1000/docker.sock',
    ]);
    expect(s.cli.calls).toEqual(['create:docker', 'docker.info:signal']);
    expect(probes).toHaveLength(6);
  });

  it('returns the one engine that answers', async () => {
    const s = setup({ api: { [DOCKER_SOCKET]: 'docker' }, cli: { podman: new Error('spawn podman ENOENT') } });
    const { chosen } = await detectRuntimes({ ...s.options, runtime: 'all' });
    expect(summary(chosen)).toEqual([{ name: 'docker', transport: 'api', endpoint: DOCKER_SOCKET, reason: 'docker socket answered' }]);
  });

  it('with nothing answering, asks every socket and CLI exactly once and names each once', async () => {
    const s = setup({
      env: { CONTAINER_HOST: 'unix:///tmp/mg-test/a.sock', DOCKER_HOST: DOCKER_SOCKET },
      cli: { podman: new Error('spawn podman ENOENT'), docker: new Error('spawn docker ENOENT') },
    });
    const error = (await rejection(detectRuntimes({ ...s.options, runtime: 'all' }))) as NoEngineError;
    expect(error).toBeInstanceOf(NoEngineError);
    // DOCKER_HOST names the default docker socket: it is one place, asked once, under its strongest name.
    expect(s.api.calls).toEqual(['unix:///tmp/mg-test/a.sock', DOCKER_SOCKET, ROOTFUL_PODMAN, desktopSocket(s.home)]);
    expect(s.cli.calls).toEqual(['create:podman', 'podman.info:signal', 'create:docker', 'docker.info:signal']);
    expect(error.attempts).toEqual([
      { runtime: 'CONTAINER_HOST unix:///tmp/mg-test/a.sock', reason: 'no socket there' },
      { runtime: `DOCKER_HOST ${DOCKER_SOCKET}`, reason: 'no socket there' },
      { runtime: `rootful podman socket ${ROOTFUL_PODMAN}`, reason: 'no socket there' },
      { runtime: `Docker Desktop socket ${desktopSocket(s.home)}`, reason: 'no socket there' },
      { runtime: 'podman CLI', reason: 'command not found on PATH' },
      { runtime: 'docker CLI', reason: 'command not found on PATH' },
    ]);
  });
});

describe('detectRuntimes transports', () => {
  it("transport 'api' never calls the CLI factory", async () => {
    const s = setup({});
    const error = (await rejection(detectRuntimes({ ...s.options, transport: 'api', runtime: 'all' }))) as NoEngineError;
    expect(error).toBeInstanceOf(NoEngineError);
    expect(s.cli.calls).toEqual([]);
    expect(error.attempts.map((a) => a.runtime)).toEqual([
      `rootful podman socket ${ROOTFUL_PODMAN}`,
      `docker socket ${DOCKER_SOCKET}`,
      `Docker Desktop socket ${desktopSocket(s.home)}`,
    ]);
  });

  it("transport 'api' finds an engine over its socket only", async () => {
    const s = setup({ api: { [DOCKER_SOCKET]: 'docker' } });
    const { chosen } = await detectRuntimes({ ...s.options, transport: 'api' });
    expect(summary(chosen)).toEqual([{ name: 'docker', transport: 'api', endpoint: DOCKER_SOCKET, reason: 'docker socket answered' }]);
    expect(s.cli.calls).toEqual([]);
  });

  it("transport 'cli' never connects to a socket, even one the user pointed at", async () => {
    const s = setup({ env: { DOCKER_HOST: DOCKER_SOCKET }, api: { [DOCKER_SOCKET]: 'docker', [ROOTFUL_PODMAN]: 'podman' } });
    const { chosen, probes } = await detectRuntimes({ ...s.options, transport: 'cli' });
    expect(withoutReason(chosen)).toEqual([
      { name: 'docker', transport: 'cli', endpoint: 'docker' },
      { name: 'podman', transport: 'cli', endpoint: 'podman' },
    ]);
    expect(s.api.calls).toEqual([]);
    // The engines are probed at once: each engine's calls are in order, the two interleave.
    expect([...s.cli.calls].sort()).toEqual(['create:docker', 'create:podman', 'docker.info:signal', 'podman.info:signal'].sort());
    expect(probes).toEqual([
      { transport: 'cli', place: 'docker CLI', answered: { name: 'docker', version: '27.3.1' }, problem: null },
      { transport: 'cli', place: 'podman CLI', answered: { name: 'podman', version: '4.9.3' }, problem: null },
    ]);
  });

  it("transport 'cli' with --runtime all returns both CLIs", async () => {
    const s = setup({ api: { [DOCKER_SOCKET]: 'docker', [ROOTFUL_PODMAN]: 'podman' } });
    const { chosen } = await detectRuntimes({ ...s.options, transport: 'cli', runtime: 'all' });
    expect(summary(chosen)).toEqual([
      { name: 'podman', transport: 'cli', endpoint: 'podman', reason: 'podman answered' },
      { name: 'docker', transport: 'cli', endpoint: 'docker', reason: 'docker answered' },
    ]);
    expect(s.api.calls).toEqual([]);
  });

  it('passes the given env object itself to the CLI factory', async () => {
    const env = { PATH: '/nowhere', CONTAINER_HOST: 'unix:///tmp/mg-test/a.sock' };
    const s = setup({ env, cli: { podman: new Error('spawn podman ENOENT') } });
    await detectRuntimes({ ...s.options, transport: 'cli' });
    expect(s.cli.envs).toHaveLength(2);
    expect(s.cli.envs[0]).toBe(env);
    expect(s.cli.envs[1]).toBe(env);
  });
});

describe('NoEngineError from detectRuntimes', () => {
  it('lists every place tried, in order, with the first line of each problem', async () => {
    const s = setup({
      env: { CONTAINER_HOST: 'unix:///tmp/mg-test/podman.sock', DOCKER_HOST: 'tcp://127.0.0.1:2375' },
      api: {
        'tcp://127.0.0.1:2375': { fail: new Error('connect ECONNREFUSED 127.0.0.1:2375') },
        [ROOTFUL_PODMAN]: { fail: new Error('connect EACCES /run/podman/podman.sock\nsecond line') },
      },
      cli: {
        podman: new Error('Command failed with ENOENT: podman version --format json\nspawn podman ENOENT'),
        docker: new Error('Cannot connect to the Docker daemon at unix:///var/run/docker.sock\nIs the docker daemon running?'),
      },
    });
    const error = await rejection(detectRuntimes(s.options));
    expect(error).toBeInstanceOf(NoEngineError);
    const noEngine = error as NoEngineError;
    expect(noEngine.code).toBe('NO_ENGINE');
    expect(noEngine.name).toBe('NoEngineError');
    expect(noEngine.message).toBe(
      'no usable container engine found. Tried:\n' +
        '  - CONTAINER_HOST unix:///tmp/mg-test/podman.sock: no socket there\n' +
        '  - DOCKER_HOST tcp://127.0.0.1:2375: connect ECONNREFUSED 127.0.0.1:2375\n' +
        `  - rootful podman socket ${ROOTFUL_PODMAN}: connect EACCES /run/podman/podman.sock\n` +
        `  - docker socket ${DOCKER_SOCKET}: no socket there\n` +
        `  - Docker Desktop socket ${desktopSocket(s.home)}: no socket there\n` +
        '  - podman CLI: command not found on PATH\n' +
        '  - docker CLI: Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
    );
    // Each place once, though podman and docker both walk the sockets.
    expect(s.api.calls).toEqual(['unix:///tmp/mg-test/podman.sock', 'tcp://127.0.0.1:2375', ROOTFUL_PODMAN, DOCKER_SOCKET, desktopSocket(s.home)]);
  });

  it('records a thrown non-Error as text', async () => {
    const s = setup({ api: { [ROOTFUL_PODMAN]: { fail: 'socket exploded' } }, cli: { podman: 'podman exploded', docker: 42 } });
    const error = (await rejection(detectRuntimes({ ...s.options, runtime: 'podman' }))) as NoEngineError;
    expect(error.attempts).toEqual([
      { runtime: `rootful podman socket ${ROOTFUL_PODMAN}`, reason: 'socket exploded' },
      { runtime: `docker socket ${DOCKER_SOCKET}`, reason: 'no socket there' },
      { runtime: `Docker Desktop socket ${desktopSocket(s.home)}`, reason: 'no socket there' },
      { runtime: 'podman CLI', reason: 'podman exploded' },
    ]);
  });

  it.each(['podman', 'auto', 'all'] as const)('--runtime %s with an already aborted signal tries nothing and says it was interrupted', async (runtime) => {
    const controller = new AbortController();
    controller.abort();
    const s = setup({ api: { [ROOTFUL_PODMAN]: 'podman' } });
    const error = (await rejection(detectRuntimes({ ...s.options, runtime, signal: controller.signal }))) as EngineCancelledError;
    expect(error).toBeInstanceOf(EngineCancelledError);
    expect(error.message).toBe('interrupted while looking for an engine');
    expect([s.api.calls, s.cli.calls]).toEqual([[], []]);
  });
});

describe('probe signals', () => {
  it('each probe gets a signal that follows the caller signal, and the failure is reported as it came', async () => {
    const controller = new AbortController();
    const home = emptyHome();
    const seen: AbortSignal[] = [];
    const cli = fakeCli();
    const error = (await rejection(
      detectRuntimes({
        env: {},
        homedir: home,
        transport: 'api',
        runtime: 'podman',
        signal: controller.signal,
        createCliRuntime: cli.createCliRuntime,
        connectApi: async (_endpoint, signal) => {
          seen.push(signal);
          expect(signal.aborted).toBe(false);
          controller.abort('stop');
          throw new Error('aborted by caller');
        },
      }),
    )) as EngineCancelledError;
    expect(seen[0]?.aborted).toBe(true);
    expect(seen[0]?.reason).toBe('stop');
    // Not "did not answer within 5 s", nor "no engine": the caller cancelled, and only one probe was made.
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(EngineCancelledError);
    expect(error.cause).toBe('stop');
  });

  it('CLI probes get a signal too', async () => {
    const s = setup({});
    await detectRuntimes({ ...s.options, transport: 'cli' });
    // The engines are probed at once: each engine's calls are in order, the two interleave.
    expect([...s.cli.calls].sort()).toEqual(['create:podman', 'create:docker', 'podman.info:signal', 'docker.info:signal'].sort());
  });
});

/** Why a CLI was chosen, in the user's terms: what pointed at it, or that it answered. */
describe('reason of a CLI chosen under --runtime auto', () => {
  it('says "podman answered", not "--runtime podman"', async () => {
    const s = setup({});
    const { chosen } = await detectRuntimes({ ...s.options, transport: 'cli' });
    expect(chosen.map((c) => c.reason)).toEqual(['podman answered', 'docker answered']);
  });

  it('says "CONTAINER_HOST is set" when that put podman first', async () => {
    const s = setup({ env: { CONTAINER_HOST: 'unix:///tmp/mg-test/none.sock' } });
    const { chosen } = await detectRuntimes({ ...s.options, transport: 'cli' });
    expect(chosen.map((c) => c.reason)).toEqual(['CONTAINER_HOST is set', 'docker answered']);
  });

  it('says "DOCKER_HOST is set" when that put docker first', async () => {
    const s = setup({ env: { DOCKER_HOST: 'unix:///tmp/mg-test/none.sock' } });
    const { chosen } = await detectRuntimes({ ...s.options, transport: 'cli' });
    expect(chosen.map((c) => c.reason)).toEqual(['DOCKER_HOST is set', 'podman answered']);
  });

  it('says "--runtime <engine>" only when the user named it', async () => {
    const s = setup({});
    const { chosen } = await detectRuntimes({ ...s.options, transport: 'cli', runtime: 'podman' });
    expect(chosen.map((c) => c.reason)).toEqual(['--runtime podman']);
  });
});

describe('probeAll', () => {
  it('lists every socket, then every CLI, without stopping at the first that answers', async () => {
    const s = setup({
      env: { CONTAINER_HOST: 'unix:///tmp/mg-test/podman.sock', DOCKER_HOST: 'tcp://127.0.0.1:2375', XDG_RUNTIME_DIR: '/run/user/1000' },
      api: { [ROOTFUL_PODMAN]: 'podman', [DOCKER_SOCKET]: 'docker', 'unix:///tmp/mg-test/podman.sock': 'podman' },
      cli: { docker: new Error('spawn docker ENOENT') },
    });
    const probes = await probeAll(s.options);
    expect(probes).toEqual<Probe[]>([
      { transport: 'api', place: 'CONTAINER_HOST unix:///tmp/mg-test/podman.sock', answered: { name: 'podman', version: '4.9.3' }, problem: null },
      { transport: 'api', place: 'DOCKER_HOST tcp://127.0.0.1:2375', answered: null, problem: 'no socket there' },
      { transport: 'api', place: `rootful podman socket ${ROOTFUL_PODMAN}`, answered: { name: 'podman', version: '4.9.3' }, problem: null },
      { transport: 'api', place: 'rootless podman socket unix:///run/user/1000/podman/podman.sock', answered: null, problem: 'no socket there' },
      { transport: 'api', place: `docker socket ${DOCKER_SOCKET}`, answered: { name: 'docker', version: '27.3.1' }, problem: null },
      { transport: 'api', place: `Docker Desktop socket ${desktopSocket(s.home)}`, answered: null, problem: 'no socket there' },
      { transport: 'api', place: 'rootless docker socket unix:///run/user/1000/docker.sock', answered: null, problem: 'no socket there' },
      { transport: 'cli', place: 'podman CLI', answered: { name: 'podman', version: '4.9.3' }, problem: null },
      { transport: 'cli', place: 'docker CLI', answered: null, problem: 'command not found on PATH' },
    ]);
    expect(s.api.calls).toHaveLength(7);
    expect(s.cli.calls).toEqual(['create:podman', 'podman.info:signal', 'create:docker', 'docker.info:signal']);
  });

  it("with transport 'api' lists only sockets, with 'cli' only CLIs", async () => {
    const a = setup({ api: { [DOCKER_SOCKET]: 'docker' } });
    expect((await probeAll({ ...a.options, transport: 'api' })).map((p) => p.place)).toEqual([
      `rootful podman socket ${ROOTFUL_PODMAN}`,
      `docker socket ${DOCKER_SOCKET}`,
      `Docker Desktop socket ${desktopSocket(a.home)}`,
    ]);
    expect(a.cli.calls).toEqual([]);

    const c = setup({ api: { [DOCKER_SOCKET]: 'docker' } });
    expect(await probeAll({ ...c.options, transport: 'cli' })).toEqual([
      { transport: 'cli', place: 'podman CLI', answered: { name: 'podman', version: '4.9.3' }, problem: null },
      { transport: 'cli', place: 'docker CLI', answered: { name: 'docker', version: '27.3.1' }, problem: null },
    ]);
    expect(c.api.calls).toEqual([]);
  });
});
