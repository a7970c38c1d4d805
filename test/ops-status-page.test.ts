import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { startOpsServer, type OpsServer, type SiteStatus } from '../src/ops/index.js';
import { AUDIO_REASON, audioRole, site, videoRole } from './support/ops-status.js';
import { REPO } from './support/tree.js';

const CHROMIUM = '/usr/bin/chromium';
// Offline and quiet: the appliance has no internet, and nothing here may reach for it.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WAIT_MS = 10_000;
const LAST_ERROR = 'decoder: frame 18211 beyond repair; keyframe requested';
const HOSTILE = '<img src=x onerror="window.__pwned = 1">decoder restarted after <b>error</b>';

/**
 * Resolves once the page has rendered at least `count` answers from /api/site. Read from Node,
 * not with waitForFunction: Playwright evaluates a string predicate with eval, which the page's
 * Content-Security-Policy rightly forbids.
 */
async function polled(page: Page, count: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while ((await polls(page)) < count) {
    assert.ok(Date.now() < deadline, `the page rendered fewer than ${count} answers in ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function polls(page: Page): Promise<number> {
  return Number((await page.getAttribute('body', 'data-polls')) ?? 0);
}

async function text(page: Page, selector: string): Promise<string> {
  return page.locator(selector).innerText();
}

/** The points of a sparkline's path ("M x y L x y ..."), each checked to lie inside the graph. */
async function sparkPoints(page: Page, stream: string, series: string): Promise<number> {
  const d = await page.getAttribute(`svg.spark[data-stream="${stream}"][data-series="${series}"] path`, 'd');
  assert.ok(d !== null && d !== '', `${stream} ${series}: no path`);
  const commands = [...d.matchAll(/([ML])(-?[\d.]+) (-?[\d.]+)/g)];
  for (const [, , x, y] of commands) {
    assert.ok(
      Number(x) >= 0 && Number(x) <= 240 && Number(y) >= 0 && Number(y) <= 40,
      `${x},${y} out of the graph`,
    );
  }
  return commands.length;
}

describe('status page in headless Chromium', { timeout: 60_000 }, () => {
  let scratch = '';
  let browser: Browser | undefined;
  let ops: OpsServer | undefined;
  let page: Page;
  let served: SiteStatus | Error;
  const problems: string[] = [];

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: the status page test needs Debian's 'chromium' package (apt-get install -y chromium)`,
    );
    scratch = mkdtempSync(join(tmpdir(), 'doorway-ops-page-'));
    const atMs = Date.now();
    served = site([
      videoRole({ atMs, lastError: { atMs: atMs - 90_000, message: LAST_ERROR } }),
      audioRole(atMs, false),
    ]);
    const server = await startOpsServer({
      port: 0,
      page: true,
      site: () => {
        if (served instanceof Error) throw served;
        return served;
      },
    });
    // launch() gives Chromium a fresh temporary profile of its own and deletes it on close
    // (Playwright refuses --user-data-dir in launch()'s args).
    ops = server;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      // The one error expected: Chromium's note on the 500 this test provokes on purpose.
      if (message.type() === 'error' && !message.text().includes('status of 500'))
        problems.push(`console: ${message.text()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(`${server.url}/`))
        problems.push(`request outside the doorway: ${request.url()}`);
    });
    await page.goto(`${server.url}/`);
    await polled(page, 1);
  });

  after(async () => {
    await browser?.close();
    await ops?.close();
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
  });

  it('shows the site, the peer and why media does not flow both ways', async () => {
    assert.equal(await text(page, '#site-name'), 'studio-a');
    assert.equal(await text(page, '#peer-name'), 'studio-b');
    assert.equal(await text(page, '#peer-address'), '10.0.0.2:47000');
    assert.equal(await text(page, '#banner-title'), 'Media is not flowing both ways');
    assert.equal(await text(page, '#banner-reasons'), `audio: ${AUDIO_REASON}`);
    assert.equal(await page.getAttribute('#banner', 'class'), 'banner bad');
    const directions = await text(page, '#directions');
    assert.match(directions, /video from studio-b: flowing/);
    assert.match(directions, /audio from studio-b: not flowing/);
    assert.match(directions, /audio to studio-b: not flowing/);
  });

  it('shows latency, loss and rate per incoming stream, with live graphs', async () => {
    const video = await text(page, '#inbound .card[data-stream="video"]');
    assert.match(video, /latency p50\s+42 ms/);
    assert.match(video, /latency p95\s+61 ms/);
    assert.match(video, /loss\s+0\.4 %/);
    assert.match(video, /bitrate\s+6\.2 Mbit\/s/);
    assert.equal(await sparkPoints(page, 'video', 'latencyMs'), 120);
    assert.equal(await sparkPoints(page, 'video', 'lossPercent'), 120);
    assert.equal(await sparkPoints(page, 'video', 'bitrateBps'), 120);
    // Audio has history points but no latency yet: a graph with no line, not a line at zero.
    assert.equal(
      await page.locator('svg.spark[data-stream="audio"][data-series="latencyMs"] path').count(),
      0,
    );
    assert.equal(await sparkPoints(page, 'audio', 'lossPercent'), 30);
    assert.match(await text(page, '#outbound'), /video\s+5\.8 Mbit\/s\s+6\.0 Mbit\/s\s+30\s+19 ms/);
  });

  it('shows the parts, the sessions, the security counters and the last error, as text', async () => {
    assert.match(
      await text(page, 'tr[data-part="encoder"]'),
      /^video\s+encoder\s+running\s+0\s+5,400\s+2\s+0\.85 ms$/,
    );
    assert.match(await text(page, '#sessions'), /audio\s+from peer\s+handshaking\s+not flowing/);
    assert.match(await text(page, '#security'), /video\s+2\s+5\s+1\s+7\s+3/);
    const error = await text(page, '#errors');
    assert.match(error, /^video · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(90 s ago\): /);
    assert.ok(error.endsWith(LAST_ERROR), error);
  });

  it('renders a PNG screenshot at laptop width', async () => {
    const file = join(scratch, 'status-page.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = PNG.sync.read(readFileSync(file));
    assert.equal(png.width, 1280);
    assert.ok(png.height >= 800, `height ${png.height}`);
    assert.ok(statSync(file).size > 30_000, `only ${statSync(file).size} bytes`);
    // Nothing overflows sideways at this width.
    assert.equal(
      await page.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
            .documentElement.scrollWidth,
      ),
      1280,
    );
    // The picture in the docs is refreshed on request only, so a test run leaves the tree clean.
    if (process.env.DOORWAY_UPDATE_DOCS === '1') copyFileSync(file, join(REPO, 'docs', 'status-page.png'));
  });

  it('follows the served snapshot: media flowing both ways', async () => {
    const atMs = Date.now();
    served = site([
      videoRole({
        atMs,
        latencyP50Ms: 57,
        parts: [
          { name: 'encoder', state: 'restarting', restarts: 1, handled: 12, dropped: 0, handleP99Us: 2500 },
        ],
        lastError: { atMs: atMs - 5000, message: 'encoder restarted: VBV underflow' },
      }),
      audioRole(atMs, true),
    ]);
    await page.waitForSelector('#banner.ok', { timeout: WAIT_MS });
    assert.equal(await page.getAttribute('#banner', 'class'), 'banner ok');
    assert.equal(await text(page, '#banner-reasons'), '');
    assert.match(await text(page, '#inbound .card[data-stream="video"]'), /latency p50\s+57 ms/);
    assert.match(await text(page, '#inbound .card[data-stream="audio"]'), /concealed\s+0\.8 %/);
    assert.match(await text(page, '#inbound .card[data-stream="audio"]'), /flowing for\s+30 s/);
    assert.match(await text(page, 'tr[data-part="encoder"]'), /restarting\s+1\s+12\s+0\s+2\.5 ms/);
    assert.match(await text(page, '#errors'), /encoder restarted: VBV underflow/);
    assert.equal(await sparkPoints(page, 'audio', 'latencyMs'), 120);
  });

  it('shows a role it could not reach, and a status service that fails', async () => {
    const atMs = Date.now();
    const url = 'http://127.0.0.1:9102/status.json';
    served = site(
      [videoRole({ atMs, lastError: { atMs, message: HOSTILE } })],
      [{ role: 'audio', address: url, error: 'connection refused' }],
    );
    await page.waitForSelector('tr[data-role="audio"]:has-text("unreachable")', { timeout: WAIT_MS });
    assert.match(
      await text(page, 'tr[data-role="audio"]'),
      /unreachable\s+http:\/\/127\.0\.0\.1:9102\/status\.json: connection refused/,
    );
    assert.equal(
      await text(page, '#banner-reasons'),
      `audio: could not be reached at ${url} (connection refused)`,
    );
    // Text from a snapshot is shown as text, never parsed as markup.
    const error = await text(page, '#errors');
    assert.ok(error.endsWith(HOSTILE), error);
    assert.equal(await page.locator('#errors img, #errors b').count(), 0, 'snapshot text became markup');
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned), undefined);

    served = new Error('gathering failed');
    await page.waitForSelector('#banner.down', { timeout: WAIT_MS });
    assert.equal(await text(page, '#banner-title'), 'The doorway could not report');
    assert.match(
      await text(page, '#banner-reasons'),
      /^HTTP 500: ops: \/api\/site: gathering failed; the figures below are from /,
    );
    const before = await polls(page);
    served = site([videoRole({ atMs: Date.now() })]);
    await polled(page, before + 1);
    assert.equal(await text(page, '#banner-title'), 'Media flows both ways');
  });

  it('raised no script errors and fetched nothing outside the doorway', () => {
    assert.deepEqual(problems, []);
  });
});
