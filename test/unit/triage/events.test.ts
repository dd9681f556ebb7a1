import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseApiEvent, parsePodmanCliEvent } from '../../../src/runtime/events.js';
import type { ContainerEvent, RuntimeName } from '../../../src/runtime/types.js';
import { diagnose } from '../../../src/triage/diagnose.js';
import { historyKey, readEventHistories, type EventHistory } from '../../../src/triage/events.js';
import { inspectOf, record } from '../render/sample-report.js';

/*
 * The verdict's reading of events.jsonl, on the events captured from the real engines
 * (test/fixtures/events/, see test/unit/runtime/events.test.ts for the scenario), written as gather writes them.
 */

function captured(file: string, runtime: RuntimeName): ContainerEvent[] {
  const parse = file === 'podman-cli' ? parsePodmanCliEvent : (line: string) => parseApiEvent(line, runtime);
  return readFileSync(new URL(`../../fixtures/events/${file}.jsonl`, import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(parse)
    .filter((e): e is ContainerEvent => e !== null);
}

function eventsFileOf(events: readonly ContainerEvent[], extra = ''): string {
  const file = join(mkdtempSync(join(tmpdir(), 'must-gather-events-')), 'events.jsonl');
  writeFileSync(file, events.map((e) => `${JSON.stringify(e)}\n`).join('') + extra);
  return file;
}

const podman = captured('podman-api', 'podman');
const docker = captured('docker-api', 'docker');

async function historyOf(events: readonly ContainerEvent[], name: string): Promise<EventHistory> {
  const first = events.find((e) => e.name === name) as ContainerEvent;
  const key = historyKey(first.runtime, first.id);
  const histories = await readEventHistories(eventsFileOf(events, 'not an event\n{"time":"x"}\n'), new Set([key]));
  expect([...(histories?.keys() ?? [])]).toEqual([key]);
  return histories?.get(key) as EventHistory;
}

describe('readEventHistories', () => {
  it('finds the OOM kill in docker’s oom event, and an exit nobody asked for in podman’s die 137', async () => {
    expect(await historyOf(docker, 'mgtevents_oom_docker')).toMatchObject({
      oomAt: '2026-12-02T00:11:19.148769549Z',
      exits: 1,
      restarts: 0,
      marks: [{ kind: 'oom' }, { kind: 'die', exitCode: 137, byEngine: false }],
    });
    expect(await historyOf(podman, 'mgtevents_oom_podman')).toMatchObject({ oomAt: null, exits: 1, lastExit: { exitCode: 137, byEngine: false } });
  });

  it('counts restarts and keeps each exit code, the same for both engines (podman’s restart events not counted twice)', async () => {
    for (const [events, name] of [[docker, 'mgtevents_rs_docker'], [podman, 'mgtevents_rs_podman']] as const) {
      const history = await historyOf(events, name);
      expect(history).toMatchObject({ exits: 3, restarts: 2, oomAt: null });
      expect(history.marks.map((m) => `${m.kind}${m.exitCode ?? ''}`)).toEqual(['die3', 'restart', 'die3', 'restart', 'die3']);
    }
  });

  it('marks an exit after the engine’s stop as the engine’s, and keeps only health changes', async () => {
    const stopped = await historyOf(docker, 'mgtevents_h_docker');
    expect(stopped.lastExit).toMatchObject({ exitCode: 137, byEngine: true });
    expect(stopped.marks.filter((m) => m.kind === 'health').map((m) => m.health)).toEqual(['unhealthy', 'healthy', 'unhealthy']);
    expect(stopped.unhealthyAt).toBe(docker.find((e) => e.name === 'mgtevents_h_docker' && e.health === 'unhealthy')?.time);
    expect((await historyOf(podman, 'mgtevents_h_podman')).lastExit).toMatchObject({ exitCode: 137, byEngine: true });
  });

  it('reads no events file as none, not as a failure', async () => {
    expect(await readEventHistories(join(tmpdir(), 'no-such-folder-must-gather', 'events.jsonl'), new Set())).toBeNull();
  });
});

describe('diagnose with events', () => {
  const AS_OF = '2026-12-02T00:12:00.000Z';
  const exited = (exitCode: number, state: Record<string, unknown> = {}, memory = 0) => ({
    rec: record({ name: 'x', state: 'exited', exitCode, finishedAt: '2026-12-02T00:11:20.000Z' }),
    inspect: { ...(inspectOf({ Status: 'exited', Running: false, ExitCode: exitCode, FinishedAt: '2026-12-02T00:11:20Z', ...state }) as object), HostConfig: { Memory: memory } },
  });

  it('podman: OOMKilled false, exit 137, a memory limit and no kill by the engine → out of memory', async () => {
    const { rec, inspect } = exited(137, {}, 20 * 1024 * 1024);
    const events = await historyOf(podman, 'mgtevents_oom_podman');
    expect(diagnose(rec, inspect, null, AS_OF).problems[0]?.kind).toBe('killed');
    const d = diagnose(rec, inspect, null, AS_OF, events);
    expect(d.problems.map((p) => [p.kind, p.reason])).toEqual([
      ['oom', 'exit 137 — out of memory (SIGKILL at 00:11:17 UTC under its 20.0 MiB memory limit, with no kill or stop by the engine before it)'],
    ]);
    expect(d.events).toBe(events);
    // Without a memory limit the events still say who did not kill it.
    expect(diagnose(exited(137).rec, exited(137).inspect, null, AS_OF, events).problems[0]).toMatchObject({
      kind: 'killed',
      reason: 'exit 137 — killed (SIGKILL) at 00:11:17 UTC, not by the engine (no kill or stop before it): likely out of memory',
    });
  });

  it('a SIGKILL right before the container was destroyed is its removal (`rm -f -t 0`), not a memory problem', async () => {
    const own = podman.filter((e) => e.name === 'mgtevents_oom_podman');
    const die = own.find((e) => e.action === 'die') as ContainerEvent;
    const destroyAfter = (ms: number): ContainerEvent[] => {
      const time = new Date(Date.parse(die.time) + ms).toISOString().replace('Z', '000000Z');
      return [...own.filter((e) => e.action !== 'destroy'), { ...die, action: 'destroy', engineAction: 'remove', time, exitCode: undefined } as ContainerEvent];
    };
    const soon = await historyOf(destroyAfter(200), 'mgtevents_oom_podman');
    expect(soon.lastExit).toMatchObject({ exitCode: 137, byEngine: false, removedAt: expect.stringMatching(/Z$/) });
    const unlimited = exited(137);
    expect(diagnose(unlimited.rec, unlimited.inspect, null, AS_OF, soon).problems[0]).toMatchObject({
      kind: 'killed',
      reason: expect.stringMatching(/^exit 137 — killed \(SIGKILL\) at 00:11:17 UTC as it was removed \(rm -f; destroyed at 00:11:17 UTC\), not a crash$/),
    });
    // Under a memory limit the kernel's kill stays the likelier reading, however soon the suite removed it.
    const limited = exited(137, {}, 20 * 1024 * 1024);
    expect(diagnose(limited.rec, limited.inspect, null, AS_OF, soon).problems[0]?.kind).toBe('oom');
    // Destroyed later (the suite's teardown after the kernel killed it): still out of memory.
    const later = await historyOf(destroyAfter(1600), 'mgtevents_oom_podman');
    expect(later.lastExit?.removedAt).toBeUndefined();
    const { rec, inspect } = exited(137, {}, 20 * 1024 * 1024);
    expect(diagnose(rec, inspect, null, AS_OF, later).problems[0]?.kind).toBe('oom');
  });

  it('docker: the oom event decides even where inspect says OOMKilled false', async () => {
    const { rec, inspect } = exited(137);
    const d = diagnose(rec, inspect, null, AS_OF, await historyOf(docker, 'mgtevents_oom_docker'));
    expect(d.problems[0]).toMatchObject({ kind: 'oom', reason: "exit 137 — killed for using too much memory (the engine's oom event at 00:11:19 UTC)" });
  });

  it('a SIGKILL after the engine’s stop is the engine’s, not a memory problem', async () => {
    const { rec, inspect } = exited(137, {}, 20 * 1024 * 1024);
    expect(diagnose(rec, inspect, null, AS_OF, await historyOf(docker, 'mgtevents_h_docker')).problems[0]).toMatchObject({
      kind: 'killed',
      reason: expect.stringMatching(/^exit 137 — killed \(SIGKILL\) at \d\d:\d\d:\d\d UTC by the engine \(kill or stop\)$/),
    });
  });

  it('restarts and each exit come from the events when inspect’s count is missing', async () => {
    const { rec, inspect } = exited(3);
    const d = diagnose(rec, inspect, null, AS_OF, await historyOf(podman, 'mgtevents_rs_podman'));
    expect(d.problems.map((p) => p.reason)).toEqual(['exited with code 3', 'restarted 2 times — exits 3 at 00:11:17, 3 at 00:11:17, 3 at 00:11:17 UTC']);
  });

  it('a container whose last health event is unhealthy is unhealthy, with when and how its health changed', async () => {
    const events = await historyOf(podman, 'mgtevents_h2_podman');
    const d = diagnose(record({ name: 'x' }), inspectOf({}), null, AS_OF, events);
    expect(d.problems.map((p) => [p.kind, p.reason])).toEqual([['unhealthy', 'turned unhealthy at 00:11:40 UTC (health: starting 00:11:39 → unhealthy 00:11:40)']]);
  });
});
