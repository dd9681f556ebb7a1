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
import { UsageError } from '../_util/errors.js';

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
type RuleId = (typeof RULE_IDS)[number];

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
function toByteString(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

// ---------------------------------------------------------------------------------------------------------
// Built-in patterns

/** `ci('bearer')` → `[Bb][Ee][Aa][Rr][Ee][Rr]`: case-insensitive for this word only (no global `i` flag). */
function ci(word: string): string {
  return word.replace(/[A-Za-z]/g, (c) => `[${c.toUpperCase()}${c.toLowerCase()}]`).replace(/-/g, '\\-');
}

/** One rule's pattern. */
interface RuleSource {
  readonly rule: RuleId;
  readonly source: string;
  /** Upper bound of the chars a match, with its lookahead, spans from where it starts. */
  readonly reach: number;
  /** A last check of a match (whole match, secret part): a refused match is skipped. */
  readonly accept?: (match: string, secret: string) => boolean;
}

/**
 * Longest lookbehind of any built-in pattern, in chars before the match's start. (Lookbehinds are written
 * after a fixed first char, `ey(?<![…]ey)`, which keeps V8's fast scan for that char.)
 */
const LOOKBEHIND = 1;

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
const PEM_LINE = `[ \\t]{0,8}(?:[A-Za-z0-9+/=]{1,128}|[A-Za-z-]{1,24}:[^\\r\\n\\\\]{0,100})[ \\t]{0,8}(?=[\\r\\n"']|\\\\[rn]|$)`; // ≤ 145
const PEM_LINES_MAX = 256;

/** `Authorization: `, `proxy-authorization=`, `"Authorization": "`, Go's `Authorization:[`. */
const AUTH_KEY = `(?:${ci('proxy-')})?${ci('authorization')}["']?[ \\t]{0,4}[:=][ \\t]{0,4}[\\["']{0,2}`; // ≤ 30
/** A word that starts here: not preceded by a letter, digit, `_` or `-` (checked after its first char). */
function wordStart(word: string): string {
  const first = ci(word.slice(0, 1));
  return `${first}(?<![A-Za-z0-9_-]${first})${ci(word.slice(1))}`;
}
const TOKEN68 = '[A-Za-z0-9._~+/-]';
/** Control bytes (NUL, CR, LF, ESC…), inside a character class: they end a password or a URL part. */
const CONTROL = '\\x00-\\x1f\\x7f';
const KEY_SEPARATOR = `["']?[ \\t]{0,4}[:=][ \\t]{0,4}`; // ≤ 10

/** `Basic <base64>` outside an Authorization header counts only when it decodes to `user:password`. */
function isBasicCredential(match: string, base64: string): boolean {
  if (/^(?:proxy-)?authorization/i.test(match)) return true;
  if (base64.length % 4 !== 0) return false;
  const decoded = Buffer.from(base64, 'base64').toString('latin1');
  return /^[^\x00-\x1f\x7f]*:[^\x00-\x1f\x7f]*$/.test(decoded);
}

/**
 * The built-in rules, one pattern each, in the order they scan. Capture groups mark the secret: the first
 * group that took part is replaced, or the whole match when the pattern has none. Every quantifier is
 * bounded (see `reach`).
 */
const BUILTIN_RULES: readonly RuleSource[] = [
  {
    // A private key block: the body between header and footer, line breaks next to them kept; without
    // a footer (cut off), the whole base64 lines that follow the header. A body holds no `-----`, which
    // also keeps a run of headers without footers from costing 32 KiB of scanning each.
    rule: 'pem-private-key',
    source:
      `${PEM_HEADER}(?:${PEM_NEWLINE}?((?:[^-]|-(?!----)){1,${PEM_BODY_MAX}}?)${PEM_NEWLINE}?${PEM_FOOTER}` +
      `|${PEM_NEWLINE}(${PEM_LINE}(?:${PEM_NEWLINE}${PEM_LINE}){0,${PEM_LINES_MAX - 1}}))`,
    reach: 96 + Math.max(4 + PEM_BODY_MAX + 4 + 94, PEM_LINES_MAX * (4 + 145)),
  },
  {
    // In an Authorization header, any token; elsewhere `Bearer <token>` only when the token holds a
    // digit, so prose such as "bearer authentication" survives.
    rule: 'auth-bearer',
    source:
      `${AUTH_KEY}${ci('bearer')}[ \\t]{1,8}(${TOKEN68}{1,4096}={0,8})` +
      `|${wordStart('bearer')}[ \\t]{1,8}(?=[A-Za-z._~+/-]{0,4095}[0-9])(${TOKEN68}{8,4096}={0,8})`,
    reach: 30 + 6 + 8 + 4096 + 8,
  },
  {
    // In an Authorization header, any credentials; elsewhere `Basic <base64>` that decodes to user:password.
    rule: 'auth-basic',
    source:
      `${AUTH_KEY}${ci('basic')}[ \\t]{1,8}([A-Za-z0-9+/]{1,4096}={0,2})` +
      `|${wordStart('basic')}[ \\t]{1,8}([A-Za-z0-9+/]{8,4096}={0,2})(?![A-Za-z0-9+/=])`,
    reach: 30 + 5 + 8 + 4096 + 2 + 1,
    accept: isBasicCredential,
  },
  {
    // scheme://user:password@host — the password; it may hold `@` (the last `@` ends it). The match
    // starts at `://`, a fixed string that is fast to find.
    rule: 'url-userinfo',
    source: `://(?<=[A-Za-z0-9]://)[^\\s:/?#@"'<>\\\\${CONTROL}]{0,256}:([^\\s/?#"'<>\\\\${CONTROL}]{1,256})@`,
    reach: 3 + 256 + 1 + 256 + 1,
  },
  {
    // password=…, PGPASSWORD=…, "password": "…", passwd: …, passphrase=…, pwd=… (not OLDPWD=) — the
    // value: quoted (JSON escapes allowed), or up to a space, quote, `&`, `;`, `,` or control byte.
    rule: 'password-pair',
    source:
      `(?:${ci('passw')}(?:${ci('ord')}|${ci('d')})|${ci('passphrase')}|${ci('pwd')}(?<![A-Za-z]${ci('pwd')}))${KEY_SEPARATOR}` +
      `(?:"((?:[^"\\\\${CONTROL}]|\\\\.){1,256})"|\\\\"([^"\\\\${CONTROL}]{1,256})\\\\"|'([^'${CONTROL}]{1,256})'|([^\\s"'&;,${CONTROL}]{1,256}))`,
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
];

/** Upper bound of every built-in pattern's reach (literals excepted: their reach is their length). */
export const BUILTIN_REACH = Math.max(...BUILTIN_RULES.map((r) => r.reach));

// ---------------------------------------------------------------------------------------------------------
// Compiled rules

/** Where a match and its secret are, in the scanned string. */
interface Match {
  readonly start: number;
  readonly end: number;
  readonly secretStart: number;
  readonly secretEnd: number;
  /** Where the matcher's next search starts: `end`, or `start + 1` for literals (they may overlap). */
  readonly next: number;
}

/** One rule (or one literal), ready to scan. */
export interface Matcher {
  readonly rule: RuleId;
  /** Upper bound of the chars a match, with its lookahead, spans from where it starts. */
  readonly reach: number;
  /** The first match that starts in [from, limit), or null. */
  find(text: string, from: number, limit: number): Match | null;
}

/** The built-in rules and literals. */
export interface CompiledText {
  readonly matchers: readonly Matcher[];
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

/** The secret span of a regex match: the first of `groups` that took part, else the whole match. */
function secretOf(groups: readonly number[], match: RegExpExecArray): [number, number] {
  for (const group of groups) {
    const span = match.indices?.[group];
    if (span !== undefined) return [span[0], span[1]];
  }
  return [match.index, match.index + match[0].length];
}

/** A rule's pattern as a matcher. One regex per rule keeps V8's fast scan for its fixed start. */
function regexMatcher(source: RuleSource): Matcher {
  const regex = new RegExp(source.source, 'gd');
  const groups = Array.from({ length: countGroups(source.source) }, (_, i) => i + 1);
  const accept = source.accept;
  return {
    rule: source.rule,
    reach: source.reach,
    find(text, from, limit) {
      regex.lastIndex = from;
      for (let match = regex.exec(text); match !== null && match.index < limit; match = regex.exec(text)) {
        const [secretStart, secretEnd] = secretOf(groups, match);
        if (secretEnd > secretStart && (accept === undefined || accept(match[0], text.slice(secretStart, secretEnd)))) {
          const end = match.index + match[0].length;
          return { start: match.index, end, secretStart, secretEnd, next: end };
        }
        regex.lastIndex = match.index + 1; // refused or empty: retry one char later
      }
      return null;
    },
  };
}

/** A regex source matching exactly `byteString`: letters and digits as themselves, every other byte as `\xHH`. */
function escapeBytes(byteString: string): string {
  let out = '';
  for (const char of byteString) {
    out += /[A-Za-z0-9]/.test(char) ? char : `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Literals up to this many bytes share one regex (faster than one search each); longer ones use `indexOf`. */
const SHARED_LITERAL_MAX = 1024;

/**
 * Matchers for the literals (byte strings, longest first). A literal may contain or overlap another
 * (`Pg-Pass-2026!` inside a DATABASE_URL value): after a match the search goes on one byte later, so every
 * occurrence of every literal is covered. Where several start at one byte, the longest is the match.
 */
function literalMatchers(literals: readonly string[]): Matcher[] {
  // Longest (in bytes) first: of several literals starting at one byte, the regex takes the first.
  const shared = literals.filter((literal) => literal.length <= SHARED_LITERAL_MAX).sort((a, b) => b.length - a.length);
  const matchers: Matcher[] = literals
    .filter((literal) => literal.length > SHARED_LITERAL_MAX)
    .map((literal) => ({
      rule: 'env-literal',
      reach: literal.length,
      find(text, from, limit) {
        const start = text.indexOf(literal, from);
        if (start === -1 || start >= limit) return null;
        const end = start + literal.length;
        return { start, end, secretStart: start, secretEnd: end, next: start + 1 };
      },
    }));
  if (shared.length > 0) {
    const regex = new RegExp(shared.map(escapeBytes).join('|'), 'g');
    matchers.unshift({
      rule: 'env-literal',
      reach: Math.max(...shared.map((literal) => literal.length)),
      find(text, from, limit) {
        regex.lastIndex = from;
        const match = regex.exec(text);
        if (match === null || match.index >= limit) return null;
        const end = match.index + match[0].length;
        return { start: match.index, end, secretStart: match.index, secretEnd: end, next: match.index + 1 };
      },
    });
  }
  return matchers;
}

function compileText(literals: readonly string[]): CompiledText {
  const matchers = [...literalMatchers(literals.map(toByteString)), ...BUILTIN_RULES.map(regexMatcher)];
  return { matchers, reach: Math.max(...matchers.map((m) => m.reach)) };
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

/** `options` compiled, or as they are when they already are. */
export function toCompiled(options: RedactOptions | CompiledRedaction): CompiledRedaction {
  return 'text' in options && 'custom' in options ? options : compileRedaction(options);
}

// ---------------------------------------------------------------------------------------------------------
// Scanning
//
// Every rule scans the text on its own, as a global regex does (leftmost match, then on after its end; a
// refused match is retried one char later). Every byte that any rule's secret covers is replaced, and each
// run of consecutive such bytes becomes one marker. So rules never hide each other's findings: when a
// `password=` value stops at a `"` that a literal password contains, the literal still covers the rest.

/** A secret's place, in absolute byte offsets. */
interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * Redaction of a byte string that may arrive in windows. `advance(text, base, limit, out)` decides every
 * byte before the absolute offset `limit` and pushes the output to `out`; `text` holds the input from
 * absolute offset `base`, at least up to `limit + reach` unless it is the end, and from at least
 * {@link TextScanner.keepFrom} on.
 *
 * A window gives exactly the matches that the whole input has before `limit`: a match (or a failed
 * attempt) at `p` depends only on the chars from `p - LOOKBEHIND` to `p + reach`, all of which are in
 * `text`. Each rule remembers where its next search starts; secrets that reach past `limit` are kept for
 * the next window; a marker that ends at `limit` is continued, not repeated, when the next window starts
 * with more secret.
 */
export class TextScanner {
  readonly #matchers: readonly Matcher[];
  readonly #counts: RedactionCounts;
  /** Per rule, the absolute offset its next search starts at. */
  readonly #resume: number[];
  /** Known secret spans that end after `#emitted`. */
  #spans: Span[] = [];
  /** Bytes before this absolute offset are in the output. */
  #emitted = 0;
  /** The last output was a marker whose secret may continue. */
  #inSecret = false;

  constructor(compiled: CompiledText, counts: RedactionCounts) {
    this.#matchers = compiled.matchers;
    this.#counts = counts;
    this.#resume = compiled.matchers.map(() => 0);
  }

  /** Bytes before this absolute offset are in the output (a secret can take it past the last `limit`). */
  get emitted(): number {
    return this.#emitted;
  }

  /** The first absolute offset the next `advance` still reads (lookbehind included). */
  get keepFrom(): number {
    return Math.max(0, Math.min(this.#emitted, ...this.#resume) - LOOKBEHIND);
  }

  advance(text: string, base: number, limit: number, out: string[]): void {
    for (let i = 0; i < this.#matchers.length; i++) this.#find(i, text, base, limit);
    this.#spans.sort((a, b) => a.start - b.start);
    let pos = this.#emitted;
    for (const span of this.#spans) {
      if (span.end <= pos) continue;
      if (span.start >= limit) break;
      if (span.start > pos) {
        out.push(text.slice(pos - base, span.start - base));
        this.#inSecret = false;
        pos = span.start;
      }
      if (!this.#inSecret) out.push(REDACTION_MARKER);
      this.#inSecret = true;
      pos = span.end;
    }
    if (pos < limit) {
      out.push(text.slice(pos - base, limit - base));
      this.#inSecret = false;
      pos = limit;
    }
    this.#emitted = pos;
    this.#spans = this.#spans.filter((span) => span.end > pos);
  }

  /** Record matcher `i`'s matches that start before `limit`. */
  #find(i: number, text: string, base: number, limit: number): void {
    const matcher = this.#matchers[i]!;
    let from = this.#resume[i]!;
    while (from < limit) {
      const match = matcher.find(text, from - base, limit - base);
      if (match === null) {
        from = limit;
        break;
      }
      this.#spans.push({ start: base + match.secretStart, end: base + match.secretEnd });
      this.#counts[matcher.rule] = (this.#counts[matcher.rule] ?? 0) + 1;
      from = base + match.next;
    }
    this.#resume[i] = from;
  }
}

/**
 * Redact one line segment with the `--redact` patterns: each pattern scans the segment on its own (empty
 * matches skipped); its named group `secret` is replaced when it has one, else the whole match; each run
 * of covered bytes becomes one marker.
 */
export function scanSegment(segment: string, custom: readonly CompiledCustom[], out: string[], counts: RedactionCounts): void {
  if (custom.length === 0 || segment === '') {
    out.push(segment);
    return;
  }
  const spans: Span[] = [];
  for (const { regex } of custom) {
    regex.lastIndex = 0;
    for (let match = regex.exec(segment); match !== null; match = regex.exec(segment)) {
      if (match[0] === '') {
        regex.lastIndex = match.index + 1;
        continue;
      }
      const [start, end] = match.indices?.groups?.['secret'] ?? [match.index, match.index + match[0].length];
      if (end > start) {
        spans.push({ start, end });
        counts['custom'] = (counts['custom'] ?? 0) + 1;
      }
    }
  }
  spans.sort((a, b) => a.start - b.start);
  let pos = 0;
  let inSecret = false;
  for (const span of spans) {
    if (span.end <= pos) continue;
    if (span.start > pos) {
      out.push(segment.slice(pos, span.start));
      inSecret = false;
    }
    if (!inSecret) out.push(REDACTION_MARKER);
    inSecret = true;
    pos = span.end;
  }
  out.push(segment.slice(pos));
}

// ---------------------------------------------------------------------------------------------------------
// --redact

/**
 * Parse a `--redact` value: a JavaScript regex source (`api_key=\w+`), or `/source/flags` with flags from
 * `i`, `m`, `s` (any other `/…/x` is taken as a plain source: `/usr/bin` is a path). A named group `secret`
 * limits what is replaced (`token: (?<secret>\S+)`). Patterns are matched against raw bytes, so they must
 * be ASCII (write `\xC3\xA9` for é), and one line at a time (without its `\r\n` or `\n`), so `^` and
 * `$` mean the start and end of a line. Throws {@link UsageError}.
 */
export function parseRedactPattern(value: string): RegExp {
  const slashed = /^\/(.+)\/([ims]*)$/s.exec(value);
  const source = slashed ? slashed[1]! : value;
  const flags = slashed ? slashed[2]! : '';
  const what = `--redact ${JSON.stringify(value)}`;
  if (source === '') throw new UsageError(`invalid ${what}: the pattern is empty`);
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
