import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyCandidate, classifyLine, splitTimestamp, traceStart } from '../../../src/triage/classify.js';
import { linesOf, loadCorpus } from './corpus.js';

const corpus = loadCorpus();

describe('classifyLine over the corpus (test/fixtures/logs)', () => {
  it('has an excerpt of every format the issue names', () => {
    expect(corpus.map((c) => c.name)).toEqual(['go-panic', 'java', 'json-lines', 'logfmt', 'plain', 'postgres', 'python', 'redis', 'repeated', 'timestamps']);
  });

  describe.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, { text, expected }) => {
    const lines = linesOf(text);

    it('has as many lines as its expectation says', () => {
      expect(lines).toHaveLength(expected.lines);
    });

    it('picks exactly the expected error and warning lines, each as its format', () => {
      const continuation = new Set(expected.continuations);
      const want = new Map<number, string>();
      for (const e of expected.errors) want.set(e.line, `error/${e.kind}`);
      for (const w of expected.warnings) want.set(w.line, `warning/${w.kind}`);
      const wrong: string[] = [];
      lines.forEach((line, i) => {
        const n = i + 1;
        if (continuation.has(n)) return;
        const got = classifyLine(line);
        const gotText = got === null ? 'nothing' : `${got.level}/${got.kind}`;
        const wantText = want.get(n) ?? 'nothing';
        if (gotText !== wantText) wrong.push(`line ${n}: want ${wantText}, got ${gotText}: ${line.slice(0, 120)}`);
      });
      expect(wrong).toEqual([]);
    });

    it('does not pick the lines that only look like errors', () => {
      const picked = expected.notPicked.filter((n) => classifyLine(lines[n - 1] ?? '') !== null);
      expect(picked).toEqual([]);
    });
  });

  describe.each(corpus.filter((c) => c.expected.timestamps !== undefined).map((c) => [c.name, c] as const))('%s', (_name, { text, expected }) => {
    it('returns the time each picked line carries', () => {
      const lines = linesOf(text);
      const times = Object.fromEntries(Object.keys(expected.timestamps ?? {}).map((n) => [n, classifyLine(lines[Number(n) - 1] ?? '')?.timestamp]));
      expect(times).toEqual(expected.timestamps);
    });
  });
});

