import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SizeLimiter, createSizeLimiter, cutMarker } from '../../../src/gather/size-limit.js';

/** Feed `input` cut at `cuts` through a limiter; resolve with the output. */
async function limit(input: Buffer, maxBytes: number, cuts: readonly number[] = [], label?: string): Promise<{ output: Buffer; limiter: SizeLimiter }> {
  const limiter = createSizeLimiter(maxBytes, label === undefined ? {} : { label });
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    chunks.push(input.subarray(from, cut));
    from = cut;
  }
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks.filter((c) => c.length > 0)),
    limiter,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return { output: Buffer.concat(out), limiter };
}

describe('cutMarker', () => {
  it('is one line of its own, saying how many bytes were cut and by which limit', () => {
    expect(cutMarker(123456, '50MB')).toBe('\n[must-gather: 123456 bytes cut here by --max-log-size 50MB]\n');
  });
});

describe('createSizeLimiter', () => {
  it('passes a stream at or under the limit through unchanged', async () => {
    const input = Buffer.from('0123456789');
    for (const max of [10, 11, 1000]) {
      const { output, limiter } = await limit(input, max, [3, 7]);
      expect(output.toString()).toBe('0123456789');
      expect(limiter.cutBytes()).toBe(0);
      expect(limiter.totalBytes()).toBe(10);
    }
  });

  it('keeps the first half and the last half with the marker between', async () => {
    const { output, limiter } = await limit(Buffer.from('0123456789abcdefghij'), 10, [1, 2, 13]);
    expect(output.toString()).toBe(`01234${cutMarker(10, '10B')}fghij`);
    expect(limiter.cutBytes()).toBe(10);
    expect(limiter.totalBytes()).toBe(20);
  });

  it('gives the tail the odd byte', async () => {
    const { output } = await limit(Buffer.from('0123456789abcdefghij'), 7);
    expect(output.toString()).toBe(`012${cutMarker(13, '7B')}ghij`);
  });

  it('cuts a single byte over the limit', async () => {
    const { output, limiter } = await limit(Buffer.from('abcde'), 4, [], '4 bytes');
    expect(output.toString()).toBe(`ab${cutMarker(1, '4 bytes')}de`);
    expect(limiter.cutBytes()).toBe(1);
  });

  it('keeps only the last byte with a limit of 1', async () => {
    expect((await limit(Buffer.from('xyz'), 1)).output.toString()).toBe(`${cutMarker(2, '1B')}z`);
  });

  it('names the limit in the largest exact unit by default', async () => {
    const input = Buffer.alloc(3 * 1024 * 1024, 'a');
    const { output } = await limit(input, 2 * 1024 * 1024);
    const marker = cutMarker(1024 * 1024, '2MiB');
    expect(output.subarray(1024 * 1024, 1024 * 1024 + marker.length).toString()).toBe(marker);
    expect(output.length).toBe(2 * 1024 * 1024 + marker.length);
  });

  it('treats 0 and Infinity as no limit', async () => {
    const input = Buffer.alloc(100_000, 'z');
    for (const max of [0, Infinity]) {
      const { output, limiter } = await limit(input, max, [1, 50_000]);
      expect(output.equals(input)).toBe(true);
      expect(limiter.cutBytes()).toBe(0);
    }
  });

  it('keeps invalid UTF-8 and NUL bytes exactly', async () => {
    const input = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x80, 0x00, 0xfe, 0xfd, 0x00, 0x0a, 0xc0]);
    const { output } = await limit(input, 6, [1, 5]);
    expect(output).toEqual(Buffer.concat([input.subarray(0, 3), Buffer.from(cutMarker(5, '6B')), input.subarray(8)]));
  });

  it('accepts string chunks', async () => {
    const limiter = createSizeLimiter(4);
    const out: Buffer[] = [];
    limiter.on('data', (chunk: Buffer) => out.push(chunk));
    const done = new Promise((resolve) => limiter.on('end', resolve));
    limiter.write('hello');
    limiter.end('world');
    await done;
    expect(Buffer.concat(out).toString()).toBe(`he${cutMarker(6, '4B')}ld`);
  });

  it.each([-1, 1.5, NaN, Number.MAX_SAFE_INTEGER + 1])('rejects maxBytes %d', (max) => {
    expect(() => createSizeLimiter(max)).toThrow(RangeError);
  });

  it('keeps exact head and tail bytes for any input, limit and chunking (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }).chain((bytes) =>
          fc.tuple(
            fc.constant(Buffer.from(bytes)),
            fc.integer({ min: 1, max: 3200 }),
            fc.uniqueArray(fc.integer({ min: 0, max: bytes.length }), { maxLength: 20 }).map((c) => c.sort((a, b) => a - b)),
          ),
        ),
        async ([input, max, cuts]) => {
          const { output, limiter } = await limit(input, max, cuts, 'the limit');
          if (input.length <= max) {
            expect(output.equals(input)).toBe(true);
            expect(limiter.cutBytes()).toBe(0);
          } else {
            const head = Math.floor(max / 2);
            const tail = max - head;
            const marker = Buffer.from(cutMarker(input.length - max, 'the limit'));
            expect(output.subarray(0, head).equals(input.subarray(0, head))).toBe(true);
            expect(output.subarray(head, head + marker.length).equals(marker)).toBe(true);
            expect(output.subarray(head + marker.length).equals(input.subarray(input.length - tail))).toBe(true);
            expect(output.length).toBe(max + marker.length);
            expect(limiter.cutBytes()).toBe(input.length - max);
          }
          expect(limiter.totalBytes()).toBe(input.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
