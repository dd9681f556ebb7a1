import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An Engine API address, as DOCKER_HOST / CONTAINER_HOST / a docker context give it. */
export type Endpoint =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      readonly tls: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer } | null;
    }
  | { readonly kind: 'ssh'; readonly host: string; readonly port: number; readonly username: string | undefined };

/** The address in URL form, for messages, runtime.json and the manifest. */
export function endpointUrl(endpoint: Endpoint): string {
  switch (endpoint.kind) {
    case 'unix':
      return `unix://${endpoint.socketPath}`;
    case 'tcp':
      return `${endpoint.tls ? 'https' : 'tcp'}://${endpoint.host}:${endpoint.port}`;
    case 'ssh':
      return `ssh://${endpoint.username ? endpoint.username + '@' : ''}${endpoint.host}:${endpoint.port}`;
  }
}

export interface EndpointEnv {
  readonly env: NodeJS.ProcessEnv;
  readonly homedir: string;
  /** Reads certificate files; injectable for tests. */
  readonly readFile?: (path: string) => Buffer;
}

/**
 * Parse a `unix://`, `tcp://`, `http(s)://` or `ssh://` address. TLS follows docker's rules:
 * DOCKER_TLS_VERIFY=1 (or port 2376) with certificates from DOCKER_CERT_PATH (default ~/.docker).
 * Throws with a clear message for anything else.
 */
export function parseEndpoint(address: string, { env, homedir, readFile = readFileSync }: EndpointEnv): Endpoint {
  if (address.startsWith('unix://')) {
    const socketPath = address.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`unix address needs an absolute path: ${address}`);
    return { kind: 'unix', socketPath };
  }
  const withScheme = address.includes('://') ? address : `tcp://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`not an engine address: ${address}`);
  }
  if (url.protocol !== 'ssh:' && url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`unsupported engine address scheme ${url.protocol} in ${address}`);
  }
  if (url.hostname === '') throw new Error(`no host in engine address ${address}`);
  if (url.protocol === 'ssh:') {
    return { kind: 'ssh', host: url.hostname, port: Number(url.port || 22), username: url.username || undefined };
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 2376 : 2375));
  const wantsTls = url.protocol === 'https:' || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0') || port === 2376;
  if (!wantsTls) return { kind: 'tcp', host: url.hostname, port, tls: null };
  const certDir = env.DOCKER_CERT_PATH || join(homedir, '.docker');
  const load = (file: string): Buffer | undefined => {
    try {
      return readFile(join(certDir, file));
    } catch {
      return undefined;
    }
  };
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  const ca = load('ca.pem');
  const cert = load('cert.pem');
  const key = load('key.pem');
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  return { kind: 'tcp', host: url.hostname, port, tls };
}
