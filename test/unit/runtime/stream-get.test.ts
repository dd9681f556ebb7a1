import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiStatusError, httpGet, readBody } from '../../../src/runtime/http.js';
import { coalesce, HttpProtocolError, MAX_HEAD_BYTES, ResponseParser, streamGet, type StreamedBody } from '../../../src/runtime/stream-get.js';

/** One HTTP chunk holding `part`. */
function chunk(part: Buffer, extension = ''): Buffer {
  return Buffer.concat([Buffer.from(`${part.length.toString(16)}${extension}\r\n`), part, Buffer.from('\r\n')]);
}

/** A whole chunked body of `parts`, with an extension on the first size line and a trailer. */
function chunked(parts: readonly Buffer[]): Buffer {
  const pieces = parts.filter((part) => part.length > 0).map((part, i) => chunk(part, i === 0 ? ';name=value' : ''));
  return Buffer.concat([...pieces, Buffer.from('0\r\nX-Trailer: yes\r\n\r\n')]);
}

const HEAD_CHUNKED = 'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nTransfer-Encoding: chunked\r\n\r\n';

/** Feed `bytes` in the given piece sizes (cycled); the body bytes, and whether the response completed. */
function parse(bytes: Buffer, sizes: readonly number[]): { body: Buffer; done: boolean; parser: ResponseParser } {
  const parser = new ResponseParser();
  const body: Buffer[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    // Each piece is a copy the "socket" may reuse: the parser must not keep views of it beyond the call.
    const piece = Buffer.from(bytes.subarray(offset, offset + size));
    for (const b of parser.feed(piece)) body.push(Buffer.from(b));
    piece.fill(0x58);
    offset += size;
  }
  return { body: Buffer.concat(body), done: parser.done, parser };
}

