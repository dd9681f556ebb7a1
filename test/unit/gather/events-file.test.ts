import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeEventsFile } from '../../../src/gather/events-file.js';
import { EngineError, type ContainerEvent, type ContainerRuntime, type EventsOptions } from '../../../src/runtime/types.js';

const EVENT: ContainerEvent = { time: '2026-12-02T00:11:16.178748378Z', runtime: 'docker', action: 'die', id: 'a'.repeat(64), name: 'x_db_test', image: 'img', exitCode: 3 };

/** A runtime whose only working method is `events`. */
function engineWithEvents(name: 'podman' | 'docker', events: (options: EventsOptions) => AsyncIterable<ContainerEvent>): ContainerRuntime {
  const unused = (): never => {
    throw new Error('not used');
  };
  return { name, transport: 'api', info: unused, describe: unused, list: unused, inspect: unused, logs: unused, events };
}

async function* refuses(): AsyncGenerator<ContainerEvent> {
  yield* [];
  throw new EngineError('events failed: cannot read events with the "none" event logger');
}

async function* hangs(options: EventsOptions): AsyncGenerator<ContainerEvent> {
  yield* [];
  await new Promise((_, reject) => {
    if (options.signal?.aborted) reject(new Error('cancelled'));
    options.signal?.addEventListener('abort', () => reject(new Error('cancelled')), { once: true });
  });
}

async function* gives(options: EventsOptions): AsyncGenerator<ContainerEvent> {
  expect(options.containers).toEqual([EVENT.id]);
  yield EVENT;
}

describe('writeEventsFile', () => {
  const earliest = new Date('2026-12-02T00:11:16Z');
  const now = new Date('2026-12-02T00:12:00Z');

  it('records an engine that refuses or times out, and still writes the others’ events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'must-gather-events-'));
    const record = await writeEventsFile(
      dir,
      [
        { runtime: engineWithEvents('podman', refuses), ids: ['p'], earliest },
        { runtime: engineWithEvents('podman', hangs), ids: ['p'], earliest },
        { runtime: engineWithEvents('docker', gives), ids: [EVENT.id], earliest },
        { runtime: engineWithEvents('docker', gives), ids: [], earliest: null },
      ],
      new AbortController().signal,
      now,
      50,
    );
    const text = readFileSync(join(dir, 'events.jsonl'), 'utf8');
    expect(text).toBe(`${JSON.stringify(EVENT)}\n`);
    expect(record).toMatchObject({ path: 'events.jsonl', kind: 'events', bytes: Buffer.byteLength(text) });
    expect(record.engines).toEqual([
      { runtime: 'podman', since: '2026-12-02T00:11:15.000Z', until: '2026-12-02T00:12:00.000Z', events: 0, error: 'events failed: cannot read events with the "none" event logger' },
      { runtime: 'podman', since: '2026-12-02T00:11:15.000Z', until: '2026-12-02T00:12:00.000Z', events: 0, error: 'timed out after 0.05 s (--container-timeout)' },
      { runtime: 'docker', since: '2026-12-02T00:11:15.000Z', until: '2026-12-02T00:12:00.000Z', events: 1, error: null },
      { runtime: 'docker', since: null, until: '2026-12-02T00:12:00.000Z', events: 0, error: 'no collected container recorded when it was created' },
    ]);
  });

  it('ends when the run’s signal aborts, with what arrived', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'must-gather-events-'));
    const run = new AbortController();
    setTimeout(() => run.abort(new Error('interrupted (SIGINT)')), 20);
    const record = await writeEventsFile(dir, [{ runtime: engineWithEvents('podman', hangs), ids: ['p'], earliest }], run.signal, now, null);
    expect(record.engines[0]).toMatchObject({ events: 0, error: 'cancelled' });
  });

  it('never touches an events.jsonl it did not create', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'must-gather-events-'));
    writeFileSync(join(dir, 'events.jsonl'), 'someone else’s\n');
    await expect(writeEventsFile(dir, [], new AbortController().signal, now, null)).rejects.toThrow(/EEXIST/);
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8')).toBe('someone else’s\n');
    // A file it did write and could not finish (ENOSPC) is removed: test/integration/safety.test.ts, on a full tmpfs.
  });
});
