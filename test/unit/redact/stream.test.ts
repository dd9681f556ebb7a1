import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSizeLimiter, cutMarker } from '../../../src/gather/size-limit.js';
import { BUILTIN_REACH, REDACTION_MARKER, compileRedaction, parseRedactPattern } from '../../../src/redact/rules.js';
import { DEFAULT_BATCH_BYTES, RedactionEngine, SEGMENT_MAX, createRedactor, redactBuffer } from '../../../src/redact/stream.js';

const R = REDACTION_MARKER;

/** Run `input` through a fresh engine, cut at `cuts` (sorted offsets). */
function streamed(input: Buffer, cuts: readonly number[], engine: RedactionEngine): { output: Buffer; counts: Record<string, number> } {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    out.push(engine.write(input.subarray(from, cut)));
    from = cut;
  }
  out.push(engine.end());
  return { output: Buffer.concat(out), counts: engine.counts() };
}

function sortedCounts(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Pieces that planted together make secrets, near-secrets and binary noise. */
const FRAGMENTS = [
  'postgres://app:hunter22@db/app', 'redis://:p@ss w0rd@cache', 'password=abc123', '"password": "x\\"y"', "pwd='a b'",
  'Authorization: Bearer abc', 'bearer abc.def-123456', 'Basic dXNlcjpwYXNz', 'Proxy-Authorization: Basic Zm9v',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', 'AKIAIOSFODNN7EXAMPLE', 'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc==\n-----END RSA PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----\\nMIIE\\n',
  'Lit3ral-Secret', 'Lit3ral', 'session=0123456789abcdef', 'sid=42', '\n', '\r\n', '\x00', '\xff\xfe', '\xc3\x28', ' ', 'x', '=', ':',
  '@', '-----', '"', '\\', 'ey', 'A',
];
const OPTIONS = {
  literals: ['Lit3ral-Secret', 'hunter22', 'pa"ss\\word'],
  extraPatterns: [parseRedactPattern('session=(?<secret>[0-9a-f]{16})'), parseRedactPattern('^sid=\\d+$')],
};
const COMPILED = compileRedaction(OPTIONS);
/** Bland text a bit longer than the reach, so that windows end inside the planted fragments. */
const FILLER = Buffer.from('2026-11-22T02:07:03Z INFO ok line 0123456789\n'.repeat(Math.ceil((BUILTIN_REACH + 4096) / 45)), 'latin1');

const planted = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b).toString('latin1'))), {
    maxLength: 40,
  })
  .map((parts) => Buffer.from(parts.join(''), 'latin1'));

/** Chunk boundaries: any offsets, including runs of 1-byte chunks. */
function cutsOf(length: number): fc.Arbitrary<number[]> {
  return fc
    .array(fc.integer({ min: 0, max: length }), { maxLength: 40 })
    .chain((points) =>
      fc.boolean().map((dense) => {
        const set = new Set(points);
        if (dense && length > 0) {
          // a run of 1-byte chunks somewhere
          const at = points[0] ?? 0;
          for (let i = at; i < Math.min(length, at + 64); i++) set.add(i);
        }
        return [...set].sort((a, b) => a - b);
      }),
    );
}

describe('createRedactor', () => {
  it('is a Transform that redacts and counts', async () => {
    const redactor = createRedactor({ literals: ['Sup3rS3cret'] });
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([Buffer.from('user=app passw'), Buffer.from('ord=Sup3r'), Buffer.from('S3cret\nbye\n')]),
      redactor,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          out.push(chunk);
          callback();
        },
      }),
    );
    expect(Buffer.concat(out).toString()).toBe(`user=app password=${R}\nbye\n`);
    expect(redactor.counts()).toEqual({ 'password-pair': 1, 'env-literal': 1 });
  });

  it('passes an input without secrets through unchanged, whatever its bytes', () => {
    const input = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const { output, counts } = streamed(input, [1, 2, 3, 1000, 4095], new RedactionEngine({}, { batchBytes: 1 }));
    expect(output.equals(input)).toBe(true);
    expect(counts).toEqual({});
  });

  it('rejects a batch size below 1', () => {
    expect(() => new RedactionEngine({}, { batchBytes: 0 })).toThrow(RangeError);
  });
});

