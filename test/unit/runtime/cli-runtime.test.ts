import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliRuntime } from '../../../src/runtime/cli-runtime.js';
import type { LineTimes } from '../../../src/runtime/line-join.js';
import { ContainerGoneError, EngineCancelledError, EngineError, type RuntimeName } from '../../../src/runtime/types.js';
import { scriptedEngine, sleepersLeft, type ScriptedAnswer, type ScriptedEngine } from '../../helpers/hanging-engine.js';

/*
 * CliRuntime against the hanging-engine fixture in scripted mode: a fake `podman`/`docker` first on PATH that
 * prints what each test tells it and exits, fails or hangs. No engine is involved; the answers are the real
 * engines' own texts and exit codes (podman 4.3, docker 28).
 */

const ID = 'c0ffee';
/** What callers pass to `logs`: inspect's details (CliRuntime reads only the id; the engine knows tty). */
const CONTAINER: { readonly id: string; readonly tty: boolean } = { id: ID, tty: false };

/** How each engine says a container is gone, and how it fails otherwise. */
const ENGINE_TEXTS: Readonly<Record<RuntimeName, { goneInspect: ScriptedAnswer; goneLogs: ScriptedAnswer; failure: ScriptedAnswer; logsFailure: ScriptedAnswer }>> = {
  podman: {
    goneInspect: { stdout: '[]\n', stderr: `Error: inspecting object: no such container ${ID}\n`, exit: 125 },
    goneLogs: { stderr: `Error: no container with name or ID "${ID}" found: no such container\n`, exit: 125 },
    failure: { stderr: 'Error: bogus is an invalid filter\n', exit: 125 },
    logsFailure: { stderr: 'Error: failed to read log file: permission denied\n', exit: 125 },
  },
  docker: {
    goneInspect: { stdout: '[]\n', stderr: `Error response from daemon: No such container: ${ID}\n`, exit: 1 },
    goneLogs: { stderr: `Error response from daemon: No such container: ${ID}\n`, exit: 1 },
    failure: { stderr: "Error response from daemon: Invalid filter 'bogus'\n", exit: 1 },
    logsFailure: { stderr: 'Error response from daemon: configured logging driver does not support reading\n', exit: 1 },
  },
};

const hangs: number[] = [];

/** A `sleep` argument no other test (nor another worktree's run) uses, so its process can be found. */
function hangSeconds(): number {
  const seconds = 700_000 + Math.floor(Math.random() * 99_000);
  hangs.push(seconds);
  return seconds;
}

