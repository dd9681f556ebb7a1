/*
 * Private text helpers: making untrusted text safe to show (log lines for triage and the renderers, test
 * failure messages for test-run.json), and durations and times in words. Pure functions, no state.
 */

// CSI/OSC escape sequences (colours, cursor moves, titles, hyperlinks) and two-character escapes, as ECMA-48
// frames them: what loggers write when they think they own a TTY, and jest and vitest in their messages.
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Remove terminal escape sequences. */
export function stripAnsi(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI, '') : text;
}

/**
 * One line of log text made safe to show anywhere: escape sequences removed, tabs as spaces, other control
 * characters (which could move a terminal's cursor or end a line early) as `�`, cut to `max` characters.
 */
export function cleanLine(text: string, max = 500): string {
  const clean = stripAnsi(text).replace(/\t/g, ' ').replace(/\r?\n/g, ' ').replace(CONTROL, '\ufffd');
  return truncate(clean, max);
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Seconds in words: `under 0.1 s`, `0.2 s`, `42 s`, `3 min 12 s`, `2 h 5 min`, `3 d 4 h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 0.05) return 'under 0.1 s';
  if (seconds < 10) return `${(Math.round(seconds * 10) / 10).toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** `HH:MM:SS` in UTC, the same on every machine that renders a saved run. */
export function formatClock(iso: string | null): string {
  if (iso === null) return '?';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '?';
  return new Date(ms).toISOString().slice(11, 19);
}

/** `YYYY-MM-DD HH:MM:SS UTC`. */
export function formatDateTime(iso: string | null): string {
  if (iso === null) return '?';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