describe('classifyLine', () => {
  it.each([
    ['error_count=0'],
    ['{"level":"info","msg":"no errors"}'],
    ['0 errors'],
    ['Error handling enabled'],
    ['2026-11-22 02:00:00.000 UTC [1] LOG:  database system is ready to accept connections'],
    ['1:M 22 Nov 2026 02:00:00.000 * Ready to accept connections tcp'],
    ['INFO  [main] Error reporting disabled'],
    ['level=info msg="handled error" error_count=0'],
    ['{"level":30,"msg":"error budget ok"}'],
    ['\tat com.example.ErrorHandler.handle(ErrorHandler.java:12)'],
    ['  File "/app/error_handler.py", line 3, in <module>'],
    ['max_connections=100 statement_timeout=0'],
    [''],
    ['   '],
  ])('%j is not picked', (line) => {
    expect(classifyLine(line)).toBeNull();
  });

  it.each([
    ['1:M 22 Nov 2026 02:00:00.000 # WARNING overcommit_memory is set to 0', 'warning', 'redis'],
    ['# WARNING overcommit_memory is set to 0', 'warning', 'text'],
    ['ERROR: relation "audit_events" does not exist', 'error', 'text'],
    ['FATAL:  the database system is starting up', 'error', 'postgres'],
    ['{"level":"error","msg":"boom"}', 'error', 'json'],
    ['level=error msg=boom', 'error', 'logfmt'],
    ['panic: boom', 'error', 'go-panic'],
    ['fatal error: all goroutines are asleep - deadlock!', 'error', 'go-panic'],
    ['java.lang.OutOfMemoryError: Java heap space', 'error', 'java'],
    ['Traceback (most recent call last):', 'error', 'python'],
    ['dial tcp 127.0.0.1:5432: connect: connection refused', 'error', 'text'],
    ['\u001b[31mERROR\u001b[0m something broke', 'error', 'text'],
    ['{"level":"error","msg":"' + 'x'.repeat(20_000) + '"}', 'error', 'json'],
  ])('%j is a %s (%s)', (line, level, kind) => {
    expect(classifyLine(line)).toMatchObject({ level, kind });
  });

  it('strips the engine timestamp before classifying and returns it', () => {
    expect(classifyLine('2026-11-22T02:00:00.123456789Z FATAL:  the database system is starting up')).toEqual({
      level: 'error',
      kind: 'postgres',
      timestamp: '2026-11-22T02:00:00.123Z',
    });
    // Without the stripping, the timestamp would hide the `panic:` at the start of the line.
    expect(classifyLine('2026-11-22T02:00:00Z panic: boom')).toEqual({ level: 'error', kind: 'go-panic', timestamp: '2026-11-22T02:00:00.000Z' });
    expect(classifyLine('2026-11-22T03:00:00+01:00 Killed')).toEqual({ level: 'error', kind: 'text', timestamp: '2026-11-22T02:00:00.000Z' });
  });

  it('ignores a carriage return left by a TTY', () => {
    expect(classifyLine('level=error msg=boom\r')).toEqual({ level: 'error', kind: 'logfmt', timestamp: null });
    expect(classifyLine('{"level":"error","msg":"boom"}\r')).toMatchObject({ kind: 'json' });
  });

  it('does not take a zoneless time inside a line for a timestamp', () => {
    expect(classifyLine('{"level":"error","time":"2026-11-22T02:00:00"}')?.timestamp).toBeNull();
    expect(classifyLine('level=error time=2026-11-22T02:00:00 msg=x')?.timestamp).toBeNull();
  });
});

describe('splitTimestamp', () => {
  it.each([
    ['2026-11-22T02:16:20.245524788Z LOG:  ready', '2026-11-22T02:16:20.245524788Z', 'LOG:  ready'],
    ['2026-11-22T02:16:20+00:00 x', '2026-11-22T02:16:20+00:00', 'x'],
    ['2026-11-22T02:16:20.1Z ', '2026-11-22T02:16:20.1Z', ''],
    ['2026-11-22 02:16:20 UTC [1] LOG:  x', null, '2026-11-22 02:16:20 UTC [1] LOG:  x'],
    ['2026-11-22T02:16:20Z', null, '2026-11-22T02:16:20Z'],
    ['hello', null, 'hello'],
  ])('%j', (line, timestamp, body) => {
    expect(splitTimestamp(line)).toEqual({ timestamp, body });
  });
});

describe('traceStart', () => {
  it.each([
    ['panic: boom', 'go-panic'],
    ['Traceback (most recent call last):', 'python'],
    ['Exception in thread "main" java.lang.IllegalStateException: x', 'java'],
    ['org.postgresql.util.PSQLException: Connection refused', 'java'],
    ['psycopg2.OperationalError: x', null],
    ['level=error msg=boom', null],
  ])('%j → %s', (line, kind) => {
    expect(traceStart(line)).toBe(kind);
  });
});

