/**
 * Streaming redaction of a log with bounded memory, byte for byte identical to {@link redactBuffer} of the
 * whole input however it is chunked.
 *
 * Two stages, each equal to its whole-input counterpart for any chunking, so their composition is too:
 *
 * 1. Built-in rules and literals over the whole byte stream, newlines included (a PEM block spans lines, a
 *    secret can sit in a gigabyte line). Every pattern's reach is bounded (`rules.ts`), so the stage holds
 *    back the last `reach` bytes: a match that starts before them is exactly the match the whole input
 *    has; the rest waits for more bytes or the end.
 * 2. `--redact` patterns, one line at a time (a line is the bytes between `\n`s; a line longer than
 *    {@link SEGMENT_MAX} is matched in consecutive pieces of that size counted from the line's start, so a
 *    custom match cannot span such a piece boundary). Lines are a property of the content, not of the
 *    chunking.
 */
import { Transform, type TransformCallback } from 'node:stream';
import {
  LOOKBEHIND,
  compileRedaction,
  scanSegment,
  scanText,
  type CompiledCustom,
  type CompiledRedaction,
  type CompiledText,
  type RedactOptions,
  type RedactionCounts,
} from './rules.js';

/** Longest piece of one line that a `--redact` pattern sees. */
export const SEGMENT_MAX = 64 * 1024;
/** Undecided bytes collected beyond the held-back window before scanning again (amortizes the rescan). */
const BATCH = 256 * 1024;
/** Largest piece of an incoming chunk decoded at once (a huge chunk must not become a huge string). */
const SLICE = 1024 * 1024;

/** Stage 1: built-in rules and literals, over a window of the byte stream. */
class TextStage {
  /** Original bytes as a byte string, from a little before the first undecided byte. */
  #pending = '';
  /** Index in `#pending` of the first undecided byte; what precedes it is lookbehind context. */
  #cursor = 0;

  constructor(
    private readonly compiled: CompiledText,
    private readonly counts: RedactionCounts,
  ) {}

