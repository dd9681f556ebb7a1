import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/render/html.js';
import { sampleLogs, sampleReport } from '../unit/render/sample-report.js';

/*
 * index.html rendered by a real browser: Debian's chromium (apt-get install chromium fonts-liberation),
 * headless, offline. Without /usr/bin/chromium the suite is skipped with a visible notice, except under
 * CI=true, where a missing browser is a failing test.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function describeWithChromium(title: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(title, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(title, () => {
      it('needs chromium under CI', () => {
        throw new Error(`${CHROMIUM} is missing under CI: install Debian's chromium (apt-get install chromium fonts-liberation)`);
      });
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPED "${title}": ${CHROMIUM} is missing. Run: apt-get install -y chromium fonts-liberation ***\n\n`);
  describe.skip(`${title} (skipped: no ${CHROMIUM})`, body);
}

describeWithChromium('index.html in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'must-gather-html-'));
  const profile = mkdtempSync(join(tmpdir(), 'must-gather-chromium-profile-'));
  let context: BrowserContext | null = null;
  afterAll(async () => {
    await context?.close();
    // The run folder and its screenshot stay for a person to look at; the browser profile goes.
    rmSync(profile, { recursive: true, force: true });
  });

  it('shows the timeline, exit markers and error counts, and links to the logs', async () => {
    const report = sampleReport(dir);
    for (const [name, text] of Object.entries(sampleLogs())) writeFileSync(join(dir, name), text);
    const index = join(dir, 'index.html');
    writeFileSync(index, renderHtml(report));

    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      offline: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(pathToFileURL(index).href);

    const screenshot = join(dir, 'index.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    process.stderr.write(`index.html screenshot: ${screenshot}\n`);
    const png = readFileSync(screenshot);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(statSync(screenshot).size).toBeGreaterThan(20_000);

    // What the page shows, as a person reads it (SVG text has no innerText: its textContent is what is drawn).
    await expect(page.locator('h1').innerText()).resolves.toBe('datastorage · 4 of 6 containers failed');
    await expect(page.locator('#timeline text.name').allTextContents()).resolves.toEqual([
      'datastorage_redis_test',
      'datastorage_migrate_test',
      'datastorage-service-test',
      'datastorage_mockllm_test',
      'datastorage_kafka_test',
      'datastorage_postgres_test',
      'errors over time',
    ]);
    await expect(page.locator('#timeline text.marker').allTextContents()).resolves.toEqual([
      'exit 137 OOM',
      'exit 1',
      'running (unhealthy)',
      'never started',
      'running',
      'running',
    ]);
    await expect(page.locator('tr[data-container="datastorage-service-test"] td.errors').innerText()).resolves.toBe('300');
    await expect(page.locator('tr[data-container="datastorage_redis_test"] td').nth(3).innerText()).resolves.toBe('137 OOM');
    await expect(page.locator('#problems article h3').allInnerTexts()).resolves.toEqual([
      'datastorage_redis_test exit 137 — killed for using too much memory (OOMKilled)',
      'datastorage_migrate_test exited with code 1',
      'datastorage-service-test unhealthy — health check failed 12 times in a row',
      'datastorage_mockllm_test never started (created)',
    ]);

    // The drawing is laid out: the timeline spans the page, the OOM-killed Redis lived longer than the migration.
    const svg = await page.locator('#timeline').boundingBox();
    expect(svg?.width).toBeGreaterThan(1000);
    const redisBar = await page.locator('g[data-container="datastorage_redis_test"] rect.bar').boundingBox();
    const migrateBar = await page.locator('g[data-container="datastorage_migrate_test"] rect.bar').boundingBox();
    expect(redisBar?.width).toBeGreaterThan(10 * (migrateBar?.width ?? Infinity));
    const ticks = await page.locator('g[data-container="datastorage-service-test"] line.tick.error').count();
    expect(ticks).toBeGreaterThan(100);
    const tick = await page.locator('g[data-container="datastorage-service-test"] line.tick.error').first().boundingBox();
    expect(tick?.height).toBeGreaterThan(3);

    // Nothing but the page itself was loaded, and nothing went wrong on it.
    expect(requests).toEqual([pathToFileURL(index).href]);
    expect(consoleErrors).toEqual([]);

    // A log link opens the log beside the page.
    await page.locator('#problems a.loglink', { hasText: 'datastorage_migrate_test.log:3' }).click();
    await page.waitForURL(/datastorage_migrate_test\.log$/);
    await expect(page.locator('body').innerText()).resolves.toContain('ERROR:  relation "audit_events" does not exist');
  });
});
