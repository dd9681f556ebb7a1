import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { stripAnsi } from '../_util/text.js';
import { LineSplitter, type LineSink } from './analyze-lines.js';
import { TimelineCounter, TimeSpan, type ErrorTimeline } from './analyze-time.js';
import { classifySplitLine, splitTimestamp, traceStart, type LineClass, type LineKind, type LineLevel } from './classify.js';
import { shortenLine } from './salient.js';
import { normalizeText, TemplateTally, type TemplateSummary } from './templates.js';
import { beginTrace, continueTrace, continuesAnyFinding, type TraceKind, type TraceState } from './trace.js';

export { MAX_LINE_BYTES } from './analyze-lines.js';

/*
 * One pass over a log, line by line, in bounded memory whatever its size: a line is kept to its first
 * MAX_LINE_BYTES, only two lines of context are remembered, and distinct findings are capped. A 1 GB log
 * costs the same memory as a 1 kB one.
 */

/** Distinct findings listed; further distinct messages are only counted in `otherFindings`. */
export const MAX_FINDINGS = 100;
const CONTEXT_LINES = 2;
const TAIL_LINES = 3;
const EVENT_TEXT_CHARS = 1000;
const CONTEXT_TEXT_CHARS = 300;

interface LogLine {
  /** 1-based line number in the log file. */
  readonly line: number;
  readonly text: string;
}

interface TraceInfo {
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
  /** Every line but the continuations of a stack trace, counted by message template. */
  readonly templates: TemplateSummary;
}

export interface AnalyzeOptions {
  /** Told about every error and warning (after its stack trace, if any, has been read). */
  readonly onEvent?: (event: LogEventSummary) => void;
}

