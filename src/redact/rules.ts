/**
 * The redaction rules: which environment variable names look secret, which literal values are worth
 * redacting, and the byte patterns redacted in logs and inspect JSON alike.
 *
 * Everything here works on "byte strings": a Buffer decoded as latin1, one char per byte (0–255). Every
 * pattern is ASCII, so invalid UTF-8, NUL bytes and any other byte pass through untouched, and turning the
 * result back with `Buffer.from(text, 'latin1')` gives the same bytes wherever nothing was redacted.
 *
 * Every built-in pattern is bounded: a match (with its lookahead) never spans more than {@link BUILTIN_REACH}
 * chars from where it starts, and no lookbehind looks back more than {@link LOOKBEHIND} chars. That bound is
 * what lets the streaming redactor hold back only a fixed window and still find exactly what a scan of the
 * whole input finds (see `stream.ts`).
 */
import { UsageError } from '../errors.js';

/** What replaces a secret. Fixed, ASCII, and easy to grep for (`grep -F '***REDACTED***'`). */
export const REDACTION_MARKER = '***REDACTED***';

/**
 * Values of secret-named variables shorter than this (in characters) are not redacted as literals:
 * redacting every `a`, `1` or `abc` in a log would destroy it. They are still redacted in inspect's `Env`.
 */
export const MIN_LITERAL_LENGTH = 4;

/** Stable ids of the rules, as the manifest counts them. */
export const RULE_IDS = [
  'env-secret',
  'env-literal',
  'pem-private-key',
  'auth-bearer',
  'auth-basic',
  'url-userinfo',
  'password-pair',
  'aws-secret-key',
  'jwt',
  'aws-access-key',
  'custom',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** Redactions made, per rule id. Never holds a redacted value. */
export type RedactionCounts = Record<string, number>;

/** What to redact besides the built-in rules. */
export interface RedactOptions {
  /** Values of secret-named env vars of every collected container (see `collectSecretLiterals`). */
  readonly literals?: readonly string[];
  /** `--redact` patterns (see {@link parseRedactPattern}); each is matched against one line at a time. */
  readonly extraPatterns?: readonly RegExp[];
}

// ---------------------------------------------------------------------------------------------------------
// Secret-looking environment variable names

/** Words that make a name secret when they are a whole `_`-separated word of it. */
const SECRET_WORDS = new Set([
  'PASSWORD', 'PASSWORDS', 'PASSWD', 'PWD', 'PASS', 'PASSPHRASE',
  'SECRET', 'SECRETS', 'TOKEN', 'TOKENS', 'KEY', 'KEYS', 'APIKEY',
  'CREDENTIAL', 'CREDENTIALS', 'CREDS', 'AUTH', 'AUTHORIZATION', 'DSN',
]);
/**
 * Longer words that also count at the end of a word (`PGPASSWORD`, `GITHUBTOKEN`, `OPENAIAPIKEY`). Short
 * words (KEY, PWD, AUTH, PASS, DSN) must be whole words, so `MONKEY`, `KEYBOARD`, `AUTHOR`, `BYPASS` and
 * `TOKENIZERS_PARALLELISM` are not secret.
 */
const SECRET_SUFFIX = /(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|APIKEY|ACCESSKEY|SECRETKEY|PRIVATEKEY)S?$/;
/**
 * A last word that says the value describes a secret rather than being one: a file or socket location
 * (`POSTGRES_PASSWORD_FILE`, Docker secrets' convention; `SSH_AUTH_SOCK`), a mechanism
 * (`POSTGRES_HOST_AUTH_METHOD=trust`) or an endpoint (`TOKEN_URL`; credentials inside a URL are caught by
 * the `url-userinfo` rule anyway).
 */
const DESCRIPTIVE_LAST_WORDS = new Set(['FILE', 'PATH', 'DIR', 'SOCK', 'SOCKET', 'METHOD', 'TYPE', 'URL']);
/** Whole names that hold credentials without a secret word: `DATABASE_URL`, `APP_DB_URL`, `CONNECTION_STRING`. */
const CONNECTION_NAME = /(?:^|_)(?:DATABASE_URL|DB_URL|CONNECTION_STRING)$/;

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2') // apiKey → api_Key
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((word) => word !== '');
}

