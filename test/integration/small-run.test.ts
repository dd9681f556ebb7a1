/*
 * The small-run floor (issue 13): what a run of a few small containers asks the engine, counted at the
 * socket. A recording proxy stands between must-gather and the real engine, so the requests are the ones
 * the engine really served, and runtime.json is checked against what the engine answers.
 */
import { readFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gather } from '../../src/index.js';
import type { TransportName } from '../../src/runtime/types.js';
import { runBin } from '../helpers/run-cli.js';
import { API_SOCKETS, describeWithEngine, engine, ENGINES, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';

/** A unix socket that forwards to `target` and records each request line's method and path. */
async function recordingProxy(target: string): Promise<{ path: string; requests: string[]; close: () => Promise<void> }> {
  const path = join(tempDir('mgtfloor-proxy-'), 'engine.sock');
  const requests: string[] = [];
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    open.add(client).add(upstream);
    let pending = '';
    client.on('data', (chunk: Buffer) => {
      // Requests here are GETs without a body: every request line starts a line of the stream.
      pending += chunk.toString('latin1');
      const lines = pending.split('\r\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const request = /^(GET|POST|HEAD|PUT|DELETE) (\S+) HTTP\/1\.[01]$/.exec(line);
        if (request) requests.push(`${request[1]} ${request[2]}`);
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('end', () => upstream.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  // Kept-alive connections would hold close() until the client's agent lets them go.
  const close = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const socket of open) socket.destroy();
  });
  return { path, requests, close };
}

/** A request path without its query, the container ID replaced by `ID`. */
function shape(request: string, ids: readonly string[]): string {
  const [method, target = ''] = request.split(' ');
  let path = target.split('?')[0] ?? '';
  for (const id of ids) path = path.replace(id, 'ID');
  return `${method} ${path.replace(/^\/v[\d.]+\//, '/')}`;
}

const COUNT = 3;

for (const name of ENGINES) {
  describeWithEngine(
    name,
    'a small run asks the engine only what it needs',
    () => {
      const service = uniqueService('mgtfloor');
      const names = Array.from({ length: COUNT }, (_, i) => `${service}_c${i}_test`);
      let ids: string[] = [];
      beforeAll(() => {
        for (const container of names) engine(name, ['run', '-d', '--name', container, TEST_IMAGE, 'sh', '-c', 'echo one; echo two >&2']);
        for (const container of names) engine(name, ['wait', container]);
        ids = names.map((container) => engine(name, ['inspect', '--format', '{{.Id}}', container]).trim());
      });
      afterAll(() => removeContainers(name, names));

      /** Gather through the proxy (named by CONTAINER_HOST or DOCKER_HOST, so it is the place used). */
      async function viaProxy(engineInfo: boolean) {
        const proxy = await recordingProxy(API_SOCKETS[name]);
        try {
          const variable = name === 'podman' ? 'CONTAINER_HOST' : 'DOCKER_HOST';
          const env = { ...process.env, [variable]: `unix://${proxy.path}` };
          const result = await gather({ service, runtime: name, transport: 'api', outputDir: tempDir(), env, engineInfo });
          expect(result.runtime.endpoint).toBe(`unix://${proxy.path}`);
          const runtimeJson = JSON.parse(readFileSync(join(result.outputDir as string, 'runtime.json'), 'utf8')) as Record<string, unknown>;
          return { result, runtimeJson, requests: proxy.requests.map((r) => shape(r, ids)) };
        } finally {
          await proxy.close();
        }
      }

      it('by default: one listing, then an inspect per container (its log read from the engine file), and nothing slow for runtime.json', async () => {
        const { result, runtimeJson, requests } = await viaProxy(false);
        expect(result.containers.map((c) => c.name).sort()).toEqual(names);
        const perContainer = requests.filter((r) => r.includes('/containers/ID/'));
        // The logs are read from the engine's own files (local engine, json-file / k8s-file): no log request.
        expect(perContainer.sort()).toEqual(Array<string>(COUNT).fill('GET /containers/ID/json'));
        const sources = result.containers.map((c) => c.files.find((f) => f.kind === 'log')?.source);
        expect(sources).toEqual(Array<string>(COUNT).fill(name === 'podman' ? 'k8s-file' : 'json-file'));
        const engineLevel = requests.filter((r) => !r.includes('/containers/ID/')).sort();
        // _ping says which engine and its version; podman's also carries the versions for runtime.json (its
        // /version and /info take 0.15-0.3 s each); docker's /version for runtime.json is cheap.
        // /events once: the collected containers' events for events.jsonl, asked while the logs are read.
        expect(engineLevel).toEqual(
          name === 'podman' ? ['GET /_ping', 'GET /_ping', 'GET /containers/json', 'GET /events'] : ['GET /_ping', 'GET /containers/json', 'GET /events', 'GET /version'],
        );
        expect(runtimeJson).toMatchObject({ name, transport: 'api', info: null, error: null });
        expect(runtimeJson.versionInfo).not.toBeNull();
        expect(result.containers.every((c) => c.error === null)).toBe(true);
      });

      it('with engineInfo (--engine-info): runtime.json also holds the engine’s /info document', async () => {
        const { runtimeJson, requests } = await viaProxy(true);
        expect(requests.filter((r) => r === 'GET /info')).toHaveLength(1);
        const info = runtimeJson.info as { ID?: unknown; Containers?: unknown } | null;
        // Both engines' compat /info carry the engine's ID and its container count.
        expect(typeof info?.ID).toBe('string');
        expect(typeof info?.Containers).toBe('number');
      });

      it('the built CLI passes --engine-info on (and runtime.json has no info without it)', async () => {
        const read = async (extra: string[]) => {
          const cli = await runBin([service, '--runtime', name, '--output-dir', tempDir(), '--json', ...extra]);
          expect(cli.code).toBe(0);
          const dir = (JSON.parse(cli.stdout) as { outputDir: string }).outputDir;
          return JSON.parse(readFileSync(join(dir, 'runtime.json'), 'utf8')) as { info: { ID?: unknown } | null };
        };
        expect((await read([])).info).toBeNull();
        expect(typeof (await read(['--engine-info'])).info?.ID).toBe('string');
      });

      for (const transport of ['cli'] as const satisfies readonly TransportName[]) {
        it(`over the ${transport}: runtime.json has the engine's version document, and its info only when asked`, async () => {
          const plain = await gather({ service, runtime: name, transport, outputDir: tempDir(), env: process.env });
          const asked = await gather({ service, runtime: name, transport, outputDir: tempDir(), env: process.env, engineInfo: true });
          const read = (dir: string | null) => JSON.parse(readFileSync(join(dir as string, 'runtime.json'), 'utf8')) as { info: unknown; versionInfo: unknown; error: unknown };
          const [without, withInfo] = [read(plain.outputDir), read(asked.outputDir)];
          expect(without).toMatchObject({ info: null, error: null });
          expect(without.versionInfo).toEqual(withInfo.versionInfo);
          // `podman info --format json` and `docker info --format '{{json .}}'`: each engine's own shape.
          expect(withInfo.info).toEqual(expect.objectContaining(name === 'podman' ? { host: expect.any(Object) } : { ID: expect.any(String) }));
          expect(withInfo.error).toBeNull();
        });
      }
    },
    'api',
  );
}
