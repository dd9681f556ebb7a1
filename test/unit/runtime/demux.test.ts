import { describe, expect, it } from 'vitest';
import { LogDemuxer } from '../../../src/runtime/demux.js';
import { DEFAULT_HOLD_LIMIT, LineJoiner, LineTimes } from '../../../src/runtime/line-join.js';

/** One multiplexed frame: [type, 0, 0, 0, size as uint32 big-endian] then the payload. */
function frame(type: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

const STDOUT = 1;
const STDERR = 2;
const SYSTEMERR = 3;

/** Bytes whose value depends on the position (and a seed), so a misplaced or lost byte shows. */
function pattern(length: number, seed = 0): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

interface Run {
  readonly output: Buffer;
  readonly demuxer: LogDemuxer;
  /** How many buffers the demuxer pushed. */
  readonly pushes: number;
}

/** Feed `chunks` one write at a time, end the stream, and collect everything it outputs. */
async function run(chunks: readonly Buffer[]): Promise<Run> {
  const demuxer = new LogDemuxer();
  const out: Buffer[] = [];
  demuxer.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise<void>((resolve, reject) => {
    demuxer.once('end', resolve);
    demuxer.once('error', reject);
  });
  for (const chunk of chunks) demuxer.write(chunk);
  demuxer.end();
  await ended;
  return { output: Buffer.concat(out), demuxer, pushes: out.length };
}

/** Split `data` into chunks of the given sizes (the last takes the rest). */
function splitAt(data: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    if (offset >= data.length) break;
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  if (offset < data.length) chunks.push(data.subarray(offset));
  return chunks;
}

const bytes = (data: Buffer): Buffer[] => Array.from(data, (b) => Buffer.from([b]));

/** A small deterministic PRNG (mulberry32), so a failing chunking can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomChunks(data: Buffer, seed: number, maxChunk: number): Buffer[] {
  const next = random(seed);
  const sizes: number[] = [];
  let total = 0;
  while (total < data.length) {
    const size = 1 + Math.floor(next() * maxChunk);
    sizes.push(size);
    total += size;
  }
  return splitAt(data, sizes);
}

describe('LogDemuxer', () => {
  it('interleaves stdout and stderr frames in arrival order, headers removed', async () => {
    const stream = Buffer.concat([frame(STDOUT, 'out 1\n'), frame(STDERR, 'err 1\n'), frame(STDOUT, 'out 2\n'), frame(STDERR, 'err 2\n')]);
    const { output, demuxer } = await run([stream]);
    expect(output.toString('utf8')).toBe('out 1\nerr 1\nout 2\nerr 2\n');
    expect(demuxer.daemonError).toBeNull();
    expect(demuxer.missingBytes).toBe(0);
    expect(demuxer.passedThrough).toBe(false);
  });

  it('keeps stdin (type 0) frames as output too', async () => {
    const { output } = await run([Buffer.concat([frame(0, 'in\n'), frame(STDOUT, 'out\n')])]);
    expect(output.toString('utf8')).toBe('in\nout\n');
  });

  it('pushes one buffer per input chunk, however many frames it holds', async () => {
    const stream = Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(i % 2 === 0 ? STDOUT : STDERR, `line ${i}\n`)));
    const { output, pushes } = await run([stream]);
    expect(output.toString('utf8')).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
    expect(pushes).toBe(1);
  });

  it.each([
    ['16 KiB + 1', 16 * 1024 + 1],
    ['64 KiB + 3', 64 * 1024 + 3],
    ['1 MiB', 1024 * 1024],
  ])('passes a frame of %s byte for byte', async (_label, size) => {
    const a = pattern(size, 1);
    const b = pattern(size + 5, 2);
    const stream = Buffer.concat([frame(STDOUT, a), frame(STDERR, 'between\n'), frame(STDOUT, b)]);
    const expected = Buffer.concat([a, Buffer.from('between\n'), b]);
    // Whole, and in the 16 KiB and 64 KiB chunks an HTTP response arrives in.
    for (const chunks of [[stream], splitAt(stream, Array(200).fill(16 * 1024)), splitAt(stream, Array(50).fill(64 * 1024))]) {
      const { output, demuxer } = await run(chunks);
      expect(output.length).toBe(expected.length);
      expect(output.equals(expected)).toBe(true);
      expect(demuxer.missingBytes).toBe(0);
    }
  });

  it('outputs nothing for zero-length frames and keeps going', async () => {
    const stream = Buffer.concat([frame(STDOUT, ''), frame(STDOUT, 'a'), frame(STDERR, ''), frame(STDERR, 'b'), frame(STDOUT, '')]);
    const { output, demuxer } = await run([stream]);
    expect(output.toString('utf8')).toBe('ab');
    expect(demuxer.missingBytes).toBe(0);
    expect(demuxer.passedThrough).toBe(false);
  });

  it('a stream of only zero-length frames outputs nothing', async () => {
    const { output, pushes } = await run([Buffer.concat([frame(STDOUT, ''), frame(STDERR, '')])]);
    expect(output.length).toBe(0);
    expect(pushes).toBe(0);
  });

  it('an empty stream outputs nothing', async () => {
    const { output, demuxer } = await run([]);
    expect(output.length).toBe(0);
    expect([demuxer.daemonError, demuxer.missingBytes, demuxer.passedThrough]).toEqual([null, 0, false]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7])('joins a header split after byte %d across chunks', async (at) => {
    const first = frame(STDOUT, 'hello\n');
    const second = frame(STDERR, 'world\n');
    const stream = Buffer.concat([first, second]);
    // Split inside the first header, and inside the second one.
    const { output: a } = await run(splitAt(stream, [at]));
    const { output: b } = await run(splitAt(stream, [first.length + at]));
    expect(a.toString('utf8')).toBe('hello\nworld\n');
    expect(b.toString('utf8')).toBe('hello\nworld\n');
  });

  it('a header split over three chunks', async () => {
    const stream = Buffer.concat([frame(STDOUT, 'x'), frame(STDERR, 'yz')]);
    const { output } = await run(splitAt(stream, [9, 2, 3, 1]));
    expect(output.toString('utf8')).toBe('xyz');
  });

  describe('chunking does not change the result', () => {
    const stream = Buffer.concat([
      frame(STDOUT, 'first line\n'),
      frame(STDERR, ''),
      frame(STDERR, 'warning: ü ✓ 日本\n'),
      frame(STDOUT, pattern(70_000, 3)),
      frame(STDOUT, ''),
      frame(STDERR, pattern(300, 4)),
      frame(SYSTEMERR, 'Error grabbing logs: x'),
      frame(STDOUT, 'last\n'),
    ]);
    const expected = Buffer.concat([
      Buffer.from('first line\nwarning: ü ✓ 日本\n'),
      pattern(70_000, 3),
      pattern(300, 4),
      Buffer.from('last\n'),
    ]);

    it('in one chunk', async () => {
      const { output, demuxer } = await run([stream]);
      expect(output.equals(expected)).toBe(true);
      expect(demuxer.daemonError).toBe('Error grabbing logs: x');
    });

    it('in 1-byte chunks', async () => {
      const { output, demuxer } = await run(bytes(stream));
      expect(output.length).toBe(expected.length);
      expect(output.equals(expected)).toBe(true);
      expect(demuxer.daemonError).toBe('Error grabbing logs: x');
      expect(demuxer.missingBytes).toBe(0);
    });

    it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])('in random chunks (seed %d)', async (seed) => {
      const maxChunk = seed % 2 === 0 ? 17 : 9000;
      const chunks = randomChunks(stream, seed, maxChunk);
      expect(Buffer.concat(chunks).equals(stream)).toBe(true);
      const whole = await run([stream]);
      const { output, demuxer } = await run(chunks);
      expect(output.equals(whole.output)).toBe(true);
      expect(output.equals(expected)).toBe(true);
      expect(demuxer.daemonError).toBe('Error grabbing logs: x');
      expect(demuxer.missingBytes).toBe(0);
    });
  });

  it('keeps a systemerr (type 3) frame out of the output, in daemonError', async () => {
    const stream = Buffer.concat([frame(STDOUT, 'before\n'), frame(SYSTEMERR, 'Error grabbing logs: '), frame(SYSTEMERR, 'log file gone\n'), frame(STDERR, 'after\n')]);
    const { output, demuxer } = await run([stream]);
    expect(output.toString('utf8')).toBe('before\nafter\n');
    expect(demuxer.daemonError).toBe('Error grabbing logs: log file gone');
  });

  it('keeps the error podman writes unframed into a 200 follow body out of the output, in daemonError', async () => {
    // podman 4.3's logs handler has sent its 200 when the container turns out removed: the error follows as JSON.
    const error = '{"cause":"container has already been removed","message":"container has already been removed","response":500}\n';
    const stream = Buffer.concat([frame(STDOUT, 'before\n'), Buffer.from(error)]);
    for (const chunks of [[stream], bytes(stream)]) {
      const { output, demuxer } = await run(chunks);
      expect(output.toString('utf8')).toBe('before\n');
      expect(demuxer.daemonError).toBe('container has already been removed');
    }
  });

  it('passes unframed bytes that only look like the start of an engine error on unchanged', async () => {
    for (const text of ['{"cause":"mine"} and more\n', '{"cause":"x","message":"y","response":200}\n', `{"cause":"${'c'.repeat(70_000)}"`]) {
      const stream = Buffer.concat([frame(STDOUT, 'before\n'), Buffer.from(text)]);
      const { output, demuxer } = await run([stream.subarray(0, 20), stream.subarray(20, 30), stream.subarray(30)]);
      expect(output.toString('utf8')).toBe(`before\n${text}`);
      expect(demuxer.daemonError).toBeNull();
    }
  });

  it('keeps at most 64 KiB of systemerr text', async () => {
    const text = 'e'.repeat(64 * 1024 + 100);
    const { output, demuxer } = await run([Buffer.concat([frame(SYSTEMERR, text), frame(SYSTEMERR, 'more'), frame(STDOUT, 'ok')])]);
    expect(output.toString('utf8')).toBe('ok');
    expect(demuxer.daemonError).toBe('e'.repeat(64 * 1024));
  });

  it('counts the missing bytes of a stream cut mid-frame, keeping what arrived', async () => {
    const full = frame(STDOUT, 'abcdefghij');
    const stream = Buffer.concat([frame(STDERR, 'complete\n'), full.subarray(0, 8 + 4)]);
    const { output, demuxer } = await run(bytes(stream));
    expect(output.toString('utf8')).toBe('complete\nabcd');
    expect(demuxer.missingBytes).toBe(6);
  });

  it('reports the whole payload missing when the stream ends right after a header', async () => {
    const { output, demuxer } = await run([frame(STDOUT, 'x'.repeat(1000)).subarray(0, 8)]);
    expect(output.length).toBe(0);
    expect(demuxer.missingBytes).toBe(1000);
  });

  it('keeps the bytes of a header cut short at the end of the stream', async () => {
    const partial = frame(STDOUT, 'zz').subarray(0, 5);
    const { output, demuxer } = await run([frame(STDOUT, 'ok\n'), partial]);
    expect(output.equals(Buffer.concat([Buffer.from('ok\n'), partial]))).toBe(true);
    expect(demuxer.missingBytes).toBe(0);
  });

  it('passes a stream that is not multiplexed (plain text) through unchanged', async () => {
    const text = Buffer.from('2026-01-02T03:04:05Z plain tty output\nsecond line\n');
    for (const chunks of [[text], bytes(text), splitAt(text, [3, 5, 100])]) {
      const { output, demuxer } = await run(chunks);
      expect(output.equals(text)).toBe(true);
      expect(demuxer.passedThrough).toBe(true);
      expect(demuxer.missingBytes).toBe(0);
      expect(demuxer.daemonError).toBeNull();
    }
  });

  it.each([1, 2, 3])('passes through a stream whose first byte is a valid type but whose padding byte %d is not zero', async (at) => {
    const text = Buffer.from([1, 0, 0, 0, 0, 0, 0, 2, 0x41, 0x42]);
    text[at] = 0x20;
    const { output, demuxer } = await run([text]);
    expect(output.equals(text)).toBe(true);
    expect(demuxer.passedThrough).toBe(true);
  });

  it('once passing through, keeps a later chunk that looks like a frame unchanged', async () => {
    const text = Buffer.from('plain tty line\n');
    const lookalike = frame(STDOUT, 'x');
    const { output, demuxer } = await run([text, lookalike]);
    expect(output.equals(Buffer.concat([text, lookalike]))).toBe(true);
    expect(demuxer.passedThrough).toBe(true);
    expect(demuxer.missingBytes).toBe(0);
  });

  it('passes the rest through unchanged when a later header turns out not to be one', async () => {
    const tail = Buffer.from('plain text after a frame\n');
    const { output, demuxer } = await run(bytes(Buffer.concat([frame(STDOUT, 'framed\n'), tail])));
    expect(output.toString('utf8')).toBe('framed\nplain text after a frame\n');
    expect(demuxer.passedThrough).toBe(true);
  });

  it('a plain text stream shorter than a header is kept', async () => {
    const { output } = await run([Buffer.from('hi\n')]);
    expect(output.toString('utf8')).toBe('hi\n');
  });
});

/** Feed `chunks` through a demuxer with a joiner (and prefixes); the output, the lines' times, and the pushes. */
async function joined(
  chunks: readonly Buffer[],
  options: { prefixes?: 'strip' | 'keep'; holdLimit?: number } = {},
): Promise<{ output: string; times: string[]; pushes: number; cut: number; demuxer: LogDemuxer }> {
  const times = new LineTimes();
  const joiner = new LineJoiner({ times, holdLimit: options.holdLimit ?? DEFAULT_HOLD_LIMIT });
  const demuxer = new LogDemuxer({ joiner, prefixes: options.prefixes ?? null });
  const out: Buffer[] = [];
  demuxer.on('data', (x: Buffer) => out.push(x));
  const ended = new Promise<void>((resolve) => demuxer.once('end', resolve));
  for (const chunk of chunks) demuxer.write(chunk);
  demuxer.end();
  await ended;
  const all: string[] = [];
  for (let t = times.shift(); t !== undefined; t = times.shift()) all.push(t);
  return { output: Buffer.concat(out).toString('latin1'), times: all, pushes: out.length, cut: joiner.linesCut, demuxer };
}

describe('LogDemuxer with a LineJoiner', () => {
  const T1 = '2026-12-02T00:11:19.160296588Z';
  const T2 = '2026-12-02T00:11:19.181824518Z';
  const T3 = '2026-12-02T00:11:20Z';

  it('keeps a stdout line whole when a stderr frame arrives between its pieces', async () => {
    const stream = Buffer.concat([frame(STDOUT, '{"count":8,"dur'), frame(STDERR, '{"level":"error"}\n'), frame(STDOUT, 'ation":"521ms"}\n')]);
    expect((await joined([stream])).output).toBe('{"level":"error"}\n{"count":8,"duration":"521ms"}\n');
  });

  it('still pushes one buffer per input chunk', async () => {
    const stream = Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(i % 2 === 0 ? STDOUT : STDERR, i % 3 === 0 ? `piece ${i} ` : `line ${i}\n`)));
    const { pushes } = await joined([stream]);
    expect(pushes).toBeLessThanOrEqual(2);
  });

  it('a systemerr frame between the pieces of a line is kept out, the line stays whole', async () => {
    const stream = Buffer.concat([frame(STDOUT, 'half '), frame(SYSTEMERR, 'Error grabbing logs: x'), frame(STDOUT, 'and half\n')]);
    const { output, demuxer } = await joined([stream]);
    expect(output).toBe('half and half\n');
    expect(demuxer.daemonError).toBe('Error grabbing logs: x');
  });

  it('passes a line over the hold limit on in pieces and counts it', async () => {
    const stream = Buffer.concat([frame(STDOUT, 'aaaa'), frame(STDOUT, 'bbbb'), frame(STDERR, 'x\n'), frame(STDOUT, 'cc\n')]);
    const { output, cut } = await joined([stream], { holdLimit: 5 });
    expect(output).toBe('aaaabbbbx\ncc\n');
    expect(cut).toBe(1);
  });

  it('passes an unfinished last line on at the end', async () => {
    expect((await joined([Buffer.concat([frame(STDERR, 'err'), frame(STDOUT, 'out')])])).output).toBe('outerr');
  });

  describe('timestamps=true: every frame, pieces too, starts with a prefix', () => {
    const frames = Buffer.concat([
      frame(STDOUT, `${T1} {"count":8,"dur`),
      frame(STDERR, `${T2} {"level":"error"}\n`),
      frame(SYSTEMERR, 'Error grabbing logs: x'),
      frame(STDOUT, `${T3} ation":"521ms"}\n`),
      frame(STDOUT, `${T3} `),
      frame(STDERR, `${T3} last`),
    ]);

    it('strip: the bytes are what they are without timestamps, each line gets its first piece’s time', async () => {
      for (const chunks of [[frames], bytes(frames), randomChunks(frames, 7, 13)]) {
        const r = await joined(chunks, { prefixes: 'strip' });
        expect(r.output).toBe('{"level":"error"}\n{"count":8,"duration":"521ms"}\nlast');
        expect(r.times).toEqual([T2, T1, T3]);
      }
    });

    it('keep (--timestamps): the prefixes stay in the bytes, the times are theirs', async () => {
      for (const chunks of [[frames], bytes(frames)]) {
        const r = await joined(chunks, { prefixes: 'keep' });
        expect(r.output).toBe(`${T2} {"level":"error"}\n${T1} {"count":8,"dur${T3} ation":"521ms"}\n${T3} ${T3} last`);
        // The empty stdout entry is a prefix here: an unfinished last line of its own.
        expect(r.times).toEqual([T2, T1, T3, T3]);
      }
    });

    it('a frame without a prefix keeps its bytes and has no time', async () => {
      const stream = Buffer.concat([frame(STDOUT, 'no prefix here\n'), frame(STDOUT, 'x'.repeat(100) + '\n'), frame(STDOUT, 'short')]);
      for (const chunks of [[stream], bytes(stream)]) {
        const r = await joined(chunks, { prefixes: 'strip' });
        expect(r.output).toBe(`no prefix here\n${'x'.repeat(100)}\nshort`);
        expect(r.times).toEqual(['', '', '']);
      }
    });

    it('a stream cut inside a prefix keeps what arrived of it', async () => {
      const stream = Buffer.concat([frame(STDOUT, `${T1} ok\n`), frame(STDOUT, `${T2} never`).subarray(0, 8 + 10)]);
      const r = await joined([stream], { prefixes: 'strip' });
      expect(r.output).toBe(`ok\n${T2.slice(0, 10)}`);
      expect(r.demuxer.missingBytes).toBe(T2.length - 10 + ' never'.length);
    });
  });
});
