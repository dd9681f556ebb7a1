import { describe, expect, it } from 'vitest';
import {
  dateOrNull,
  findTrailingEngineError,
  inspectRoot,
  isContainerGoneMessage,
  parseContainerList,
  parseInspect,
  parseJsonDocuments,
  readHealth,
  readState,
} from '../../../src/runtime/parse.js';

const DOCKER_PS_LINE_B =
  '{"Command":"\\"sh -c \'echo bye; ex…\\"","CreatedAt":"2026-11-22 02:01:48 +0000 UTC","ID":"4c8589bccde8aa","Image":"localhost/must-gather-busybox:latest","Labels":"a=b,c=d","Names":"demo_b_test","State":"exited","Status":"Exited (3) Less than a second ago"}';
const DOCKER_PS_LINE_A =
  '{"Command":"\\"sleep 300\\"","CreatedAt":"2026-11-22 02:01:47 +0000 UTC","ID":"9f00aa11bb22cc","Image":"localhost/must-gather-busybox:latest","Labels":"","Names":"demo_a_test,demo_c_test/link","State":"running","Status":"Up 1 second"}';

const PODMAN_PS = JSON.stringify(
  [
    {
      AutoRemove: false,
      Command: ['sleep', '300'],
      Created: 1795399307,
      CreatedAt: '1 second ago',
      Exited: false,
      ExitCode: 0,
      Id: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
      Image: 'localhost/must-gather-busybox:latest',
      ImageID: 'a416a98b71e224a31ee99cff8e16063554498227d2b696152a9c3e0aa65e5824',
      Labels: null,
      Mounts: [],
      Names: ['demo_a_test'],
      Pid: 12345,
      Pod: '',
      Ports: null,
      State: 'running',
      Status: 'Up 1 second',
    },
    {
      Id: 'abcdefabcdef0123',
      Image: 'docker.io/library/redis:7',
      Labels: { 'com.docker.compose.project': 'gw' },
      Names: ['demo_b_test'],
      State: 'Exited',
    },
  ],
  null,
  2,
);

