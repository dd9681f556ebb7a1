import type { MatchReason } from '../run-folder/manifest.js';
import type { ContainerSummary } from '../runtime/types.js';
import { byName } from '../_util/order.js';

/** What decides which containers belong to a run. */
export interface Selector {
  readonly service: string;
  readonly aliases?: readonly string[];
  /**
   * Keep only containers whose name, after the service prefix, holds any of these as whole `_`/`-` tokens.
   * Empty or absent: no narrowing.
   */
  readonly components?: readonly string[];
  /** Exact names or IDs added whatever their names. */
  readonly containers?: readonly string[];
}

export interface SelectedContainer {
  readonly summary: ContainerSummary;
  /** The name files are written under. */
  readonly name: string;
  readonly matchedBy: MatchReason;
}

export interface Selection {
  readonly selected: SelectedContainer[];
  /** `--container` names that no container has. */
  readonly missing: string[];
}

const SEPARATOR = /[_-]/;

/** Names a container is known by, without links (`other/alias`) that docker lists too. */
function ownNames(summary: ContainerSummary): string[] {
  return summary.names.filter((n) => !n.includes('/'));
}

/**
 * The part of `name` after a service prefix and its separator, or null when `name` does not belong to
 * one of `prefixes`. `signalprocessing_redis_test` → `redis_test`; `xsignalprocessing_redis_test` → null.
 */
export function restAfterService(name: string, prefixes: readonly string[]): string | null {
  for (const prefix of prefixes) {
    if (name.length > prefix.length + 1 && name.startsWith(prefix) && SEPARATOR.test(name[prefix.length] ?? '')) {
      return name.slice(prefix.length + 1);
    }
  }
  return null;
}

/** Whether `rest` holds `component` as whole `_`/`-` separated tokens (`postgres` in `postgres_test`). */
export function hasComponent(rest: string, component: string): boolean {
  const tokens = rest.split(SEPARATOR);
  const wanted = component.split(SEPARATOR);
  for (let i = 0; i + wanted.length <= tokens.length; i++) {
    if (wanted.every((w, j) => tokens[i + j] === w)) return true;
  }
  return false;
}

function matchesExplicit(summary: ContainerSummary, wanted: string): boolean {
  const name = wanted.startsWith('/') ? wanted.slice(1) : wanted;
  if (ownNames(summary).includes(name)) return true;
  // A full ID, or the 12-character short ID engines print.
  return name.length >= 12 && /^[0-9a-f]+$/.test(name) && summary.id.startsWith(name);
}

/**
 * Pick the containers of a run from everything the engine listed.
 * A name belongs to the service when it starts with the service or an alias followed by `_` or `-`; with
 * components, it must also hold any one of them, as whole tokens, in the part after that prefix.
 * `labelled` are containers the engine selected by label; they are narrowed by components the same way —
 * in the part after the prefix when the name has one, else in the whole name (`compose_postgres_1`).
 * `selector.containers` are added whatever the components.
 * Engines' `--filter name=` is an unanchored regex, so names are matched here, exactly.
 */
export function selectContainers(
  all: readonly ContainerSummary[],
  selector: Selector,
  labelled: readonly ContainerSummary[] = [],
): Selection {
  const prefixes = [selector.service, ...(selector.aliases ?? [])];
  const components = selector.components ?? [];
  const byId = new Map<string, SelectedContainer>();
  const add = (summary: ContainerSummary, name: string, matchedBy: MatchReason): void => {
    if (!byId.has(summary.id)) byId.set(summary.id, { summary, name, matchedBy });
  };
  // Components are a list of what to collect: any one of them is enough.
  const fitsComponents = (rest: string): boolean => components.length === 0 || components.some((c) => hasComponent(rest, c));

  for (const summary of all) {
    for (const name of ownNames(summary)) {
      const rest = restAfterService(name, prefixes);
      if (rest !== null && fitsComponents(rest)) {
        add(summary, name, 'service');
        break;
      }
    }
  }
  for (const summary of labelled) {
    const name = ownNames(summary)[0] ?? summary.id.slice(0, 12);
    if (fitsComponents(restAfterService(name, prefixes) ?? name)) add(summary, name, 'label');
  }
  const missing: string[] = [];
  for (const wanted of selector.containers ?? []) {
    const summary = all.find((s) => matchesExplicit(s, wanted));
    if (summary) add(summary, ownNames(summary)[0] ?? summary.id.slice(0, 12), 'container');
    else missing.push(wanted);
  }
  const selected = [...byId.values()].sort((a, b) => byName(a.name, b.name));
  return { selected, missing };
}

/** Every container name the engine listed, sorted: shown when nothing matched, so a typo is obvious. */
export function availableNames(all: readonly ContainerSummary[]): string[] {
  return [...new Set(all.flatMap(ownNames))].sort();
}
