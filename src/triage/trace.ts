/*
 * The grammar of multi-line stack traces, so a Go panic, a Java exception or a Python traceback is one
 * finding anchored at its first line instead of dozens of "errors". Pure: the state is a value the caller
 * keeps (analyze.ts keeps one per open finding).
 */

export type TraceKind = 'go-panic' | 'java' | 'python';

export interface TraceState {
  readonly kind: TraceKind;
  /** Python only: reading frames, just after the exception line, or between two chained tracebacks. */
  readonly phase: 'frames' | 'after-exception' | 'chain';
}

export interface TraceStep {
  /** The state after this line. */
  readonly state: TraceState;
  /** The trace's most telling line when this line is one: Python's exception, Java's `Caused by:`. */
  readonly headline: string | null;
}

const JAVA_CONTINUATION = /^(?:\s+at\s|\s*\.\.\. \d+ (?:more|common frames omitted)|\s*Caused by: |\s*Suppressed: |\s*\[CIRCULAR REFERENCE)/;
const JAVA_CAUSE = /^\s*Caused by: (.*)$/;

const GO_CONTINUATION =
  /^(?:\s|$|goroutine \d+ \[|\[signal |created by |runtime stack:|panic: |fatal error: |\.\.\.additional frames elided\.\.\.|[^\s(]+\(.*\)$)/;

const PY_CHAIN = /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)\s*$/;
const PY_TRACEBACK = /^Traceback \(most recent call last\):/;

/** Lines that may follow any error or warning line and belong to it: a Java stack printed after a log message. */
export function continuesAnyFinding(body: string): boolean {
  return JAVA_CONTINUATION.test(body);
}

/** The state of a trace that starts with this kind of line. */
export function beginTrace(kind: TraceKind): TraceState {
  return { kind, phase: 'frames' };
}

/** Feed the next line to an open trace: the new state, or null when the line is no longer part of it. */
export function continueTrace(state: TraceState, body: string): TraceStep | null {
  switch (state.kind) {
    case 'java': {
      if (!JAVA_CONTINUATION.test(body)) return null;
      const cause = JAVA_CAUSE.exec(body);
      return { state, headline: cause?.[1]?.trim() ?? null };
    }
    case 'go-panic':
      return GO_CONTINUATION.test(body) ? { state, headline: null } : null;
    case 'python':
      return continuePython(state, body);
  }
}

function continuePython(state: TraceState, body: string): TraceStep | null {
  const indented = /^\s/.test(body);
  const blank = body.trim() === '';
  switch (state.phase) {
    case 'frames':
      if (indented) return { state, headline: null };
      if (PY_CHAIN.test(body)) return { state: { kind: 'python', phase: 'chain' }, headline: null };
      if (blank) return null;
      // The first line back at the margin is the exception: `psycopg2.OperationalError: …`.
      return { state: { kind: 'python', phase: 'after-exception' }, headline: body.trim() };
    case 'after-exception':
      // The exception message may go on indented; a blank line may lead to a chained traceback.
      if (indented || blank) return { state, headline: null };
      if (PY_CHAIN.test(body)) return { state: { kind: 'python', phase: 'chain' }, headline: null };
      return null;
    case 'chain':
      if (blank) return { state, headline: null };
      if (PY_TRACEBACK.test(body)) return { state: { kind: 'python', phase: 'frames' }, headline: null };
      return null;
  }
}
