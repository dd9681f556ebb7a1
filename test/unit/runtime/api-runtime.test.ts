import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiRuntime, identifyEngine, toUnixSeconds } from '../../../src/runtime/api-runtime.js';
import { EngineError } from '../../../src/runtime/types.js';

/** docker 27's `/version`, trimmed. */
const DOCKER_VERSION = {
  Platform: { Name: 'Docker Engine - Community' },
  Components: [
    { Name: 'Engine', Version: '27.3.1', Details: { ApiVersion: '1.47', Os: 'linux' } },
    { Name: 'containerd', Version: '1.7.22', Details: {} },
    { Name: 'runc', Version: '1.1.14', Details: {} },
  ],
  Version: '27.3.1',
  ApiVersion: '1.47',
  MinAPIVersion: '1.24',
  Os: 'linux',
  Arch: 'amd64',
};

/** podman 4.9's compat `/version`: the top-level Version is podman's, the first component says so. */
const PODMAN_VERSION = {
  Platform: { Name: 'linux/amd64/debian-12' },
  Components: [
    { Name: 'Podman Engine', Version: '4.9.3', Details: { APIVersion: '4.9.3', MinAPIVersion: '4.0.0' } },
    { Name: 'Conmon', Version: 'conmon version 2.1.6', Details: {} },
    { Name: 'OCI Runtime (crun)', Version: 'crun version 1.8.1', Details: {} },
  ],
  Version: '4.9.3',
  ApiVersion: '1.41',
  MinAPIVersion: '1.24',
  Os: 'linux',
  Arch: 'amd64',
};

describe('identifyEngine', () => {
  it('names docker from its /version (Components [{ Name: "Engine" }])', () => {
    expect(identifyEngine(DOCKER_VERSION)).toEqual({ name: 'docker', version: '27.3.1', versionInfo: DOCKER_VERSION });
  });

  it("names podman from its compat /version (a 'Podman Engine' component)", () => {
    expect(identifyEngine(PODMAN_VERSION)).toEqual({ name: 'podman', version: '4.9.3', versionInfo: PODMAN_VERSION });
  });

  it("takes podman's version from its component, not from the top-level Version", () => {
    const v = { ...PODMAN_VERSION, Version: '1.41', Components: [{ Name: 'Podman Engine', Version: '5.2.0' }] };
    expect(identifyEngine(v)).toEqual({ name: 'podman', version: '5.2.0', versionInfo: v });
  });

  it('finds the podman component wherever it is listed', () => {
    const v = { Version: '5.2.0', Components: [{ Name: 'Conmon', Version: '2.1' }, { Name: 'podman engine', Version: '5.2.0' }] };
    expect(identifyEngine(v).name).toBe('podman');
  });

  it('falls back to the top-level Version when the podman component has none', () => {
    expect(identifyEngine({ Version: '4.3.1', Components: [{ Name: 'Podman Engine' }] })).toEqual({
      name: 'podman',
      version: '4.3.1',
      versionInfo: { Version: '4.3.1', Components: [{ Name: 'Podman Engine' }] },
    });
  });

  it.each([
    ['null', null, 'unknown'],
    ['undefined', undefined, 'unknown'],
    ['an empty object', {}, 'unknown'],
    ['Components that is not a list', { Version: '20.10.5', Components: 'Engine' }, '20.10.5'],
    ['an old docker without Components', { Version: '19.03.1' }, '19.03.1'],
    ['a numeric Version', { Version: 27 }, 'unknown'],
  ])('reads %s as docker %s', (_label, versionInfo, version) => {
    expect(identifyEngine(versionInfo)).toEqual({ name: 'docker', version, versionInfo });
  });
});

describe('toUnixSeconds', () => {
  // 2023-11-14T22:13:20Z
  const now = new Date(1_700_000_000_000);

  it.each([
    ['1700000000', '1700000000'],
    ['0', '0'],
    ['1700000000.5', '1700000000.5'],
    ['10m', '1699999400'],
    ['1h30m', '1699994600'],
    ['90s', '1699999910'],
    ['1.5h', '1699994600'],
    ['2h0m30s', '1699992770'],
    ['500ms', '1699999999'],
    ['0s', '1700000000'],
    ['2023-11-14T22:13:20Z', '1700000000'],
    ['2023-11-14T22:13:20.999Z', '1700000000'],
    ['2023-11-14T23:13:20+01:00', '1700000000'],
    ['2023-11-14T22:03:20Z', '1699999400'],
  ])('%j → %s', (value, seconds) => {
    expect(toUnixSeconds(value, now)).toBe(seconds);
  });

  it('a duration counts back from the given now', () => {
    expect(toUnixSeconds('10m', new Date(1_000_000_000_000))).toBe('999999400');
  });

  it.each(['yesterday', '10 minutes', '-10m', '10d', '', 'm', '1h30', '1e9'])('refuses %j', (value) => {
    let caught: unknown;
    try {
      toUnixSeconds(value, now);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EngineError);
    expect((caught as Error).message).toBe(`cannot read "${value}" as a time`);
  });
});

