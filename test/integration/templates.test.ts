import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Manifest } from '../../src/gather/manifest.js';
import { describeWithEngine, ENGINES, engine, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { runBin, type CliRun } from '../helpers/run-cli.js';

/*
 * Issue 12, parts 2 and 3, on real engines: the flush bug's containers (no error at all; a controller that
 * buffered 100 events while its timer ticked 10 times, a storage service that created 2 batches) must be
 * counted in SUMMARY.md by message template, and an audit store's 1.3 KiB JSON error line must keep the
 * words naming its cause in the first screen.
 */

const CAUSE = 'dial tcp [::1]:18094: connect: connection refused';
const AUDIT_LINE = JSON.stringify({
  level: 'error',
  logger: 'audit-store',
  msg: 'Failed to write audit batch',
  attempt: 3,
  error: `network error: Post http://localhost:18094/api/v1/audit/events/batch?ids=${'0123456789abcdef'.repeat(64)}: ${CAUSE}`,
});

const CONTROLLER_SCRIPT = [
  'i=1',
  'while [ $i -le 100 ]; do',
  `  printf '{"level":"info","logger":"buffer","msg":"Event buffered successfully","total_buffered":%d}\\n' $i`,
  `  if [ $((i % 10)) -eq 0 ]; then printf '{"level":"debug","msg":"Timer tick","batch_size_before_flush":0}\\n'; fi`,
  '  i=$((i+1))',
  'done',
].join('\n');
const STORAGE_SCRIPT = `echo 'storage listening on :8080'; printf '{"level":"info","msg":"Batch created","count":%d,"duration":"%sms"}\\n' 0 1.2 0 0.9`;
const AUDIT_SCRIPT = `echo 'audit store starting'; printf '%s\\n' '${AUDIT_LINE}' >&2; exit 1`;

for (const name of ENGINES) {
  describeWithEngine(name, 'message templates and salient lines in SUMMARY.md', () => {
    const service = uniqueService('mgttpl');
    const c = { controller: `${service}_controller_test`, storage: `${service}_datastorage_test`, audit: `${service}_audit_test` };
    let cli: CliRun;
    let summary: string;
    let manifest: Manifest;

    beforeAll(async () => {
      for (const [container, script] of [
        [c.controller, CONTROLLER_SCRIPT],
        [c.storage, STORAGE_SCRIPT],
        [c.audit, AUDIT_SCRIPT],
      ] as const) {
        engine(name, ['run', '-d', '--name', container, TEST_IMAGE, 'sh', '-c', script]);
      }
      for (const container of Object.values(c)) engine(name, ['wait', container]);
      cli = await runBin([service, '--runtime', name, '--output-dir', tempDir()]);
      const dir = cli.stdout.split('\n')[0] ?? '';
      summary = readFileSync(join(dir, 'SUMMARY.md'), 'utf8');
      manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    });
    afterAll(() => removeContainers(name, Object.values(c)));

    /** The bullets under a container's heading in the Messages section. */
    const templatesOf = (container: string): string[] => {
      const lines = summary.slice(summary.indexOf('## Messages')).split('\n');
      const start = lines.findIndex((l) => l.startsWith(`**${container}** — `));
      const end = lines.findIndex((l, i) => i > start + 1 && !l.startsWith('- '));
      return start === -1 ? [] : lines.slice(start + 2, end);
    };

    it('the CLI exits 0', () => {
      expect({ code: cli.code, stderr: cli.code === 0 ? '' : cli.stderr }).toEqual({ code: 0, stderr: '' });
    });

    it('SUMMARY.md counts 100, 10 and 2 beside their templates', () => {
      expect(summary).toContain(`**${c.controller}** — 110 lines, 2 message templates:`);
      expect(templatesOf(c.controller)).toEqual(['- 100× `Event buffered successfully (logger=buffer, total_buffered=<n>)`', '- 10× `Timer tick (batch_size_before_flush=<n>)`']);
      expect(templatesOf(c.storage)).toEqual(['- 2× `Batch created (count=<n>, duration=<d>)`', '- 1× `storage listening on :<n>`']);
    });

    it("manifest.json's findings carry the same counts", () => {
      const controller = manifest.findings?.containers.find((x) => x.name === c.controller);
      expect(controller?.log?.templates?.top.map((t) => [t.count, t.template])).toEqual([
        [100, 'Event buffered successfully (logger=buffer, total_buffered=<n>)'],
        [10, 'Timer tick (batch_size_before_flush=<n>)'],
      ]);
      expect(controller?.log?.templates?.capped).toBe(false);
    });

    it("the first screen keeps the end of the audit store's 1.3 KiB JSON error line", () => {
      expect(AUDIT_LINE.length).toBeGreaterThan(1024);
      const first = summary.split('\n').slice(0, 25);
      const decisive = first.find((l) => l.startsWith('   - error ') && l.includes(`${c.audit}.log#L`));
      expect(decisive).toMatch(/`\{"level":"error","logger":"audit-store","msg":"Failed to write audit batch","error":"network error: Post http.*….*connect: connection refused".*\}`$/);
    });
  });
}