/**
 * Whether an environment variable's value should be treated as a secret, judged by its name.
 *
 * The name is split into words at `_`, `-`, `.` and camelCase humps, case-insensitively. It is secret when
 * a word is one of PASSWORD(S), PASSWD, PWD, PASS, PASSPHRASE, SECRET(S), TOKEN(S), KEY(S), APIKEY,
 * CREDENTIAL(S), CREDS, AUTH, AUTHORIZATION, DSN, or a word ends with one of the long ones (PGPASSWORD),
 * unless the last word is FILE, PATH, DIR, SOCK, SOCKET, METHOD, TYPE or URL; and names ending in
 * DATABASE_URL, DB_URL or CONNECTION_STRING are secret too.
 *
 * `PWD` is in the list because the issue asks for it (`DB_PWD`), which makes the shell's `PWD` (the working
 * directory) secret as well: its value is hidden in inspect's `Env`, but `collectSecretLiterals` does not
 * turn it into a literal, since every path in a log would go.
 */
export function isSecretEnvName(name: string): boolean {
  const words = nameWords(name);
  if (words.length === 0) return false;
  if (CONNECTION_NAME.test(words.join('_'))) return true;
  if (DESCRIPTIVE_LAST_WORDS.has(words[words.length - 1] ?? '')) return false;
  return words.some((word) => SECRET_WORDS.has(word) || SECRET_SUFFIX.test(word));
}

/** Names whose values are never literals although they are secret-named: the shell's working directories. */
const NOT_LITERAL_NAMES = new Set(['PWD', 'OLDPWD']);

/** Whether the value of a secret-named variable is collected as a literal (see {@link isSecretEnvName}). */
export function isLiteralSourceName(name: string): boolean {
  return isSecretEnvName(name) && !NOT_LITERAL_NAMES.has(name);
}

// ---------------------------------------------------------------------------------------------------------
// Literals

/** Placeholder-like values that say nothing secret and occur everywhere in logs. */
const TRIVIAL_VALUES = new Set(['true', 'false', 'yes', 'none', 'null', 'nil', 'undefined', 'enabled', 'disabled']);

/**
 * The literal strings that will actually be redacted, from the values of secret-named variables: each value
 * of at least {@link MIN_LITERAL_LENGTH} characters that is not a boolean-like word, plus its JSON-escaped
 * form (a password with `"` or `\` logged inside JSON) and its percent-encoded form (a password inside a
 * URL), longest first. Exported so the caller can see what is redacted.
 */
export function usableLiterals(values: readonly string[]): string[] {
  const found = new Set<string>();
  for (const value of values) {
    if (typeof value !== 'string' || [...value].length < MIN_LITERAL_LENGTH) continue;
    if (TRIVIAL_VALUES.has(value.toLowerCase())) continue;
    found.add(value);
    found.add(JSON.stringify(value).slice(1, -1));
    found.add(encodeURIComponent(value));
  }
  return [...found].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
}