/*
 * ApiRuntime against a fake engine: an HTTP server on a unix socket in a temporary folder (no real engine).
 */
describe('ApiRuntime against a fake engine socket', () => {
  let dir: string;
  let socketPath: string;
  let server: Server;
  const requests: string[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'must-gather-api-'));
    socketPath = join(dir, 'engine.sock');
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const json = (res: ServerResponse, body: unknown): void => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(body));
  };

  it('names podman from the _ping header alone, without asking /version', async () => {
    requests.length = 0;
    handler = (req, res) => {
      if (req.url === '/_ping') {
        res.setHeader('Libpod-Api-Version', '4.9.3');
        res.end('OK');
      } else json(res, PODMAN_VERSION);
    };
    const runtime = new ApiRuntime({ endpoint: { kind: 'unix', socketPath } });
    expect(await runtime.info()).toEqual({ name: 'podman', transport: 'api', version: '4.9.3', endpoint: `unix://${socketPath}` });
    expect(requests).toEqual(['GET /_ping']);
  });

  it("names docker from _ping's Server header (dockerd's), without asking /version", async () => {
    requests.length = 0;
    handler = (req, res) => {
      if (req.url === '/_ping') {
        res.setHeader('Server', 'Docker/20.10.24+dfsg1 (linux)');
        res.end('OK');
      } else json(res, DOCKER_VERSION);
    };
    const runtime = new ApiRuntime({ endpoint: { kind: 'unix', socketPath } });
    expect(await runtime.info()).toEqual({ name: 'docker', transport: 'api', version: '20.10.24+dfsg1', endpoint: `unix://${socketPath}` });
    expect(requests).toEqual(['GET /_ping']);
  });

  it('asks /version when _ping says neither podman nor docker, and names the engine from it', async () => {
    requests.length = 0;
    handler = (req, res) => (req.url === '/_ping' ? res.end('OK') : json(res, DOCKER_VERSION));
    const runtime = new ApiRuntime({ endpoint: { kind: 'unix', socketPath } });
    expect(await runtime.identify()).toEqual({ name: 'docker', version: '27.3.1', versionInfo: DOCKER_VERSION });
    expect(requests).toEqual(['GET /_ping', 'GET /version']);
  });

  it('streams a multiplexed log, demultiplexed, and passes --since as Unix seconds from the given now', async () => {
    requests.length = 0;
    const header = (type: number, size: number): Buffer => Buffer.from([type, 0, 0, 0, size >>> 24, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff]);
    handler = (_req, res) => {
      res.setHeader('Content-Type', 'application/vnd.docker.multiplexed-stream');
      res.write(Buffer.concat([header(1, 4), Buffer.from('out\n'), header(2, 4)]));
      res.end(Buffer.from('err\n'));
    };
    const runtime = new ApiRuntime({ endpoint: { kind: 'unix', socketPath }, name: 'docker', now: () => new Date(1_700_000_000_000) });
    const { stream, finished } = runtime.logs({ id: 'abc123', tty: false }, { since: '10m', tail: '50', timestamps: true });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    await finished;
    expect(Buffer.concat(chunks).toString('utf8')).toBe('out\nerr\n');
    expect(requests).toHaveLength(1);
    const url = new URL(`http://x${(requests[0] ?? '').slice('GET '.length)}`);
    expect(url.pathname).toBe('/containers/abc123/logs');
    expect(Object.fromEntries(url.searchParams)).toEqual({ stdout: 'true', stderr: 'true', follow: 'false', timestamps: 'true', tail: '50', since: '1699999400' });
  });
});

describe('ssh:// without the optional dockerode package', () => {
  it('says which package to install, instead of "Cannot find package"', async () => {
    const missing = Object.assign(new Error("Cannot find package 'dockerode' imported from dist/runtime/api-runtime.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const runtime = new ApiRuntime({ endpoint: { kind: 'ssh', host: 'build-host', port: 22, username: 'core' }, importDockerode: () => Promise.reject(missing) });
    const error = await runtime.identify().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('ssh://core@build-host:22: ssh:// endpoints need the optional package dockerode (npm install dockerode)');
  });
});