describe('parseJsonDocuments', () => {
  it('reads a JSON array', () => {
    expect(parseJsonDocuments('[{"a":1},{"b":2}]')).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('reads newline-delimited objects, skipping blank lines and CRs', () => {
    expect(parseJsonDocuments('{"a":1}\r\n\n  \n{"b":2}\n')).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('drops array entries that are not objects', () => {
    expect(parseJsonDocuments('[{"a":1}, null, 3, "x", [1]]')).toEqual([{ a: 1 }]);
  });

  it('is empty for empty or blank output', () => {
    expect(parseJsonDocuments('')).toEqual([]);
    expect(parseJsonDocuments(' \n\t\n')).toEqual([]);
  });

  it('throws on malformed JSON', () => {
    expect(() => parseJsonDocuments('{"a":')).toThrow(SyntaxError);
    expect(() => parseJsonDocuments('[{"a":1}')).toThrow(SyntaxError);
  });
});

describe('parseContainerList', () => {
  it('parses docker ps NDJSON', () => {
    expect(parseContainerList(`${DOCKER_PS_LINE_A}\n${DOCKER_PS_LINE_B}\n`)).toEqual([
      { id: '9f00aa11bb22cc', names: ['demo_a_test', 'demo_c_test/link'], image: 'localhost/must-gather-busybox:latest', state: 'running' },
      { id: '4c8589bccde8aa', names: ['demo_b_test'], image: 'localhost/must-gather-busybox:latest', state: 'exited' },
    ]);
  });

  it('parses one docker line without a trailing newline', () => {
    expect(parseContainerList(DOCKER_PS_LINE_B)).toEqual([
      { id: '4c8589bccde8aa', names: ['demo_b_test'], image: 'localhost/must-gather-busybox:latest', state: 'exited' },
    ]);
  });

  it('parses a podman ps JSON array', () => {
    expect(parseContainerList(PODMAN_PS)).toEqual([
      {
        id: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
        names: ['demo_a_test'],
        image: 'localhost/must-gather-busybox:latest',
        state: 'running',
      },
      { id: 'abcdefabcdef0123', names: ['demo_b_test'], image: 'docker.io/library/redis:7', state: 'exited' },
    ]);
  });

  it('strips leading slashes and blanks from names', () => {
    expect(parseContainerList('[{"Id":"1","Names":["/x", " ", ""]},{"ID":"2","Names":"/y, z ,"}]')).toEqual([
      { id: '1', names: ['x'], image: '', state: '' },
      { id: '2', names: ['y', 'z'], image: '', state: '' },
    ]);
  });

  it('tolerates missing or mistyped fields', () => {
    expect(parseContainerList('{"Id":5,"Names":null,"Image":null,"State":7}')).toEqual([{ id: '', names: [], image: '', state: '' }]);
  });

  it('is empty for empty output', () => {
    expect(parseContainerList('')).toEqual([]);
    expect(parseContainerList('\n')).toEqual([]);
    expect(parseContainerList('[]')).toEqual([]);
  });
});

describe('parseInspect', () => {
  const dockerInspect = {
    Id: '4c8589bccde8aa0000000000000000000000000000000000000000000000abcd',
    Created: '2026-11-22T02:01:48.123456789Z',
    Name: '/demo_b_test',
    Image: 'sha256:a416a98b71e224a31ee99cff8e16063554498227d2b696152a9c3e0aa65e5824',
    RestartCount: 2,
    State: {
      Status: 'exited',
      Running: false,
      OOMKilled: true,
      ExitCode: 137,
      StartedAt: '2026-11-22T02:01:48.5Z',
      FinishedAt: '0001-01-01T00:00:00Z',
    },
    Config: {
      Image: 'localhost/must-gather-busybox:latest',
      Tty: true,
      Labels: { a: 'b', c: 'd' },
    },
    LogPath: '/var/lib/docker/containers/4c85/4c85-json.log',
    HostConfig: { LogConfig: { Type: 'json-file', Config: {} } },
  };

  it('parses a docker inspect object', () => {
    expect(parseInspect(dockerInspect)).toEqual({
      id: '4c8589bccde8aa0000000000000000000000000000000000000000000000abcd',
      name: 'demo_b_test',
      image: 'localhost/must-gather-busybox:latest',
      state: 'exited',
      exitCode: 137,
      tty: true,
      oomKilled: true,
      restartCount: 2,
      createdAt: '2026-11-22T02:01:48.123456789Z',
      startedAt: '2026-11-22T02:01:48.5Z',
      finishedAt: null,
      labels: { a: 'b', c: 'd' },
      logDriver: 'json-file',
      logPath: '/var/lib/docker/containers/4c85/4c85-json.log',
      raw: dockerInspect,
    });
  });

  it('keeps the raw object itself', () => {
    expect(parseInspect(dockerInspect).raw).toBe(dockerInspect);
  });

  it('parses a podman inspect object', () => {
    const podmanInspect = {
      Id: '0f1e2d3c4b5a',
      Created: '2026-11-22T02:01:47.000000001+00:00',
      Name: 'demo_a_test',
      ImageName: 'localhost/must-gather-busybox:latest',
      Image: 'a416a98b71e224a31ee99cff8e16063554498227d2b696152a9c3e0aa65e5824',
      RestartCount: 0,
      State: {
        Status: 'Running',
        OOMKilled: false,
        ExitCode: 0,
        StartedAt: '2026-11-22T02:01:47.5+00:00',
        FinishedAt: '0001-01-01T00:00:00Z',
      },
      Config: { Tty: false, Labels: null, Image: 'localhost/must-gather-busybox:latest' },
      // podman's CLI gives no LogPath, only the LogConfig's Path.
      HostConfig: { LogConfig: { Type: 'k8s-file', Config: null, Path: '/var/lib/containers/storage/overlay-containers/0f1e/userdata/ctr.log' } },
    };
    expect(parseInspect(podmanInspect)).toEqual({
      id: '0f1e2d3c4b5a',
      name: 'demo_a_test',
      image: 'localhost/must-gather-busybox:latest',
      state: 'running',
      exitCode: 0,
      tty: false,
      oomKilled: false,
      restartCount: 0,
      createdAt: '2026-11-22T02:01:47.000000001+00:00',
      startedAt: '2026-11-22T02:01:47.5+00:00',
      finishedAt: null,
      labels: {},
      logDriver: 'k8s-file',
      logPath: '/var/lib/containers/storage/overlay-containers/0f1e/userdata/ctr.log',
      raw: podmanInspect,
    });
  });

  it('prefers podman ImageName over the image ID', () => {
    expect(parseInspect({ ImageName: 'ref:1', Image: 'sha', Config: { Image: 'cfg:1' } }).image).toBe('ref:1');
    expect(parseInspect({ Image: 'sha', Config: { Image: 'cfg:1' } }).image).toBe('cfg:1');
    expect(parseInspect({ Image: 'sha' }).image).toBe('sha');
  });

  it('fills gaps with neutral values', () => {
    expect(parseInspect({})).toEqual({
      id: '',
      name: '',
      image: '',
      state: '',
      exitCode: null,
      tty: false,
      oomKilled: false,
      restartCount: 0,
      createdAt: null,
      startedAt: null,
      finishedAt: null,
      labels: {},
      logDriver: null,
      logPath: null,
      raw: {},
    });
  });

  it('does not take truthy non-booleans and non-numbers', () => {
    const details = parseInspect({
      RestartCount: '3',
      State: { ExitCode: '1', OOMKilled: 'true' },
      Config: { Tty: 1, Labels: { n: 5, s: 'x' } },
    });
    expect(details).toMatchObject({ exitCode: null, oomKilled: false, tty: false, restartCount: 0, labels: { n: '', s: 'x' } });
  });

  it.each([null, undefined, 'x', 3, []])('throws for %j', (raw) => {
    expect(() => parseInspect(raw)).toThrow('inspect did not return an object');
  });
});

describe('isContainerGoneMessage', () => {
  it.each([
    'Error response from daemon: No such container: x',
    'Error: no container with name or ID "x" found: no such container',
    'Error: No such object: x',
    'error: no such container x\n',
  ])('%j means gone', (stderr) => {
    expect(isContainerGoneMessage(stderr)).toBe(true);
  });

  it.each([
    'Error response from daemon: container x is not running',
    'Error: permission denied while trying to connect to the Docker daemon socket',
    'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    '',
  ])('%j does not mean gone', (stderr) => {
    expect(isContainerGoneMessage(stderr)).toBe(false);
  });
});

describe('findTrailingEngineError', () => {
  const b = (s: string): Buffer => Buffer.from(s, 'utf8');

  it('finds a docker daemon error after log lines', () => {
    const log = 'line one\nline two\n';
    const buf = b(`${log}Error response from daemon: No such container: x\n`);
    expect(findTrailingEngineError(buf)).toBe(Buffer.byteLength(log));
    expect(findTrailingEngineError(buf)).toBe(18);
  });

  it('finds an error line without a trailing newline', () => {
    const buf = b('hello\nError: no container with name or ID "x" found: no such container');
    expect(findTrailingEngineError(buf)).toBe(6);
  });

  it('finds an error that is the whole buffer', () => {
    expect(findTrailingEngineError(b('Error: boom\n'))).toBe(0);
    expect(findTrailingEngineError(b('Error response from daemon: boom'))).toBe(0);
  });

  it('counts bytes, not characters, before the error', () => {
    const log = 'héllo wörld ✓\n';
    expect(findTrailingEngineError(b(`${log}Error: gone\n`))).toBe(Buffer.byteLength(log, 'utf8'));
    expect(Buffer.byteLength(log, 'utf8')).toBe(18);
  });

  it('finds the error after a log ending with invalid UTF-8 bytes', () => {
    const buf = Buffer.concat([b('ok\n'), Buffer.from([0xff, 0xfe, 0xe2, 0x82]), b('\nError: unexpected EOF\n')]);
    expect(findTrailingEngineError(buf)).toBe(8);
  });

  it.each([
    ['a log whose last line is ordinary', 'Error: early\nall good\n'],
    ['an error line that is not last', 'Error response from daemon: x\nlast line\n'],
    ['an error word not at the line start', 'log: Error: x\n'],
    ['a lower-case error', 'error: x\n'],
    ['Error without colon-space', 'Error:x\n'],
    ['an error followed by a blank line', 'Error: x\n\n'],
    ['a lone newline', '\n'],
    ['empty', ''],
  ])('is -1 for %s', (_what, text) => {
    expect(findTrailingEngineError(b(text))).toBe(-1);
  });

  it('is -1 for an empty buffer', () => {
    expect(findTrailingEngineError(Buffer.alloc(0))).toBe(-1);
  });

  it('is -1 for binary bytes without an error line', () => {
    expect(findTrailingEngineError(Buffer.from([0x00, 0xff, 0x0a, 0xfe]))).toBe(-1);
  });
});

describe('dateOrNull', () => {
  it('keeps a recorded time as written', () => {
    expect(dateOrNull('2026-11-22T02:01:48.123456789Z')).toBe('2026-11-22T02:01:48.123456789Z');
    expect(dateOrNull('2026-11-22T02:01:47.5+00:00')).toBe('2026-11-22T02:01:47.5+00:00');
  });

  it.each([['0001-01-01T00:00:00Z'], ['0001-01-01T00:00:00.000000000Z'], [''], [null], [undefined], [0], [{}]])('reads %j as never', (value) => {
    expect(dateOrNull(value)).toBeNull();
  });
});

describe('inspectRoot', () => {
  it('takes the object of an inspect array (the CLI prints one) or the object itself (the Engine API)', () => {
    const obj = { Id: 'a' };
    expect(inspectRoot([obj])).toBe(obj);
    expect(inspectRoot([obj, { Id: 'b' }])).toBe(obj);
    expect(inspectRoot(obj)).toBe(obj);
  });

  it.each([[null], [undefined], [[]], [[null]], [[[{ Id: 'a' }]]], ['x'], [3]])('is {} for %j', (raw) => {
    expect(inspectRoot(raw)).toEqual({});
  });
});

describe('readState', () => {
  const none = { status: '', exitCode: null, oomKilled: false, restarting: false, restartCount: 0, createdAt: null, startedAt: null, finishedAt: null, error: null, memoryLimit: null };

  it('reads docker’s inspect object', () => {
    const docker = {
      Created: '2026-11-22T02:01:48.1Z',
      RestartCount: 3,
      State: { Status: 'restarting', Restarting: true, OOMKilled: false, ExitCode: 1, Error: '', StartedAt: '2026-11-22T02:01:49Z', FinishedAt: '2026-11-22T02:01:50Z' },
      HostConfig: { Memory: 20971520 },
    };
    expect(readState(docker)).toEqual({
      status: 'restarting',
      exitCode: 1,
      oomKilled: false,
      restarting: true,
      restartCount: 3,
      createdAt: '2026-11-22T02:01:48.1Z',
      startedAt: '2026-11-22T02:01:49Z',
      finishedAt: '2026-11-22T02:01:50Z',
      error: null,
      memoryLimit: 20971520,
    });
  });

  it('reads podman’s one-element array, its capitalised status and Go’s zero times', () => {
    const podman = [
      {
        Created: '2026-11-22T02:01:47.000000001+00:00',
        // podman writes 0 for no limit, as docker does.
        HostConfig: { Memory: 0 },
        State: { Status: 'Created', ExitCode: 0, OOMKilled: false, Error: 'crun: executable file `nope` not found', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' },
      },
    ];
    expect(readState(podman)).toEqual({ ...none, status: 'created', exitCode: 0, createdAt: '2026-11-22T02:01:47.000000001+00:00', error: 'crun: executable file `nope` not found' });
  });

  it('agrees with parseInspect on every field both read', () => {
    const raw = { Created: '2026-11-22T02:00:00Z', RestartCount: 1, State: { Status: 'Exited', ExitCode: 2, OOMKilled: true, StartedAt: '2026-11-22T02:00:01Z', FinishedAt: '2026-11-22T02:00:02Z' } };
    const details = parseInspect(raw);
    const state = readState(raw);
    expect([details.state, details.exitCode, details.oomKilled, details.restartCount, details.createdAt, details.startedAt, details.finishedAt]).toEqual([
      state.status,
      state.exitCode,
      state.oomKilled,
      state.restartCount,
      state.createdAt,
      state.startedAt,
      state.finishedAt,
    ]);
  });

  it('does not take truthy non-booleans and non-numbers', () => {
    expect(readState({ RestartCount: '3', State: { ExitCode: '1', OOMKilled: 'true', Restarting: 1, Status: 7, Error: 5 } })).toEqual(none);
  });

  it.each([[null], [undefined], [{}], [[]], [{ State: null }], [{ State: [] }]])('fills gaps with neutral values for %j', (raw) => {
    expect(readState(raw)).toEqual(none);
  });
});

describe('readHealth', () => {
  const log = [
    { Start: '2026-11-22T02:00:00Z', End: '2026-11-22T02:00:01Z', ExitCode: 0, Output: 'ok\n' },
    { Start: '2026-11-22T02:00:10Z', End: '2026-11-22T02:00:11Z', ExitCode: 1, Output: '  curl: (7) Failed to connect\n' },
  ];

  it('reads docker’s State.Health: the last check', () => {
    expect(readHealth({ State: { Health: { Status: 'unhealthy', FailingStreak: 4, Log: log } } })).toEqual({
      status: 'unhealthy',
      failingStreak: 4,
      lastOutput: 'curl: (7) Failed to connect',
      lastExitCode: 1,
      lastCheckAt: '2026-11-22T02:00:11Z',
    });
  });

  it('reads podman’s State.Healthcheck (some 4.x releases), and its inspect array', () => {
    expect(readHealth([{ State: { Healthcheck: { Status: 'Starting', FailingStreak: 0, Log: log.slice(0, 1) } } }])).toEqual({
      status: 'starting',
      failingStreak: 0,
      lastOutput: 'ok',
      lastExitCode: 0,
      lastCheckAt: '2026-11-22T02:00:01Z',
    });
  });

  it('passes over podman’s empty Health to its Healthcheck', () => {
    expect(readHealth({ State: { Health: { Status: '', FailingStreak: 0, Log: null }, Healthcheck: { Status: 'healthy' } } })).toEqual({
      status: 'healthy',
      failingStreak: 0,
      lastOutput: null,
      lastExitCode: null,
      lastCheckAt: null,
    });
  });

  it('takes the start of a check that never ended; a zero time is no time', () => {
    const check = (entry: Record<string, unknown>) => readHealth({ State: { Health: { Status: 'starting', Log: [entry] } } })?.lastCheckAt;
    expect(check({ Start: '2026-11-22T02:00:10Z', End: '0001-01-01T00:00:00Z' })).toBe('2026-11-22T02:00:10Z');
    expect(check({ Start: '0001-01-01T00:00:00Z', End: '' })).toBeNull();
  });

  it('leaves out blank output and non-numeric exit codes', () => {
    expect(readHealth({ State: { Health: { Status: 'unhealthy', FailingStreak: '2', Log: [null, { Output: ' \n', ExitCode: '1' }] } } })).toEqual({
      status: 'unhealthy',
      failingStreak: 0,
      lastOutput: null,
      lastExitCode: null,
      lastCheckAt: null,
    });
  });

  it.each([[null], [{}], [{ State: {} }], [{ State: { Health: { Status: '' } } }], [{ State: { Health: null, Healthcheck: { Status: 3 } } }]])('is null without a health check: %j', (raw) => {
    expect(readHealth(raw)).toBeNull();
  });
});
