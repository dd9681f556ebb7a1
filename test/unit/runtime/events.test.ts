import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  eventsRequest,
  nanosToRfc3339,
  parseApiEvent,
  parsePodmanCliEvent,
  readEvents,
  rfc3339ToNanos,
} from '../../../src/runtime/events.js';
import type { ContainerEvent } from '../../../src/runtime/types.js';

/*
 * Fixtures captured on this project's machine (podman 4.3.1, docker 20.10.24) from one scenario run on both
 * engines: mgtevents_ok_* exits 3 and is removed, mgtevents_oom_* is OOM-killed (--memory 20m),
 * mgtevents_rs_* exits 3 under --restart on-failure:2, mgtevents_h_* has a health check and is paused,
 * unpaused and stopped, mgtevents_k_* is killed with SIGTERM, mgtevents_h2_podman's check runs by hand.
 * Each file is that engine's answer for the same time span: the API's /events body, or its CLI's
 * `events --format` JSON.
 */
function fixture(name: string): string[] {
  return readFileSync(new URL(`../../fixtures/events/${name}.jsonl`, import.meta.url), 'utf8').split('\n').filter(Boolean);
}

const dockerApi = fixture('docker-api').map((line) => parseApiEvent(line, 'docker'));
const dockerCli = fixture('docker-cli').map((line) => parseApiEvent(line, 'docker'));
const podmanApi = fixture('podman-api').map((line) => parseApiEvent(line, 'podman'));
const podmanCli = fixture('podman-cli').map(parsePodmanCliEvent);

function kept(events: readonly (ContainerEvent | null)[]): ContainerEvent[] {
  return events.filter((e): e is ContainerEvent => e !== null);
}

/** `action[:exitCode|health|signal]` of one container's events, in order. */
function story(events: readonly (ContainerEvent | null)[], name: string): string[] {
  return kept(events)
    .filter((e) => e.name === name)
    .map((e) => [e.action, e.exitCode ?? e.health ?? e.signal].filter((part) => part !== undefined).join(':'));
}

describe('parseApiEvent on docker (API and `docker events --format {{json .}}`)', () => {
  it('reads the API and the CLI lines alike', () => {
    expect(dockerCli).toEqual(dockerApi);
  });

  it('leaves out health-check exec runs and keeps each lifecycle event with its exit code', () => {
    expect(story(dockerApi, 'mgtevents_oom_docker')).toEqual(['create', 'start', 'oom', 'die:137']);
    expect(story(dockerApi, 'mgtevents_rs_docker')).toEqual(['create', 'start', 'die:3', 'start', 'die:3', 'start', 'die:3']);
    expect(story(dockerApi, 'mgtevents_ok_docker')).toEqual(['create', 'start', 'die:3', 'destroy']);
    expect(story(dockerApi, 'mgtevents_k_docker')).toEqual(['create', 'start', 'kill:15']);
    // Paused, unpaused, then `stop -t 1`: SIGTERM, SIGKILL a second later, die 137, stop.
    expect(story(dockerApi, 'mgtevents_h_docker')).toEqual([
      'create', 'start',
      'health_status:unhealthy', 'health_status:healthy', 'health_status:unhealthy',
      'pause', 'unpause', 'kill:15', 'kill:9', 'die:137', 'stop',
    ]);
    expect(kept(dockerApi).some((e) => e.engineAction?.startsWith('exec_'))).toBe(false);
  });

  it('keeps the engine time to the nanosecond, the id, name and image', () => {
    const oom = kept(dockerApi).find((e) => e.action === 'oom');
    expect(oom).toEqual({
      time: '2026-12-02T00:11:19.148769549Z',
      runtime: 'docker',
      action: 'oom',
      id: '8b3efd083d563e547508338f65c4c5f7a3a3c788baa2ee57f19fe12a4391b9a1',
      name: 'mgtevents_oom_docker',
      image: 'localhost/must-gather-busybox:latest',
    });
    const health = kept(dockerApi).find((e) => e.action === 'health_status');
    expect(health?.engineAction).toBe('health_status: unhealthy');
  });
});

