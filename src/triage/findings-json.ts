/** The verdict in machine-readable form: manifest.json's `findings`, the same findings SUMMARY.md shows. */
import type { LogEvent } from './analyze.js';
import type { Evidence, HealthStatus, Lifetime, Problem } from './diagnose.js';
import type { EventHistory } from './events.js';
import type { TriageReport } from './verdict.js';

const FINDINGS_SCHEMA_VERSION = 1;

interface EventJson {
  readonly line: number;
  readonly level: 'error' | 'warning';
  readonly kind: string;
  readonly text: string;
  readonly timestamp: string | null;
  /** A stack trace's most telling line, when the event starts one. */
  readonly cause: string | null;
  readonly traceLines: number | null;
}

interface ContainerFindingsJson {
  readonly name: string;
  readonly problems: readonly { readonly kind: Problem['kind']; readonly severity: number; readonly reason: string; readonly evidence: Evidence | null }[];
  readonly lifetime: Lifetime;
  readonly health: HealthStatus | null;
  readonly log: {
    readonly path: string;
    readonly bytes: number;
    readonly lines: number;
    readonly errors: number;
    readonly warnings: number;
    readonly firstError: EventJson | null;
    readonly lastError: EventJson | null;
    readonly firstWarning: EventJson | null;
    /** The most frequent distinct messages (at most 20), most frequent first. */
    readonly findings: readonly { level: string; kind: string; text: string; count: number; firstLine: number; lastLine: number }[];
    /**
     * Additive (schemaVersion stays 1; absent from manifests written before issue 12): every line of the
     * log but a stack trace's continuations, counted by message template (numbers `<n>`, durations `<d>`,
     * ids `<id>`, times `<t>`, IPv4 addresses `<ip>`; a JSON or logfmt line by its `msg`/`message` and its
     * other fields). `top`: the most frequent (at most 50), most frequent first; `first`/`last`: the
     * earliest and latest time the template's lines carry themselves (ISO 8601), null when none does.
     * `distinct`: templates counted; `capped`: the per-log cap (2,000) was reached and `uncounted` lines of
     * further templates were not counted.
     */
    readonly templates?: {
      readonly distinct: number;
      readonly capped: boolean;
      readonly uncounted: number;
      readonly top: readonly { readonly template: string; readonly count: number; readonly first: string | null; readonly last: string | null }[];
    };
  } | null;
  /**
   * What the engine's events (events.jsonl) said: `oomAt` (the oom event), `exits` and `restarts` counted,
   * `unhealthyAt`, and `marks` — each die (exit code; `byEngine`: after a kill or stop the engine sent), oom,
   * restart and health change, in order (at most 100; `omitted` counts the rest). Null when the run has no
   * events of the container. Added with engine events; absent from older manifests.
   */
  readonly events: Omit<EventHistory, 'lastExit'> | null;
  readonly notes: readonly string[];
}

export interface FindingsJson {
  readonly schemaVersion: number;
  /** Containers with at least one problem, worst first. */
  readonly failed: readonly string[];
  readonly errors: number;
  readonly warnings: number;
  readonly containers: readonly ContainerFindingsJson[];
}

function eventJson(event: LogEvent | null): EventJson | null {
  if (event === null) return null;
  return {
    line: event.line,
    level: event.level,
    kind: event.kind,
    text: event.text,
    timestamp: event.timestamp,
    cause: event.trace?.headline ?? null,
    traceLines: event.trace?.lines ?? null,
  };
}

const FINDINGS_IN_JSON = 20;
const TEMPLATES_IN_JSON = 50;

/** The report's findings in machine-readable form, for manifest.json. */
export function toFindingsJson(report: TriageReport): FindingsJson {
  const containers = report.containers.map((c): ContainerFindingsJson => {
    const a = c.analysis;
    return {
      name: c.record.name,
      problems: c.problems.map((p) => ({ kind: p.kind, severity: p.severity, reason: p.reason, evidence: p.evidence })),
      lifetime: c.lifetime,
      health: c.health,
      log:
        a === null || c.logPath === null
          ? null
          : {
              path: c.logPath,
              bytes: a.bytes,
              lines: a.lines,
              errors: a.errorCount,
              warnings: a.warningCount,
              firstError: eventJson(a.firstError),
              lastError: eventJson(a.lastError),
              firstWarning: eventJson(a.firstWarning),
              findings: [...a.findings]
                .sort((x, y) => y.count - x.count || x.firstLine - y.firstLine)
                .slice(0, FINDINGS_IN_JSON)
                .map(({ level, kind, text, count, firstLine, lastLine }) => ({ level, kind, text, count, firstLine, lastLine })),
              templates: {
                distinct: a.templates.templates.length,
                capped: a.templates.capped,
                uncounted: a.templates.uncounted,
                top: a.templates.templates.slice(0, TEMPLATES_IN_JSON).map(({ template, count, first, last }) => ({ template, count, first, last })),
              },
            },
      events: c.events === null ? null : { marks: c.events.marks, omitted: c.events.omitted, oomAt: c.events.oomAt, exits: c.events.exits, restarts: c.events.restarts, unhealthyAt: c.events.unhealthyAt },
      notes: c.notes,
    };
  });
  return {
    schemaVersion: FINDINGS_SCHEMA_VERSION,
    failed: [...new Set(report.problems.map((p) => p.container))],
    errors: report.containers.reduce((n, c) => n + (c.analysis?.errorCount ?? 0), 0),
    warnings: report.containers.reduce((n, c) => n + (c.analysis?.warningCount ?? 0), 0),
    containers,
  };
}
