import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { followEventsFile, localPodmanEvents, podmanEventsPaths } from '../../../src/runtime/events-file.js';
import type { ContainerEvent } from '../../../src/runtime/types.js';

const dir = mkdtempSync(join(tmpdir(), 'must-gather-events-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One line of podman's event file, as podman 4.3 writes it. */
function line(id: string, status: string, time: string, extra = ''): string {
  return `{"ID":"${id}","Image":"localhost/img:latest","Name":"svc_${id}","Status":"${status}","Time":"${time}","Type":"container","Attributes":{}${extra}}\n`;
}

/** Collect events until `count` have come (or 5 s), doing `then(n)` after the n-th; then stop following. */
async function collect(path: string, since: string, count: number, then: (n: number) => void = () => {}): Promise<ContainerEvent[]> {
  const life = new AbortController();
  const timer = setTimeout(() => life.abort(), 5_000);
  const got: ContainerEvent[] = [];
  for await (const event of followEventsFile(path, { since: new Date(since), signal: life.signal })) {
    got.push(event);
    then(got.length);
    if (got.length >= count) life.abort();
  }
  clearTimeout(timer);
  return got;
}

describe('followEventsFile', () => {
  it('gives the events at or after `since`, then each one appended, a line written in two pieces once', async () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, line('old', 'create', '2026-12-02T05:00:00.5Z') + line('a', 'create', '2026-12-02T05:00:01.000000001Z') + '{"not an event"\n');
    const got = await collect(path, '2026-12-02T05:00:01.000Z', 3, (n) => {
      if (n !== 1) return;
      setTimeout(() => appendFileSync(path, line('a', 'died', '2026-12-02T05:00:02Z', ',"ContainerExitCode":3').slice(0, 40)), 30);
      setTimeout(() => appendFileSync(path, line('a', 'died', '2026-12-02T05:00:02Z', ',"ContainerExitCode":3').slice(40) + line('a', 'remove', '2026-12-02T05:00:03Z')), 90);
    });
    expect(got.map((e) => [e.id, e.action, e.time, e.exitCode ?? null])).toEqual([
      ['a', 'create', '2026-12-02T05:00:01.000000001Z', null],
      ['a', 'die', '2026-12-02T05:00:02.000000000Z', 3],
      ['a', 'destroy', '2026-12-02T05:00:03.000000000Z', null],
    ]);
  });

  it('reads a file truncated or replaced (podman rotates it) again from its start', async () => {
    const path = join(dir, 'b.log');
    writeFileSync(path, line('b', 'create', '2026-12-02T05:00:01Z') + line('b', 'start', '2026-12-02T05:00:02Z'));
    const got = await collect(path, '2026-12-02T05:00:00Z', 3, (n) => {
      if (n === 2) setTimeout(() => writeFileSync(path, line('c', 'create', '2026-12-02T05:00:04Z')), 50);
    });
    expect(got.map((e) => `${e.id}:${e.action}`)).toEqual(['b:create', 'b:start', 'c:create']);
  });

  it('starts near the end of a long file (what a recording that just began wants is there)', async () => {
    const path = join(dir, 'c.log');
    const filler = line('f', 'create', '2026-12-02T04:00:00Z');
    writeFileSync(path, filler.repeat(Math.ceil((400 * 1024) / filler.length)) + line('d', 'create', '2026-12-02T05:00:01Z'));
    const got = await collect(path, '2026-12-02T04:30:00Z', 2, (n) => {
      if (n === 1) setTimeout(() => appendFileSync(path, line('d', 'start', '2026-12-02T05:00:02Z')), 30);
    });
    expect(got.map((e) => `${e.id}:${e.action}`)).toEqual(['d:create', 'd:start']);
  });
});

describe('localPodmanEvents', () => {
  it('is for a local podman only, following live', async () => {
    const live = { since: new Date() };
    expect(await localPodmanEvents({ name: 'docker', transport: 'api', endpoint: { kind: 'unix', socketPath: '/var/run/docker.sock' } }, live)).toBeNull();
    expect(await localPodmanEvents({ name: 'podman', transport: 'api', endpoint: { kind: 'tcp', host: 'example.com', port: 2375, tls: null } }, live)).toBeNull();
    expect(await localPodmanEvents({ name: 'podman', transport: 'cli', env: { CONTAINER_HOST: 'ssh://example.com/run/podman.sock' } }, live)).toBeNull();
    expect(await localPodmanEvents({ name: 'podman', transport: 'cli', env: {} }, { ...live, until: new Date() })).toBeNull();
  });

  it('looks where podman keeps them: root’s file, or the user’s runtime folder', () => {
    expect(podmanEventsPaths({}, 0)).toEqual(['/run/libpod/events/events.log']);
    expect(podmanEventsPaths({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toEqual(['/run/user/1000/libpod/tmp/events/events.log']);
    expect(podmanEventsPaths({}, 1000)).toEqual([]);
  });
});
