import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Endpoint } from './endpoint.js';

/** An Engine API answer that was not a success: docker-modem's error shape, so one mapper reads both. */
export class ApiStatusError extends Error {
  readonly statusCode: number;
  readonly json: { message?: string } | null;

  constructor(statusCode: number, body: string) {
    let json: { message?: string } | null;
    try {
      json = JSON.parse(body) as { message?: string };
    } catch {
      json = null;
    }
    super(`(HTTP ${statusCode}) ${json?.message ?? body.trim()}`);
    this.name = 'ApiStatusError';
    this.statusCode = statusCode;
    this.json = json;
  }
}

export type Query = Readonly<Record<string, string | number | boolean | object | undefined>>;

/** `?a=1&b=…`, objects as JSON (the API's `filters`), booleans as `true`/`false` (as docker-modem sends them). */
export function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** Read a whole (small) response body as text. */
export async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

type TcpEndpoint = Extract<Endpoint, { kind: 'tcp' }>;

/**
 * Where to dial a tcp endpoint, with its TLS material. The certificate is checked against the host dialled
 * (`servername`): node's https client would otherwise take the `Host: docker` header's name.
 */
export function tcpTarget(endpoint: TcpEndpoint): { host: string; port: number; servername?: string; ca?: Buffer; cert?: Buffer; key?: Buffer } {
  return { host: endpoint.host, port: endpoint.port, ...(endpoint.tls ?? {}), ...(endpoint.tls !== null && !isIP(endpoint.host) ? { servername: endpoint.host } : {}) };
}

/**
 * GET `path` from a unix or tcp (TLS) Engine API with node's own http client. Resolves with the response
 * (its body unread) on 2xx; rejects with {@link ApiStatusError} otherwise. Unversioned paths throughout:
 * docker 29 refuses pinned versions below 1.44, and podman's `_ping` is unversioned.
 */
export async function httpGet(endpoint: Exclude<Endpoint, { kind: 'ssh' }>, path: string, query: Query, signal?: AbortSignal): Promise<IncomingMessage> {
  const tls = endpoint.kind === 'tcp' && endpoint.tls !== null;
  const { request } = tls ? await import('node:https') : await import('node:http');
  const target = endpoint.kind === 'unix' ? { socketPath: endpoint.socketPath } : tcpTarget(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path: path + queryString(query), method: 'GET', headers: { Host: 'docker' }, ...(signal ? { signal } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        resolve(res);
        return;
      }
      readBody(res).then((body) => reject(new ApiStatusError(status, body)), reject);
    });
    req.on('error', reject);
    req.end();
  });
}

