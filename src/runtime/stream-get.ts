import { connect as netConnect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Endpoint } from './endpoint.js';
import { ApiStatusError, queryString, tcpTarget, type Query } from './http.js';

/*
 * A minimal HTTP/1.1 GET for the one hot path: a container's log. Node's http client hands every HTTP chunk
 * to JavaScript on its own, and engines send one chunk per log frame: 100 MB of 14-byte lines is 7.1 million
 * parser callbacks, 5.4 s of CPU, where reading the same response from the socket costs 1.9 s and decoding it
 * here a fraction more (bench/RESULTS.md). The socket's reads are decoded as they come, a few KiB at a time.
 * Every other call (small JSON answers) stays on node's client.
 */

/** A response body that ends (never errors) when the response ends or fails; `error()` says which. */
export interface StreamedBody {
  readonly stream: Readable;
  /** Why the body ended early, once `stream` has ended; null when it ended where the response said. */
  error(): unknown;
}

/** The longest response head accepted (status line and headers). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** The longest chunk-size or trailer line accepted. */
const MAX_LINE_BYTES = 4096;
/** How much of an error answer's body is kept for its message. */
const MAX_ERROR_BODY = 64 * 1024;

export class HttpProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpProtocolError';
  }
}

type State = 'head' | 'chunk-size' | 'chunk-ext' | 'chunk-data' | 'chunk-end' | 'trailers' | 'length' | 'until-close' | 'done';

const CR = 0x0d;
const LF = 0x0a;

/** The value of a hex digit byte, or -1. */
function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * The response side of HTTP/1.1 as a push parser: feed it the socket's bytes in any pieces; it returns the
 * body's bytes (views of the input, never copies) and knows when the response is complete. Framing as RFC 9112
 * says: `Transfer-Encoding: chunked`, else `Content-Length`, else the body runs until the connection closes.
 */
export class ResponseParser {
  #state: State = 'head';
  /** The line being read (head, chunk size, chunk end, trailer), in the pieces it arrived in. */
  #line: Buffer[] = [];
  #lineBytes = 0;
  #head: string[] = [];
  #headBytes = 0;
  #remaining = 0;
  /** Hex digits of the chunk size read so far. */
  #sizeDigits = 0;
  /** Whether the chunk-end CR has been seen. */
  #sawCr = false;
  #status = 0;
  #headers: Record<string, string> = {};

  /** The status code, once the head has been read (0 before). */
  get status(): number {
    return this.#status;
  }

  /** Header names in lower case; a repeated header's values joined with `, `. */
  get headers(): Readonly<Record<string, string>> {
    return this.#headers;
  }

  get headComplete(): boolean {
    return this.#state !== 'head';
  }

  /** The whole response has been read. */
  get done(): boolean {
    return this.#state === 'done';
  }

  /** The body runs until the connection closes, so a close ends it where it should. */
  get closeDelimited(): boolean {
    return this.#state === 'until-close';
  }

  /** Parse the next bytes; returns the body bytes among them. Throws {@link HttpProtocolError}. */
  feed(chunk: Buffer): Buffer[] {
    const body: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length && this.#state !== 'done') {
      if (this.#state === 'chunk-data' || this.#state === 'length') {
        const take = Math.min(this.#remaining, chunk.length - offset);
        body.push(chunk.subarray(offset, offset + take));
        offset += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = this.#state === 'length' ? 'done' : 'chunk-end';
        continue;
      }
      if (this.#state === 'until-close') {
        body.push(chunk.subarray(offset));
        break;
      }
      // Chunk framing, byte by byte: one of these per log frame, so no strings and no copies.
      if (this.#state === 'chunk-size' || this.#state === 'chunk-ext' || this.#state === 'chunk-end') {
        offset = this.#framing(chunk, offset);
        continue;
      }
      offset = this.#readLine(chunk, offset);
      if (offset === -1) break;
      this.#onLine(this.#takeLine());
    }
    return body;
  }

