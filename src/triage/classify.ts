import { isObject, type JsonObject } from '../_util/json.js';
import { stripAnsi } from '../_util/text.js';
import { ERROR_KEYS, LEVEL_KEYS, MESSAGE_KEYS, TIME_KEYS } from './structured.js';

/*
 * Is one log line an error, a warning, or neither? Pure and line-at-a-time; multi-line stack traces are
 * grouped by analyze.ts with the grammar in trace.ts.
 *
 * The order of the checks is the point: a line that states its own level (JSON `level`, logfmt `level=`,
 * PostgreSQL `LOG:  `, Redis `*`/`#`, klog `I1122`, `INFO [main]`) is taken at its word, so
 * `{"level":"info","msg":"0 errors"}` and `INFO Error handling enabled` are not errors. Only lines without a
 * level are searched for words (error, fatal, refused, timed out, out of memory…), and those words are
 * skipped where test infrastructure prints them harmlessly: `error_count=0`, `0 errors`, `no errors`,
 * `/var/log/nginx/error.log`, `Error handling enabled`, `connect_timeout=10`.
 */

export type LineLevel = 'error' | 'warning';
export type LineKind = 'json' | 'logfmt' | 'klog' | 'postgres' | 'redis' | 'go-panic' | 'java' | 'python' | 'text';

export interface LineClass {
  readonly level: LineLevel;
  /** Which format decided: the line's own level field, or `text` for words found in plain text. */
  readonly kind: LineKind;
  /** The time the line carries, ISO 8601: the engine's `--timestamps` prefix, else one inside the line. */
  readonly timestamp: string | null;
}

/** Lines longer than this are classified on their first characters only. */
const CLASSIFY_MAX_CHARS = 8192;

type Verdict = LineLevel | 'info';

// `podman logs -t` / `docker logs -t`: RFC 3339 with nanoseconds and one space.
const ENGINE_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})) /;

/** Split the engine's `--timestamps` prefix from a line. `timestamp` is returned as the engine wrote it. */
export function splitTimestamp(line: string): { readonly timestamp: string | null; readonly body: string } {
  const c = line.charCodeAt(0);
  if (c < 48 || c > 57) return { timestamp: null, body: line };
  const m = ENGINE_TIMESTAMP.exec(line);
  return m?.[1] === undefined ? { timestamp: null, body: line } : { timestamp: m[1], body: line.slice(m[0].length) };
}