describe('streaming equals the reference redaction for any chunking (fast-check)', () => {
  it('with decisions at every chunk boundary (batchBytes 1), secrets planted where the windows end', () => {
    fc.assert(
      fc.property(
        planted.chain((head) => {
          const input = Buffer.concat([head, FILLER, head]);
          return fc.tuple(fc.constant(input), cutsOf(input.length));
        }),
        ([input, cuts]) => {
          const reference = redactBuffer(input, COMPILED);
          const got = streamed(input, cuts, new RedactionEngine(COMPILED, { batchBytes: 1 }));
          expect(got.output.toString('latin1')).toBe(reference.output.toString('latin1'));
          expect(sortedCounts(got.counts)).toEqual(sortedCounts(reference.counts));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with small inputs cut anywhere, including into 1-byte chunks', () => {
    fc.assert(
      fc.property(
        planted.chain((input) => fc.tuple(fc.constant(input), fc.boolean())),
        ([input, everyByte]) => {
          const cuts = everyByte ? Array.from({ length: input.length }, (_, i) => i) : [Math.floor(input.length / 2)];
          const reference = redactBuffer(input, COMPILED);
          const got = streamed(input, cuts, new RedactionEngine(COMPILED));
          expect(got.output.equals(reference.output)).toBe(true);
          expect(sortedCounts(got.counts)).toEqual(sortedCounts(reference.counts));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('1-byte chunks with the default batch: secrets across the first window end', () => {
    // With 1-byte chunks the first decision comes when reach + batch bytes are in, and covers the first
    // DEFAULT_BATCH_BYTES bytes: plant secrets across that offset.
    const around = Buffer.from(FRAGMENTS.slice(0, 17).join(' | '), 'latin1');
    const pad = Buffer.alloc(DEFAULT_BATCH_BYTES - Math.floor(around.length / 2), 'z');
    const input = Buffer.concat([pad, around, FILLER, Buffer.alloc(DEFAULT_BATCH_BYTES, 'y'), around]);
    const engine = new RedactionEngine(COMPILED);
    const out: Buffer[] = [];
    for (let i = 0; i < input.length; i++) out.push(engine.write(input.subarray(i, i + 1)));
    out.push(engine.end());
    const reference = redactBuffer(input, COMPILED);
    expect(Buffer.concat(out).equals(reference.output)).toBe(true);
    expect(sortedCounts(engine.counts())).toEqual(sortedCounts(reference.counts));
    expect(reference.counts['url-userinfo']).toBe(4);
    expect(reference.output.includes('hunter22')).toBe(false);
  });

  it('a literal longer than the built-in reach is found across any cut', () => {
    const literal = `LONG-${'k'.repeat(BUILTIN_REACH + 1000)}-END`;
    const input = Buffer.from(`start ${literal} middle ${literal} end`, 'latin1');
    const compiled = compileRedaction({ literals: [literal] });
    for (const cut of [1, 6, 7, 100, BUILTIN_REACH, literal.length, literal.length + 6, input.length - 5]) {
      const got = streamed(input, [cut], new RedactionEngine(compiled, { batchBytes: 1 }));
      expect(got.output.toString('latin1')).toBe(`start ${R} middle ${R} end`);
      expect(got.counts).toEqual({ 'env-literal': 2 });
    }
  });

  it('matches --redact patterns in pieces of SEGMENT_MAX bytes of a long line, the same for any chunking', () => {
    const line = `${'a'.repeat(SEGMENT_MAX - 4)}sid=1234${'b'.repeat(10)}token=99\nsid=7\n`;
    const input = Buffer.from(line, 'latin1');
    const compiled = compileRedaction({ extraPatterns: [/sid=\d+/, /token=\d+/] });
    const reference = redactBuffer(input, compiled);
    // `sid=1234` straddles the piece boundary: not a match; `token=99` and `sid=7` are.
    expect(reference.output.toString('latin1')).toBe(`${'a'.repeat(SEGMENT_MAX - 4)}sid=1234${'b'.repeat(10)}${R}\n${R}\n`);
    for (const cut of [1, SEGMENT_MAX - 1, SEGMENT_MAX, SEGMENT_MAX + 1, SEGMENT_MAX + 3, input.length - 1]) {
      expect(streamed(input, [cut], new RedactionEngine(compiled, { batchBytes: 1 })).output.equals(reference.output)).toBe(true);
    }
  });
});

describe('line pieces for --redact patterns', () => {
  it('a CRLF line of exactly SEGMENT_MAX bytes is one piece, matched without its \\r', () => {
    const line = `${'a'.repeat(SEGMENT_MAX - 4)}k=1\r`;
    const input = Buffer.from(`${line}\n${line}`, 'latin1');
    const compiled = compileRedaction({ extraPatterns: [/=1$/] });
    // The last line has no \n, so its \r stays part of it and `$` does not match there.
    const expected = `${'a'.repeat(SEGMENT_MAX - 4)}k${R}\r\n${line}`;
    expect(redactBuffer(input, compiled).output.toString('latin1')).toBe(expected);
    for (const cuts of [[], [SEGMENT_MAX - 1], [SEGMENT_MAX], [SEGMENT_MAX + 1], [input.length - 1]]) {
      expect(streamed(input, cuts, new RedactionEngine(compiled)).output.toString('latin1')).toBe(expected);
    }
  });
});

describe('memory', () => {
  it('streams 200 MB without a newline through the redactor and the limiter with bounded heap', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const TOTAL = 200 * 1024 * 1024;
    const CHUNK = 64 * 1024;
    // One secret per 64 KiB chunk, some of them across chunk boundaries; no newline anywhere.
    const secret = 'password=Sup3rS3cret-value ';
    const chunk = Buffer.alloc(CHUNK, 'q');
    chunk.write(secret, 1000, 'latin1');
    chunk.write(secret.slice(0, 5), CHUNK - 5, 'latin1');
    const first = Buffer.from(chunk);
    chunk.write(secret.slice(5), 0, 'latin1');

    const MAX = 8 * 1024 * 1024;
    const redactor = createRedactor({ literals: ['Sup3rS3cret-value'], extraPatterns: [/never-matches-\d+/] });
    const limiter = createSizeLimiter(MAX);
    let sent = 0;
    let written = 0;
    let tail = Buffer.alloc(0);
    let baseline = 0;
    let peak = 0;
    const sample = () => {
      gc();
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    gc();
    baseline = sample();
    await pipeline(
      new Readable({
        read() {
          if (sent >= TOTAL) {
            this.push(null);
            return;
          }
          this.push(sent === 0 ? first : chunk);
          sent += CHUNK;
          if (sent % (16 * 1024 * 1024) === 0) peak = Math.max(peak, sample() - baseline);
        },
      }),
      redactor,
      limiter,
      new Writable({
        write(data: Buffer, _encoding, callback) {
          written += data.length;
          tail = Buffer.concat([tail, data]).subarray(-64);
          callback();
        },
      }),
    );
    // Bounded: the limiter's 4 MiB ring and the redactor's window, not hundreds of MB.
    expect(peak).toBeLessThan(48 * 1024 * 1024);
    const chunks = TOTAL / CHUNK;
    expect(redactor.counts()).toEqual({ 'password-pair': 2 * chunks - 1, 'env-literal': 2 * chunks - 1 });
    const redactedSize = TOTAL - (2 * chunks - 1) * ('Sup3rS3cret-value'.length - R.length);
    expect(limiter.totalBytes()).toBe(redactedSize);
    expect(limiter.cutBytes()).toBe(redactedSize - MAX);
    expect(written).toBe(MAX + cutMarker(redactedSize - MAX, '8MiB').length);
    expect(tail.toString('latin1')).toBe(`${'q'.repeat(59)}passw`);
  });
});
