import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** test/fixtures/logs: one log excerpt per format and, beside it, which lines must (and must not) be picked. */
const CORPUS_DIR = fileURLToPath(new URL('../../fixtures/logs/', import.meta.url));

interface ExpectedPick {
  readonly line: number;
  readonly kind: string;
}

interface CorpusExpectation {
  readonly description: string;
  readonly lines: number;
  /** Every line that must be reported as an error (a stack trace counts once, at its first line). */
  readonly errors: readonly ExpectedPick[];
  readonly warnings: readonly ExpectedPick[];
  /** Lines that look like errors to a naive grep and must not be picked. */
  readonly notPicked: readonly number[];
  /** Lines inside a stack trace: part of the finding that starts it, never counted alone. */
  readonly continuations: readonly number[];
  readonly traces: readonly { readonly line: number; readonly lines: number; readonly headline: string | null }[];
  /** ISO time of an error or warning line, by line number. */
  readonly timestamps?: Readonly<Record<string, string>>;
  readonly findings?: readonly { level: string; text: string; count: number; firstLine: number; lastLine: number }[];
}

export interface CorpusEntry {
  readonly name: string;
  readonly path: string;
  readonly text: string;
  readonly expected: CorpusExpectation;
}

export function loadCorpus(): CorpusEntry[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.expected.json'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.expected.json'.length);
      const path = `${CORPUS_DIR}${name}.log`;
      return {
        name,
        path,
        text: readFileSync(path, 'utf8'),
        expected: JSON.parse(readFileSync(`${CORPUS_DIR}${f}`, 'utf8')) as CorpusExpectation,
      };
    });
}

/** The file's lines, without the newline that ends the last one. */
export function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