/** ISO 8601 for a time string that names its zone, else null (a zoneless time would be guessed). */
function isoOrNull(text: string): string | null {
  if (!/(?:Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)$/i.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function epochToIso(n: number): string | null {
  // Seconds (zap `ts`), milliseconds (pino `time`) or microseconds, told apart by magnitude.
  const ms = n > 1e14 ? n / 1000 : n > 1e11 ? n : n > 1e8 ? n * 1000 : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

const LEVEL_WORDS: Readonly<Record<string, Verdict>> = {
  error: 'error', err: 'error', eror: 'error', erro: 'error', fatal: 'error', fata: 'error', ftl: 'error',
  panic: 'error', pani: 'error', dpanic: 'error',
  critical: 'error', crit: 'error', alert: 'error', emerg: 'error', emergency: 'error', severe: 'error',
  warn: 'warning', warning: 'warning', wrn: 'warning',
  info: 'info', inf: 'info', information: 'info', informational: 'info', notice: 'info', log: 'info',
  debug: 'info', debu: 'info', dbug: 'info', dbg: 'info', trace: 'info', trac: 'info', trce: 'info', verbose: 'info', config: 'info',
  fine: 'info', finer: 'info', finest: 'info',
};

function levelOf(value: unknown): Verdict | undefined {
  if (typeof value === 'number') {
    // pino/bunyan: 10 trace … 30 info, 40 warn, 50 error, 60 fatal; below 10, syslog severities 0–7.
    if (value >= 10) return value >= 50 ? 'error' : value >= 40 ? 'warning' : 'info';
    return value <= 3 ? 'error' : value === 4 ? 'warning' : 'info';
  }
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (/^\d+$/.test(word)) return levelOf(Number(word));
  return LEVEL_WORDS[word];
}

// ---------------------------------------------------------------------------------------------- JSON lines

function jsonLevel(obj: JsonObject): Verdict | undefined {
  for (const key of LEVEL_KEYS) {
    const level = levelOf(obj[key]);
    if (level !== undefined) return level;
  }
  if (isObject(obj.log)) return levelOf(obj.log.level);
  // Serilog's compact format leaves `@l` out for Information.
  if ('@t' in obj || '@mt' in obj) return 'info';
  return undefined;
}

/** The time a JSON line carries in its own `time`/`ts`/`timestamp` field, ISO 8601; null without a zone. */
export function jsonTime(obj: JsonObject): string | null {
  for (const key of TIME_KEYS) {
    const value = obj[key];
    if (typeof value === 'string') return isoOrNull(value);
    if (typeof value === 'number') return epochToIso(value);
  }
  return null;
}

function present(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'string') return value.trim() !== '' && !/^(?:null|nil|<nil>|none)$/i.test(value.trim());
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return true;
}

function classifyJson(obj: JsonObject): Verdict | null {
  const level = jsonLevel(obj);
  if (level !== undefined) return level;
  if (ERROR_KEYS.some((key) => present(obj[key]))) return 'error';
  // No level at all: judge the message as plain text would be.
  for (const key of MESSAGE_KEYS) {
    const msg = obj[key];
    if (typeof msg === 'string') return wordVerdict(msg) ?? 'info';
  }
  return 'info';
}

// A JSON line cut short (too long) no longer parses; its level can still be read.
const JSON_LEVEL_TEXT = /"(?:level|severity|lvl|levelname|loglevel|log\.level|@l)"\s*:\s*"?([A-Za-z]+|\d+)/;

// ---------------------------------------------------------------------------------------------- logfmt

const LOGFMT_LEVEL = /(?:^|\s)(?:level|lvl|severity|loglevel)=("?)([A-Za-z]+|\d+)\1(?=\s|$)/;
const LOGFMT_PAIR = /(?:^|\s)[A-Za-z_][\w.-]*=(?:"|[^\s=])/g;
const LOGFMT_TIME = /(?:^|\s)(?:time|ts|t|timestamp)=("?)([^\s"]+)\1(?=\s|$)/;

// ---------------------------------------------------------------------------------------------- formats with a fixed prefix

// klog (Kubernetes components, envtest): `E1122 02:00:00.000000       1 reflector.go:138] message`.
const KLOG = /^([IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d{6}\s+\d+ [^\s\]]+:\d+\] /;

// Redis: `1:M 22 Nov 2026 02:00:00.000 # message`; `.` debug, `-` verbose, `*` notice, `#` warning.
const REDIS = /^\d+:[XCSM] \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} ([.\-*#]) (.*)$/;
// `#` lines every Redis start prints; not worth a warning.
const REDIS_BENIGN = /^(?:oO0OoO0OoO0Oo Redis is starting|Redis version=|Configuration loaded|Server initialized|Warning: no config file specified|Reading the remaining AOF tail|Redis is now ready to exit|User requested shutdown)/i;
const REDIS_ERROR = /Out Of Memory|OOM|Cannot allocate memory|\bcan'?t\b|\bfail(?:ed|ure|ing)?\b|\berrors?\b|\bfatal\b|\bcorrupt|Bad file format|Short read|Unrecoverable|Guru Meditation|crashed/i;

// PostgreSQL (server log and psql): the level, a colon and two spaces. `LOG:` is PostgreSQL's info level.
const POSTGRES = /(?:^|\s)(DEBUG[1-5]?|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|QUERY|CONTEXT|LOCATION|STATEMENT): {2}\S/;
const POSTGRES_VERDICT: Readonly<Record<string, Verdict>> = { WARNING: 'warning', ERROR: 'error', FATAL: 'error', PANIC: 'error' };
const POSTGRES_TIME = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(UTC|GMT|[+-]\d{2}(?::?\d{2})?)\b/;

// ---------------------------------------------------------------------------------------------- stack traces

const GO_PANIC = /^(?:panic: |fatal error: )/;
const PY_TRACEBACK = /^Traceback \(most recent call last\):/;
const JAVA_THREAD = /^Exception in thread "/;
const JAVA_EXCEPTION = /^(?:java|javax|jakarta|org|com|io|net|kotlin|scala|reactor|akka)\.(?:[\w$]+\.)*[A-Z][\w$]*(?:Exception|Error|Throwable)\b(?::|$)/;
// Frames and file references of traces: never findings by themselves, whatever words they hold.
const FRAME = /^(?:\s+at\s|\s+File "|\t.*\.go:\d+|goroutine \d+ \[|\s*\.\.\. \d+ (?:more|common frames omitted))/;

/** Which stack trace a line starts, if any: a Go panic, a Java exception, a Python traceback. */
export function traceStart(body: string): 'go-panic' | 'java' | 'python' | null {
  if (GO_PANIC.test(body)) return 'go-panic';
  if (PY_TRACEBACK.test(body)) return 'python';
  if (JAVA_THREAD.test(body) || JAVA_EXCEPTION.test(body)) return 'java';
  return null;
}

// ---------------------------------------------------------------------------------------------- levelled plain text

// A level word near the start: `ERROR [main]`, `2026-… WARN 1 --- [main]`, `ERROR:root:`, `npm ERR!`, logrus's
// `ERRO[0000]` (podman's own messages).
const LEVEL_TOKEN =
  /(?:^|[\s[(<|])(TRACE|TRAC|DEBUG|DEBU|DBG|INFO|INF|NOTICE|WARN|WARNING|WRN|ERROR|ERRO|ERR|EROR|FATAL|FATA|FTL|CRIT|CRITICAL|SEVERE|PANIC|PANI|EMERG|ALERT)(?=$|[\s\]):|>,![-])/;
// nginx `[error]`, zap's console encoder `\terror\t`.
const LEVEL_TOKEN_LOWER = /\[(error|warn|warning|info|debug|notice|crit|alert|emerg)\]|\t(debug|info|warn|error|dpanic|panic|fatal)\t/;
const LEVEL_ZONE_CHARS = 100;
const LEVEL_ZONE_TOKENS = 6;

function leveledVerdict(body: string): Verdict | undefined {
  const zone = body.slice(0, LEVEL_ZONE_CHARS);
  const upper = LEVEL_TOKEN.exec(zone);
  const lower = LEVEL_TOKEN_LOWER.exec(zone);
  const m = upper && lower ? (upper.index <= lower.index ? upper : lower) : (upper ?? lower);
  if (!m) return undefined;
  const before = zone.slice(0, m.index).trim();
  if (before !== '' && before.split(/\s+/).length >= LEVEL_ZONE_TOKENS) return undefined;
  return levelOf(m[1] ?? m[2] ?? m[3]);
}

// ---------------------------------------------------------------------------------------------- words

const ERROR_WORDS =
  /\b(?:errors?|fatal|panic(?:ked|king)?|exceptions?|fail(?:ed|ure|ures|s|ing)?|crash(?:ed|es)?|abort(?:ed)?|refused|unreachable|deadlock(?:ed)?|segfault)\b|\berr(?=[:!]\s)/gi;
const WARNING_WORDS = /\bwarn(?:ing|ings|s)?\b/gi;
// Phrases that are failures wherever they appear.
const ERROR_PHRASES = new RegExp(
  [
    String.raw`\bconnection (?:refused|reset|closed by (?:peer|remote host))\b`,
    String.raw`\b(?:ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|ETIMEDOUT|EPIPE)\b`,
    String.raw`\bbroken pipe\b`,
    String.raw`\bno route to host\b`,
    String.raw`\bno such host\b`,
    String.raw`\bpermission denied\b`,
    String.raw`\baccess denied\b`,
    String.raw`\bsegmentation fault\b`,
    String.raw`\b(?:could not|unable to|cannot|can't) (?:connect|open|bind|resolve|allocate|start|load|create|find|read|write)\b`,
    String.raw`\bout of memory\b`,
    String.raw`\bcannot allocate memory\b`,
    String.raw`\boom[-_ ]?kill(?:ed|er)?\b`,
    String.raw`\bkilled process\b`,
    String.raw`\bdeadline exceeded\b`,
    String.raw`\btimed out\b`,
    String.raw`\btime-?out (?:waiting|after|while|exceeded|expired|reached|occurred|error|when|reading|writing|connecting|awaiting)\b`,
    String.raw`\b(?:i/o|read|write|connect|connection|request|operation|handshake|lock|socket|gateway|network|context|dial) time-?out\b(?!\s*[=:]?\s*\d)`,
    String.raw`\btime-?out\s*(?:[.!;)]|$)`,
    String.raw`\bexit(?:ed)?(?: with)? (?:status|code) [1-9]\d*\b`,
  ].join('|'),
  'i',
);
// Case matters: `OOM` and `OutOfMemory` are names, `oom` inside `oom_score_adj` is not a failure.
const ERROR_NAMES = /\bOOM(?:Killed)?\b|OutOfMemory|\bMemoryError\b|^Killed\b/;

// Directly after the word: a zero, an empty value, or a noun that makes it a feature, not an event.
const HARMLESS_AFTER =
  /^(?:s?\s*[:=]\s*(?:0(?![\d.])|null\b|nil\b|<nil>|none\b|false\b|off\b|no\b|\[\]|\{\}|""|''|-(?!\w))|\s*=|s?\s+(?:handl(?:ing|er|ers)|report(?:ing|er|s)?|track(?:ing|er)|log(?:ging|s)?\b|level|pages?\b|rate|budget|threshold|count\s*[:=]?\s*0\b|codes?\s*[:=]?\s*0\b|(?:is |are )?(?:enabled|disabled)\b|mode|format|files?\b|policy|strategy|recovery\b|detection\b|injection\b|callback|hook|middleware|boundary|template|message (?:format|template)))/i;
// Directly before the word: a negation or a count of zero.
const HARMLESS_BEFORE =
  /(?:\b(?:no|zero|without|non|never|ignor(?:e|ed|es|ing)|suppress(?:ed|ing)?|if|on|any|expected|max|min|allowed|tolerat(?:e|ed|ing)|simulat(?:e|ed|ing)|fake|injected)|(?:^|[^\d.,])0)\s*$/i;
// Glued to a path, key or identifier: `error.log`, `on-error`, `/api/errors`, `err=`, `$error`.
const GLUED_BEFORE = /[\w./\\=@$#-]$/;
const GLUED_AFTER = /^(?:[_./\\@-]\w|=|\((?!s\)))/;

function harmless(text: string, index: number, length: number): boolean {
  const before = text.slice(Math.max(0, index - 40), index);
  const after = text.slice(index + length, index + length + 60);
  return GLUED_BEFORE.test(before) || GLUED_AFTER.test(after) || HARMLESS_BEFORE.test(before) || HARMLESS_AFTER.test(after);
}

/** A word pattern (global, for every match) and its non-global twin, for a cheap first look. */
interface WordPattern {
  readonly all: RegExp;
  readonly any: RegExp;
}

function wordPattern(all: RegExp): WordPattern {
  return { all, any: new RegExp(all.source, all.flags.replace('g', '')) };
}

const ERROR_WORD = wordPattern(ERROR_WORDS);
const WARNING_WORD = wordPattern(WARNING_WORDS);

function anyWord(pattern: WordPattern, text: string): boolean {
  // Most lines hold no such word at all: one plain test, no iterator (matchAll copies the regex each call).
  if (!pattern.any.test(text)) return false;
  // matchAll iterates a copy of the pattern: the shared regex's lastIndex never changes.
  for (const m of text.matchAll(pattern.all)) {
    if (!harmless(text, m.index, m[0].length)) return true;
  }
  return false;
}

function wordVerdict(text: string): LineLevel | null {
  if (ERROR_PHRASES.test(text) || ERROR_NAMES.test(text)) return 'error';
  if (anyWord(ERROR_WORD, text)) return 'error';
  if (anyWord(WARNING_WORD, text)) return 'warning';
  return null;
}

// ---------------------------------------------------------------------------------------------- the classifier

function result(verdict: Verdict | null | undefined, kind: LineKind, timestamp: string | null): LineClass | null {
  return verdict === 'error' || verdict === 'warning' ? { level: verdict, kind, timestamp } : null;
}

/**
 * What every line that can be an error or a warning holds: `{` (JSON), `=` (logfmt), `#` (Redis), a klog
 * `E`/`F`/`W` prefix, or a stem of a level word, error word or phrase above. A line without any of them is
 * neither, whatever the order of the checks would decide, so most lines of a healthy log cost one test
 * (about a quarter of the full classification's time; test/unit/triage/classify.test.ts checks the claim).
 * The stems are grouped by their first letter, and the klog prefix, anchored, is a test of its own: the
 * same strings, found in about two thirds of the time of a flat alternation.
 */
const MAY_MATTER =
  /[{=#]|e(?:rr|ror|merg|xception|conn|hostunreach|notfound|timedout|pipe|xit)|f(?:ata|tl|ail)|pani|c(?:rit|rash|onnection|ould not|annot|an't)|a(?:lert|bort)|s(?:evere|egfault|egmentation)|w(?:arn|rn)|refused|u(?:nreachable|nable to)|d(?:eadlock|enied|eadline)|broken pipe|n(?:o route|o such host)|o(?:ut of memory|utofmemory|om)|killed|t(?:imed out|ime-?out|raceback|hrowable)/i;
const MAY_MATTER_KLOG = /^[EFW]\d{4} /i;

function classifyBody(body: string, engineTimestamp: string | null): LineClass | null {
  if (!MAY_MATTER.test(body) && !MAY_MATTER_KLOG.test(body)) return null;
  // Read only for the lines that may matter: read for every line, it took a sixth of the analyzer's time
  // on a log with engine timestamps.
  return classifyCandidate(body, engineTimestamp === null ? null : (isoOrNull(engineTimestamp) ?? engineTimestamp));
}

/** The classification itself, for a line that passed {@link MAY_MATTER}. Exported for tests only. */
export function classifyCandidate(body: string, engineTime: string | null): LineClass | null {
  const trimmed = body.trim();
  if (trimmed === '') return null;

  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = trimmed.endsWith('}') ? JSON.parse(trimmed) : undefined;
    } catch {
      parsed = undefined;
    }
    if (isObject(parsed)) return result(classifyJson(parsed), 'json', engineTime ?? jsonTime(parsed));
    const level = JSON_LEVEL_TEXT.exec(trimmed);
    if (level?.[1] !== undefined) return result(levelOf(level[1]), 'json', engineTime);
  }

  const klog = KLOG.exec(body);
  if (klog) return result(klog[1] === 'E' || klog[1] === 'F' ? 'error' : klog[1] === 'W' ? 'warning' : 'info', 'klog', engineTime);

  const redis = REDIS.exec(body);
  if (redis) {
    if (redis[1] !== '#') return null;
    const message = redis[2] ?? '';
    if (/^WARNING\b/.test(message)) return result('warning', 'redis', engineTime);
    if (REDIS_ERROR.test(message)) return result('error', 'redis', engineTime);
    return result(REDIS_BENIGN.test(message) ? 'info' : 'warning', 'redis', engineTime);
  }

  const postgres = POSTGRES.exec(body.slice(0, 160));
  if (postgres?.[1] !== undefined) {
    const time = engineTime ?? pgTime(body);
    return result(POSTGRES_VERDICT[postgres[1]] ?? 'info', 'postgres', time);
  }

  const trace = traceStart(body);
  if (trace !== null) return result('error', trace, engineTime);
  if (FRAME.test(body)) return null;

  const logfmt = LOGFMT_LEVEL.exec(body);
  if (logfmt?.[2] !== undefined && (body.match(LOGFMT_PAIR)?.length ?? 0) >= 2) {
    const level = levelOf(logfmt[2]);
    if (level !== undefined) {
      const time = engineTime ?? isoOrNull(LOGFMT_TIME.exec(body)?.[2] ?? '');
      return result(level, 'logfmt', time);
    }
  }

  const leveled = leveledVerdict(body);
  if (leveled !== undefined) return result(leveled, 'text', engineTime);

  return result(wordVerdict(body), 'text', engineTime);
}

function pgTime(body: string): string | null {
  const m = POSTGRES_TIME.exec(body);
  if (m?.[1] === undefined || m[2] === undefined) return null;
  const zone = /^[+-]\d{2}$/.test(m[2]) ? `${m[2]}:00` : /^[+-]/.test(m[2]) ? m[2] : 'Z';
  return isoOrNull(`${m[1].replace(' ', 'T')}${zone}`);
}

/**
 * Classify one log line (without its line ending). A leading RFC 3339 timestamp, as engines add with
 * `--timestamps`, is stripped before classifying and returned as `timestamp`; without one, a time inside the
 * line (JSON `time`/`ts`, logfmt `time=`, PostgreSQL's prefix) is returned when it names its zone.
 */
export function classifyLine(text: string): LineClass | null {
  const { timestamp, body } = splitTimestamp(text);
  return classifySplitLine(timestamp, body);
}

/** {@link classifyLine} of a line {@link splitTimestamp} has split already (the log analyzer splits each line once). */
export function classifySplitLine(timestamp: string | null, body: string): LineClass | null {
  const clean = stripAnsi(body.length > CLASSIFY_MAX_CHARS ? body.slice(0, CLASSIFY_MAX_CHARS) : body);
  return classifyBody(clean.endsWith('\r') ? clean.slice(0, -1) : clean, timestamp);
}
