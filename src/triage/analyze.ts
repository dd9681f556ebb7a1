import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { cleanLine, stripAnsi } from '../_util/text.js';
import { classifyLine, splitTimestamp, traceStart, type LineKind, type LineLevel } from './classify.js';
import { beginTrace, continueTrace, continuesAnyFinding, type TraceKind, type TraceState } from './trace.js';

/*
 * One pass over a log, line by line, in bounded memory whatever its size: a line is kept to its first
 * MAX_LINE_BYTES, only two lines of context are remembered, and distinct findings are capped. A 1 GB log
 * costs the same memory as a 1 kB one.
 */

/** Bytes of one line that are looked at; the rest of a longer line is counted, not kept. */
export const MAX_LINE_BYTES = 16 * 1024;
/** Distinct findings listed; further distinct messages are only counted in `otherFindings`. */
export const MAX_FINDINGS = 100;
const CONTEXT_LINES = 2;
const TAIL_LINES = 3;
const EVENT_TEXT_CHARS = 1000;
const CONTEXT_TEXT_CHARS = 300;
const MAX_TIME_BUCKETS = 240;

export interface LogLine {
  /** 1-based line number in the log file. */
  readonly line: number;
  readonly text: string;
}

export interface TraceInfo {
  readonly kind: TraceKind;
  /** Lines the finding spans, its first line included. */
  readonly lines: number;
  /** The trace's most telling line: Python's exception, Java's innermost `Caused by:`, Go's `panic:`. */
  readonly headline: string | null;
}

/** One error or warning line (with its stack trace, if one follows), as the log shows it. */
export interface LogEvent {
  readonly line: number;
  readonly level: LineLevel;
  readonly kind: LineKind;
  /** The line without the engine's timestamp; escape sequences removed, control characters replaced. */
  readonly text: string;
  readonly timestamp: string | null;
  readonly before: readonly LogLine[];
  readonly after: readonly LogLine[];
  readonly trace: TraceInfo | null;
}

/** What `onEvent` is told about every error and warning: everything of a LogEvent but its context. */
export type LogEventSummary = Omit<LogEvent, 'before' | 'after'>;

/** A distinct message and how often it came, numbers and ids aside (`retry 1` … `retry 300` is one). */
export interface LogFinding {
  readonly level: LineLevel;
  readonly kind: LineKind;
  /** The first occurrence. */
  readonly text: string;
  readonly headline: string | null;
  readonly count: number;
  readonly firstLine: number;
  readonly lastLine: number;
}

/** When errors and warnings happened, in buckets that widen (1 s, 2 s, 4 s…) to stay few. */
export interface ErrorTimeline {
  readonly bucketMs: number;
  readonly buckets: readonly { readonly start: string; readonly errors: number; readonly warnings: number }[];
}

export interface LogAnalysis {
  readonly bytes: number;
  readonly lines: number;
  readonly errorCount: number;
  readonly warningCount: number;
  readonly firstError: LogEvent | null;
  readonly lastError: LogEvent | null;
  readonly firstWarning: LogEvent | null;
  /** Errors first, then warnings; each by first appearance. */
  readonly findings: readonly LogFinding[];
  /** Errors and warnings whose message was not among the first MAX_FINDINGS distinct ones. */
  readonly otherFindings: number;
  readonly timeline: ErrorTimeline;
  /** Earliest and latest time any line carries (engine `--timestamps`, or a time inside an error line). */
  readonly firstTimestamp: string | null;
  readonly lastTimestamp: string | null;
  /** Lines longer than MAX_LINE_BYTES, looked at only up to there. */
  readonly longLines: number;
  /** The last lines that are not blank: what a container said last, error or not. */
  readonly tail: readonly LogLine[];
}

export interface AnalyzeOptions {
  /** Told about every error and warning (after its stack trace, if any, has been read). */
  readonly onEvent?: (event: LogEventSummary) => void;
}

