import { isObject } from '../_util/json.js';

/*
 * A structured log line (a JSON object, or logfmt `key=value` pairs) read as its fields, in the order the
 * line has them, and what each well-known key means. Shared by the classifier (levels, times), salient
 * shortening (which fields to keep) and message templates (which field is the message). Pure.
 */

export const LEVEL_KEYS = ['level', 'severity', 'lvl', 'levelname', 'levelName', 'loglevel', 'log_level', 'log.level', '@l', 'Level', 'Severity'];
export const TIME_KEYS = ['time', 'ts', 'timestamp', '@timestamp', '@t', 'Time', 'Timestamp'];
export const MESSAGE_KEYS = ['msg', 'message', 'Message', '@m', '@mt'];
/** Keys whose mere presence makes a levelless JSON line an error. */
export const ERROR_KEYS = ['error', 'err', 'exception', 'stack', 'stacktrace', '@x'];
// Error-like too, for shortening only: present in lines that are not errors often enough (`cause` of a retry).
const MORE_ERROR_KEYS = ['Error', 'cause', 'error.message', 'errorVerbose', 'reason'];
const LOGGER_KEYS = ['logger', 'logger_name', 'loggerName', 'component', 'log.logger', '@logger'];
const CALLER_KEYS = ['caller', 'func', 'function', 'file', 'src', 'source_location'];

/** What a field is for; salient shortening keeps them in this order: level, logger, message, error, caller. */
export type FieldRole = 'level' | 'logger' | 'message' | 'error' | 'caller' | 'time' | 'other';

const ROLES = new Map<string, FieldRole>([
  ...LEVEL_KEYS.map((k) => [k, 'level'] as const),
  ...[...TIME_KEYS, 't'].map((k) => [k, 'time'] as const),
  ...MESSAGE_KEYS.map((k) => [k, 'message'] as const),
  ...[...ERROR_KEYS, ...MORE_ERROR_KEYS].map((k) => [k, 'error'] as const),
  ...LOGGER_KEYS.map((k) => [k, 'logger'] as const),
  ...CALLER_KEYS.map((k) => [k, 'caller'] as const),
]);

function roleOf(key: string): FieldRole {
  return ROLES.get(key) ?? 'other';
}

export interface Field {
  readonly key: string;
  /** The value as JSON parsed it (string, number, object…); always a string for logfmt. */
  readonly value: unknown;
  readonly role: FieldRole;
}

export interface StructuredLine {
  readonly format: 'json' | 'logfmt';
  readonly fields: readonly Field[];
}

// One logfmt pair and the blanks after it: `key=value`, `key="quoted \" value"`, `key=`.
const LOGFMT_PAIR = /([A-Za-z_@…][\w.@/-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?:\s+|$)/y;
const LOGFMT_START = /^[A-Za-z_@…][\w.@/-]*=/;

function logfmtValue(raw: string): string {
  if (!raw.startsWith('"')) return raw;
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

function parseLogfmt(text: string): StructuredLine | null {
  const fields: Field[] = [];
  LOGFMT_PAIR.lastIndex = 0;
  while (LOGFMT_PAIR.lastIndex < text.length) {
    const m = LOGFMT_PAIR.exec(text);
    if (m === null) return null;
    const key = m[1]!;
    fields.push({ key, value: logfmtValue(m[2]!), role: roleOf(key) });
  }
  // Two pairs at least: `a=b` alone is as likely a sentence as a record.
  return fields.length >= 2 ? { format: 'logfmt', fields } : null;
}

/** The line's fields, or null when it is neither a JSON object nor logfmt from start to end. */
export function parseStructured(text: string): StructuredLine | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return null;
    }
    if (!isObject(parsed)) return null;
    return { format: 'json', fields: Object.entries(parsed).map(([key, value]) => ({ key, value, role: roleOf(key) })) };
  }
  return LOGFMT_START.test(trimmed) ? parseLogfmt(trimmed) : null;
}

/** A field's value as text: strings as they are, anything else as JSON. */
export function valueText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}
