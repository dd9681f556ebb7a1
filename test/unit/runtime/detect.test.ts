import { describe, expect, it } from 'vitest';
import { NoEngineError, UsageError } from '../../../src/errors.js';
import { detectRuntime, parseRuntimeChoice, RUNTIME_CHOICES, runtimeCandidates } from '../../../src/runtime/detect.js';
import type { ContainerRuntime, RuntimeInfo, RuntimeName } from '../../../src/runtime/types.js';

function infoFor(name: RuntimeName): RuntimeInfo {
  return { name, transport: 'cli', version: name === 'podman' ? '4.3.1' : '27.3.1', command: `/usr/bin/${name}`, info: {}, versionInfo: {} };
}

/** A fake engine whose `info()` answers or fails as told. */
function fakeRuntime(name: RuntimeName, outcome: Error | null, calls: string[]): ContainerRuntime {
  const fail = (): never => {
    throw new Error(`${name}: not used in detection`);
  };
  return {
    name,
    info: async (signal?: AbortSignal) => {
      calls.push(`${name}.info:${signal instanceof AbortSignal ? 'signal' : 'nosignal'}`);
      if (outcome) throw outcome;
      return infoFor(name);
    },
    list: async () => fail(),
    inspect: async () => fail(),
    writeLogs: async () => fail(),
  };
}

function factory(outcomes: Partial<Record<RuntimeName, Error | null>>) {
  const calls: string[] = [];
  const envs: NodeJS.ProcessEnv[] = [];
  const createRuntime = (name: RuntimeName, env: NodeJS.ProcessEnv): ContainerRuntime => {
    calls.push(`create:${name}`);
    envs.push(env);
    return fakeRuntime(name, outcomes[name] ?? null, calls);
  };
  return { calls, envs, createRuntime };
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

describe('parseRuntimeChoice', () => {
  it('defaults to auto', () => {
    expect(parseRuntimeChoice(undefined)).toBe('auto');
  });

  it.each([
    ['auto', 'auto'],
    ['podman', 'podman'],
    ['docker', 'docker'],
    ['DOCKER', 'docker'],
    [' Podman\n', 'podman'],
  ])('%j → %s', (value, choice) => {
    expect(parseRuntimeChoice(value)).toBe(choice);
  });

  it.each(['', 'containerd', 'nerdctl', 'podman,docker'])('rejects %j', (value) => {
    let caught: unknown;
    try {
      parseRuntimeChoice(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).code).toBe('USAGE');
    expect((caught as UsageError).message).toBe(`invalid runtime "${value}": expected one of auto, podman, docker`);
  });

  it('lists the choices in order', () => {
    expect(RUNTIME_CHOICES).toEqual(['auto', 'podman', 'docker']);
  });
});

describe('detectRuntime', () => {
  it('chooses docker when podman fails, recording why podman was not used', async () => {
    const fake = factory({ podman: new Error('spawn podman ENOENT') });
    const env = { PATH: '/nowhere' };
    const detected = await detectRuntime({ env, createRuntime: fake.createRuntime });
    expect(detected.runtime.name).toBe('docker');
    expect(detected.info).toEqual(infoFor('docker'));
    expect(detected.reason).toBe('docker answered');
    expect(detected.attempts).toEqual([{ runtime: 'podman', reason: 'command not found on PATH' }]);
    expect(fake.calls).toEqual(['create:podman', 'podman.info:signal', 'create:docker', 'docker.info:signal']);
    expect(fake.envs).toEqual([env, env]);
    expect(fake.envs[0]).toBe(env);
  });

  it('stops at the first engine that answers', async () => {
    const fake = factory({});
    const detected = await detectRuntime({ env: {}, createRuntime: fake.createRuntime });
    expect(detected.runtime.name).toBe('podman');
    expect(detected.reason).toBe('podman answered');
    expect(detected.attempts).toEqual([]);
    expect(fake.calls).toEqual(['create:podman', 'podman.info:signal']);
  });

  it('follows DOCKER_HOST first', async () => {
    const fake = factory({});
    const detected = await detectRuntime({ env: { DOCKER_HOST: 'unix:///x' }, createRuntime: fake.createRuntime });
    expect(detected.runtime.name).toBe('docker');
    expect(detected.reason).toBe('DOCKER_HOST is set');
    expect(fake.calls).toEqual(['create:docker', 'docker.info:signal']);
  });

  it('records only the first line of a multi-line failure', async () => {
    const fake = factory({ podman: new Error('cannot connect to Podman\nsecond line\nthird') });
    const detected = await detectRuntime({ env: {}, createRuntime: fake.createRuntime });
    expect(detected.attempts).toEqual([{ runtime: 'podman', reason: 'cannot connect to Podman' }]);
  });

  it('throws NoEngineError naming every engine tried when all fail', async () => {
    const fake = factory({
      podman: new Error('spawn podman ENOENT'),
      docker: new Error('Cannot connect to the Docker daemon at unix:///var/run/docker.sock\nIs the docker daemon running?'),
    });
    const error = await detectRuntime({ env: {}, createRuntime: fake.createRuntime }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NoEngineError);
    const noEngine = error as NoEngineError;
    expect(noEngine.code).toBe('NO_ENGINE');
    expect(noEngine.name).toBe('NoEngineError');
    expect(noEngine.attempts).toEqual([
      { runtime: 'podman', reason: 'command not found on PATH' },
      { runtime: 'docker', reason: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' },
    ]);
    expect(noEngine.message).toBe(
      'no usable container engine found. Tried:\n' +
        '  - podman: command not found on PATH\n' +
        '  - docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
    );
  });

  it('tries only the explicit runtime', async () => {
    const fake = factory({ docker: new Error('permission denied') });
    const error = (await detectRuntime({ runtime: 'docker', env: {}, createRuntime: fake.createRuntime }).catch((e: unknown) => e)) as NoEngineError;
    expect(error).toBeInstanceOf(NoEngineError);
    expect(error.attempts).toEqual([{ runtime: 'docker', reason: 'permission denied' }]);
    expect(error.message).toBe('no usable container engine found. Tried:\n  - docker: permission denied');
    expect(fake.calls).toEqual(['create:docker', 'docker.info:signal']);
  });

  it('records a thrown non-Error as text', async () => {
    const calls: string[] = [];
    const detected = await detectRuntime({
      env: {},
      createRuntime: (name) =>
        name === 'podman'
          ? { ...fakeRuntime(name, null, calls), info: () => Promise.reject('podman exploded') }
          : fakeRuntime(name, null, calls),
    });
    expect(detected.runtime.name).toBe('docker');
    expect(detected.attempts).toEqual([{ runtime: 'podman', reason: 'podman exploded' }]);
  });

  it('passes an abort signal that follows the caller signal', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const calls: string[] = [];
    const detected = await detectRuntime({
      env: {},
      signal: controller.signal,
      createRuntime: (name) => ({
        ...fakeRuntime(name, null, calls),
        info: async (signal?: AbortSignal) => {
          seen = signal;
          controller.abort('stop');
          return infoFor(name);
        },
      }),
    });
    expect(detected.runtime.name).toBe('podman');
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe('stop');
  });

  it('tries nothing when the signal is already aborted', async () => {
    const fake = factory({});
    const controller = new AbortController();
    controller.abort();
    const error = (await detectRuntime({ env: {}, signal: controller.signal, createRuntime: fake.createRuntime }).catch((e: unknown) => e)) as NoEngineError;
    expect(error).toBeInstanceOf(NoEngineError);
    expect(error.attempts).toEqual([]);
    expect(fake.calls).toEqual([]);
  });
});