/** Digits, hex, UUIDs and times vary between repeats of one message; they are blanked for counting. */
export function normalizeMessage(text: string): string {
  return text
    .replace(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** A line of context, made safe to show only if it ever is (most lines never are). */
class ContextLine implements LogLine {
  #text: string | null = null;

  constructor(
    readonly line: number,
    private readonly body: string,
  ) {}

  get text(): string {
    return (this.#text ??= cleanLine(this.body, CONTEXT_TEXT_CHARS));
  }

  /** Whether the line shows anything: what `text.trim() !== ''` says, without cleaning most lines. */
  get shows(): boolean {
    const c = this.body.charCodeAt(0);
    // A visible ASCII first char survives cleaning as the text's first char.
    return (c > 32 && c < 127) || this.text.trim() !== '';
  }

  plain(): LogLine {
    return { line: this.line, text: this.text };
  }
}

interface OpenEvent {
  line: number;
  level: LineLevel;
  kind: LineKind;
  text: string;
  timestamp: string | null;
  before: ContextLine[];
  after: ContextLine[];
  lastLine: number;
  trace: { state: TraceState; kind: TraceKind; lines: number; headline: string | null } | null;
}

interface MutableFinding {
  level: LineLevel;
  kind: LineKind;
  text: string;
  headline: string | null;
  count: number;
  firstLine: number;
  lastLine: number;
}

export interface LogAnalyzer {
  /** Feed the next bytes of the log; chunks may split lines (and UTF-8 sequences) anywhere. */
  write(chunk: Uint8Array | string): void;
  /** The analysis of everything written; the analyzer must not be written to afterwards. */
  end(): LogAnalysis;
}

/**
 * A push-style analyzer, for callers that already have the bytes passing by (e.g. on their way to a file).
 * {@link analyzeLog} and {@link analyzeLogFile} are built on it.
 */
export function createLogAnalyzer(options: AnalyzeOptions = {}): LogAnalyzer {
  let bytes = 0;
  let lineNo = 0;
  let longLines = 0;
  let errorCount = 0;
  let warningCount = 0;
  let otherFindings = 0;
  let firstError: OpenEvent | null = null;
  let lastError: OpenEvent | null = null;
  let firstWarning: OpenEvent | null = null;
  let open: OpenEvent | null = null;
  let firstMs = Infinity;
  let lastMs = -Infinity;
  const findings = new Map<string, MutableFinding>();
  const recent: ContextLine[] = [];
  const tail: ContextLine[] = [];
  // Events still waiting for their lines of context after (at most firstError, firstWarning, lastError).
  let collecting: OpenEvent[] = [];
  let bucketMs = 1000;
  let buckets = new Map<number, { errors: number; warnings: number }>();

  // The line being assembled across chunks: at most MAX_LINE_BYTES of it are kept.
  let pieces: Buffer[] = [];
  let pieceBytes = 0;
  let overflow = false;

  const seeTime = (iso: string | null): number | null => {
    if (iso === null) return null;
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return null;
    if (ms < firstMs) firstMs = ms;
    if (ms > lastMs) lastMs = ms;
    return ms;
  };

  const countInTimeline = (ms: number, level: LineLevel): void => {
    const key = Math.floor(ms / bucketMs) * bucketMs;
    const bucket = buckets.get(key) ?? { errors: 0, warnings: 0 };
    if (level === 'error') bucket.errors++;
    else bucket.warnings++;
    buckets.set(key, bucket);
    while (buckets.size > MAX_TIME_BUCKETS) {
      bucketMs *= 2;
      const wider = new Map<number, { errors: number; warnings: number }>();
      for (const [start, b] of buckets) {
        const k = Math.floor(start / bucketMs) * bucketMs;
        const w = wider.get(k) ?? { errors: 0, warnings: 0 };
        w.errors += b.errors;
        w.warnings += b.warnings;
        wider.set(k, w);
      }
      buckets = wider;
    }
  };

  const close = (): void => {
    if (open === null) return;
    const event = open;
    open = null;
    const headline = event.trace?.headline ?? null;
    const key = `${event.level} ${normalizeMessage(event.text)} ${headline === null ? '' : normalizeMessage(headline)}`;
    const known = findings.get(key);
    if (known) {
      known.count++;
      known.lastLine = event.line;
    } else if (findings.size < MAX_FINDINGS) {
      findings.set(key, { level: event.level, kind: event.kind, text: event.text, headline, count: 1, firstLine: event.line, lastLine: event.line });
    } else {
      otherFindings++;
    }
    options.onEvent?.({ line: event.line, level: event.level, kind: event.kind, text: event.text, timestamp: event.timestamp, trace: traceInfo(event) });
  };

  const absorb = (event: OpenEvent, n: number, headline: string | null): void => {
    event.lastLine = n;
    if (event.trace) {
      event.trace.lines = n - event.line + 1;
      if (headline !== null) event.trace.headline = cleanLine(headline, EVENT_TEXT_CHARS);
    }
  };

  const remember = (line: ContextLine): void => {
    recent.push(line);
    if (recent.length > CONTEXT_LINES) recent.shift();
  };

  const processLine = (n: number, raw: string): void => {
    const { timestamp, body: rawBody } = splitTimestamp(raw);
    seeTime(timestamp);
    const body = stripAnsi(rawBody);
    const context = new ContextLine(n, body);
    if (context.shows) {
      tail.push(context);
      if (tail.length > TAIL_LINES) tail.shift();
    }
    if (collecting.length > 0) {
      for (const event of collecting) event.after.push(context);
      collecting = collecting.filter((event) => event.after.length < CONTEXT_LINES);
    }

    if (open !== null) {
      if (open.trace !== null) {
        const step = continueTrace(open.trace.state, body);
        if (step !== null) {
          open.trace.state = step.state;
          absorb(open, n, step.headline);
          remember(context);
          return;
        }
      } else if (open.lastLine === n - 1) {
        // A stack trace printed right after a log message belongs to that message (logger.exception(),
        // logback's ERROR line and its exception). A Go panic is the crash itself: always its own finding.
        const start = traceStart(body);
        if ((start === 'java' || start === 'python') && open.level === 'error') {
          open.trace = { state: beginTrace(start), kind: start, lines: 1, headline: start === 'python' ? null : body.trim() };
          absorb(open, n, null);
          remember(context);
          return;
        }
        if (start === null && continuesAnyFinding(body)) {
          open.trace = { state: beginTrace('java'), kind: 'java', lines: 1, headline: null };
          const step = continueTrace(open.trace.state, body);
          absorb(open, n, step?.headline ?? null);
          remember(context);
          return;
        }
      }
      close();
    }

    const verdict = classifyLine(raw);
    if (verdict === null) {
      remember(context);
      return;
    }
    const ms = seeTime(verdict.timestamp);
    if (ms !== null) countInTimeline(ms, verdict.level);
    const start = traceStart(body);
    const event: OpenEvent = {
      line: n,
      level: verdict.level,
      kind: verdict.kind,
      text: cleanLine(body, EVENT_TEXT_CHARS),
      timestamp: ms === null ? null : new Date(ms).toISOString(),
      before: [...recent],
      after: [],
      lastLine: n,
      trace: start === null ? null : { state: beginTrace(start), kind: start, lines: 1, headline: start === 'python' ? null : cleanLine(body.trim(), EVENT_TEXT_CHARS) },
    };
    if (verdict.level === 'error') {
      errorCount++;
      firstError ??= event;
      if (lastError !== null && lastError !== firstError) collecting = collecting.filter((e) => e !== lastError);
      lastError = event;
    } else {
      warningCount++;
      firstWarning ??= event;
    }
    if (event === firstError || event === lastError || event === firstWarning) collecting.push(event);
    open = event;
    remember(context);
  };

  const endLine = (): void => {
    const data = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, pieceBytes);
    pieces = [];
    pieceBytes = 0;
    lineDone(data.toString('utf8'), overflow);
    overflow = false;
  };

  const lineDone = (decoded: string, long: boolean): void => {
    if (long) longLines++;
    processLine(++lineNo, decoded.endsWith('\r') ? decoded.slice(0, -1) : decoded);
  };

  const keep = (part: Buffer, copy: boolean): void => {
    const room = MAX_LINE_BYTES - pieceBytes;
    if (part.length > room) overflow = true;
    const taken = part.length > room ? part.subarray(0, room) : part;
    if (taken.length === 0) return;
    // A piece that outlives this chunk is copied, so a kept line never pins a whole chunk in memory.
    pieces.push(copy ? Buffer.from(taken) : taken);
    pieceBytes += taken.length;
  };

  return {
    write(chunk) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      bytes += buf.length;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl === -1) {
          if (start < buf.length) keep(buf.subarray(start), true);
          return;
        }
        if (pieceBytes === 0 && !overflow) {
          // The whole line is in this chunk (the usual case): decode it from there, no piece to gather.
          lineDone(buf.toString('utf8', start, Math.min(nl, start + MAX_LINE_BYTES)), nl - start > MAX_LINE_BYTES);
        } else {
          keep(buf.subarray(start, nl), false);
          endLine();
        }
        start = nl + 1;
      }
    },
    end() {
      if (pieceBytes > 0 || overflow) endLine();
      close();
      return {
        bytes,
        lines: lineNo,
        errorCount,
        warningCount,
        firstError: freeze(firstError),
        lastError: freeze(lastError),
        firstWarning: freeze(firstWarning),
        findings: [...findings.values()]
          .sort((a, b) => (a.level === b.level ? a.firstLine - b.firstLine : a.level === 'error' ? -1 : 1))
          .map((f) => ({ ...f })),
        otherFindings,
        timeline: {
          bucketMs,
          buckets: [...buckets.entries()]
            .sort(([a], [b]) => a - b)
            .map(([start, b]) => ({ start: new Date(start).toISOString(), errors: b.errors, warnings: b.warnings })),
        },
        firstTimestamp: Number.isFinite(firstMs) ? new Date(firstMs).toISOString() : null,
        lastTimestamp: Number.isFinite(lastMs) ? new Date(lastMs).toISOString() : null,
        longLines,
        tail: tail.map((line) => line.plain()),
      };
    },
  };
}

function traceInfo(event: OpenEvent): TraceInfo | null {
  return event.trace === null ? null : { kind: event.trace.kind, lines: event.trace.lines, headline: event.trace.headline };
}

function freeze(event: OpenEvent | null): LogEvent | null {
  if (event === null) return null;
  const { line, level, kind, text, timestamp, before, after } = event;
  return { line, level, kind, text, timestamp, before: before.map((l) => l.plain()), after: after.map((l) => l.plain()), trace: traceInfo(event) };
}

/** Analyse a log streamed from `input` (a file stream, an engine's stdout…), line by line. */
export async function analyzeLog(input: Readable | AsyncIterable<Uint8Array | string>, options: AnalyzeOptions = {}): Promise<LogAnalysis> {
  const analyzer = createLogAnalyzer(options);
  for await (const chunk of input as AsyncIterable<Uint8Array | string>) analyzer.write(chunk);
  return analyzer.end();
}

/** Analyse a log file, streamed. */
export function analyzeLogFile(path: string, options: AnalyzeOptions = {}): Promise<LogAnalysis> {
  return analyzeLog(createReadStream(path, { highWaterMark: 64 * 1024 }), options);
}