describe('the quick first look (MAY_MATTER) never changes a verdict', () => {
  // Every word, phrase and prefix the classifier reacts to, and harmless filler around them.
  const FRAGMENTS = [
    'error', 'errors', 'err: ', 'err! ', 'eror', 'erro', 'fatal', 'fata', 'ftl', 'panic', 'panicked', 'pani', 'dpanic', 'critical', 'crit',
    'alert', 'emerg', 'emergency', 'severe', 'warn', 'warning', 'warns', 'wrn', 'info', 'debug', 'notice', 'trace', 'exception', 'exceptions',
    'fail', 'failed', 'failure', 'crash', 'crashed', 'abort', 'aborted', 'refused', 'unreachable', 'deadlock', 'segfault',
    'connection refused', 'connection reset', 'connection closed by peer', 'connection closed by remote host', 'ECONNREFUSED', 'ECONNRESET',
    'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'broken pipe', 'no route to host', 'no such host', 'permission denied',
    'access denied', 'segmentation fault', 'could not connect', 'unable to open', 'cannot bind', "can't resolve", 'out of memory',
    'cannot allocate memory', 'oom-killed', 'oom_killer', 'OOM', 'OOMKilled', 'OutOfMemory', 'MemoryError', 'Killed', 'killed process',
    'deadline exceeded', 'timed out', 'timeout waiting', 'time-out after', 'read timeout', 'dial time-out', 'timeout.', 'timeout',
    'exit code 1', 'exited with status 2', 'Traceback (most recent call last):', 'panic: ', 'fatal error: ', 'Exception in thread "main" ',
    'java.lang.IllegalStateException: ', 'org.x.FooError', 'com.y.Throwable', 'E1122 02:00:00.000000       1 reflector.go:138] ',
    'W1122 02:00:00.000000       1 x.go:1] ', '1:M 22 Nov 2026 02:00:00.000 # ', '1:M 22 Nov 2026 02:00:00.000 * ', 'LOG:  ', 'FATAL:  x',
    'WARNING:  y', 'PANIC:  z', 'level=', 'level=50 ', 'lvl=warn ', 'a=b ', '{', '}', '"level":"error"', '"level":50', '"msg":"failed"',
    '[error]', '[warn]', '\terror\t', '\tpanic\t', 'ERROR', 'WARN', 'FATAL', 'npm ERR! ', 'ERRO[0000] ', '#', '=', ' ', ':', '!', '0',
    '42', 'the', 'quick', 'brown', 'fox', '\t', '-', '/', '.', '(', ')', '[', ']',
  ];
  const fragment = fc.oneof(
    fc.constantFrom(...FRAGMENTS),
    fc.constantFrom(...FRAGMENTS).map((f) => f.toUpperCase()),
    fc.constantFrom(...FRAGMENTS).map((f) => f[0]!.toUpperCase() + f.slice(1)),
    fc.string({ maxLength: 6 }),
  );
  const line = fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join(''));

  it('gives the full classification’s verdict for any line (fast-check)', () => {
    fc.assert(
      fc.property(line, (text) => {
        // Lines as classifyLine passes them on: no engine timestamp, no escape sequences, no CR at the end.
        fc.pre(splitTimestamp(text).timestamp === null && !text.includes('\u001b') && !text.endsWith('\r'));
        expect(classifyLine(text)).toEqual(classifyCandidate(text, null));
      }),
      { numRuns: 20_000 },
    );
  });

  it('gives the full classification’s verdict for every line of the corpus', () => {
    const differ = corpus.flatMap(({ name, text }) =>
      linesOf(text)
        .map((l) => splitTimestamp(l).body)
        .filter((body) => !body.includes('\u001b') && !body.endsWith('\r'))
        .filter((body) => JSON.stringify(classifyLine(body)) !== JSON.stringify(classifyCandidate(body, null)))
        .map((body) => `${name}: ${body}`),
    );
    expect(differ).toEqual([]);
  });
  // The log analyzer does not classify a line again that repeats the previous one, when that was neither
  // an error nor a warning: whether a line is one must depend on its body alone, not on the engine's time.
  it('finds a line an error or a warning whatever engine timestamp it has (fast-check)', () => {
    const stamp = fc.constantFrom('', '2026-01-02T03:04:05Z ', '2026-01-02T03:04:05.123456789+02:00 ', '2026-13-45T99:99:99Z ', '2026-01-02T03:04:05-0700 ');
    fc.assert(
      fc.property(line, stamp, stamp, (body, a, b) => {
        expect(classifyLine(a + body) === null).toBe(classifyLine(b + body) === null);
      }),
      { numRuns: 5_000 },
    );
  });
});