/** UTF-8 bytes of `value` as a byte string. */
export function toByteString(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** A regex source matching exactly `byteString`: letters and digits as themselves, every other byte as `\xHH`. */
function escapeBytes(byteString: string): string {
  let out = '';
  for (const char of byteString) {
    out += /[A-Za-z0-9]/.test(char) ? char : `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Built-in patterns

/** `ci('bearer')` → `[Bb][Ee][Aa][Rr][Ee][Rr]`: case-insensitive for this word only (no global `i` flag). */
function ci(word: string): string {
  return word.replace(/[A-Za-z]/g, (c) => `[${c.toUpperCase()}${c.toLowerCase()}]`).replace(/-/g, '\\-');
}

/** One alternative of the combined pattern. */
interface Alternative {
  readonly rule: RuleId;
  readonly source: string;
  /** Upper bound of the chars a match, with its lookahead, spans from where it starts. */
  readonly reach: number;
  /** A last check of the secret: a refused match is skipped. */
  readonly accept?: (secret: string) => boolean;
}

/** Longest lookbehind of any built-in pattern. */
export const LOOKBEHIND = 1;

const PEM_LABEL = '(?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?'; // RSA, EC, OPENSSH, ENCRYPTED, PGP … BLOCK
const PEM_HEADER = `-----BEGIN ${PEM_LABEL}-----`; // ≤ 11 + 63 + 17 + 5 = 96
const PEM_FOOTER = `-----END ${PEM_LABEL}-----`; // ≤ 94
const PEM_BODY_MAX = 32_768; // an RSA-16384 key is ~12.5 KiB of PEM
/** A line break inside a key: a real one, or a `\n` escape (a key inside a JSON string). */
const PEM_NEWLINE = '(?:\\r?\\n|(?:\\\\r)?\\\\n)'; // ≤ 4
/**
 * One whole body line of a key cut off before its footer: base64, or an encryption header
 * (`Proc-Type: 4,ENCRYPTED`), up to a line end or a quote. A line of prose ends the body.
 */
const PEM_LINE = `[ \\t]{0,8}(?:[A-Za-z0-9+/=]{1,128}|[A-Za-z-]{1,24}:[^\\r\\n\\\\]{0,100})[ \\t]{0,8}(?=[\\r\\n"']|\\\\[rn]|$)`; // ≤ 8 + 128 + 8 + 1
const PEM_LINES_MAX = 256;

const AUTH_KEY =
  `(?<![A-Za-z0-9_-])(?:${ci('proxy-')})?${ci('authorization')}["']?[ \\t]{0,4}[:=][ \\t]{0,4}[\\["']{0,2}`; // ≤ 30
const TOKEN68 = '[A-Za-z0-9._~+/-]';
const KEY_SEPARATOR = `["']?[ \\t]{0,4}[:=][ \\t]{0,4}`; // ≤ 10

function isBasicCredential(base64: string): boolean {
  if (base64.length % 4 !== 0) return false;
  const decoded = Buffer.from(base64, 'base64').toString('latin1');
  return /^[^\x00-\x1f\x7f]*:[^\x00-\x1f\x7f]*$/.test(decoded);
}

/**
 * The built-in rules in priority order: at one position the first that matches wins (the leftmost match
 * always wins first). Capture groups mark the secret; the first group that took part is replaced, or the
 * whole match when there is none.
 */
function builtinAlternatives(literals: readonly string[]): Alternative[] {
  const alternatives: Alternative[] = [
    {
      // A private key block: the body between header and footer, line breaks next to them kept; without
      // a footer (cut off), the whole base64 lines that follow the header.
      rule: 'pem-private-key',
      source:
        `${PEM_HEADER}(?:${PEM_NEWLINE}?([\\s\\S]{1,${PEM_BODY_MAX}}?)${PEM_NEWLINE}?${PEM_FOOTER}` +
        `|${PEM_NEWLINE}(${PEM_LINE}(?:${PEM_NEWLINE}${PEM_LINE}){0,${PEM_LINES_MAX - 1}}))`,
      reach: 96 + Math.max(4 + PEM_BODY_MAX + 4 + 94, PEM_LINES_MAX * (4 + 145)),
    },
  ];
  if (literals.length > 0) {
    const bytes = literals.map(toByteString);
    alternatives.push({
      rule: 'env-literal',
      source: `(?:${bytes.map(escapeBytes).join('|')})`,
      reach: Math.max(...bytes.map((b) => b.length)),
    });
  }
  alternatives.push(
    {
      rule: 'auth-bearer',
      source: `${AUTH_KEY}${ci('bearer')}[ \\t]{1,8}(${TOKEN68}{1,4096}={0,8})`,
      reach: 30 + 6 + 8 + 4096 + 8,
    },
    {
      rule: 'auth-basic',
      source: `${AUTH_KEY}${ci('basic')}[ \\t]{1,8}([A-Za-z0-9+/]{1,4096}={0,2})`,
      reach: 30 + 5 + 8 + 4096 + 2,
    },
    {
      // scheme://user:password@host — the password; it may hold `@` (the last `@` ends it). The match
      // starts at `://` (a fixed string is fast to find).
      rule: 'url-userinfo',
      source: `://(?<=[A-Za-z0-9]://)[^\\s:/?#@"'<>\\\\]{0,256}:([^\\s/?#"'<>\\\\]{1,256})@`,
      reach: 3 + 256 + 1 + 256 + 1,
    },
    {
      // password=…, PGPASSWORD=…, "password": "…", pwd: …, passphrase=… — the value, quoted or not.
      rule: 'password-pair',
      source:
        `(?:${ci('passw')}(?:${ci('ord')}|${ci('d')})|${ci('passphrase')}|${ci('pwd')})${KEY_SEPARATOR}` +
        `(?:"((?:[^"\\\\\\r\\n]|\\\\.){1,256})"|\\\\"([^"\\\\\\r\\n]{1,256})\\\\"|'([^'\\r\\n]{1,256})'|([^\\s"'&;,]{1,256}))`,
      reach: 10 + 10 + 2 + 512 + 2,
    },
    {
      rule: 'aws-secret-key',
      source: `${ci('aws')}[_.-]?${ci('secret')}[_.-]?(?:${ci('access')}[_.-]?)?${ci('key')}${KEY_SEPARATOR}["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])`,
      reach: 22 + 10 + 1 + 40 + 1,
    },
    {
      // header.payload.signature, both JSON objects (`{"` / `{ ` encode as `ey`); the signature may be empty.
      rule: 'jwt',
      source: 'ey(?<![A-Za-z0-9_-]ey)[A-Za-z0-9_-]{8,1024}\\.ey[A-Za-z0-9_-]{8,8192}\\.[A-Za-z0-9_-]{0,2048}(?![A-Za-z0-9_-])',
      reach: 2 + 1024 + 1 + 2 + 8192 + 1 + 2048 + 1,
    },
    {
      rule: 'aws-access-key',
      source: 'A(?<![A-Za-z0-9]A)(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|ROA|PKA|SCA)[A-Z0-9]{16}(?![A-Za-z0-9])',
      reach: 21,
    },
    {
      // `Bearer <token>` outside an Authorization header: the token must hold a digit, so prose such as
      // "bearer authentication" survives.
      rule: 'auth-bearer',
      source: `(?<![A-Za-z0-9_-])${ci('bearer')}[ \\t]{1,8}(?=[A-Za-z._~+/-]{0,4095}[0-9])(${TOKEN68}{8,4096}={0,8})`,
      reach: 6 + 8 + 4096 + 8,
    },
    {
      // `Basic <base64>` outside an Authorization header: only when it decodes to `user:password`.
      rule: 'auth-basic',
      source: `(?<![A-Za-z0-9_-])${ci('basic')}[ \\t]{1,8}([A-Za-z0-9+/]{8,4096}={0,2})(?![A-Za-z0-9+/=])`,
      reach: 5 + 8 + 4096 + 2 + 1,
      accept: isBasicCredential,
    },
  );
  return alternatives;
}

/** Upper bound of every built-in pattern's reach (literals excepted: their reach is their length). */
export const BUILTIN_REACH = Math.max(...builtinAlternatives([]).map((a) => a.reach));

// ---------------------------------------------------------------------------------------------------------
// Compiled rules

/** Where a match's secret is, in the scanned text. */
export interface Found {
  readonly rule: RuleId;
  readonly start: number;
  readonly end: number;
  readonly secretStart: number;
  readonly secretEnd: number;
}

/** One rule's pattern, compiled. */
export interface CompiledRule {
  readonly rule: RuleId;
  /** Global, with indices (`gd`). */
  readonly regex: RegExp;
  /** Groups that may hold the secret; the first that took part is replaced, the whole match if none. */
  readonly secretGroups: readonly number[];
  readonly accept: ((secret: string) => boolean) | undefined;
}

/** The built-in rules and literals, in priority order. */
export interface CompiledText {
  readonly rules: readonly CompiledRule[];
  /** How far past a match's start the text must be known for the match to be final. */
  readonly reach: number;
}

/** A `--redact` pattern, compiled for matching one line (segment) at a time. */
export interface CompiledCustom {
  readonly regex: RegExp;
}

export interface CompiledRedaction {
  readonly text: CompiledText;
  readonly custom: readonly CompiledCustom[];
  /** The literals in use (see {@link usableLiterals}). */
  readonly literals: readonly string[];
}

function countGroups(source: string): number {
  return (new RegExp(`${source}|`).exec('')?.length ?? 1) - 1;
}

function compileText(literals: readonly string[]): CompiledText {
  const alternatives = builtinAlternatives(literals);
  return {
    // One regex per rule rather than one alternation: V8 then finds each rule's fixed prefix (`://`,
    // `-----BEGIN`, `eyJ`…) quickly, which an alternation of them defeats (~4× slower).
    rules: alternatives.map((a) => ({
      rule: a.rule,
      regex: new RegExp(a.source, 'gd'),
      secretGroups: Array.from({ length: countGroups(a.source) }, (_, i) => i + 1),
      accept: a.accept,
    })),
    reach: Math.max(...alternatives.map((a) => a.reach)),
  };
}

function compileCustom(pattern: RegExp): CompiledCustom {
  const flags = pattern.flags.replace(/[gyd]/g, '');
  return { regex: new RegExp(pattern.source, `${flags}gd`) };
}

/** Compile the rules once for any number of files. */
export function compileRedaction(options: RedactOptions = {}): CompiledRedaction {
  const literals = usableLiterals(options.literals ?? []);
  return {
    text: compileText(literals),
    custom: (options.extraPatterns ?? []).map(compileCustom),
    literals,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Scanning

/** The first match of `rule` starting in [from, limit) that it accepts, or null. */
function findRule(rule: CompiledRule, text: string, from: number, limit: number): Found | null {
  const { regex } = rule;
  regex.lastIndex = from;
  for (let match = regex.exec(text); match !== null && match.index < limit; match = regex.exec(text)) {
    const start = match.index;
    const end = start + match[0].length;
    let secretStart = start;
    let secretEnd = end;
    for (const group of rule.secretGroups) {
      const span = match.indices?.[group];
      if (span !== undefined) {
        [secretStart, secretEnd] = span;
        break;
      }
    }
    if (secretEnd > secretStart && (rule.accept === undefined || rule.accept(text.slice(secretStart, secretEnd)))) {
      return { rule: rule.rule, start, end, secretStart, secretEnd };
    }
    regex.lastIndex = start + 1;
  }
  return null;
}

/**
 * Redact `text` (a byte string) from `from`, deciding every match that starts before `limit`; pushes the
 * output to `out` and returns where it stopped (`limit`, or the end of a match that straddles it).
 *
 * The leftmost match of any rule wins; on a tie, the rule listed first. Scanning resumes after the match.
 * Matches are found in the original text (replacements go to `out` only), over the whole of `text`: so a
 * caller that passes `limit = text.length - reach` gets exactly the matches a scan of the complete input
 * finds before `limit`, because each match depends only on the `reach` chars from its start (and
 * {@link LOOKBEHIND} before it), which are all in `text`.
 */
export function scanText(text: string, from: number, limit: number, compiled: CompiledText, out: string[], counts: RedactionCounts): number {
  const { rules } = compiled;
  // Each rule's next match from the position it was searched at; null: none before `limit`.
  const next: (Found | null | undefined)[] = new Array<Found | null | undefined>(rules.length);
  let pos = from;
  while (pos < limit) {
    let best: Found | null = null;
    for (let i = 0; i < rules.length; i++) {
      let found = next[i];
      if (found === undefined || (found !== null && found.start < pos)) {
        found = findRule(rules[i]!, text, pos, limit);
        next[i] = found;
      }
      if (found !== null && (best === null || found.start < best.start)) best = found;
    }
    if (best === null) {
      out.push(text.slice(pos, limit));
      return limit;
    }
    out.push(text.slice(pos, best.secretStart), REDACTION_MARKER, text.slice(best.secretEnd, best.end));
    counts[best.rule] = (counts[best.rule] ?? 0) + 1;
    pos = best.end;
  }
  return pos;
}

/**
 * Redact one line segment with the `--redact` patterns: the leftmost match of any pattern wins (the first
 * pattern on a tie); its named group `secret` is replaced when it has one, else the whole match. Empty
 * matches are skipped.
 */
export function scanSegment(segment: string, custom: readonly CompiledCustom[], out: string[], counts: RedactionCounts): void {
  if (custom.length === 0 || segment === '') {
    out.push(segment);
    return;
  }
  const cache: (RegExpExecArray | null | undefined)[] = [];
  let pos = 0;
  for (;;) {
    let best: RegExpExecArray | null = null;
    for (let i = 0; i < custom.length; i++) {
      let match = cache[i];
      if (match === undefined || (match !== null && match.index < pos)) {
        const regex = custom[i]!.regex;
        regex.lastIndex = pos;
        match = regex.exec(segment);
        while (match !== null && match[0] === '') {
          if (match.index >= segment.length) {
            match = null;
            break;
          }
          regex.lastIndex = match.index + 1;
          match = regex.exec(segment);
        }
        cache[i] = match;
      }
      if (match !== null && (best === null || match.index < best.index)) best = match;
    }
    if (best === null) break;
    const start = best.index;
    const end = start + best[0].length;
    const secret = best.indices?.groups?.['secret'];
    const [secretStart, secretEnd] = secret ?? [start, end];
    out.push(segment.slice(pos, secretStart));
    if (secretEnd > secretStart) {
      out.push(REDACTION_MARKER);
      counts['custom'] = (counts['custom'] ?? 0) + 1;
    }
    out.push(segment.slice(secretEnd, end));
    pos = end;
  }
  out.push(segment.slice(pos));
}

// ---------------------------------------------------------------------------------------------------------
// --redact

const ALLOWED_FLAGS = /^[ims]*$/;

/**
 * Parse a `--redact` value: a JavaScript regex source (`api_key=\w+`), or `/source/flags` with flags from
 * `i`, `m`, `s`. A named group `secret` limits what is replaced (`token: (?<secret>\S+)`). Patterns are
 * matched against raw bytes, so they must be ASCII (write `\xC3\xA9` for é), and one line at a time, so
 * `^` and `$` mean the start and end of a line. Throws {@link UsageError}.
 */
export function parseRedactPattern(value: string): RegExp {
  const slashed = /^\/(.+)\/([a-z]*)$/s.exec(value);
  const source = slashed ? slashed[1]! : value;
  const flags = slashed ? slashed[2]! : '';
  const what = `--redact ${JSON.stringify(value)}`;
  if (source === '') throw new UsageError(`invalid ${what}: the pattern is empty`);
  if (!ALLOWED_FLAGS.test(flags)) throw new UsageError(`invalid ${what}: only the flags i, m and s are supported`);
  if (/[^\x00-\x7f]/.test(source)) {
    throw new UsageError(`invalid ${what}: patterns are matched against raw bytes; use ASCII (e.g. \\xC3\\xA9 for é)`);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch (error) {
    throw new UsageError(`invalid ${what}: ${(error as Error).message}`, { cause: error });
  }
  if (regex.test('')) throw new UsageError(`invalid ${what}: it matches the empty string`);
  return regex;
}
