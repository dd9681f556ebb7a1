import { describe, expect, it } from 'vitest';
import { EngineErrorHoldback } from '../../../src/runtime/holdback.js';

interface Outcome {
  readonly output: string;
  readonly engineError: string | null;
  /** How many times `hasFailed` was asked. */
  readonly asked: number;
}

/** Feed `chunks` through a holdback of `limit` bytes whose engine `failed` (or whose check rejects). */
async function run(limit: number, chunks: readonly (string | Buffer)[], failed: boolean | 'rejects'): Promise<Outcome> {
  let asked = 0;
  const holdback = new EngineErrorHoldback(limit, async () => {
    asked++;
    if (failed === 'rejects') throw new Error('exit status unknown');
    return failed;
  });
  const out: Buffer[] = [];
  holdback.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise<void>((resolve, reject) => {
    holdback.once('end', resolve);
    holdback.once('error', reject);
  });
  for (const chunk of chunks) holdback.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  holdback.end();
  await ended;
  return { output: Buffer.concat(out).toString('utf8'), engineError: holdback.engineError, asked };
}

const ones = (text: string): Buffer[] => Array.from(Buffer.from(text, 'utf8'), (b) => Buffer.from([b]));

function chunksOf(text: string, size: number): Buffer[] {
  const data = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return chunks;
}

const LOG = 'starting\nlistening on :8080\npanic: boom\n';

describe('EngineErrorHoldback', () => {
  describe('when the engine did not fail', () => {
    it.each([
      ['a log ending in an Error: line', `${LOG}Error: x\n`],
      ['an Error response line', `${LOG}Error response from daemon: No such container: abc\n`],
      ['a plain log', LOG],
      ['a log without a final newline', 'a\nb'],
      ['an empty log', ''],
    ])('passes %s through unchanged', async (_label, text) => {
      for (const limit of [4, 16, 4096]) {
        for (const chunks of [[text], ones(text), chunksOf(text, 7)]) {
          expect(await run(limit, chunks, false)).toEqual({ output: text, engineError: null, asked: 1 });
        }
      }
    });

    it('treats a rejected exit check as "did not fail"', async () => {
      const text = `${LOG}Error: x\n`;
      expect(await run(64, [text], 'rejects')).toEqual({ output: text, engineError: null, asked: 1 });
    });
  });

  describe('when the engine failed', () => {
    it.each([
      ['Error: x\n', 'Error: x'],
      ['Error: no container with name or ID "web" found: no such container\n', 'Error: no container with name or ID "web" found: no such container'],
      ['Error response from daemon: No such container: abc\n', 'Error response from daemon: No such container: abc'],
      ['Error: no final newline', 'Error: no final newline'],
      ['Error: crlf\r\n', 'Error: crlf'],
    ])('removes a last line %j and exposes it', async (line, engineError) => {
      expect(await run(4096, [LOG + line], true)).toEqual({ output: LOG, engineError, asked: 1 });
    });

    it('removes only the last line when several look like engine errors', async () => {
      expect(await run(4096, ['Error: from the app\nError: from the CLI\n'], true)).toEqual({
        output: 'Error: from the app\n',
        engineError: 'Error: from the CLI',
        asked: 1,
      });
    });

    it('removes a log that is nothing but the error line', async () => {
      expect(await run(4096, ['Error: x\n'], true)).toEqual({ output: '', engineError: 'Error: x', asked: 1 });
    });

    it.each([
      ['an app line', `${LOG}`],
      ['a lower-case error', `${LOG}error: lower case\n`],
      ['"Error:" without a space', `${LOG}Error:x\n`],
      ['an indented Error', `${LOG}  Error: indented\n`],
      ['an Error line followed by another line', `${LOG}Error: x\nmore\n`],
      ['an empty log', ''],
      ['a lone newline', '\n'],
    ])('leaves %s alone', async (_label, text) => {
      expect(await run(4096, [text], true)).toEqual({ output: text, engineError: null, asked: 1 });
    });

    const text = `${'x'.repeat(50)}\n${'y'.repeat(30)}\nError: something went wrong\n`;
    const kept = `${'x'.repeat(50)}\n${'y'.repeat(30)}\n`;

    it.each([1, 2, 3, 7, 31, 32, 33, 64, 200])('gives the same result for 1-byte chunks and chunks of %d bytes (limit 32)', async (size) => {
      expect(await run(32, ones(text), true)).toEqual({ output: kept, engineError: 'Error: something went wrong', asked: 1 });
      expect(await run(32, chunksOf(text, size), true)).toEqual({ output: kept, engineError: 'Error: something went wrong', asked: 1 });
    });

    it('handles a chunk exactly the limit long, then small ones', async () => {
      const head = 'h'.repeat(32);
      expect(await run(32, [head, 'abc\n', 'Error: x\n'], true)).toEqual({ output: `${head}abc\n`, engineError: 'Error: x', asked: 1 });
    });

    it('handles a chunk far bigger than the limit after held bytes', async () => {
      const big = `${'z'.repeat(1000)}\nError: x\n`;
      expect(await run(16, ['ab', 'cd', big], true)).toEqual({ output: `abcd${'z'.repeat(1000)}\n`, engineError: 'Error: x', asked: 1 });
    });

    it('keeps an error line longer than the limit in the output (only the tail is searched)', async () => {
      const longError = `Error: ${'q'.repeat(100)}\n`;
      expect(await run(32, [LOG + longError], true)).toEqual({ output: LOG + longError, engineError: null, asked: 1 });
      expect(await run(32, ones(LOG + longError), true)).toEqual({ output: LOG + longError, engineError: null, asked: 1 });
    });

    it('keeps a long last line whose held tail does not start with Error', async () => {
      const tail = `${'k'.repeat(100)} Error: not at the start\n`;
      expect(await run(16, [tail], true)).toEqual({ output: tail, engineError: null, asked: 1 });
    });

    // The held tail may start mid-line: only what follows a passed-on "\n" can be the engine's line.
    it('does not cut a long application line whose held tail starts with "Error: "', async () => {
      const text = 'log line\nsomething Error: boom\n';
      expect(await run(12, [text], true)).toEqual({ output: text, engineError: null, asked: 1 });
    });
  });

  it('passes every byte on at once but a last line that may be the engine’s error, and asks only at the end', async () => {
    let asked = 0;
    const holdback = new EngineErrorHoldback(64, async () => {
      asked++;
      return true;
    });
    const out: Buffer[] = [];
    holdback.on('data', (b: Buffer) => out.push(b));
    const settle = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
    holdback.write(Buffer.from('container line\npartial'));
    await settle();
    expect(Buffer.concat(out).toString('utf8')).toBe('container line\npartial');
    holdback.write(Buffer.from(' rest\nErr'));
    await settle();
    expect(Buffer.concat(out).toString('utf8')).toBe('container line\npartial rest\n');
    holdback.write(Buffer.from('or: from the container\nnext\nError: from the CLI\n'));
    await settle();
    expect(Buffer.concat(out).toString('utf8')).toBe('container line\npartial rest\nError: from the container\nnext\n');
    expect(asked).toBe(0);
    const ended = new Promise<void>((resolve) => holdback.once('end', resolve));
    holdback.end();
    await ended;
    expect(Buffer.concat(out).toString('utf8')).toBe('container line\npartial rest\nError: from the container\nnext\n');
    expect([asked, holdback.engineError]).toEqual([1, 'Error: from the CLI']);
  });
});
