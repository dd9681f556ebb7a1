/**
 * Streaming redaction of a log with bounded memory, byte for byte identical to {@link redactBuffer} of the
 * whole input however it is chunked.
 *
 * Two stages, each equal to its whole-input counterpart for any chunking, so their composition is too:
 *
 * 1. Built-in rules and literals over the whole byte stream, newlines included (a PEM block spans lines, a
 *    secret can sit in a gigabyte line). Every pattern's reach is bounded (`rules.ts`), so the stage holds
 *    back the last `reach` bytes: matches that start before them are exactly the matches the whole input
 *    has there; the rest waits for more bytes or the end (`TextScanner`).
 * 2. `--redact` patterns, one line at a time (a line is the bytes between `\n`s, without a `\r` before
 *    the `\n`; a line longer than {@link SEGMENT_MAX} is matched in consecutive pieces of that size counted
 *    from the line's start, so a custom match cannot span such a piece boundary). Lines are a property of
 *    the content, not of the chunking.
 */
import { Transform, type TransformCallback } from 'node:stream';
import {
  TextScanner,
  scanSegment,
  toCompiled,
  type CompiledCustom,
  type CompiledRedaction,
  type CompiledText,
  type RedactOptions,
  type RedactionCounts,
} from './rules.js';

/** Longest piece of one line that a `--redact` pattern sees. */
export const SEGMENT_MAX = 64 * 1024;
/** Undecided bytes collected beyond the held-back window before scanning again (amortizes the rescan). */
export const DEFAULT_BATCH_BYTES = 256 * 1024;

/** Knobs that change when the redactor works, never what it outputs. */
export interface RedactorTuning {
  /**
   * Scan once this many undecided bytes have arrived beyond the held-back window (default 256 KiB).
   * Smaller means less memory and more rescanning; tests use 1 to decide at every chunk boundary.
   */
  readonly batchBytes?: number;
}

/** Largest piece of an incoming chunk decoded at once (a huge chunk must not become a huge string). */
const SLICE = 1024 * 1024;

/** Stage 1: built-in rules and literals, over a window of the byte stream. */
class TextStage {
  readonly #scanner: TextScanner;
  /** Original bytes as a byte string, from absolute offset `#base` (a little before the undecided ones). */
  #pending = '';
  #base = 0;

  constructor(
    private readonly compiled: CompiledText,
    counts: RedactionCounts,
    private readonly batchBytes: number,
  ) {
    this.#scanner = new TextScanner(compiled, counts);
  }

  write(text: string, out: string[]): void {
    this.#pending += text;
    if (this.#base + this.#pending.length - this.#scanner.emitted >= this.compiled.reach + this.batchBytes) this.#scan(false, out);
  }

  end(out: string[]): void {
    this.#scan(true, out);
  }

  #scan(final: boolean, out: string[]): void {
    const end = this.#base + this.#pending.length;
    const limit = final ? end : end - this.compiled.reach;
    if (limit <= this.#scanner.emitted && !final) return;
    this.#scanner.advance(this.#pending, this.#base, Math.max(limit, this.#scanner.emitted), out);
    const keepFrom = this.#scanner.keepFrom;
    this.#pending = this.#pending.slice(keepFrom - this.#base);
    this.#base = keepFrom;
  }
}

/** Stage 2: `--redact` patterns, one line segment at a time. */
class LineStage {
  /** The current line's bytes not yet matched: at most {@link SEGMENT_MAX}, no `\n`. */
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
      scanLineEnd(this.#line, true, this.custom, out, this.counts);
      this.#line = '';
      start = newline + 1;
    }
  }

  end(out: string[]): void {
    scanLineEnd(this.#line, false, this.custom, out, this.counts);
    this.#line = '';
  }

  /** Match every piece that is known not to be the line's last: the line goes on after it. */
  #append(piece: string, out: string[]): void {
    let line = this.#line + piece;
    while (line.length > SEGMENT_MAX) {
      scanSegment(line.slice(0, SEGMENT_MAX), this.custom, out, this.counts);
      line = line.slice(SEGMENT_MAX);
    }
    this.#line = line;
  }
}