describe('ResponseParser', () => {
  const payload = [Buffer.from('line one\n'), randomBytes(20_000), Buffer.from([0, 1, 2, 13, 10, 0x30]), Buffer.from('x')];
  const response = Buffer.concat([Buffer.from(HEAD_CHUNKED), chunked(payload)]);

  it('decodes a chunked body byte for byte when fed one byte at a time', () => {
    const { body, done, parser } = parse(response, [1]);
    expect(body.equals(Buffer.concat(payload))).toBe(true);
    expect(done).toBe(true);
    expect(parser.status).toBe(200);
    expect(parser.headers['content-type']).toBe('application/vnd.docker.raw-stream');
  });

  it('decodes the same bytes however the response is cut (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const { body, done } = parse(response, sizes);
        expect(body.equals(Buffer.concat(payload))).toBe(true);
        expect(done).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a Content-Length body and stops there, ignoring what follows', () => {
    const text = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more';
    const { body, done } = parse(Buffer.from(text), [3]);
    expect([body.toString(), done]).toEqual(['hello', true]);
  });

  it('reads a body without length until the connection closes', () => {
    const { body, done, parser } = parse(Buffer.from('HTTP/1.0 200 OK\r\n\r\nraw bytes'), [4]);
    expect([body.toString(), done, parser.closeDelimited]).toEqual(['raw bytes', false, true]);
  });

  it('skips an interim 100 Continue head', () => {
    const { body, parser } = parse(Buffer.from(`HTTP/1.1 100 Continue\r\n\r\n${HEAD_CHUNKED}3\r\nabc\r\n0\r\n\r\n`), [7]);
    expect([parser.status, body.toString()]).toEqual([200, 'abc']);
  });

  it('joins repeated headers and accepts upper-case hex and whitespace before an extension', () => {
    const { body, parser } = parse(Buffer.from('HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nTransfer-Encoding: chunked\r\n\r\nA ;e\r\n0123456789\r\n0\r\n\r\n'), [1]);
    expect([parser.headers['x-a'], body.toString()]).toEqual(['1, 2', '0123456789']);
  });

  it.each([
    ['a status line that is not HTTP/1.x', 'SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP\/1.1 response/],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n', /malformed header line/],
    ['a bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /invalid Content-Length/],
    ['a chunk size that is not hex', `${HEAD_CHUNKED}zz\r\n`, /invalid byte 0x7a in a chunk size/],
    ['an empty chunk size line', `${HEAD_CHUNKED}\r\n`, /without a size/],
    ['digits after whitespace in a chunk size', `${HEAD_CHUNKED}1 0\r\n`, /invalid byte 0x30/],
    ['a chunk size of more than 12 hex digits', `${HEAD_CHUNKED}1000000000000\r\n`, /more than 12 hex digits/],
    ['chunk data not followed by CRLF', `${HEAD_CHUNKED}3\r\nabcd\r\n`, /not followed by CRLF/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parse(Buffer.from(text), [1])).toThrow(HttpProtocolError);
    expect(() => parse(Buffer.from(text), [text.length])).toThrow(message);
  });

  it('refuses a response head longer than MAX_HEAD_BYTES instead of growing without bound', () => {
    const head = `HTTP/1.1 200 OK\r\n${'X-Pad: y\r\n'.repeat(MAX_HEAD_BYTES / 10 + 1)}\r\n`;
    expect(() => parse(Buffer.from(head), [1000])).toThrow(/response head longer than/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Against a real socket

const servers: Server[] = [];
const dir = mkdtempSync(join(tmpdir(), 'must-gather-stream-get-'));
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A unix socket server that answers each connection with `respond`, after reading the request head. */
async function serve(respond: (socket: Socket, request: string) => void): Promise<string> {
  const path = join(dir, `s${servers.length}.sock`);
  const server = createServer((socket) => {
    let request = '';
    socket.on('data', (chunk) => {
      request += chunk.toString('latin1');
      if (request.includes('\r\n\r\n')) respond(socket, request);
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return path;
}

async function readAll(body: StreamedBody): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('streamGet over a socket', () => {
  it('sends one GET with the query and reads a chunked body, written a frame at a time, to its end', async () => {
    const frames = Array.from({ length: 2000 }, (_, i) => Buffer.from(`frame ${i}\n`));
    let seen = '';
    const path = await serve((socket, request) => {
      seen = request;
      socket.write(HEAD_CHUNKED);
      for (const f of frames) socket.write(chunk(f));
      socket.write('0\r\n\r\n');
      // The server keeps the connection open: the body's end is known from the framing alone.
    });
    const body = await streamGet({ kind: 'unix', socketPath: path }, '/containers/abc/logs', { stdout: true, tail: '10' });
    expect((await readAll(body)).equals(Buffer.concat(frames))).toBe(true);
    expect(body.error()).toBeNull();
    expect(seen.split('\r\n')[0]).toBe('GET /containers/abc/logs?stdout=true&tail=10 HTTP/1.1');
  });

  it('rejects an error status with the engine’s message, as the other API calls do', async () => {
    const path = await serve((socket) => {
      const json = '{"message":"No such container: nope"}';
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`);
    });
    const error = await streamGet({ kind: 'unix', socketPath: path }, '/containers/nope/logs', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiStatusError);
    expect([(error as ApiStatusError).statusCode, (error as ApiStatusError).json?.message]).toEqual([404, 'No such container: nope']);
  });

  it('keeps what arrived and says why when the connection drops inside a chunk', async () => {
    const path = await serve((socket) => {
      socket.write(`${HEAD_CHUNKED}a\r\n0123456789\r\na\r\nabc`);
      setTimeout(() => socket.destroy(), 20);
    });
    const body = await streamGet({ kind: 'unix', socketPath: path }, '/x', {});
    expect((await readAll(body)).toString()).toBe('0123456789abc');
    expect(body.error()).toBeInstanceOf(HttpProtocolError);
    expect(String(body.error())).toMatch(/connection closed before the response ended/);
  });

  it('ends a body the server never finishes once the signal aborts, and says so', async () => {
    const path = await serve((socket) => socket.write(`${HEAD_CHUNKED}5\r\nhello\r\n`));
    const controller = new AbortController();
    const body = await streamGet({ kind: 'unix', socketPath: path }, '/x', {}, controller.signal);
    setTimeout(() => controller.abort(new Error('run timed out')), 30);
    expect((await readAll(body)).toString()).toBe('hello');
    expect(String(body.error())).toMatch(/run timed out/);
  });

  it('rejects when the signal aborts before the server answers at all', async () => {
    const path = await serve(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('gave up')), 30);
    await expect(streamGet({ kind: 'unix', socketPath: path }, '/x', {}, controller.signal)).rejects.toThrow(/gave up/);
  });

  it('rejects when nothing listens on the socket', async () => {
    await expect(streamGet({ kind: 'unix', socketPath: join(dir, 'none.sock') }, '/x', {})).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads a large body through a slow reader without losing or reordering a byte (backpressure)', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const path = await serve((socket) => {
      socket.write(HEAD_CHUNKED);
      for (let o = 0; o < data.length; o += 100_000) socket.write(chunk(data.subarray(o, o + 100_000)));
      socket.write('0\r\n\r\n');
    });
    const body = await streamGet({ kind: 'unix', socketPath: path }, '/x', {});
    const chunks: Buffer[] = [];
    for await (const chunk of body.stream) {
      chunks.push(chunk as Buffer);
      await new Promise((r) => setImmediate(r));
    }
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });
});

describe('streamGet over TLS', () => {
  const certDir = mkdtempSync(join(tmpdir(), 'must-gather-tls-'));
  afterAll(() => rmSync(certDir, { recursive: true, force: true }));
  // A self-signed certificate for "localhost" (openssl is part of every machine this runs on).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  const cert = readFileSync(join(certDir, 'cert.pem'));
  const key = readFileSync(join(certDir, 'key.pem'));

  async function tlsServer(): Promise<number> {
    const server = createTlsServer({ cert, key }, (socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"secure"'));
      socket.on('error', () => {});
    });
    servers.push(server as unknown as Server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  it('checks the engine’s certificate against the host it dials, and reads the body', async () => {
    const port = await tlsServer();
    const body = await streamGet({ kind: 'tcp', host: 'localhost', port, tls: { ca: cert } }, '/x', {});
    expect((await readAll(body)).toString()).toBe('"secure"');
  });

  it('node’s client for the small answers checks the same host (not the `Host: docker` header)', async () => {
    const port = await tlsServer();
    const res = await httpGet({ kind: 'tcp', host: 'localhost', port, tls: { ca: cert } }, '/version', {});
    expect(await readBody(res)).toBe('"secure"');
  });

  it('refuses a certificate it cannot trust', async () => {
    const port = await tlsServer();
    await expect(streamGet({ kind: 'tcp', host: 'localhost', port, tls: {} }, '/x', {})).rejects.toThrow(/self[- ]signed|unable to verify/i);
  });
});

describe('coalesce (bodies from node’s http client, over ssh)', () => {
  it('hands on what arrived in few pieces, every byte in order', async () => {
    const source = new PassThrough();
    const body = coalesce(source);
    const frames = Array.from({ length: 5000 }, (_, i) => Buffer.from(`line ${i}\n`));
    for (const f of frames) source.write(f);
    source.end();
    const chunks: Buffer[] = [];
    for await (const chunk of body.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(Buffer.concat(frames))).toBe(true);
    expect(chunks.length).toBeLessThan(frames.length / 10);
    expect(body.error()).toBeNull();
  });

  it('ends with what arrived when the response fails, and says why', async () => {
    const source = new PassThrough();
    const body = coalesce(source);
    source.write('partial');
    setTimeout(() => source.destroy(new Error('socket hang up')), 10);
    expect((await readAll(body)).toString()).toBe('partial');
    expect(String(body.error())).toMatch(/socket hang up/);
  });
});
