import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/render/html.js';
import { renderSummaryMarkdown } from '../../../src/render/markdown.js';
import { toFindingsJson } from '../../../src/triage/findings-json.js';
import { buildReport, type ContainerEvidence } from '../../../src/triage/verdict.js';
import { analysisOf, inspectOf, record, RUN } from './sample-report.js';

/*
 * The bug must-gather was made for (issue 12, part 3): no error anywhere. The controller buffered 100
 * events, its timer ticked 10 times with nothing to flush, the storage service created 2 batches. The
 * engineer found it by counting: SUMMARY.md and index.html must show those counts beside their templates.
 */

const T0 = Date.parse('2026-01-14T15:25:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function controllerLog(): string {
  const lines: string[] = [];
  for (let i = 1; i <= 100; i++) {
    lines.push(JSON.stringify({ level: 'info', ts: at(i * 100 - 100), logger: 'buffer', msg: 'Event buffered successfully', total_buffered: i }));
    if (i % 10 === 0) lines.push(JSON.stringify({ level: 'debug', ts: at(i * 100 - 50), logger: 'timer', msg: 'Timer tick', batch_size_before_flush: 0 }));
  }
  return `${lines.join('\n')}\n`;
}

const STORAGE_LOG = [
  '{"level":"info","ts":"2026-01-14T15:24:59.000Z","msg":"storage listening","addr":":8080"}',
  '{"level":"info","ts":"2026-01-14T15:25:01.000Z","msg":"Batch created","count":0,"duration":"1.2ms"}',
  '{"level":"info","ts":"2026-01-14T15:25:06.000Z","msg":"Batch created","count":0,"duration":"0.9ms"}',
  '',
].join('\n');

function evidence(name: string, log: string, extra: Partial<ContainerEvidence> = {}): ContainerEvidence {
  return {
    record: record({ name, image: 'localhost/kubernaut:test', startedAt: '2026-01-14T15:24:58.000Z' }),
    inspect: inspectOf({ StartedAt: '2026-01-14T15:24:58Z' }),
    analysis: analysisOf(log),
    logPath: `${name}.log`,
    inspectPath: `${name}_inspect.json`,
    ...extra,
  };
}

function flushReport() {
  return buildReport('/tmp/kubernaut-must-gather/signalprocessing-integration-20260114-152510', { ...RUN, service: 'signalprocessing' }, [
    evidence('signalprocessing_controller_test', controllerLog()),
    evidence('signalprocessing_datastorage_test', STORAGE_LOG),
  ]);
}

describe('message templates in SUMMARY.md and index.html: the flush bug', () => {
  const md = renderSummaryMarkdown(flushReport());
  const lines = md.split('\n');

  it('counts 100, 10 and 2 beside their templates, with first and last time', () => {
    const controller = lines.indexOf('**signalprocessing_controller_test** — 110 lines, 2 message templates:');
    expect(controller).toBeGreaterThan(0);
    expect(lines.slice(controller + 2, controller + 4)).toEqual([
      '- 100× `Event buffered successfully (logger=buffer, total_buffered=<n>)` · 15:25:00.000–15:25:09.900 UTC',
      '- 10× `Timer tick (logger=timer, batch_size_before_flush=<n>)` · 15:25:00.950–15:25:09.950 UTC',
    ]);
    const storage = lines.indexOf('**signalprocessing_datastorage_test** — 3 lines, 2 message templates:');
    expect(lines.slice(storage + 2, storage + 4)).toEqual([
      '- 2× `Batch created (count=<n>, duration=<d>)` · 15:25:01.000–15:25:06.000 UTC',
      '- 1× `storage listening (addr=:<n>)` · 15:24:59.000 UTC',
    ]);
  });

  it('keeps the verdict first: the Messages section comes after the table', () => {
    expect(lines[0]).toBe('# signalprocessing: 2 containers, no problems found');
    const table = lines.indexOf('## Containers');
    const messages = lines.indexOf('## Messages');
    expect(table).toBeGreaterThan(0);
    expect(messages).toBeGreaterThan(table);
    expect(lines.slice(0, messages).join('\n')).not.toContain('×');
  });

  it('index.html shows the same counts', () => {
    const html = renderHtml(flushReport());
    expect(html).toContain('<tr><td class="num">100×</td><td><code>Event buffered successfully (logger=buffer, total_buffered=&#60;n&#62;)</code></td><td class="muted">15:25:00.000–15:25:09.900 UTC</td></tr>');
    expect(html).toContain('<tr><td class="num">10×</td><td><code>Timer tick (logger=timer, batch_size_before_flush=&#60;n&#62;)</code>');
    expect(html).toContain('<tr><td class="num">2×</td><td><code>Batch created (count=&#60;n&#62;, duration=&#60;d&#62;)</code>');
  });

  it("manifest.json's findings carry each container's templates", () => {
    const findings = toFindingsJson(flushReport());
    const controller = findings.containers.find((c) => c.name === 'signalprocessing_controller_test');
    expect(controller?.log?.templates).toEqual({
      distinct: 2,
      capped: false,
      uncounted: 0,
      top: [
        { template: 'Event buffered successfully (logger=buffer, total_buffered=<n>)', count: 100, first: '2026-01-14T15:25:00.000Z', last: '2026-01-14T15:25:09.900Z' },
        { template: 'Timer tick (logger=timer, batch_size_before_flush=<n>)', count: 10, first: '2026-01-14T15:25:00.950Z', last: '2026-01-14T15:25:09.950Z' },
      ],
    });
  });
});

describe('message templates: runs of one container, and the cap', () => {
  it('lists the templates only one run of a container has (x, x-2, x-3)', () => {
    const report = buildReport('/tmp/x', RUN, [
      evidence('sp_worker_test', 'worker ready\njob 1 done\njob 2 done\n'),
      evidence('sp_worker_test-2', 'worker ready\njob 3 done\nlost lease on shard 7\n'),
      evidence('sp_other_test', 'lost lease on shard 9\n'),
    ]);
    const md = renderSummaryMarkdown(report);
    // Each container's part of the Messages section, by name.
    const parts = new Map(md.slice(md.indexOf('## Messages')).split('\n**').slice(1).map((p) => [p.slice(0, p.indexOf('**')), p]));
    expect([...parts.keys()]).toEqual(['sp_other_test', 'sp_worker_test', 'sp_worker_test-2']);
    expect(parts.get('sp_worker_test-2')).toContain('Only in this run, not in `sp_worker_test`:\n\n- 1× `lost lease on shard <n>`\n');
    // sp_worker_test said nothing its second run did not; sp_other_test is another container, never compared.
    expect(parts.get('sp_worker_test')).not.toContain('Only in this run');
    expect(parts.get('sp_other_test')).not.toContain('Only in this run');
  });

  it('says when a log had more distinct templates than are counted', () => {
    const word = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)] ?? 'q');
    const log = `${Array.from({ length: 2100 }, (_, i) => `event ${word(i)}`).join('\n')}\n`;
    const md = renderSummaryMarkdown(buildReport('/tmp/x', RUN, [evidence('sp_noisy_test', log)]));
    expect(md).toContain('**sp_noisy_test** — 2100 lines, 2000 message templates (capped at 2,000 templates; 100 lines of further ones not counted):');
    expect(md).toContain('- … and 1992 other templates');
  });
});