/** Kill, by pid, what a failed test left hanging, so one failure does not leave sleeps for days. */
function killLeftovers(): void {
  for (const seconds of hangs.splice(0)) {
    for (const line of sleepersLeft(seconds).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

/** A hang that is not ended fails in seconds, not at the suite's two-minute timeout. */
const HANG_TEST_MS = 15_000;

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What `finished` settled to: 'ok', or the error's class and message. */
async function outcome(finished: Promise<void>): Promise<'ok' | { type: string; message: string }> {
  try {
    await finished;
    return 'ok';
  } catch (error) {
    return { type: (error as Error).constructor.name, message: (error as Error).message };
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

interface Fixture {
  engine: ScriptedEngine;
  runtime: CliRuntime;
}

/** A scripted engine and a CliRuntime over it, fresh for each test of the calling describe block. */
function useScriptedEngine(name: RuntimeName): Fixture {
  const fixture = {} as Fixture;
  beforeEach(() => {
    fixture.engine = scriptedEngine(name);
    fixture.runtime = new CliRuntime(name, { env: fixture.engine.env });
  });
  afterEach(() => {
    killLeftovers();
    fixture.engine.remove();
  });
  return fixture;
}

const NAMES: readonly RuntimeName[] = ['podman', 'docker'];

/** The `--format` CliRuntime asks for JSON with: docker needs a Go template. */
const jsonFormatOf = (name: RuntimeName) => (name === 'docker' ? '{{json .}}' : 'json');

describe.each(NAMES)('CliRuntime info and describe [%s]', (name) => {
  const t = useScriptedEngine(name);
  const jsonFormat = jsonFormatOf(name);

  it('asks `version` for JSON and reports the server version, the command as the endpoint', async () => {
    t.engine.answer('version', { stdout: '{"Client":{"Version":"28.2.2"},"Server":{"Version":"4.3.1"}}\n' });
    expect(await t.runtime.info()).toEqual({ name, transport: 'cli', version: '4.3.1', endpoint: name });
    expect(t.engine.argsOf('version')).toEqual(['version', '--format', jsonFormat]);
  });

  it('falls back to the client version, then to `unknown`', async () => {
    t.engine.answer('version', { stdout: '{"Client":{"Version":"4.3.1"}}' });
    expect((await t.runtime.info()).version).toBe('4.3.1');
    t.engine.answer('version', { stdout: '{"Client":{"Version":5},"Server":null}' });
    expect((await t.runtime.info()).version).toBe('unknown');
  });

  it('describes the engine with its own `version` and, when asked, `info` documents, untouched', async () => {
    t.engine.answer('version', { stdout: '{"Client":{"Version":"1"}}' });
    t.engine.answer('info', { stdout: '{"host":{"arch":"amd64"},"store":{"graphDriverName":"overlay"}}\n' });
    expect(await t.runtime.describe(undefined, { info: true })).toEqual({ versionInfo: { Client: { Version: '1' } }, info: { host: { arch: 'amd64' }, store: { graphDriverName: 'overlay' } } });
    expect(t.engine.argsOf('info')).toEqual(['info', '--format', jsonFormat]);
  });

  it('does not run `info` unless asked (podman takes ~0.2 s to make it)', async () => {
    t.engine.answer('version', { stdout: '{"Client":{"Version":"1"}}' });
    t.engine.answer('info', { stdout: '{"host":{}}' });
    expect(await t.runtime.describe()).toEqual({ versionInfo: { Client: { Version: '1' } }, info: null });
    expect(t.engine.argsOf('info')).toBeNull();
  });

  it('fails with the engine’s stderr when its daemon does not answer', async () => {
    t.engine.answer('version', { stdout: '{"Client":{"Version":"28.2.2"}}\n', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n', exit: 1 });
    const error = await rejection(t.runtime.info());
    expect(error).toBeInstanceOf(EngineError);
    expect(error).not.toBeInstanceOf(ContainerGoneError);
    expect(error.message).toBe(`${name} version failed: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?`);
  });
});

describe.each(NAMES)('CliRuntime list [%s]', (name) => {
  const t = useScriptedEngine(name);
  const jsonFormat = jsonFormatOf(name);
  const texts = ENGINE_TEXTS[name];

  it('runs `ps --all --no-trunc` with one exact label filter per label', async () => {
    t.engine.answer('ps', { stdout: '' });
    expect(await t.runtime.list({ labels: ['com.docker.compose.project=demo', 'ci'] })).toEqual([]);
    expect(t.engine.argsOf('ps')).toEqual(['ps', '--all', '--no-trunc', '--filter', 'label=com.docker.compose.project=demo', '--filter', 'label=ci', '--format', jsonFormat]);
    await t.runtime.list();
    expect(t.engine.argsOf('ps')).toEqual(['ps', '--all', '--no-trunc', '--format', jsonFormat]);
  });

  it('parses podman’s JSON array and docker’s JSON lines alike', async () => {
    const expected = [
      { id: 'aa11', names: ['demo_a_test'], image: 'localhost/must-gather-busybox:latest', state: 'running' },
      { id: 'bb22', names: ['demo_b_test', 'alias'], image: 'busybox', state: 'exited' },
    ];
    t.engine.answer('ps', {
      stdout: '[\n {"Id":"aa11","Names":["demo_a_test"],"Image":"localhost/must-gather-busybox:latest","State":"running"},\n {"Id":"bb22","Names":["demo_b_test","alias"],"Image":"busybox","State":"exited"}\n]\n',
    });
    expect(await t.runtime.list()).toEqual(expected);
    t.engine.answer('ps', {
      stdout: '{"ID":"aa11","Names":"demo_a_test","Image":"localhost/must-gather-busybox:latest","State":"running"}\n{"ID":"bb22","Names":"demo_b_test,alias","Image":"busybox","State":"exited"}\n',
    });
    expect(await t.runtime.list()).toEqual(expected);
  });

  it('fails with an EngineError carrying the engine’s stderr line', async () => {
    t.engine.answer('ps', texts.failure);
    const error = await rejection(t.runtime.list());
    expect(error).toBeInstanceOf(EngineError);
    expect(error).not.toBeInstanceOf(ContainerGoneError);
    expect(error.message).toBe(`${name} ps failed: ${String(texts.failure.stderr).trim()}`);
  });

  it('says how the engine exited when it printed nothing', async () => {
    t.engine.answer('ps', { exit: 3 });
    const error = await rejection(t.runtime.list());
    expect(error).toBeInstanceOf(EngineError);
    // execa's words, quoting as a shell would.
    const format = name === 'docker' ? "'{{json .}}'" : 'json';
    expect(error.message).toBe(`${name} ps failed: Command failed with exit code 3: ${name} ps --all --no-trunc --format ${format}`);
  });
});

describe.each(NAMES)('CliRuntime inspect [%s]', (name) => {
  const t = useScriptedEngine(name);
  const texts = ENGINE_TEXTS[name];

  const raw = {
    Id: `${ID}00`,
    Name: name === 'docker' ? '/demo_b_test' : 'demo_b_test',
    Created: '2026-11-22T02:01:48.123456789Z',
    RestartCount: 1,
    State: { Status: 'exited', ExitCode: 3, OOMKilled: false, StartedAt: '2026-11-22T02:01:49Z', FinishedAt: '0001-01-01T00:00:00Z' },
    Config: { Image: 'busybox', Tty: true, Labels: { a: 'b' } },
  };

  it('runs `inspect --type container` and parses the one object of its array, keeping it raw', async () => {
    t.engine.answer('inspect', { stdout: `${JSON.stringify([raw], null, 4)}\n` });
    expect(await t.runtime.inspect(ID)).toEqual({
      id: `${ID}00`,
      name: 'demo_b_test',
      image: 'busybox',
      state: 'exited',
      exitCode: 3,
      tty: true,
      oomKilled: false,
      restartCount: 1,
      createdAt: '2026-11-22T02:01:48.123456789Z',
      startedAt: '2026-11-22T02:01:49Z',
      finishedAt: null,
      labels: { a: 'b' },
      logDriver: null,
      logPath: null,
      raw,
    });
    expect(t.engine.argsOf('inspect')).toEqual(['inspect', '--type', 'container', ID]);
  });

  it(`maps the engine’s "no such container" (exit ${String(texts.goneInspect.exit)}) to ContainerGoneError`, async () => {
    t.engine.answer('inspect', texts.goneInspect);
    const error = await rejection(t.runtime.inspect(ID));
    expect(error).toBeInstanceOf(ContainerGoneError);
    expect(error.message).toBe(String(texts.goneInspect.stderr).trim());
  });

  it('reads an empty array from an engine that exited 0 as gone', async () => {
    t.engine.answer('inspect', { stdout: '[]\n' });
    const error = await rejection(t.runtime.inspect(ID));
    expect(error).toBeInstanceOf(ContainerGoneError);
    expect(error.message).toBe(`${name} inspect returned nothing for ${ID}`);
  });

  it('fails on any other engine error with its stderr line', async () => {
    t.engine.answer('inspect', { stderr: 'Error: database is locked\n', exit: 125 });
    const error = await rejection(t.runtime.inspect(ID));
    expect(error).toBeInstanceOf(EngineError);
    expect(error).not.toBeInstanceOf(ContainerGoneError);
    expect(error.message).toBe(`${name} inspect failed: Error: database is locked`);
  });
});

describe.each(NAMES)('CliRuntime a hanging engine [%s]', (name) => {
  const t = useScriptedEngine(name);

  it('is cancelled by the signal and leaves no process behind (list, inspect)', async () => {
    for (const [command, call] of [
      ['ps', (signal: AbortSignal) => t.runtime.list({ signal })],
      ['inspect', (signal: AbortSignal) => t.runtime.inspect(ID, signal)],
    ] as const) {
      const hang = hangSeconds();
      t.engine.answer(command, { hang });
      const controller = new AbortController();
      const pending = call(controller.signal);
      await until(() => sleepersLeft(hang) !== '', `${command} to hang`);
      controller.abort();
      const error = await rejection(pending);
      expect(error).toBeInstanceOf(EngineCancelledError);
      expect(error.message).toBe(`${name} ${command} was cancelled`);
      expect(sleepersLeft(hang)).toBe('');
    }
  }, HANG_TEST_MS);

  it('in `logs` is cancelled by the signal: the stream ends with every byte that arrived, no process is left', async () => {
    const hang = hangSeconds();
    // More than the held-back tail, ending in an error-like line that must stay: the engine did not fail.
    const before = Buffer.concat([randomBytes(6000), Buffer.from('\nError: not the engine’s\n')]);
    t.engine.answer('logs', { stdout: before, hang });
    const controller = new AbortController();
    const logs = t.runtime.logs(CONTAINER, {}, controller.signal);
    const bytes = drain(logs.stream);
    await until(() => sleepersLeft(hang) !== '', 'logs to hang');
    controller.abort();
    expect(await outcome(logs.finished)).toEqual({ type: 'EngineCancelledError', message: `${name} logs was cancelled` });
    expect((await bytes).equals(before)).toBe(true);
    expect(sleepersLeft(hang)).toBe('');
  }, HANG_TEST_MS);

  it('in `logs` is killed when the consumer gives up on the stream', async () => {
    const hang = hangSeconds();
    t.engine.answer('logs', { stdout: 'started\n', hang });
    const logs = t.runtime.logs(CONTAINER, {});
    await until(() => sleepersLeft(hang) !== '', 'logs to hang');
    logs.stream.destroy();
    await until(() => sleepersLeft(hang) === '', 'the engine process to be killed');
  }, HANG_TEST_MS);
});

describe.each(NAMES)('CliRuntime logs [%s]', (name) => {
  const t = useScriptedEngine(name);
  const texts = ENGINE_TEXTS[name];

  it('passes each option as one `--flag=value` argument, the container last', async () => {
    const logs = t.runtime.logs(CONTAINER, { since: '2026-11-22T02:00:00Z', until: '10m', tail: '100', timestamps: true });
    await drain(logs.stream);
    await logs.finished;
    expect(t.engine.argsOf('logs')).toEqual(['logs', '--since=2026-11-22T02:00:00Z', '--until=10m', '--tail=100', '--timestamps', ID]);
    const plain = t.runtime.logs(CONTAINER, { timestamps: false });
    await drain(plain.stream);
    await plain.finished;
    expect(t.engine.argsOf('logs')).toEqual(['logs', ID]);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from('x')],
    ['text without a final newline', Buffer.from('line 1\r\nline 2\n\n\tline 4')],
    ['every byte value, NULs included', Buffer.from(Array.from({ length: 4096 * 3 + 7 }, (_, i) => i % 256))],
    ['1 MiB of random bytes', randomBytes(1024 * 1024)],
  ])('streams %s byte for byte', async (_what, content) => {
    t.engine.answer('logs', { stdout: content });
    const logs = t.runtime.logs(CONTAINER, {});
    const bytes = await drain(logs.stream);
    expect(await outcome(logs.finished)).toBe('ok');
    expect(bytes.length).toBe(content.length);
    expect(bytes.equals(content)).toBe(true);
  });

  it('gives the container’s stderr in the same stream, each stream’s lines whole and in order', async () => {
    // Each fd carries its stream's entries in order; how whole lines of the two interleave is the pipes'.
    t.engine.answer('logs', { stdout: 'out 1\nout 2 in', stderr: 'err 1\nerr 2\n' });
    const logs = t.runtime.logs(CONTAINER, {});
    const text = (await drain(logs.stream)).toString('utf8');
    expect(await outcome(logs.finished)).toBe('ok');
    expect(text.length).toBe('out 1\nout 2 in'.length + 'err 1\nerr 2\n'.length);
    expect(text.split('\n').filter((l) => l.startsWith('out'))).toEqual(['out 1', 'out 2 in']);
    expect(text.split('\n').filter((l) => l.startsWith('err'))).toEqual(['err 1', 'err 2']);
    // The unfinished last line is passed on at the end.
    expect(text.endsWith('out 2 in')).toBe(true);
  });

  it('holds the engine’s error line out of stderr, keeping the container’s stderr lines before it', async () => {
    t.engine.answer('logs', { stdout: 'hello\n', stderr: `Error: from the container\nwarning\n${String(texts.logsFailure.stderr)}`, exit: texts.logsFailure.exit });
    const logs = t.runtime.logs(CONTAINER, {});
    const text = (await drain(logs.stream)).toString('utf8');
    expect(text.split('\n').sort()).toEqual(['', 'Error: from the container', 'hello', 'warning']);
    expect(await outcome(logs.finished)).toEqual({ type: 'EngineError', message: String(texts.logsFailure.stderr).trim() });
  });

  describe('lineTimes', () => {
    const T1 = '2026-12-02T00:11:32.069459242Z';
    const T2 = '2026-12-02T00:11:33.5Z';

    const drainTimes = (logs: { times: LineTimes | null }): string[] => {
      const times: string[] = [];
      for (let time = logs.times?.shift(); time !== undefined; time = logs.times?.shift()) times.push(time);
      return times;
    };

    if (name === 'docker') {
      it('asks for --timestamps and takes each line’s prefix off again: the bytes are as without', async () => {
        t.engine.answer('logs', { stdout: `${T1} one\n${T2} two\n`, stderr: `${T2} err\n` });
        const logs = t.runtime.logs(CONTAINER, { lineTimes: true });
        const text = (await drain(logs.stream)).toString('utf8');
        expect(await outcome(logs.finished)).toBe('ok');
        expect(t.engine.argsOf('logs')).toEqual(['logs', '--timestamps', ID]);
        expect(text.split('\n').sort()).toEqual(['', 'err', 'one', 'two']);
        // One per line, in the order the lines were passed on.
        const expected = new Map([['one', T1], ['two', T2], ['err', T2]]);
        expect(drainTimes(logs)).toEqual(text.split('\n').slice(0, -1).map((l) => expected.get(l)));
      });

      it('takes off the prefix after each 16 KiB piece of a long line', async () => {
        const piece = 'p'.repeat(16 * 1024);
        t.engine.answer('logs', { stdout: `${T1} ${piece}${T2} ${piece}${T2} end\n${T2} next\n` });
        const logs = t.runtime.logs(CONTAINER, { lineTimes: true });
        expect((await drain(logs.stream)).toString('utf8')).toBe(`${piece}${piece}end\nnext\n`);
        expect(drainTimes(logs)).toEqual([T1, T2]);
      });
    } else {
      it('does not ask for --timestamps (a piece’s prefix mid-line cannot be found): exact bytes, no times', async () => {
        t.engine.answer('logs', { stdout: 'one\ntwo\n' });
        const logs = t.runtime.logs(CONTAINER, { lineTimes: true });
        expect((await drain(logs.stream)).toString('utf8')).toBe('one\ntwo\n');
        expect(t.engine.argsOf('logs')).toEqual(['logs', ID]);
        expect(drainTimes(logs)).toEqual(['', '']);
      });
    }

    it('keeps the prefixes in the bytes when --timestamps was asked too, and still gives the times', async () => {
      t.engine.answer('logs', { stdout: `${T1} one\n${T2} two\n` });
      const logs = t.runtime.logs(CONTAINER, { lineTimes: true, timestamps: true });
      expect((await drain(logs.stream)).toString('utf8')).toBe(`${T1} one\n${T2} two\n`);
      expect([logs.times?.shift(), logs.times?.shift(), logs.times?.shift()]).toEqual([T1, T2, undefined]);
    });

    it('takes off the engine error line, which has no prefix', async () => {
      t.engine.answer('logs', { stdout: `${T1} one\n`, ...texts.goneLogs });
      const logs = t.runtime.logs(CONTAINER, { lineTimes: true, timestamps: true });
      expect((await drain(logs.stream)).toString('utf8')).toBe(`${T1} one\n`);
      expect(await outcome(logs.finished)).toEqual({ type: 'ContainerGoneError', message: String(texts.goneLogs.stderr).trim() });
    });
  });

  it('keeps a last line that looks like an engine error when the engine succeeded', async () => {
    const content = Buffer.from('starting\nError: connection refused\n');
    t.engine.answer('logs', { stdout: content });
    const logs = t.runtime.logs(CONTAINER, {});
    expect((await drain(logs.stream)).equals(content)).toBe(true);
    expect(await outcome(logs.finished)).toBe('ok');
  });

  it.each([
    ['short', Buffer.from('a\0b\n')],
    ['longer than the held-back tail', Buffer.concat([randomBytes(10_000), Buffer.from('\n')])],
  ])(`holds the engine’s "no such container" line (exit ${String(texts.goneLogs.exit)}) out of a %s log: ContainerGoneError`, async (_what, content) => {
    t.engine.answer('logs', { stdout: content, ...texts.goneLogs });
    const logs = t.runtime.logs(CONTAINER, {});
    const bytes = await drain(logs.stream);
    expect(bytes.length).toBe(content.length);
    expect(bytes.equals(content)).toBe(true);
    expect(await outcome(logs.finished)).toEqual({ type: 'ContainerGoneError', message: String(texts.goneLogs.stderr).trim() });
  });

  it('holds any other engine error line out of the log: EngineError with that line', async () => {
    const content = Buffer.from('hello\n');
    t.engine.answer('logs', { stdout: content, ...texts.logsFailure });
    const logs = t.runtime.logs(CONTAINER, {});
    expect((await drain(logs.stream)).equals(content)).toBe(true);
    expect(await outcome(logs.finished)).toEqual({ type: 'EngineError', message: String(texts.logsFailure.stderr).trim() });
  });

  it('keeps every byte when the engine failed without an error line of its own, and says how it exited', async () => {
    const content = Buffer.from('hello\nlast words');
    t.engine.answer('logs', { stdout: content, exit: 2 });
    const logs = t.runtime.logs(CONTAINER, {});
    expect((await drain(logs.stream)).equals(content)).toBe(true);
    expect(await outcome(logs.finished)).toEqual({
      type: 'EngineError',
      message: `${name} logs failed: Command failed with exit code 2: ${name} logs ${ID}`,
    });
  });
});
