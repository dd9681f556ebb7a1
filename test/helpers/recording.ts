import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedContainer } from '../../src/record/record.js';
import type { Manifest } from '../../src/gather/manifest.js';
import type { RuntimeName } from '../../src/runtime/types.js';
import { TEST_IMAGE } from './engines.js';

/** The run folders (not archives) under a base. */
export function runFolders(base: string): string[] {
  return existsSync(base) ? readdirSync(base).filter((n) => n.includes('-integration-') && !n.endsWith('.tar.gz')) : [];
}

export interface RecordedFolder {
  readonly root: string;
  readonly manifest: Manifest;
  readonly records: readonly RecordedContainer[];
  /** The record of the n-th container named `<service>_<name>`. */
  instance(name: string, n?: number): RecordedContainer | undefined;
  read(path: string): string;
  readonly events: readonly { action: string; name: string; instance: number; exitCode?: number; id: string }[];
}

/** The one run folder a recording left under `base`. */
export function recordedFolder(base: string, service: string): RecordedFolder {
  const folders = runFolders(base);
  if (folders.length !== 1) throw new Error(`expected one run folder under ${base}, found ${folders.join(', ') || 'none'}`);
  const root = join(base, folders[0] as string);
  const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as Manifest;
  const records = manifest.containers as unknown as RecordedContainer[];
  const events = readFileSync(join(root, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RecordedFolder['events'][number]);
  return {
    root,
    manifest,
    records,
    instance: (name, n = 1) => records.find((r) => r.name === `${service}_${name}` && r.instance === n),
    read: (path) => readFileSync(join(root, path), 'utf8'),
    events,
  };
}

/** How a suite removes a container at once (podman's default grace would be 10 s). */
function rmForce(engine: RuntimeName): string {
  return engine === 'podman' ? 'rm -f -t 0' : 'rm -f';
}

/**
 * A suite-like script, as issue 11 describes one: a database that runs until the end; an app that exits 3,
 * is removed, and a new one under the same name that passes; a memory hog killed for memory (--memory 20m);
 * a crash loop (--restart on-failure:2, exit 4, three runs); then everything removed, and exit `exit`.
 */
export function suiteScript(dir: string, engine: RuntimeName, service: string, exit: number): string {
  const path = join(dir, 'suite.sh');
  writeFileSync(
    path,
    `#!/bin/sh
set -e
E=${engine}; S=${service}; IMG=${TEST_IMAGE}
$E run -d --name \${S}_db $IMG sh -c 'for i in $(seq 1 200); do echo "db line $i"; done; echo db-err >&2; sleep 60' >/dev/null
$E run -d --name \${S}_app $IMG sh -c 'echo app first; echo app err >&2; sleep 1; exit 3' >/dev/null
$E wait \${S}_app >/dev/null || true
$E ${rmForce(engine)} \${S}_app >/dev/null
$E run -d --name \${S}_app $IMG sh -c 'echo app second; sleep 1; echo app second done' >/dev/null
# tail keeps everything it reads of a file without newlines: the kernel kills it (PID 1) for memory.
$E run -d --name \${S}_hog --memory 20m --memory-swap 20m $IMG sh -c 'echo hog start; exec tail /dev/zero' >/dev/null
$E run -d --name \${S}_flaky --restart on-failure:2 $IMG sh -c 'echo flaky run; exit 4' >/dev/null
$E wait \${S}_app \${S}_hog >/dev/null || true
for i in $(seq 1 150); do
  st=$($E inspect -f '{{.State.Status}} {{.RestartCount}}' \${S}_flaky)
  [ "$st" = "exited 2" ] && break
  sleep 0.2
done
$E ${rmForce(engine)} \${S}_app \${S}_db \${S}_hog \${S}_flaky >/dev/null
exit ${exit}
`,
    { mode: 0o755 },
  );
  return path;
}

/** Every container name the suite script uses. */
export function suiteContainers(service: string): string[] {
  return ['db', 'app', 'hog', 'flaky'].map((n) => `${service}_${n}`);
}