/**
 * Match the last piece of a line and write the line's end: a `\r` before the `\n` is left out of the
 * match, so `$` works on CRLF logs.
 */
function scanLineEnd(piece: string, newline: boolean, custom: readonly CompiledCustom[], out: string[], counts: RedactionCounts): void {
  if (newline && piece.endsWith('\r')) {
    scanSegment(piece.slice(0, -1), custom, out, counts);
    out.push('\r\n');
  } else {
    scanSegment(piece, custom, out, counts);
    if (newline) out.push('\n');
  }
}

/** The synchronous core of the redactor: bytes in, redacted bytes out. */
export class RedactionEngine {
  readonly #counts: RedactionCounts = {};
  readonly #text: TextStage;
  readonly #lines: LineStage | null;

  constructor(options: RedactOptions | CompiledRedaction = {}, tuning: RedactorTuning = {}) {
    const compiled = toCompiled(options);
    const batchBytes = tuning.batchBytes ?? DEFAULT_BATCH_BYTES;
    if (!Number.isSafeInteger(batchBytes) || batchBytes < 1) throw new RangeError(`batchBytes must be a whole number ≥ 1, got ${batchBytes}`);
    this.#text = new TextStage(compiled.text, this.#counts, batchBytes);
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
    // Without --redact patterns, stage 1 writes the output itself.
    const decided = this.#lines === null ? out : [];
    if (text !== '') this.#text.write(text, decided);
    if (final) this.#text.end(decided);
    if (this.#lines === null) return;
    const joined = decided.join('');
    if (joined !== '') this.#lines.write(joined, out);
    if (final) this.#lines.end(out);
  }
}

/**
 * A Transform that redacts a byte stream (a container's log) with bounded memory: the rules' reach
 * (`BUILTIN_REACH`, 37 KiB, or the longest literal if longer) plus `batchBytes` (256 KiB) plus one incoming
 * chunk (at most 1 MiB of it at a time), whatever the line lengths. Its output is the same bytes as
 * {@link redactBuffer} of the whole input, however the input is chunked.
 */
export class Redactor extends Transform {
  readonly #engine: RedactionEngine;

  constructor(options: RedactOptions | CompiledRedaction = {}, tuning: RedactorTuning = {}) {
    super();
    this.#engine = new RedactionEngine(options, tuning);
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
export function createRedactor(options: RedactOptions | CompiledRedaction = {}, tuning: RedactorTuning = {}): Redactor {
  return new Redactor(options, tuning);
}

/**
 * The reference, non-streaming redaction of a whole input: built-in rules and literals over all of it,
 * then `--redact` patterns line by line. The streaming {@link Redactor} gives the same bytes and counts
 * for any chunking.
 */
export function redactBuffer(input: Uint8Array, options: RedactOptions | CompiledRedaction = {}): { output: Buffer; counts: RedactionCounts } {
  const compiled = toCompiled(options);
  const counts: RedactionCounts = {};
  const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  return { output: Buffer.from(redactByteString(text, compiled, counts), 'latin1'), counts };
}

/** {@link redactBuffer} on a byte string (one char per byte), counting into `counts`. */
export function redactByteString(text: string, compiled: CompiledRedaction, counts: RedactionCounts): string {
  const out: string[] = [];
  new TextScanner(compiled.text, counts).advance(text, 0, text.length, out);
  const redacted = out.join('');
  if (compiled.custom.length === 0) return redacted;
  const lines = redacted.split('\n');
  const pieces: string[] = [];
  lines.forEach((line, index) => {
    // Pieces of SEGMENT_MAX bytes from the line's start; the last one (1 to SEGMENT_MAX bytes, or the
    // empty line) ends the line.
    let offset = 0;
    for (; line.length - offset > SEGMENT_MAX; offset += SEGMENT_MAX) {
      scanSegment(line.slice(offset, offset + SEGMENT_MAX), compiled.custom, pieces, counts);
    }
    scanLineEnd(line.slice(offset), index < lines.length - 1, compiled.custom, pieces, counts);
  });
  return pieces.join('');
}
