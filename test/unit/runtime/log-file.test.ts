import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineIsLocal, openDirectLog, type DirectLogEngine } from '../../../src/runtime/log-file.js';
import { unescapeJson } from '../../../src/runtime/log-file-json.js';
import { parseTimeBound } from '../../../src/runtime/log-file-time.js';
import type { LogOptions, LogStream, LogTarget } from '../../../src/runtime/types.js';

const DOCKER: DirectLogEngine = { name: 'docker', transport: 'api', endpoint: { kind: 'unix', socketPath: '/var/run/docker.sock' } };
const PODMAN: DirectLogEngine = { name: 'podman', transport: 'cli', env: {} };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mg-logfile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** One json-file line as moby writes it. */
function jl(log: string, stream: 'stdout' | 'stderr', time: string): string {
  return JSON.stringify({ log, stream, time }) + '\n';
}

async function drain(log: LogStream): Promise<{ out: Buffer; times: string[] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of log.stream) chunks.push(chunk as Buffer);
  await log.finished;
  const times: string[] = [];
  for (let t = log.times?.shift(); t !== undefined; t = log.times?.shift()) times.push(t);
  return { out: Buffer.concat(chunks), times };
}

function open(file: string, content: string | Buffer, engine: DirectLogEngine, options: LogOptions = {}, driver = engine.name === 'docker' ? 'json-file' : 'k8s-file'): LogStream | null {
  const path = join(dir, file);
  writeFileSync(path, content);
  const target: LogTarget = { id: 'c1', tty: false, logDriver: driver, logPath: path };
  return openDirectLog(target, options, engine, undefined, new Date('2026-01-01T00:01:00Z'));
}

async function read(file: string, content: string | Buffer, engine: DirectLogEngine, options: LogOptions = {}): Promise<string> {
  const log = open(file, content, engine, options);
  expect(log).not.toBeNull();
  return (await drain(log as LogStream)).out.toString('latin1');
}

describe('json-file (docker)', () => {
  it('decodes escapes, control bytes and pieces without a newline to the bytes docker logs prints', async () => {
    const text = jl('a"b\\c<&>\u0000\r\t\u2028é😀\n', 'stdout', '2026-01-01T00:00:00.5Z') + jl('piece', 'stderr', '2026-01-01T00:00:01Z') + jl(' end\n', 'stderr', '2026-01-01T00:00:02Z');
    // moby escapes <, > and & too: make the fixture look like its output.
    const moby = text.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
    const out = await read('x-json.log', moby, DOCKER);
    expect(Buffer.from(out, 'latin1')).toEqual(Buffer.concat([Buffer.from('a"b\\c<&>\u0000\r\t\u2028é😀\n'), Buffer.from('piece end\n')]));
  });

  it('reads entries of another shape (attrs) through JSON.parse', async () => {
    const line = '{"log":"x\\n","stream":"stdout","attrs":{"tag":"}\\""},"time":"2026-01-01T00:00:00Z"}\n';
    expect(await read('x-json.log', line, DOCKER, { timestamps: true })).toBe('2026-01-01T00:00:00.000000000Z x\n');
  });

  it('turns surrogate escapes into UTF-8, a lone one into U+FFFD', () => {
    const src = Buffer.from('\\ud83d\\ude00|\\ud800|\\u00e9');
    const out = Buffer.alloc(64);
    const end = unescapeJson(src, 0, src.length, out, 0);
    expect(out.subarray(0, end).toString()).toBe('😀|\ufffd|é');
  });

  it('prints -t times with nine fraction digits, as docker logs -t does', async () => {
    const text = jl('a\n', 'stdout', '2026-01-01T00:00:00.1Z') + jl('b\n', 'stdout', '2026-01-01T00:00:00Z') + jl('c\n', 'stdout', '2026-01-01T00:00:00.123456789Z');
    expect(await read('x-json.log', text, DOCKER, { timestamps: true })).toBe(
      '2026-01-01T00:00:00.100000000Z a\n2026-01-01T00:00:00.000000000Z b\n2026-01-01T00:00:00.123456789Z c\n',
    );
  });

  it('reads a rotated, compressed set oldest first, and leaves out a last line still being written', async () => {
    writeFileSync(join(dir, 'x-json.log.3.gz'), gzipSync(jl('one\n', 'stdout', '2026-01-01T00:00:01Z')));
    writeFileSync(join(dir, 'x-json.log.2.gz'), gzipSync(jl('two\n', 'stdout', '2026-01-01T00:00:02Z')));
    // Being compressed: .1 is whole, .1.gz not yet.
    writeFileSync(join(dir, 'x-json.log.1'), jl('three\n', 'stdout', '2026-01-01T00:00:03Z'));
    writeFileSync(join(dir, 'x-json.log.1.gz'), Buffer.from([0x1f, 0x8b]));
    const current = jl('four\n', 'stdout', '2026-01-01T00:00:04Z') + '{"log":"fi';
    expect(await read('x-json.log', current, DOCKER)).toBe('one\ntwo\nthree\nfour\n');
  });

  it('--tail counts entries back through the rotated files, and falls back when it reaches a compressed one', async () => {
    writeFileSync(join(dir, 'x-json.log.2.gz'), gzipSync(jl('one\n', 'stdout', '2026-01-01T00:00:01Z')));
    writeFileSync(join(dir, 'x-json.log.1'), jl('two\n', 'stdout', '2026-01-01T00:00:02Z') + jl('thr', 'stdout', '2026-01-01T00:00:03Z'));
    const current = jl('ee\n', 'stdout', '2026-01-01T00:00:03Z') + jl('four\n', 'stdout', '2026-01-01T00:00:04Z');
    expect(await read('x-json.log', current, DOCKER, { tail: '1' })).toBe('four\n');
    expect(await read('x-json.log', current, DOCKER, { tail: '3' })).toBe('three\nfour\n');
    expect(await read('x-json.log', current, DOCKER, { tail: '4' })).toBe('two\nthree\nfour\n');
    expect(open('x-json.log', current, DOCKER, { tail: '5' })).toBeNull();
  });

  it('--since and --until keep entries at the bound (docker)', async () => {
    const text = jl('a\n', 'stdout', '2026-01-01T00:00:01Z') + jl('b\n', 'stdout', '2026-01-01T00:00:02.5Z') + jl('c\n', 'stdout', '2026-01-01T00:00:03Z');
    expect(await read('x-json.log', text, DOCKER, { since: '2026-01-01T00:00:02.500000000Z' })).toBe('b\nc\n');
    expect(await read('x-json.log', text, DOCKER, { until: '2026-01-01T00:00:02.5Z' })).toBe('a\nb\n');
    // A duration counts back from now (00:01:00 here).
    expect(await read('x-json.log', text, DOCKER, { since: '58s' })).toBe('b\nc\n');
  });

  it('queues each line the UTC time of its first piece with lineTimes', async () => {
    const text = jl('a\n', 'stdout', '2026-01-01T00:00:01.25Z') + jl('b', 'stderr', '2026-01-01T00:00:02Z') + jl('c\n', 'stdout', '2026-01-01T00:00:03Z') + jl('d\n', 'stderr', '2026-01-01T00:00:04Z');
    const log = open('x-json.log', text, DOCKER, { lineTimes: true }) as LogStream;
    const { out, times } = await drain(log);
    expect(out.toString()).toBe('a\nc\nbd\n');
    expect(times).toEqual(['2026-01-01T00:00:01.250000000Z', '2026-01-01T00:00:03.000000000Z', '2026-01-01T00:00:02.000000000Z']);
  });

  it('ends with an error, keeping what came before, when a line is not a json-file entry', async () => {
    const log = open('x-json.log', jl('a\n', 'stdout', '2026-01-01T00:00:01Z') + 'garbage\n', DOCKER) as LogStream;
    const chunks: Buffer[] = [];
    for await (const chunk of log.stream) chunks.push(chunk as Buffer);
    await expect(log.finished).rejects.toThrow(/not a json-file log entry/);
    expect(Buffer.concat(chunks).toString()).toBe('');
  });
});