/** Digits, hex, UUIDs and times vary between repeats of one message; they are blanked for counting. */
export function normalizeMessage(text: string): string {
  return normalizeText(text).replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** A line of context, made safe to show only if it ever is (most lines never are). */
class ContextLine implements LogLine {
  #text: string | null = null;

  constructor(
    readonly line: number,
    private readonly body: string,
  ) {}

  get text(): string {
    return (this.#text ??= shortenLine(this.body, CONTEXT_TEXT_CHARS));
  }

  plain(): LogLine {
    return { line: this.line, text: this.text };
  }
}

/** Whether a line shows anything: what its ContextLine's `text.trim() !== ''` says, without cleaning most lines. */
function shows(body: string): boolean {
  const c = body.charCodeAt(0);
  // A visible ASCII first char survives cleaning as the text's first char.
  return (c > 32 && c < 127) || shortenLine(body, CONTEXT_TEXT_CHARS).trim() !== '';
}

/**
 * The last lines seen, as numbers and bodies in fixed arrays: a ContextLine is made only for the few that
 * are ever kept (an event's lines before, the log's tail), not for every line (making one per line, and
 * collecting it again, took 5–10 % of the analyzer's time).
 */
class RecentLines {
  readonly #numbers: number[];
  readonly #bodies: string[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#numbers = new Array<number>(capacity).fill(0);
    this.#bodies = new Array<string>(capacity).fill('');
  }

  push(n: number, body: string): void {
    this.#numbers[this.#next] = n;
    this.#bodies[this.#next] = body;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** Oldest first. */
  lines(): ContextLine[] {
    const lines: ContextLine[] = [];
    for (let i = this.#size; i > 0; i--) {
      const at = (this.#next - i + this.capacity) % this.capacity;
      lines.push(new ContextLine(this.#numbers[at]!, this.#bodies[at]!));
    }
    return lines;
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
  const analysis = new LineAnalysis(options.onEvent);
  const lines = new LineSplitter(analysis);
  return {
    write(chunk) {
      lines.write(chunk);
    },
    end() {
      lines.end();
      return analysis.end(lines);
    },
  };
}

/** Distinct messages and their counts, up to MAX_FINDINGS of them. */
class FindingTally {
  readonly #byKey = new Map<string, MutableFinding>();
  #others = 0;

  add(event: OpenEvent, headline: string | null): void {
    const key = `${event.level} ${normalizeMessage(event.text)} ${headline === null ? '' : normalizeMessage(headline)}`;
    const known = this.#byKey.get(key);
    if (known) {
      known.count++;
      known.lastLine = event.line;
    } else if (this.#byKey.size < MAX_FINDINGS) {
      this.#byKey.set(key, { level: event.level, kind: event.kind, text: event.text, headline, count: 1, firstLine: event.line, lastLine: event.line });
    } else {
      this.#others++;
    }
  }

  /** Errors and warnings whose message came after MAX_FINDINGS distinct ones. */
  get others(): number {
    return this.#others;
  }

  /** Errors first, then warnings; each by first appearance. */
  list(): LogFinding[] {
    return [...this.#byKey.values()]
      .sort((a, b) => (a.level === b.level ? a.firstLine - b.firstLine : a.level === 'error' ? -1 : 1))
      .map((f) => ({ ...f }));
  }
}

/** Whether an event still waits for lines of context after it. */
function wantsMoreAfter(event: OpenEvent): boolean {
  return event.after.length < CONTEXT_LINES;
}

/**
 * The analysis as it goes: each line either carries on the open event (its stack trace) or closes it and
 * is classified on its own; the lines around the first and last error and the first warning are kept.
 */
class LineAnalysis implements LineSink {
  readonly #onEvent: ((event: LogEventSummary) => void) | undefined;
  readonly #span = new TimeSpan();
  readonly #timeline = new TimelineCounter();
  readonly #findings = new FindingTally();
  readonly #templates = new TemplateTally();
  readonly #recent = new RecentLines(CONTEXT_LINES);
  readonly #tail = new RecentLines(TAIL_LINES);
  // Events still waiting for their lines of context after (at most firstError, firstWarning, lastError).
  #collecting: OpenEvent[] = [];
  #errorCount = 0;
  #warningCount = 0;
  #firstError: OpenEvent | null = null;
  #lastError: OpenEvent | null = null;
  #firstWarning: OpenEvent | null = null;
  /** The last error or warning, while the lines after it may still belong to it. */
  #open: OpenEvent | null = null;
  /**
   * The body of the last line classified, when it was neither error nor warning: that depends on the body
   * alone (the engine's time only dates a finding), so the same line again is not classified again.
   */
  #lastQuiet: string | null = null;

  constructor(onEvent: ((event: LogEventSummary) => void) | undefined) {
    this.#onEvent = onEvent;
  }

  /** The analysis, once every line has been seen. */
  end(lines: LineSplitter): LogAnalysis {
    this.#close();
    return {
      bytes: lines.bytes,
      lines: lines.lines,
      errorCount: this.#errorCount,
      warningCount: this.#warningCount,
      firstError: freeze(this.#firstError),
      lastError: freeze(this.#lastError),
      firstWarning: freeze(this.#firstWarning),
      findings: this.#findings.list(),
      otherFindings: this.#findings.others,
      timeline: this.#timeline.timeline(),
      firstTimestamp: this.#span.first,
      lastTimestamp: this.#span.last,
      longLines: lines.longLines,
      tail: this.#tail.lines().map((line) => line.plain()),
      templates: this.#templates.summary(),
    };
  }

  // The hot path: every line of a log passes here, and for most of them nothing else runs. What runs for
  // few lines (an event's context, its stack trace, a new event) is in methods of its own, called only
  // then: V8 inlines callees up to a fixed total size per function, and a helper called on every line
  // would take the room that classifySplitLine needs (split that way, a log of short lines took ~15 % longer).
  line(n: number, raw: string): void {
    const { timestamp, body: rawBody } = splitTimestamp(raw);
    const ms = this.#span.see(timestamp);
    const body = stripAnsi(rawBody);
    if (shows(body)) this.#tail.push(n, body);
    if (this.#collecting.length > 0) this.#giveAsContextAfter(new ContextLine(n, body));
    const open = this.#open;
    if (open === null || !this.#continues(open, n, body)) {
      if (open !== null) this.#close();
      const verdict = rawBody === this.#lastQuiet ? null : classifySplitLine(timestamp, rawBody);
      this.#lastQuiet = verdict === null ? rawBody : null;
      if (verdict !== null) this.#openEvent(n, verdict, body);
      // A stack trace's frames are part of its message, not messages of their own.
      this.#templates.see(n, body, ms);
    }
    this.#recent.push(n, body);
  }

  /** The line as context after the events that still want some. */
  #giveAsContextAfter(context: ContextLine): void {
    for (const event of this.#collecting) event.after.push(context);
    this.#collecting = this.#collecting.filter(wantsMoreAfter);
  }

  /** Whether the line belongs to the open event: its stack trace goes on, or one starts right after it. */
  #continues(open: OpenEvent, n: number, body: string): boolean {
    if (open.trace !== null) {
      const step = continueTrace(open.trace.state, body);
      if (step === null) return false;
      open.trace.state = step.state;
      absorb(open, n, step.headline);
      return true;
    }
    if (open.lastLine !== n - 1) return false;
    // A stack trace printed right after a log message belongs to that message (logger.exception(),
    // logback's ERROR line and its exception). A Go panic is the crash itself: always its own finding.
    const start = traceStart(body);
    if ((start === 'java' || start === 'python') && open.level === 'error') {
      open.trace = { state: beginTrace(start), kind: start, lines: 1, headline: start === 'python' ? null : body.trim() };
      absorb(open, n, null);
      return true;
    }
    if (start === null && continuesAnyFinding(body)) {
      open.trace = { state: beginTrace('java'), kind: 'java', lines: 1, headline: null };
      const step = continueTrace(open.trace.state, body);
      absorb(open, n, step?.headline ?? null);
      return true;
    }
    return false;
  }

  /** An error or a warning that no open event took: it opens an event of its own. */
  #openEvent(n: number, verdict: LineClass, body: string): void {
    const ms = this.#span.see(verdict.timestamp);
    if (ms !== null) this.#timeline.count(ms, verdict.level);
    const start = traceStart(body);
    const event: OpenEvent = {
      line: n,
      level: verdict.level,
      kind: verdict.kind,
      text: shortenLine(body, EVENT_TEXT_CHARS),
      timestamp: ms === null ? null : new Date(ms).toISOString(),
      before: this.#recent.lines(),
      after: [],
      lastLine: n,
      trace: start === null ? null : { state: beginTrace(start), kind: start, lines: 1, headline: start === 'python' ? null : shortenLine(body.trim(), EVENT_TEXT_CHARS) },
    };
    this.#count(event);
    this.#open = event;
  }

  /** Counts the event, and keeps it (to collect its context after) if it is the first or last of its kind. */
  #count(event: OpenEvent): void {
    if (event.level === 'error') {
      this.#errorCount++;
      this.#firstError ??= event;
      const replaced = this.#lastError;
      if (replaced !== null && replaced !== this.#firstError) this.#collecting = this.#collecting.filter((e) => e !== replaced);
      this.#lastError = event;
    } else {
      this.#warningCount++;
      this.#firstWarning ??= event;
    }
    if (event === this.#firstError || event === this.#lastError || event === this.#firstWarning) this.#collecting.push(event);
  }

  /** The open event is complete: it is counted as a finding and told to `onEvent`. */
  #close(): void {
    const event = this.#open;
    if (event === null) return;
    this.#open = null;
    this.#findings.add(event, event.trace?.headline ?? null);
    this.#onEvent?.({ line: event.line, level: event.level, kind: event.kind, text: event.text, timestamp: event.timestamp, trace: traceInfo(event) });
  }
}

/** The next line of an event's stack trace, and maybe the trace's headline. */
function absorb(event: OpenEvent, n: number, headline: string | null): void {
  event.lastLine = n;
  if (event.trace) {
    event.trace.lines = n - event.line + 1;
    if (headline !== null) event.trace.headline = shortenLine(headline, EVENT_TEXT_CHARS);
  }
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
