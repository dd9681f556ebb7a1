import { describe, expect, it } from 'vitest';
import { chooseEngines } from '../../../src/gather/engines.js';
import { resolveOptions } from '../../../src/gather/options.js';
import type { DetectedRuntime } from '../../../src/runtime/detect.js';
import type { ContainerRuntime, ContainerSummary, RuntimeChoice, RuntimeName } from '../../../src/runtime/types.js';

/** An engine that only lists: what chooseEngines asks of it. */
function engine(name: RuntimeName, containers: readonly [id: string, name: string][], endpoint = `unix:///${name}.sock`): DetectedRuntime {
  const list: ContainerSummary[] = containers.map(([id, n]) => ({ id, names: [n], image: 'img', state: 'running' }));
  const unused = (): never => {
    throw new Error('not used');
  };
  const runtime: ContainerRuntime = {
    name,
    transport: 'api',
    info: async () => unused(),
    describe: async () => unused(),
    list: async () => list,
    inspect: async () => unused(),
    logs: () => unused(),
    events: () => unused(),
  };
  return { runtime, info: { name, transport: 'api', version: '1', endpoint }, reason: `${name} socket answered` };
}

const id = (n: number): string => n.toString(16).padStart(64, '0');
const never = () => null;

async function choose(engines: readonly DetectedRuntime[], runtime: RuntimeChoice, unanswered: string[] = [], service = 'sp') {
  const resolved = resolveOptions({ service, runtime, env: {} });
  return chooseEngines(engines, resolved, new AbortController().signal, never, unanswered);
}

describe('chooseEngines', () => {
  const podman = engine('podman', [[id(1), 'sp_db_test'], [id(2), 'other_db_test']]);
  const docker = engine('docker', [[id(3), 'gateway_redis_test']]);

  it('auto keeps only the engine with the service’s containers, and says why', async () => {
    const choice = await choose([docker, podman], 'auto');
    expect(choice.used.map((u) => [u.summary.name, u.selected.map((s) => s.name)])).toEqual([['podman', ['sp_db_test']]]);
    expect(choice.used[0]?.summary.reason).toBe("podman socket answered; it has 1 container of the service's; docker has 1 container, none of them the service's");
    expect(choice.listings.map((l) => [l.runtime.name, l.containers, l.matched, l.used])).toEqual([
      ['docker', 1, 0, false],
      ['podman', 2, 1, true],
    ]);
  });

  it('auto says plainly when the other engine has no containers at all', async () => {
    const empty = engine('docker', []);
    const choice = await choose([podman, empty], 'auto');
    expect(choice.used[0]?.summary.reason).toBe("podman socket answered; it has 1 container of the service's; docker has no containers");
  });

  it('auto keeps both engines when both have the service’s containers', async () => {
    const docker2 = engine('docker', [[id(4), 'sp-cache-test']]);
    const choice = await choose([podman, docker2], 'auto');
    expect(choice.used.map((u) => u.summary.name)).toEqual(['podman', 'docker']);
    expect(choice.used[1]?.summary.reason).toBe("docker socket answered; it has 1 container of the service's");
  });

  it('auto with no match anywhere lists every engine, none used', async () => {
    const choice = await choose([podman, docker], 'auto', [], 'nosuch');
    expect(choice.used.flatMap((u) => u.selected)).toEqual([]);
    expect(choice.listings.map((l) => [l.runtime.name, l.available, l.used])).toEqual([
      ['podman', ['other_db_test', 'sp_db_test'], false],
      ['docker', ['gateway_redis_test'], false],
    ]);
  });

  it('an engine reached twice (the docker CLI pointed at podman’s socket) is used once', async () => {
    const podmanAsDocker = engine('docker', [[id(1), 'sp_db_test'], [id(2), 'other_db_test']], 'docker');
    const choice = await choose([podman, podmanAsDocker], 'auto');
    expect(choice.used.map((u) => u.summary.name)).toEqual(['podman']);
    expect(choice.listings.map((l) => l.runtime.name)).toEqual(['podman']);
    expect(choice.used[0]?.summary.reason).toBe('podman socket answered');
  });

  it('--runtime all keeps every engine, matched or not, with detection’s reason', async () => {
    const choice = await choose([podman, docker], 'all');
    expect(choice.used.map((u) => [u.summary.name, u.summary.reason, u.selected.length])).toEqual([
      ['podman', 'podman socket answered', 1],
      ['docker', 'docker socket answered', 0],
    ]);
  });

  it('turns each place that did not answer into a warning naming what was used instead', async () => {
    const choice = await choose([docker, podman], 'auto', ['DOCKER_HOST tcp://127.0.0.1:1 did not answer: connect ECONNREFUSED 127.0.0.1:1']);
    expect(choice.warnings).toEqual(['DOCKER_HOST tcp://127.0.0.1:1 did not answer: connect ECONNREFUSED 127.0.0.1:1; used podman over unix:///podman.sock instead']);
  });

  it('a --container name is missing only when no engine has it', async () => {
    const resolved = resolveOptions({ service: 'sp', containers: ['gateway_redis_test', 'ghost'], env: {} });
    const choice = await chooseEngines([podman, docker], resolved, new AbortController().signal, never, []);
    expect(choice.missing).toEqual(['ghost']);
    expect(choice.used.flatMap((u) => u.selected.map((s) => [u.summary.name, s.name, s.matchedBy]))).toEqual([
      ['podman', 'sp_db_test', 'service'],
      ['docker', 'gateway_redis_test', 'container'],
    ]);
  });
});
