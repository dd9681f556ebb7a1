import { describe, expect, it } from 'vitest';
import { endpointUrl, parseEndpoint, type Endpoint, type EndpointEnv } from '../../../src/runtime/endpoint.js';

/** A readFile over an in-memory folder; records every path asked for. Missing files throw ENOENT. */
function files(contents: Readonly<Record<string, string>>) {
  const read: string[] = [];
  const readFile = (path: string): Buffer => {
    read.push(path);
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return Buffer.from(text, 'utf8');
  };
  return { read, readFile };
}

/** No env, a fake home, and a readFile that finds nothing (so no real ~/.docker is read). */
function plain(env: NodeJS.ProcessEnv = {}): EndpointEnv & { read: string[] } {
  const f = files({});
  return { env, homedir: '/home/tester', readFile: f.readFile, read: f.read };
}

function parseError(address: string, options: EndpointEnv = plain()): string {
  try {
    parseEndpoint(address, options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected ${address} to be refused`);
}

describe('parseEndpoint', () => {
  it('reads a unix socket address', () => {
    const o = plain();
    expect(parseEndpoint('unix:///var/run/docker.sock', o)).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(parseEndpoint('unix:///run/user/1000/podman/podman.sock', o)).toEqual({ kind: 'unix', socketPath: '/run/user/1000/podman/podman.sock' });
    expect(o.read).toEqual([]);
  });

  it.each([
    ['tcp://127.0.0.1:2375', { kind: 'tcp', host: '127.0.0.1', port: 2375, tls: null }],
    ['tcp://docker.example.com:2375', { kind: 'tcp', host: 'docker.example.com', port: 2375, tls: null }],
    ['tcp://docker.example.com', { kind: 'tcp', host: 'docker.example.com', port: 2375, tls: null }],
    ['tcp://10.0.0.5:12345', { kind: 'tcp', host: '10.0.0.5', port: 12345, tls: null }],
    ['http://10.0.0.5:8080', { kind: 'tcp', host: '10.0.0.5', port: 8080, tls: null }],
    ['tcp://[::1]:2375', { kind: 'tcp', host: '[::1]', port: 2375, tls: null }],
  ] satisfies [string, Endpoint][])('reads %s without TLS', (address, endpoint) => {
    const o = plain();
    expect(parseEndpoint(address, o)).toEqual(endpoint);
    expect(o.read).toEqual([]);
  });

  it.each([
    ['localhost:2375', { kind: 'tcp', host: 'localhost', port: 2375, tls: null }],
    ['192.168.1.20:4243', { kind: 'tcp', host: '192.168.1.20', port: 4243, tls: null }],
    ['dockerhost', { kind: 'tcp', host: 'dockerhost', port: 2375, tls: null }],
  ] satisfies [string, Endpoint][])('reads host:port without a scheme (%s) as tcp', (address, endpoint) => {
    expect(parseEndpoint(address, plain())).toEqual(endpoint);
  });

  it('https:// means TLS, default port 2376, certificates from ~/.docker', () => {
    const f = files({ '/home/tester/.docker/ca.pem': 'CA', '/home/tester/.docker/cert.pem': 'CERT', '/home/tester/.docker/key.pem': 'KEY' });
    const endpoint = parseEndpoint('https://docker.example.com', { env: {}, homedir: '/home/tester', readFile: f.readFile });
    expect(endpoint).toEqual({
      kind: 'tcp',
      host: 'docker.example.com',
      port: 2376,
      tls: { ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY') },
    });
    expect(f.read).toEqual(['/home/tester/.docker/ca.pem', '/home/tester/.docker/cert.pem', '/home/tester/.docker/key.pem']);
  });

  it('https:// keeps an explicit port', () => {
    expect(parseEndpoint('https://docker.example.com:8443', plain())).toEqual({ kind: 'tcp', host: 'docker.example.com', port: 8443, tls: {} });
  });

  it('DOCKER_TLS_VERIFY=1 turns TLS on for tcp://, with certificates from DOCKER_CERT_PATH', () => {
    const f = files({ '/certs/ca.pem': 'the ca', '/certs/cert.pem': 'the cert', '/certs/key.pem': 'the key' });
    const endpoint = parseEndpoint('tcp://10.0.0.5:2375', {
      env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      homedir: '/home/tester',
      readFile: f.readFile,
    });
    expect(endpoint).toEqual({
      kind: 'tcp',
      host: '10.0.0.5',
      port: 2375,
      tls: { ca: Buffer.from('the ca'), cert: Buffer.from('the cert'), key: Buffer.from('the key') },
    });
    expect(f.read).toEqual(['/certs/ca.pem', '/certs/cert.pem', '/certs/key.pem']);
  });

  it('leaves out certificate files that cannot be read', () => {
    const f = files({ '/certs/ca.pem': 'the ca' });
    const endpoint = parseEndpoint('tcp://10.0.0.5:2375', { env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }, homedir: '/h', readFile: f.readFile });
    expect(endpoint).toEqual({ kind: 'tcp', host: '10.0.0.5', port: 2375, tls: { ca: Buffer.from('the ca') } });
    expect(f.read).toEqual(['/certs/ca.pem', '/certs/cert.pem', '/certs/key.pem']);
  });

  it.each([
    ['0', null],
    ['', null],
    ['true', {}],
    ['1', {}],
  ])('DOCKER_TLS_VERIFY=%j gives tls %j', (value, tls) => {
    expect(parseEndpoint('tcp://h:2375', plain({ DOCKER_TLS_VERIFY: value }))).toEqual({ kind: 'tcp', host: 'h', port: 2375, tls });
  });

  it('port 2376 implies TLS, reading certificates from ~/.docker without DOCKER_CERT_PATH', () => {
    const f = files({ '/home/tester/.docker/ca.pem': 'CA' });
    expect(parseEndpoint('tcp://docker.example.com:2376', { env: {}, homedir: '/home/tester', readFile: f.readFile })).toEqual({
      kind: 'tcp',
      host: 'docker.example.com',
      port: 2376,
      tls: { ca: Buffer.from('CA') },
    });
    expect(f.read).toEqual(['/home/tester/.docker/ca.pem', '/home/tester/.docker/cert.pem', '/home/tester/.docker/key.pem']);
  });

  it('an empty DOCKER_CERT_PATH means ~/.docker', () => {
    const o = plain({ DOCKER_CERT_PATH: '', DOCKER_TLS_VERIFY: '1' });
    parseEndpoint('tcp://h:2375', o);
    expect(o.read).toEqual(['/home/tester/.docker/ca.pem', '/home/tester/.docker/cert.pem', '/home/tester/.docker/key.pem']);
  });

  it('reads ssh://user@host with the default port 22', () => {
    expect(parseEndpoint('ssh://core@build-host', plain())).toEqual({ kind: 'ssh', host: 'build-host', port: 22, username: 'core' });
  });

  it('reads ssh:// with a port and without a user', () => {
    expect(parseEndpoint('ssh://build-host:2222', plain())).toEqual({ kind: 'ssh', host: 'build-host', port: 2222, username: undefined });
  });

  it('ignores DOCKER_TLS_VERIFY for ssh and reads no certificate', () => {
    const o = plain({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' });
    expect(parseEndpoint('ssh://u@h', o)).toEqual({ kind: 'ssh', host: 'h', port: 22, username: 'u' });
    expect(o.read).toEqual([]);
  });

  it.each([
    ['ftp://example.com', 'unsupported engine address scheme ftp: in ftp://example.com'],
    ['npipe:////./pipe/docker_engine', 'unsupported engine address scheme npipe: in npipe:////./pipe/docker_engine'],
    ['fd://', 'unsupported engine address scheme fd: in fd://'],
    ['unix://var/run/docker.sock', 'unix address needs an absolute path: unix://var/run/docker.sock'],
    ['unix://', 'unix address needs an absolute path: unix://'],
    ['tcp://a b:2375', 'not an engine address: tcp://a b:2375'],
    ['tcp://h:99999', 'not an engine address: tcp://h:99999'],
    [':2375', 'not an engine address: :2375'],
  ])('refuses %j', (address, message) => {
    expect(parseError(address)).toBe(message);
  });
});

describe('endpointUrl', () => {
  it.each([
    [{ kind: 'unix', socketPath: '/var/run/docker.sock' }, 'unix:///var/run/docker.sock'],
    [{ kind: 'tcp', host: '10.0.0.5', port: 2375, tls: null }, 'tcp://10.0.0.5:2375'],
    [{ kind: 'tcp', host: '10.0.0.5', port: 2376, tls: {} }, 'https://10.0.0.5:2376'],
    [{ kind: 'tcp', host: '10.0.0.5', port: 9999, tls: { ca: Buffer.from('x') } }, 'https://10.0.0.5:9999'],
    [{ kind: 'ssh', host: 'h', port: 22, username: 'core' }, 'ssh://core@h:22'],
    [{ kind: 'ssh', host: 'h', port: 2222, username: undefined }, 'ssh://h:2222'],
  ] satisfies [Endpoint, string][])('%j → %s', (endpoint, url) => {
    expect(endpointUrl(endpoint)).toBe(url);
  });

  it.each([
    'unix:///var/run/docker.sock',
    'unix:///run/user/1000/podman/podman.sock',
    'tcp://10.0.0.5:2375',
    'tcp://docker.example.com',
    'localhost:2375',
    'http://h:8080',
    'https://h',
    'https://h:2375',
    'tcp://h:2376',
    'ssh://core@h',
    'ssh://h:2222',
    'tcp://[::1]:2375',
  ])('round trips %s: parse(url(parse(a))) equals parse(a)', (address) => {
    const f = files({ '/home/tester/.docker/ca.pem': 'CA', '/home/tester/.docker/cert.pem': 'CERT', '/home/tester/.docker/key.pem': 'KEY' });
    const options = { env: {}, homedir: '/home/tester', readFile: f.readFile };
    const endpoint = parseEndpoint(address, options);
    const url = endpointUrl(endpoint);
    expect(parseEndpoint(url, options)).toEqual(endpoint);
    expect(endpointUrl(parseEndpoint(url, options))).toBe(url);
  });

  it('round trips TLS chosen by DOCKER_TLS_VERIFY as https', () => {
    const options = plain({ DOCKER_TLS_VERIFY: '1' });
    const endpoint = parseEndpoint('tcp://h:2375', options);
    expect(endpointUrl(endpoint)).toBe('https://h:2375');
    expect(parseEndpoint(endpointUrl(endpoint), plain())).toEqual(endpoint);
  });
});