  write(text: string, out: string[]): void {
    this.#pending += text;
    if (this.#pending.length - this.#cursor >= this.compiled.reach + BATCH) this.#scan(false, out);
  }

  end(out: string[]): void {
    this.#scan(true, out);
  }

  #scan(final: boolean, out: string[]): void {
    const text = this.#pending;
    const limit = final ? text.length : text.length - this.compiled.reach;
    if (limit <= this.#cursor) return;
    const cursor = scanText(text, this.#cursor, limit, this.compiled, out, this.counts);
    const drop = Math.max(0, cursor - LOOKBEHIND);
    this.#pending = text.slice(drop);
    this.#cursor = cursor - drop;
  }
}

/** Stage 2: `--redact` patterns, one line segment at a time. */
class LineStage {
  /** The current line's bytes not yet matched: fewer than {@link SEGMENT_MAX}, no `\n`. */
  #line = '';

  constructor(
    private readonly custom: readonly CompiledCustom[],
    private readonly counts: RedactionCounts,
  ) {}

  write(text: string, out: string[]): void {
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      this.#append(text.slice(start, newline === -1 ? text.length : newline), out);
      if (newline === -1) return;
      scanSegment(this.#line, this.custom, out, this.counts);
      out.push('\n');
      this.#line = '';
      start = newline + 1;
    }
  }

  end(out: string[]): void {
    scanSegment(this.#line, this.custom, out, this.counts);
    this.#line = '';
  }

  #append(piece: string, out: string[]): void {
    let line = this.#line + piece;
    while (line.length >= SEGMENT_MAX) {
      scanSegment(line.slice(0, SEGMENT_MAX), this.custom, out, this.counts);
      line = line.slice(SEGMENT_MAX);
    }
    this.#line = line;
  }
}

/** The synchronous core of the redactor: bytes in, redacted bytes out. */
export class RedactionEngine {
  readonly #counts: RedactionCounts = {};
  readonly #text: TextStage;
  readonly #lines: LineStage | null;

  constructor(options: RedactOptions | CompiledRedaction = {}) {
    const compiled = isCompiled(options) ? options : compileRedaction(options);
    this.#text = new TextStage(compiled.text, this.#counts);
    this.#lines = compiled.custom.length > 0 ? new LineStage(compiled.custom, this.#counts) : null;
  }

  /** Redact the next bytes; returns what is decided so far (possibly nothing). */
  write(bytes: Uint8Array): Buffer {
    const out: string[] = [];
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let offset = 0; offset < buffer.length; offset += SLICE) {
      this.#stage(buffer.toString('latin1', offset, Math.min(buffer.length, offset + SLICE)), out, false);
    }
    return Buffer.from(out.join(''), 'latin1');
  }

  /** The end of the input: returns the rest. */
  end(): Buffer {
    const out: string[] = [];
    this.#stage('', out, true);
    return Buffer.from(out.join(''), 'latin1');
  }

  /** Redactions so far, per rule id. */
  counts(): RedactionCounts {
    return { ...this.#counts };
  }

  #stage(text: string, out: string[], final: boolean): void {
    const decided: string[] = [];
    if (text !== '') this.#text.write(text, decided);
    if (final) this.#text.end(decided);
    if (this.#lines === null) {
      out.push(...decided);
      return;
    }
    const joined = decided.join('');
    if (joined !== '') this.#lines.write(joined, out);
    if (final) this.#lines.end(out);
  }
}

function isCompiled(options: RedactOptions | CompiledRedaction): options is CompiledRedaction {
  return 'text' in options && 'custom' in options;
}

/**
 * A Transform that redacts a byte stream (a container's log) with bounded memory: about the rules' reach
 * (36 KiB, or the longest literal if longer) plus 256 KiB and one incoming chunk, whatever the line lengths.
 */
export class Redactor extends Transform {
  readonly #engine: RedactionEngine;

  constructor(options: RedactOptions | CompiledRedaction = {}) {
    super();
    this.#engine = new RedactionEngine(options);
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const out = this.#engine.write(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
      if (out.length > 0) this.push(out);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      const out = this.#engine.end();
      if (out.length > 0) this.push(out);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  /** Redactions made so far, per rule id (complete once the stream has ended). */
  counts(): RedactionCounts {
    return this.#engine.counts();
  }
}

/** A streaming redactor (see {@link Redactor}). */
export function createRedactor(options: RedactOptions | CompiledRedaction = {}): Redactor {
  return new Redactor(options);
}

/**
 * The reference, non-streaming redaction of a whole input: built-in rules and literals over all of it,
 * then `--redact` patterns line by line. The streaming {@link Redactor} gives the same bytes and counts
 * for any chunking.
 */
export function redactBuffer(input: Uint8Array, options: RedactOptions | CompiledRedaction = {}): { output: Buffer; counts: RedactionCounts } {
  const compiled = isCompiled(options) ? options : compileRedaction(options);
  const counts: RedactionCounts = {};
  const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  return { output: Buffer.from(redactByteString(text, compiled, counts), 'latin1'), counts };
}

/** {@link redactBuffer} on a byte string (one char per byte), counting into `counts`. */
export function redactByteString(text: string, compiled: CompiledRedaction, counts: RedactionCounts): string {
  const out: string[] = [];
  scanText(text, 0, text.length, compiled.text, out, counts);
  const redacted = out.join('');
  if (compiled.custom.length === 0) return redacted;
  return redacted
    .split('\n')
    .map((line) => {
      const pieces: string[] = [];
      let offset = 0;
      do {
        scanSegment(line.slice(offset, offset + SEGMENT_MAX), compiled.custom, pieces, counts);
        offset += SEGMENT_MAX;
      } while (offset < line.length);
      return pieces.join('');
    })
    .join('\n');
}
