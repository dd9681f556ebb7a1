import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/render/html.js';
import { buildReport } from '../../../src/triage/verdict.js';
import { analysisOf, inspectOf, record, RUN, sampleReport } from './sample-report.js';

function attributes(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'gi'))].map((m) => m[2] ?? m[3] ?? m[4] ?? '');
}

/** The markup of the timeline row of one container. */
function timelineRow(html: string, name: string): string {
  const start = html.indexOf(`<g class="row" data-container="${name}">`);
  const next = html.indexOf('<g class="row"', start + 1);
  return html.slice(start, next === -1 ? html.indexOf('<text class="name muted"', start) : next);
}

describe('renderHtml', () => {
  const html = renderHtml(sampleReport());

  it('is one self-contained page: no script, no external URL, only relative links to the logs', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(attributes(html, 'src')).toEqual([]);
    const hrefs = attributes(html, 'href');
    expect(hrefs.length).toBeGreaterThan(10);
    for (const href of hrefs) expect(href).toMatch(/^[A-Za-z0-9_.-]+\.log$/);
    expect(new Set(hrefs)).toEqual(
      new Set([
        'datastorage-service-test.log',
        'datastorage_redis_test.log',
        'datastorage_migrate_test.log',
        'datastorage_postgres_test.log',
        'datastorage_mockllm_test.log',
        'datastorage_kafka_test.log',
      ]),
    );
  });

  it('draws a timeline bar per container, with exit markers', () => {
    const names = [...html.matchAll(/<text class="name (?:bad|warn|ok|idle)" x="8" y="[\d.]+">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(names).toEqual([
      'datastorage_redis_test',
      'datastorage_migrate_test',
      'datastorage-service-test',
      'datastorage_mockllm_test',
      'datastorage_kafka_test',
      'datastorage_postgres_test',
    ]);
    const markers = [...html.matchAll(/<text class="marker [a-z]+"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(markers).toEqual(['exit 137 OOM', 'exit 1', 'running (unhealthy)', 'never started', 'running', 'running']);
    expect(timelineRow(html, 'datastorage_redis_test')).toContain('<title>finished 02:03:12 UTC, exit 137 OOM</title>');
    expect(timelineRow(html, 'datastorage_mockllm_test')).not.toContain('class="bar');
  });

  it('ticks where each container’s errors happened, and sums them over time', () => {
    const service = sampleReport().containers.find((c) => c.record.name === 'datastorage-service-test');
    const buckets = service?.analysis?.timeline.buckets.filter((b) => b.errors > 0).length;
    expect(buckets).toBeGreaterThan(100);
    expect(timelineRow(html, 'datastorage-service-test').match(/class="tick error"/g)).toHaveLength(buckets ?? -1);
    expect(timelineRow(html, 'datastorage_redis_test').match(/class="tick error"/g)).toHaveLength(2);
    expect(timelineRow(html, 'datastorage_redis_test').match(/class="tick warning"/g)).toHaveLength(1);
    expect(timelineRow(html, 'datastorage_kafka_test')).not.toContain('class="tick');
    const histogram = [...html.matchAll(/<rect class="hist"[^>]*><title>(\d+) errors? from/g)].reduce((n, m) => n + Number(m[1]), 0);
    // The migration's log has no timestamps: its error cannot be placed in time.
    expect(histogram).toBe(300 + 2 + 2);
  });

  it('lists the problems and counts every container’s errors', () => {
    expect(html).toContain('<span class="verdict bad">4 of 6 containers failed</span>');
    expect(html).toContain('<td class="num errors nonzero">300</td>');
    expect(html).toMatch(/<h3>datastorage_migrate_test <span class="reason">exited with code 1<\/span><\/h3>/);
    expect(html).toContain('<code class="logline">ERROR:  relation &#34;audit_events&#34; does not exist</code>');
  });

  it('escapes everything that comes from a log or the engine', () => {
    const report = buildReport('/tmp/run', RUN, [
      {
        record: record({ name: 'evil_test', image: 'x"><img src=x onerror=alert(1)>', state: 'exited', exitCode: 1 }),
        inspect: inspectOf({ Status: 'exited', ExitCode: 1 }),
        analysis: analysisOf('ERROR <img src=x onerror=alert(1)> </pre><script>alert(2)</script> http://evil.example/x.js\n'),
        logPath: 'evil_test.log',
        inspectPath: null,
      },
    ]);
    const out = renderHtml(report);
    expect(out).not.toMatch(/<img|<script|onerror=alert\(1\)>/);
    expect(out).toContain('ERROR &#60;img src=x onerror=alert(1)&#62; &#60;/pre&#62;&#60;script&#62;alert(2)&#60;/script&#62; http://evil.example/x.js');
    expect(out).toContain('<td class="image">x&#34;&#62;&#60;img src=x onerror=alert(1)&#62;</td>');
    for (const href of attributes(out, 'href')) expect(href).toBe('evil_test.log');
  });

  it('says when no container has times to draw', () => {
    const report = buildReport('/tmp/run', { ...RUN, finishedAt: null }, [
      { record: record({ name: 'x', startedAt: null, state: 'created' }), inspect: null, analysis: null, logPath: null, inspectPath: null },
    ]);
    expect(renderHtml(report)).toContain('<p class="muted">No container recorded when it was created, started or finished.</p>');
  });
});