  /**
   * Read chunk framing from `offset`: the size line (hex digits, optional whitespace and `;extensions`, CRLF)
   * or the CRLF after a chunk's data. Returns the offset where framing stops (data, or the chunk's end).
   */
  #framing(chunk: Buffer, offset: number): number {
    while (offset < chunk.length) {
      const byte = chunk[offset]!;
      if (this.#state === 'chunk-end') {
        offset++;
        if (byte === CR && !this.#sawCr) {
          this.#sawCr = true;
          continue;
        }
        if (byte !== LF) throw new HttpProtocolError('chunk data not followed by CRLF');
        this.#sawCr = false;
        this.#state = 'chunk-size';
        continue;
      }
      if (byte === LF) {
        offset++;
        if (this.#sizeDigits === 0) throw new HttpProtocolError('chunk size line without a size');
        this.#sizeDigits = 0;
        this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data';
        return offset;
      }
      offset++;
      if (this.#state === 'chunk-ext') continue;
      const digit = hexValue(byte);
      if (digit !== -1 && this.#sizeDigits >= 0) {
        if (++this.#sizeDigits > 12) throw new HttpProtocolError('chunk size of more than 12 hex digits');
        this.#remaining = this.#remaining * 16 + digit;
      } else if (byte === 0x3b /* ; */) {
        if (this.#sizeDigits === 0) throw new HttpProtocolError('chunk size line without a size');
        this.#state = 'chunk-ext';
      } else if (byte === 0x20 || byte === 0x09 || byte === CR) {
        // Whitespace or the CR after the size: no more digits may follow.
        if (this.#sizeDigits > 0) this.#sizeDigits = -this.#sizeDigits;
      } else {
        throw new HttpProtocolError(`invalid byte 0x${byte.toString(16).padStart(2, '0')} in a chunk size`);
      }
    }
    return offset;
  }

  /** Gather the current line up to its `\n`: the offset after it, or -1 when the chunk ended first. */
  #readLine(chunk: Buffer, offset: number): number {
    const newline = chunk.indexOf(0x0a, offset);
    const end = newline === -1 ? chunk.length : newline + 1;
    const max = this.#state === 'head' ? MAX_HEAD_BYTES - this.#headBytes : MAX_LINE_BYTES;
    if (this.#lineBytes + end - offset > max) throw new HttpProtocolError(this.#state === 'head' ? `response head longer than ${MAX_HEAD_BYTES} bytes` : `${this.#state} line longer than ${MAX_LINE_BYTES} bytes`);
    // A piece that outlives this chunk is copied: the caller may reuse it.
    this.#line.push(newline === -1 ? Buffer.from(chunk.subarray(offset)) : chunk.subarray(offset, end));
    this.#lineBytes += end - offset;
    return newline === -1 ? -1 : end;
  }

  /** The line just read, without its line ending. */
  #takeLine(): string {
    const line = Buffer.concat(this.#line, this.#lineBytes).toString('latin1');
    this.#line = [];
    this.#lineBytes = 0;
    return line.replace(/\r?\n$/, '');
  }

  #onLine(line: string): void {
    switch (this.#state) {
      case 'head':
        if (line !== '') {
          this.#head.push(line);
          this.#headBytes += line.length + 2;
          return;
        }
        this.#parseHead(this.#head);
        this.#head = [];
        this.#headBytes = 0;
        return;
      case 'trailers':
        if (line === '') this.#state = 'done';
        return;
      default:
        return;
    }
  }

  #parseHead([statusLine = '', ...lines]: readonly string[]): void {
    const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
    if (!status) throw new HttpProtocolError(`not an HTTP/1.1 response: ${JSON.stringify(statusLine.slice(0, 80))}`);
    const code = Number(status[1]);
    // An interim answer (100 Continue): the real head follows.
    if (code >= 100 && code < 200) return;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new HttpProtocolError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    this.#status = code;
    this.#headers = headers;
    const codings = (headers['transfer-encoding'] ?? '')
      .toLowerCase()
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    if (code === 204 || code === 304) this.#state = 'done';
    else if (codings.length > 0 && codings[codings.length - 1] === 'chunked') this.#state = 'chunk-size';
    else if (codings.length === 0 && headers['content-length'] !== undefined) {
      const length = headers['content-length'];
      if (!/^\d{1,15}$/.test(length)) throw new HttpProtocolError(`invalid Content-Length: ${JSON.stringify(length)}`);
      this.#remaining = Number(length);
      this.#state = this.#remaining === 0 ? 'done' : 'length';
    } else this.#state = 'until-close';
  }
}

/** A socket to the endpoint, connecting (writes are queued until it has). */
async function openSocket(endpoint: Exclude<Endpoint, { kind: 'ssh' }>): Promise<Socket> {
  if (endpoint.kind === 'unix') return netConnect({ path: endpoint.socketPath });
  if (endpoint.tls === null) return netConnect({ host: endpoint.host, port: endpoint.port });
  // Loaded only for TLS endpoints.
  const { connect } = await import('node:tls');
  return connect(tcpTarget(endpoint));
}

/**
 * GET `path` from a unix or tcp (TLS) Engine API, the body streamed as the socket delivers it. Resolves once
 * a 2xx head has arrived; rejects with {@link ApiStatusError} for any other status, or with the connection's
 * error. `signal` aborts the connection at any time; the body then ends and `error()` says so.
 */
export async function streamGet(endpoint: Exclude<Endpoint, { kind: 'ssh' }>, path: string, query: Query, signal?: AbortSignal): Promise<StreamedBody> {
  signal?.throwIfAborted();
  const socket = await openSocket(endpoint);
  const parser = new ResponseParser();
  let failure: unknown = null;
  let ended = false;
  let pending: { resolve: (body: StreamedBody) => void; reject: (error: unknown) => void } | null = null;
  const head = new Promise<StreamedBody>((resolve, reject) => (pending = { resolve, reject }));
  const errorBody: Buffer[] = [];
  let errorBytes = 0;

  const stream = new Readable({
    read: () => socket.resume(),
    destroy: (error, callback) => {
      // The consumer gave up: nothing more is wanted from the engine.
      finish(new Error('body closed by its reader'));
      callback(error);
    },
  });
  const body: StreamedBody = { stream, error: () => failure };
  const ok = (): boolean => parser.status >= 200 && parser.status < 300;
  const settle = (): void => {
    const waiting = pending;
    pending = null;
    if (waiting === null) return;
    if (parser.headComplete && ok()) waiting.resolve(body);
    else if (parser.headComplete && failure === null) waiting.reject(new ApiStatusError(parser.status, Buffer.concat(errorBody).toString('utf8')));
    else waiting.reject(failure ?? new HttpProtocolError('connection closed before the response head'));
  };
  function finish(error: unknown): void {
    if (ended) return;
    ended = true;
    failure ??= error;
    signal?.removeEventListener('abort', onAbort);
    socket.destroy();
    settle();
    stream.push(null);
  }
  function onAbort(): void {
    finish(signal?.reason ?? new Error('aborted'));
  }

  socket.on('data', (chunk: Buffer) => {
    if (ended) return;
    let pieces: Buffer[];
    try {
      pieces = parser.feed(chunk);
    } catch (error) {
      finish(error);
      return;
    }
    if (!parser.headComplete) return;
    if (ok()) {
      settle();
      if (pieces.length > 0 && !stream.push(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces))) socket.pause();
    } else {
      // An error answer: its (small) body is the engine's message.
      for (const piece of pieces) {
        const room = MAX_ERROR_BODY - errorBytes;
        if (room <= 0) break;
        errorBody.push(Buffer.from(piece.subarray(0, room)));
        errorBytes += Math.min(piece.length, room);
      }
    }
    if (parser.done) finish(null);
  });
  socket.on('error', (error) => finish(error));
  socket.on('close', () => finish(parser.done || parser.closeDelimited ? null : new HttpProtocolError('connection closed before the response ended')));
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  // No half-close after the request: Go's server (docker, podman) takes EOF on the connection as the client
  // having gone, and cancels the request.
  socket.write(`GET ${path}${queryString(query)} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`);
  return head;
}


/**
 * A body that arrives through node's http client (docker-modem's, over ssh) read in paused mode, handing on
 * everything buffered at once: `read()` joins the one-frame chunks the socket brought, so the stages after it
 * see a few large pieces instead of millions of tiny ones.
 */
export function coalesce(res: Readable): StreamedBody {
  let failure: unknown = null;
  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    out.push(null);
  };
  const pump = (): void => {
    let chunk: Buffer | null;
    while (!ended && (chunk = res.read() as Buffer | null) !== null) {
      if (!out.push(chunk)) return;
    }
  };
  const out = new Readable({
    read: pump,
    destroy(error, callback) {
      // The consumer gave up: stop the transfer rather than leave a socket paused forever.
      if (!res.readableEnded) res.destroy();
      callback(error);
    },
  });
  res.on('readable', pump);
  res.once('end', finish);
  res.once('error', (error) => {
    failure ??= error;
    finish();
  });
  res.once('close', () => {
    // Destroyed before its end: whatever the stream's state, nothing more will come.
    if (!res.readableEnded) failure ??= new Error('response closed before its end');
    finish();
  });
  return { stream: out, error: () => failure };
}
