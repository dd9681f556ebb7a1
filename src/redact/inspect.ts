/**
 * Redaction of an engine's inspect object, and the literals its environment gives the log redactor.
 */
import {
  REDACTION_MARKER,
  isLiteralSourceName,
  isSecretEnvName,
  toCompiled,
  type CompiledRedaction,
  type RedactOptions,
  type RedactionCounts,
} from './rules.js';
import { redactByteString } from './stream.js';

/** Docker and podman both keep the environment as `Config.Env: ["NAME=value", …]`. */
function isEnvKey(key: string): boolean {
  return key.toLowerCase() === 'env';
}

/** Every `NAME=value` string of every `Env` array in `raw`, at any depth. */
function* envEntries(raw: unknown): Generator<{ name: string; value: string }> {
  if (Array.isArray(raw)) {
    for (const item of raw) yield* envEntries(item);
    return;
  }
  if (typeof raw !== 'object' || raw === null) return;
  for (const [key, value] of Object.entries(raw)) {
    if (isEnvKey(key) && Array.isArray(value)) {
      for (const entry of value) {
        const split = typeof entry === 'string' ? splitEnv(entry) : null;
        if (split !== null) yield split;
      }
    } else {
      yield* envEntries(value);
    }
  }
}

function splitEnv(entry: string): { name: string; value: string } | null {
  const equals = entry.indexOf('=');
  return equals > 0 ? { name: entry.slice(0, equals), value: entry.slice(equals + 1) } : null;
}

/**
 * The values of the secret-named environment variables of every collected container (see
 * `isSecretEnvName`), each once, in the order found; empty values and the shell's `PWD`/`OLDPWD` are left
 * out. Pass them as `literals` to the log redactor and to {@link redactInspect}, so a password that a
 * container echoes in its log is caught without a pattern. (Short and boolean-like values are dropped
 * later, by `usableLiterals`.)
 */
export function collectSecretLiterals(inspects: readonly unknown[]): string[] {
  const found = new Set<string>();
  for (const inspect of inspects) {
    for (const { name, value } of envEntries(inspect)) {
      if (value !== '' && isLiteralSourceName(name)) found.add(value);
    }
  }
  return [...found];
}

/** An inspect object with secrets replaced, and how many were replaced per rule. */
export interface InspectRedaction {
  readonly value: unknown;
  readonly counts: RedactionCounts;
}

/**
 * Redact an inspect object (not modified; a copy is returned):
 * - in every `Env` array, the value of each secret-named `NAME=value` becomes `NAME=***REDACTED***`
 *   (rule `env-secret`);
 * - every other string value, anywhere, goes through the same rules as logs: built-in patterns, literals
 *   and `--redact` patterns (`Cmd: ["--password=x"]`, a label holding a URL with a password, podman's
 *   `CreateCommand`).
 * Keys, numbers, booleans and nulls are kept as they are.
 */
export function redactInspect(raw: unknown, options: RedactOptions | CompiledRedaction = {}): InspectRedaction {
  const compiled = toCompiled(options);
  const counts: RedactionCounts = {};
  const redactString = (value: string): string => {
    const bytes = Buffer.from(value, 'utf8').toString('latin1');
    const redacted = redactByteString(bytes, compiled, counts);
    return redacted === bytes ? value : Buffer.from(redacted, 'latin1').toString('utf8');
  };
  const redactEnvEntry = (entry: unknown): unknown => {
    if (typeof entry !== 'string') return walk(entry);
    const split = splitEnv(entry);
    if (split === null || split.value === '' || !isSecretEnvName(split.name)) return redactString(entry);
    counts['env-secret'] = (counts['env-secret'] ?? 0) + 1;
    return `${split.name}=${REDACTION_MARKER}`;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return redactString(value);
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value !== 'object' || value === null) return value;
    // fromEntries defines properties, so a "__proto__" key stays a plain key.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, isEnvKey(key) && Array.isArray(item) ? item.map(redactEnvEntry) : walk(item)]),
    );
  };
  return { value: walk(raw), counts };
}
