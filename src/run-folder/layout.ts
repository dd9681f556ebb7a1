/**
 * Every name must-gather gives to what it writes: the run folder (and the parser that reads such a name
 * back, for `prune`), the archive beside it, and each file inside. One place, so writer and readers agree.
 */

export const MANIFEST_FILE = 'manifest.json';
export const RUNTIME_FILE = 'runtime.json';
export const SUMMARY_FILE = 'SUMMARY.md';
export const HTML_FILE = 'index.html';
/** Every collected container's lines in one time-ordered file (written when a run collects two or more). */
export const TIMELINE_FILE = 'timeline.log';
/** The engines' container events for the collected containers, one normalised event a line. */
export const EVENTS_FILE = 'events.jsonl';
/** What the test run knew (framework, failed tests), written by the test-framework entry points. */
export const TEST_RUN_FILE = 'test-run.json';
const ARCHIVE_SUFFIX = '.tar.gz';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYYMMDD-HHMMSS` in local time, as `date +%Y%m%d-%H%M%S` prints it. */
export function formatTimestamp(date: Date): string {
  return (
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  );
}

/** `<service>-integration-<YYYYMMDD-HHMMSS>`, the run folder's name before any `-2` suffix. */
export function runFolderName(service: string, date: Date): string {
  return `${service}-integration-${formatTimestamp(date)}`;
}

/** `<run folder>.tar.gz`, beside the folder. */
export function archivePathOf(runDir: string): string {
  return `${runDir}${ARCHIVE_SUFFIX}`;
}

/** `<run folder>.tar.gz.partial-<pid>`: the archive while process `pid` writes it, renamed when complete. */
export function archivePartialPathOf(runDir: string, pid: number): string {
  return `${archivePathOf(runDir)}.partial-${pid}`;
}

/** `<run folder>.tar.gz.parts-<pid>/`: the logs' compressed parts while process `pid` collects (with --archive). */
export function archivePartsPathOf(runDir: string, pid: number): string {
  return `${archivePathOf(runDir)}.parts-${pid}`;
}

/** `<run folder>.timeline-<pid>/`: the timeline's per-container files while process `pid` collects. */
export function timelinePartsPathOf(runDir: string, pid: number): string {
  return `${runDir}.timeline-${pid}`;
}

/**
 * The base folder a user gets when the default one belongs to someone else (root ran must-gather first on
 * this machine): `<default>-<uid>`, e.g. `/tmp/kubernaut-must-gather-1000`.
 */
export function perUserBase(defaultBase: string, uid: number): string {
  return `${defaultBase}-${uid}`;
}

/**
 * Names must-gather gives to what it writes under the base folder: `<service>-integration-<YYYYMMDD-HHMMSS>`,
 * `-<n>` when two runs started in the same second, and `.tar.gz` for the archive. Temporary names
 * (`….tar.gz.partial-<pid>`, see {@link parseArchiveLeftoverName}) and everything else never match.
 */
export const RUN_ENTRY_NAME = /^([A-Za-z0-9][A-Za-z0-9._-]*)-integration-(\d{8}-\d{6})(?:-(\d+))?(\.tar\.gz)?$/;

/** What an entry's name says about it. */
export interface RunEntryName {
  readonly service: string;
  /** `YYYYMMDD-HHMMSS` as written in the name. */
  readonly stamp: string;
  /** The stamp read as local time (as `formatTimestamp` wrote it), or null when it is no real date. */
  readonly startedAt: Date | null;
  /** The `-<n>` suffix, 1 without one. */
  readonly suffix: number;
  readonly archive: boolean;
  /** The run folder's name, shared by the folder and its archive. */
  readonly run: string;
}

/** Read an entry name, or null when must-gather did not name it. */
export function parseRunEntryName(name: string): RunEntryName | null {
  const match = RUN_ENTRY_NAME.exec(name);
  if (match === null) return null;
  const [, service, stamp, suffix, archive] = match as unknown as [string, string, string, string | undefined, string | undefined];
  const d = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(stamp)!.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(d[0], d[1] - 1, d[2], d[3], d[4], d[5]);
  // A stamp that does not come back the same (month 13, 25 o'clock) is no date must-gather wrote.
  const startedAt = Number.isNaN(date.getTime()) || formatTimestamp(date) !== stamp ? null : date;
  return {
    service,
    stamp,
    startedAt,
    suffix: suffix === undefined ? 1 : Number(suffix),
    archive: archive !== undefined,
    run: archive === undefined ? name : name.slice(0, -ARCHIVE_SUFFIX.length),
  };
}

/** What a temporary archive name beside a run folder says: the run, what it is, the process that made it. */
export interface ArchiveLeftoverName {
  /** The run folder's name, read as {@link parseRunEntryName} reads it. */
  readonly run: RunEntryName;
  /**
   * `partial`: `<run>.tar.gz.partial-<pid>`, a file; `parts`: `<run>.tar.gz.parts-<pid>`, a folder;
   * `timeline`: `<run>.timeline-<pid>`, a folder.
   */
  readonly kind: 'partial' | 'parts' | 'timeline';
  readonly pid: number;
}

const ARCHIVE_LEFTOVER = /^(.+)(?:\.tar\.gz\.(partial|parts)|\.(timeline))-([1-9]\d{0,9})$/;

/**
 * Read `<run>.tar.gz.partial-<pid>`, `<run>.tar.gz.parts-<pid>` or `<run>.timeline-<pid>` (what
 * {@link archivePartialPathOf}, {@link archivePartsPathOf} and {@link timelinePartsPathOf} name), or null.
 * Normally gone when the run ends; left behind when it was killed.
 */
export function parseArchiveLeftoverName(name: string): ArchiveLeftoverName | null {
  const match = ARCHIVE_LEFTOVER.exec(name);
  if (match === null) return null;
  const run = parseRunEntryName(match[1] as string);
  if (run === null || run.archive) return null;
  return { run, kind: (match[2] ?? match[3]) as ArchiveLeftoverName['kind'], pid: Number(match[4]) };
}

/** A file name made from a container name: engines allow `[A-Za-z0-9_.-]`, anything else becomes `_`. */
export function safeFileStem(name: string): string {
  const stem = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
  return stem === '' ? '_' : stem;
}

/** A container's files, relative to the run folder: `[<engine>/]<stem>.log` and `[<engine>/]<stem>_inspect.json`. */
export function containerFiles(containerName: string, engineFolder = ''): { readonly log: string; readonly inspect: string } {
  const stem = (engineFolder ? `${engineFolder}/` : '') + safeFileStem(containerName);
  return { log: `${stem}.log`, inspect: `${stem}_inspect.json` };
}