describe('reading', () => {
  const many = Array.from({ length: 20_000 }, (_, i) => jl(`line ${i}\n`, 'stdout', '2026-01-01T00:00:01Z')).join('');

  it('stops when the run is cancelled: what was read stays in the stream, finished says cancelled', async () => {
    const controller = new AbortController();
    const path = join(dir, 'x-json.log');
    writeFileSync(path, many);
    const log = openDirectLog({ id: 'c1', tty: false, logDriver: 'json-file', logPath: path }, {}, DOCKER, controller.signal) as LogStream;
    let bytes = 0;
    for await (const chunk of log.stream) {
      bytes += (chunk as Buffer).length;
      controller.abort();
    }
    await expect(log.finished).rejects.toThrow(/cancelled/);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(Buffer.byteLength(many) / 2);
  });

  it('reads no further than the consumer asks (backpressure)', async () => {
    const path = join(dir, 'x-json.log');
    writeFileSync(path, many);
    const log = openDirectLog({ id: 'c1', tty: false, logDriver: 'json-file', logPath: path }, {}, DOCKER) as LogStream;
    const first = await new Promise<Buffer>((resolve) => log.stream.once('data', resolve));
    log.stream.pause();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // One 64 KiB read of the file decodes to well under this; nothing more was read while paused.
    expect(log.stream.readableLength + first.length).toBeLessThan(256 * 1024);
    log.stream.destroy();
    await log.finished;
  });
});