describe('podman: compat API and `podman events --format json`', () => {
  it('gives the same normalised events over both transports (the CLI says `died`)', () => {
    expect(podmanCli.length).toBe(podmanApi.length);
    const withoutWord = (events: (ContainerEvent | null)[]) => kept(events).map(({ engineAction: _word, ...rest }) => rest);
    expect(withoutWord(podmanCli)).toEqual(withoutWord(podmanApi));
    expect(kept(podmanCli).filter((e) => e.action === 'die').map((e) => e.engineAction)).toEqual(Array(6).fill('died'));
    expect(kept(podmanApi).filter((e) => e.action === 'die').map((e) => e.engineAction)).toEqual(Array(6).fill(undefined));
  });

  it('reads restarts, exit codes, health and removal; podman sends no oom event', () => {
    for (const events of [podmanApi, podmanCli]) {
      expect(story(events, 'mgtevents_oom_podman')).toEqual(['create', 'init', 'start', 'die:137', 'cleanup']);
      expect(story(events, 'mgtevents_rs_podman')).toEqual([
        'create', 'init', 'start', 'die:3', 'restart',
        'init', 'start', 'die:3', 'restart',
        'init', 'start', 'die:3', 'cleanup',
      ]);
      expect(story(events, 'mgtevents_h2_podman')).toEqual(['create', 'init', 'start', 'health_status:starting', 'health_status:unhealthy']);
      expect(story(events, 'mgtevents_k_podman')).toEqual(['create', 'init', 'start', 'kill']);
      expect(story(events, 'mgtevents_ok_podman')).toEqual(['create', 'init', 'start', 'die:3', 'cleanup', 'destroy']);
    }
    expect(kept(podmanApi).find((e) => e.action === 'destroy')?.engineAction).toBe('remove');
  });

  it('reads a CLI `died` without ContainerExitCode (Go omits a 0) as exit code 0', () => {
    // As podman 4.3.1 printed it for `podman run … true`.
    const line =
      '{"ID":"5990a779128a128f13789a30c9f9484c954becc583a62917c703edd7f8d93d21","Image":"localhost/must-gather-busybox:latest","Name":"mgtzero","Status":"died","Time":"2026-12-02T02:07:07.335075612Z","Type":"container","Attributes":{}}';
    expect(parsePodmanCliEvent(line)).toMatchObject({ action: 'die', exitCode: 0, name: 'mgtzero' });
    expect(parsePodmanCliEvent(line.replace('"died"', '"start"'))?.exitCode).toBeUndefined();
  });

  it('reads the CLI time with its trailing zeros cut to the same nanoseconds as the API', () => {
    // The CLI line says 00:11:17.18647571Z; the API's timeNano 1796170277186475710.
    const die = kept(podmanCli).find((e) => e.name === 'mgtevents_rs_podman' && e.action === 'die');
    expect(die?.time).toBe('2026-12-02T00:11:17.186475710Z');
  });
});

describe('times', () => {
  it('converts RFC 3339 of any offset and precision to nanoseconds and back', () => {
    expect(rfc3339ToNanos('2026-12-02T01:11:17.18647571+01:00')).toBe(1796170277186475710n);
    expect(nanosToRfc3339(1796170277186475710n)).toBe('2026-12-02T00:11:17.186475710Z');
    expect(nanosToRfc3339(rfc3339ToNanos('2026-12-02T00:11:17Z') as bigint)).toBe('2026-12-02T00:11:17.000000000Z');
    expect(rfc3339ToNanos('yesterday')).toBeNull();
  });
});

describe('eventsRequest', () => {
  const since = new Date('2026-12-02T00:11:16.250Z');
  const until = new Date('2026-12-02T00:12:00.005Z');

  it('passes until to docker, and reads podman to the end of its store instead (its until is a timer)', () => {
    expect(eventsRequest('docker', { since, until })).toEqual({ since: '1796170276.250000000', until: '1796170320.005000000', readToEnd: false, containers: [] });
    expect(eventsRequest('podman', { since, until, containers: ['abc'] })).toEqual({ since: '1796170276.250000000', until: null, readToEnd: true, containers: ['abc'] });
  });

  it('follows (no until, no stream=false) without until', () => {
    expect(eventsRequest('podman', { since })).toMatchObject({ until: null, readToEnd: false });
  });
});

describe('readEvents', () => {
  it('splits lines across chunks, skips what is not an event and stops at until', async () => {
    const lines = fixture('podman-api');
    const text = `${lines.slice(0, 3).join('\n')}\nnot json\n${lines.slice(3).join('\n')}\n`;
    // Pieces of 7 bytes: every line arrives torn.
    const pieces = Array.from({ length: Math.ceil(text.length / 7) }, (_, i) => Buffer.from(text.slice(i * 7, i * 7 + 7)));
    const all: ContainerEvent[] = [];
    for await (const event of readEvents(Readable.from(pieces), (line) => parseApiEvent(line, 'podman'), {})) all.push(event);
    expect(all).toEqual(kept(podmanApi));
    const early: ContainerEvent[] = [];
    // The first rs_podman die was at 00:11:17.186475710; until is a millisecond time and includes that millisecond.
    for await (const event of readEvents(Readable.from(pieces), (line) => parseApiEvent(line, 'podman'), { until: new Date('2026-12-02T00:11:17.186Z') })) early.push(event);
    expect(early.at(-1)).toMatchObject({ name: 'mgtevents_rs_podman', action: 'die', exitCode: 3 });
    expect(early.every((e) => e.time <= '2026-12-02T00:11:17.186999999Z')).toBe(true);
  });

  it('skips a line longer than 1 MiB without holding it', async () => {
    const line = fixture('docker-api')[0] as string;
    const huge = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const out: ContainerEvent[] = [];
    for await (const event of readEvents(Readable.from([huge, Buffer.from(`\n${line}\n`)]), (l) => parseApiEvent(l, 'docker'), {})) out.push(event);
    expect(out).toEqual([parseApiEvent(line, 'docker')]);
  });
});
