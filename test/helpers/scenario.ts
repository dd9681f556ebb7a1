import type { RuntimeName } from '../../src/runtime/types.js';
import { engine, engineLogBytes, removeContainers, TEST_IMAGE } from './engines.js';

/** A container the scenario starts, and what the test expects of it. */
interface ScenarioContainer {
  readonly name: string;
  readonly id: string;
  /** State and exit code once the scenario is ready. */
  readonly state: 'running' | 'exited' | 'created';
  readonly exitCode: number | null;
}

export interface Scenario {
  readonly engine: RuntimeName;
  readonly service: string;
  /** The service's containers: must be collected. */
  readonly members: readonly ScenarioContainer[];
  /** Containers whose names only look alike: must never be collected. */
  readonly decoys: readonly string[];
  cleanup(): void;
}

interface Spec {
  readonly suffix: string;
  readonly script?: string;
  readonly flags?: readonly string[];
  readonly state: ScenarioContainer['state'];
  readonly exitCode: number | null;
  readonly kill?: boolean;
  readonly create?: boolean;
  /** For running containers: text their log holds once they have printed everything. */
  readonly ready?: string;
}

/**
 * The containers a failed integration suite leaves behind, on a real engine:
 * stdout+stderr while running, exited non-zero, killed (137), TTY, binary bytes, thousands of lines,
 * created but never started, plus decoys that differ by a prefix or belong to another service.
 */
const MEMBER_SPECS: readonly Spec[] = [
  {
    suffix: '_app_test',
    script: 'for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done; sleep 3600',
    state: 'running',
    exitCode: 0,
    ready: 'err 3',
  },
  { suffix: '_migrate_test', script: 'echo "applying 0007"; echo "ERROR: relation missing" >&2; exit 3', state: 'exited', exitCode: 3 },
  { suffix: '_killed_1', script: 'echo "about to be killed"; sleep 3600', state: 'exited', exitCode: 137, kill: true },
  { suffix: '-tty-test', script: 'echo "line one"; echo "line two" >&2; sleep 3600', flags: ['-t'], state: 'running', exitCode: 0, ready: 'line two' },
  {
    suffix: '_binary_test',
    // Invalid UTF-8 (\377\376), NUL bytes and a lone \r, on both streams.
    script: "printf 'a\\000b\\377\\376c\\r\\n'; printf '\\000\\001\\002err\\377\\n' >&2; printf 'no newline at end'",
    state: 'exited',
    exitCode: 0,
  },
  { suffix: '_many_test', script: 'seq 1 20000; seq 1 500 >&2', state: 'exited', exitCode: 0 },
  { suffix: '-created-test', state: 'created', exitCode: 0, create: true },
];

export function startScenario(name: RuntimeName, service: string): Scenario {
  const created: string[] = [];
  const run = (containerName: string, flags: readonly string[], script: string): string => {
    const id = engine(name, ['run', '-d', '--name', containerName, ...flags, TEST_IMAGE, 'sh', '-c', script]).trim();
    created.push(containerName);
    return id;
  };
  const decoys = [`x${service}_app_test`, `${service}x_app_test`, `other_${service}_app_test`, `${service}`];
  const cleanup = (): void => removeContainers(name, created);
  try {
    for (const decoy of decoys) run(decoy, [], 'echo decoy; sleep 3600');
    const members: ScenarioContainer[] = MEMBER_SPECS.map((spec) => {
      const containerName = `${service}${spec.suffix}`;
      let id: string;
      if (spec.create) {
        id = engine(name, ['create', '--name', containerName, TEST_IMAGE, 'sh', '-c', 'echo never']).trim();
        created.push(containerName);
      } else {
        id = run(containerName, spec.flags ?? [], spec.script ?? 'true');
      }
      return { name: containerName, id, state: spec.state, exitCode: spec.exitCode };
    });
    for (const m of members) {
      const spec = MEMBER_SPECS.find((s) => `${service}${s.suffix}` === m.name);
      if (spec?.kill) engine(name, ['kill', m.name]);
      if (m.state === 'exited') engine(name, ['wait', m.name]);
    }
    for (const spec of MEMBER_SPECS) {
      const member = members.find((m) => m.name === `${service}${spec.suffix}`);
      if (member && spec.ready) waitForLog(name, member.id, spec.ready);
    }
    return { engine: name, service, members, decoys, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

function waitForLog(name: RuntimeName, id: string, text: string): void {
  for (let i = 0; i < 200; i++) {
    if (engineLogBytes(name, id).includes(text)) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  throw new Error(`${name} container ${id} never printed ${JSON.stringify(text)}`);
}