describe('k8s-file (podman)', () => {
  const K = (time: string, stream: string, tag: string, content: string): string => `${time} ${stream} ${tag} ${content}\n`;
  const log = K('2026-01-01T00:00:01.000000001+00:00', 'stdout', 'F', 'one') + K('2026-01-01T00:00:02.5+00:00', 'stdout', 'P', 'tw') + K('2026-01-01T00:00:03+02:00', 'stdout', 'F', 'o  spaces ') + K('2026-01-01T00:00:04+00:00', 'stderr', 'F', '');

  it('implies the newline of F entries and prints P entries as they are', async () => {
    expect(await read('ctr.log', log, PODMAN)).toBe('one\ntwo  spaces \n\n');
  });

  it('prints -t times as podman logs -t does: nine digits, Z for a zero offset', async () => {
    expect(await read('ctr.log', log, PODMAN, { timestamps: true })).toBe(
      '2026-01-01T00:00:01.000000001Z one\n2026-01-01T00:00:02.500000000Z tw2026-01-01T00:00:03.000000000+02:00 o  spaces \n2026-01-01T00:00:04.000000000Z \n',
    );
  });

  it('--since and --until keep only entries strictly inside the bounds (podman)', async () => {
    // The +02:00 entry is 22:00:03 UTC the day before; stderr's empty line passes stdout's open piece.
    expect(await read('ctr.log', log, PODMAN, { since: '2026-01-01T00:00:01.000000001Z' })).toBe('\ntw');
    expect(await read('ctr.log', log, PODMAN, { until: '2026-01-01T00:00:02.5Z' })).toBe('one\no  spaces \n');
  });

  it('--tail of whole lines is read from the end; a P entry among them is left to podman', async () => {
    const whole = K('2026-01-01T00:00:01Z', 'stdout', 'F', 'a') + K('2026-01-01T00:00:02Z', 'stdout', 'F', 'b') + K('2026-01-01T00:00:03Z', 'stderr', 'F', 'c');
    expect(await read('ctr.log', whole, PODMAN, { tail: '2' })).toBe('b\nc\n');
    expect(await read('ctr.log', whole, PODMAN, { tail: '9' })).toBe('a\nb\nc\n');
    expect(await read('ctr.log', log, PODMAN, { tail: '2' })).toBe('o  spaces \n\n');
    expect(open('ctr.log', log, PODMAN, { tail: '3' })).toBeNull();
  });
});

describe('openDirectLog: when it falls back (null)', () => {
  const line = jl('a\n', 'stdout', '2026-01-01T00:00:01Z');

  it('for drivers that keep no such file, and podman reading a docker format', () => {
    for (const driver of ['journald', 'local', 'none', '']) expect(open('x-json.log', line, DOCKER, {}, driver)).toBeNull();
  });

  it('for a missing or unreadable file', () => {
    const target: LogTarget = { id: 'c1', tty: false, logDriver: 'json-file', logPath: join(dir, 'gone-json.log') };
    expect(openDirectLog(target, {}, DOCKER)).toBeNull();
    expect(openDirectLog({ ...target, logPath: dir }, {}, DOCKER)).toBeNull();
    expect(openDirectLog({ ...target, logPath: null }, {}, DOCKER)).toBeNull();
  });

  it('for options it cannot apply exactly from the file, or when asked not to', () => {
    for (const options of [{ tail: '0' }, { tail: 'all' }, { since: '2026-01-01T00:00:00' }, { since: '1767225600' }, { tail: '1', since: '1m' }, { direct: false }]) {
      expect(open('x-json.log', line, DOCKER, options)).toBeNull();
    }
  });

  it('for a remote engine: tcp or ssh API, a CLI pointed elsewhere', () => {
    expect(engineIsLocal(DOCKER)).toBe(true);
    expect(engineIsLocal({ name: 'docker', transport: 'api', endpoint: { kind: 'tcp', host: 'localhost', port: 2375, tls: null } })).toBe(false);
    expect(engineIsLocal({ name: 'podman', transport: 'api', endpoint: { kind: 'ssh', host: 'h', port: 22, username: undefined } })).toBe(false);
    expect(engineIsLocal({ name: 'docker', transport: 'cli', env: { HOME: dir } })).toBe(true);
    expect(engineIsLocal({ name: 'docker', transport: 'cli', env: { HOME: dir, DOCKER_HOST: 'unix:///var/run/docker.sock' } })).toBe(true);
    expect(engineIsLocal({ name: 'docker', transport: 'cli', env: { HOME: dir, DOCKER_HOST: 'tcp://10.0.0.1:2375' } })).toBe(false);
    expect(engineIsLocal({ name: 'podman', transport: 'cli', env: { CONTAINER_HOST: 'ssh://core@host/run/podman/podman.sock' } })).toBe(false);
    expect(engineIsLocal({ name: 'podman', transport: 'cli', env: { CONTAINER_CONNECTION: 'machine' } })).toBe(false);
    const tcp = { name: 'docker', transport: 'api', endpoint: { kind: 'tcp', host: 'h', port: 2375, tls: null } } as const;
    expect(open('x-json.log', line, tcp)).toBeNull();
  });

  it('reads time bounds only when their meaning is certain', () => {
    expect(parseTimeBound('2026-01-01T00:00:00.5+01:00', new Date())).toEqual({ seconds: 1767222000, nanos: 500_000_000 });
    expect(parseTimeBound('10m', new Date('2026-01-01T00:10:00Z'))).toEqual({ seconds: 1767225600, nanos: 0 });
    expect(parseTimeBound('yesterday', new Date())).toBeNull();
  });
});
