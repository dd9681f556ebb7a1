import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { detectRuntime } from '../../src/runtime/detect.js';
import type { ContainerEvent, RuntimeName, TransportName } from '../../src/runtime/types.js';
import { describeWithEngine, engine, ENGINES, removeContainers, TEST_IMAGE, uniqueService } from '../helpers/engines.js';

/** The containers of one service whose lives the events must tell. */
interface EventScenario {
  readonly service: string;
  /** name → id */
  readonly ids: ReadonlyMap<string, string>;
  /** The earliest creation time, as the engine recorded it. */
  readonly createdAt: Date;
}

const SPECS: readonly { suffix: string; flags: readonly string[]; script: string }[] = [
  // Doubles a string until the 20 MiB limit is hit: the kernel's OOM killer ends it.
  { suffix: '_oom_test', flags: ['--memory', '20m'], script: 'x=a; while true; do x=$x$x; done' },
  { suffix: '_crash_test', flags: ['--restart', 'on-failure:2'], script: 'echo crashing; exit 3' },
  { suffix: '_idle_test', flags: [], script: 'sleep 3600' },
];

/** `<state> <restarts>` of a container. */
function stateOf(name: RuntimeName, container: string): string {
  return engine(name, ['inspect', '--format', '{{.State.Status}} {{.RestartCount}}', container]).trim();
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Start the scenario and wait until the OOM kill and the crash loop are over. */
async function startEventScenario(name: RuntimeName): Promise<EventScenario> {
  const service = uniqueService('mgtev');
  const ids = new Map<string, string>();
  for (const spec of SPECS) {
    const container = `${service}${spec.suffix}`;
    ids.set(container, engine(name, ['run', '-d', '--name', container, ...spec.flags, TEST_IMAGE, 'sh', '-c', spec.script]).trim());
  }
  await waitFor('the OOM kill', () => stateOf(name, `${service}_oom_test`).startsWith('exited'));
  await waitFor('two restarts and the last exit', () => stateOf(name, `${service}_crash_test`) === 'exited 2');
  const created = [...ids.keys()].map((c) => Date.parse(engine(name, ['inspect', '--format', '{{.Created}}', c]).trim().replace(/ [A-Z]+$/, '').replace(/ \+0000$/, 'Z').replace(' ', 'T')));
  return { service, ids, createdAt: new Date(Math.min(...created)) };
}

async function eventsVia(name: RuntimeName, transport: TransportName, scenario: EventScenario): Promise<ContainerEvent[]> {
  const { runtime } = await detectRuntime({ runtime: name, transport, env: process.env });
  expect(runtime.transport).toBe(transport);
  const events: ContainerEvent[] = [];
  const since = new Date(scenario.createdAt.getTime() - 1000);
  for await (const event of runtime.events({ since, until: new Date(), containers: [...scenario.ids.values()] })) events.push(event);
  return events;
}

/** `action[:exitCode]` of each of a container's events, in order. */
function story(events: readonly ContainerEvent[], name: string): string[] {
  return events.filter((e) => e.name === name).map((e) => (e.exitCode === undefined ? e.action : `${e.action}:${e.exitCode}`));
}

for (const name of ENGINES) {
  describeWithEngine(name, 'engine events over both transports', () => {
    let scenario: EventScenario;
    beforeAll(async () => {
      scenario = await startEventScenario(name);
    });
    afterAll(() => {
      if (scenario) removeContainers(name, [...scenario.ids.keys()]);
    });

    it('tells each container’s life, the same through the API and the CLI', async () => {
      const [api, cli] = await Promise.all([eventsVia(name, 'api', scenario), eventsVia(name, 'cli', scenario)]);
      const { service } = scenario;
      // Only the scenario's containers, each event once, in the engine's order.
      expect(new Set(api.map((e) => e.name))).toEqual(new Set(scenario.ids.keys()));
      expect(cli.map(({ engineAction: _w, ...e }) => e)).toEqual(api.map(({ engineAction: _w, ...e }) => e));
      const starts = name === 'podman' ? ['create', 'init', 'start'] : ['create', 'start'];
      // docker reports the OOM kill; podman 4.3 sends no oom event (and says OOMKilled false).
      expect(story(api, `${service}_oom_test`)).toEqual(name === 'podman' ? [...starts, 'die:137', 'cleanup'] : [...starts, 'oom', 'die:137']);
      const again = name === 'podman' ? ['restart', 'init', 'start'] : ['start'];
      expect(story(api, `${service}_crash_test`)).toEqual([...starts, 'die:3', ...again, 'die:3', ...again, 'die:3', ...(name === 'podman' ? ['cleanup'] : [])]);
      expect(story(api, `${service}_idle_test`)).toEqual(starts);
      expect(api.every((e) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/.test(e.time) && e.runtime === name)).toBe(true);
    });

    it('ends at once, with nothing, when the time span holds no event of the containers asked for', async () => {
      for (const transport of ['api', 'cli'] as const) {
        const { runtime } = await detectRuntime({ runtime: name, transport, env: process.env });
        const events: ContainerEvent[] = [];
        const nobody = '0'.repeat(64);
        for await (const event of runtime.events({ since: scenario.createdAt, until: new Date(), containers: [nobody] })) events.push(event);
        expect(events).toEqual([]);
      }
    });

    it('follows live events until the signal aborts', async () => {
      for (const transport of ['api', 'cli'] as const) {
        const { runtime } = await detectRuntime({ runtime: name, transport, env: process.env });
        const controller = new AbortController();
        const idle = `${scenario.service}_idle_test`;
        const seen: ContainerEvent[] = [];
        const following = (async (): Promise<unknown> => {
          for await (const event of runtime.events({ since: new Date(), containers: [scenario.ids.get(idle) as string], signal: controller.signal })) {
            seen.push(event);
            if (event.action === 'kill') controller.abort();
          }
          return null;
        })().catch((error: unknown) => error);
        // Kill it (signal 1, it lives on) until the follower has seen a kill: the stream may open after the first.
        await waitFor(`a live kill event over ${transport}`, () => {
          engine(name, ['kill', '--signal', 'HUP', idle]);
          return seen.some((e) => e.action === 'kill');
        });
        expect(String(await following)).toMatch(/EngineCancelledError: .*events.* was cancelled/);
        expect(seen.at(-1)).toMatchObject({ action: 'kill', name: idle, runtime: name });
      }
    });
  });
}
