// The run overview (webview/inspector/overview.ts) in Debian Chromium (playwright-core): bundled from a
// small test entry with esbuild, served from a fake origin under the same strict CSP as the webview, with
// the dark --vscode-* theme. Asserts the charts, clicking a curve, the keyboard, the step statistics and
// the marker pixels; saves test-output/webview/overview.png.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, REPO, ensureDir } from '../e2e/harness';
import type { OverviewView, StepStatsView } from '../../extension/protocol/inspector';
import { PNG } from './png';
import { DARK_THEME } from './theme';

const ORIGIN = 'https://rl.test';
const OUT = ensureDir(path.join(REPO, 'test-output', 'webview'));

/** One page with a bundled entry under the webview's CSP; collects CSP violations and page errors. */
async function openPane(browser: Browser, bundle: string, viewport: { width: number; height: number }): Promise<{ page: Page; problems: () => Promise<string[]> }> {
  const p = await browser.newPage({ viewport });
  const problems: string[] = [];
  p.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) problems.push(m.text()); });
  p.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  const nonce = Math.random().toString(36).slice(2);
  const csp = `default-src 'none'; img-src ${ORIGIN} blob: data:; style-src ${ORIGIN}; font-src ${ORIGIN}; script-src 'nonce-${nonce}'`;
  const html = `<!DOCTYPE html><html style="${DARK_THEME.replace(/\n/g, ' ')}"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${ORIGIN}/node_modules/uplot/dist/uPlot.min.css">
<link rel="stylesheet" href="${ORIGIN}/media/inspector.css">
<link rel="stylesheet" href="${ORIGIN}/media/panes.css"></head>
<body><div id="app"></div><script type="module" nonce="${nonce}" src="${ORIGIN}/bundle/${path.basename(bundle)}"></script></body></html>`;
  await p.route(`${ORIGIN}/**`, async (route) => {
    const u = new URL(route.request().url());
    if (u.pathname === '/index.html') return route.fulfill({ contentType: 'text/html', body: html });
    const file = u.pathname.startsWith('/bundle/') ? path.join(path.dirname(bundle), path.basename(u.pathname)) : path.join(REPO, decodeURIComponent(u.pathname));
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
    return route.fulfill({ contentType: type, body: fs.readFileSync(file) });
  });
  await p.addInitScript(() => {
    const g = globalThis as unknown as { __csp: string[]; document: { addEventListener(t: string, f: (e: { violatedDirective: string; blockedURI: string }) => void): void } };
    g.__csp = [];
    g.document.addEventListener('securitypolicyviolation', (e) => g.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await p.goto(`${ORIGIN}/index.html`);
  await p.waitForFunction(() => (globalThis as unknown as { __ready?: boolean }).__ready === true, undefined, { timeout: 20_000 });
  return {
    page: p,
    problems: async () => [...problems, ...(await p.evaluate(() => (globalThis as unknown as { __csp: string[] }).__csp))],
  };
}

async function bundleEntry(name: string, dir: string): Promise<string> {
  const outfile = path.join(dir, `${name}.js`);
  await esbuild.build({
    entryPoints: [path.join(REPO, 'test', 'webview', 'entries', `${name}.entry.js`)],
    bundle: true, format: 'esm', platform: 'browser', target: 'chrome120', outfile, logLevel: 'silent', absWorkingDir: REPO,
  });
  return outfile;
}

const STEPS = Array.from({ length: 50 }, (_, i) => i + 1);
const curve = (f: (s: number) => number): Array<[number, number]> => STEPS.map((s) => [s, Math.round(f(s) * 1e4) / 1e4]);

function fakeOverview(stepKind: OverviewView['stepKind'] = 'step'): OverviewView {
  return {
    stepKind,
    verdicts: { choice: 'auto', sources: [], agreement: [], judges: { onnx: null, http: null, clip: null }, running: null, last: null },
    series: [
      // a metric-file series first in the input: the pane must still show the rollout series first
      { key: 'loss', label: 'loss', source: 'trainer_state.json', points: STEPS.filter((s) => s % 5 === 0).map((s) => [s, Math.round((0.9 * Math.exp(-s / 20) + 0.08 + (s === 40 ? 0.25 : 0)) * 1e4) / 1e4]) },
      { key: 'reward', label: 'mean reward', source: 'rollouts', points: curve((s) => (s === 40 ? 0.35 : 0.6 + 0.9 * (s / 50) + 0.04 * Math.sin(s))) },
      { key: 'reward/accuracy', label: 'accuracy_reward', source: 'rollouts', points: curve((s) => (s === 40 ? 0.08 : 0.2 + 0.55 * (s / 50) + 0.03 * Math.cos(s * 1.3))) },
      { key: 'zero_std', label: 'zero-std groups (fraction)', source: 'rollouts', points: curve((s) => (s === 40 ? 0.7 : 0.45 - 0.3 * (s / 50) + 0.02 * Math.sin(s * 2))) },
    ],
    pending: { keys: ['length', 'iou'], progress: 0.43 },
    metricFiles: ['/runs/exp1/checkpoint-50/trainer_state.json'],
    issues: [],
  };
}

function fakeStats(step: number): StepStatsView {
  return {
    step,
    records: 1024,
    groups: 128,
    histograms: [
      { name: 'reward', bins: [3, 5, 8, 12, 20, 25, 18, 9, 4, 2].map((count, i) => ({ lo: i * 0.2, hi: (i + 1) * 0.2, count })), nulls: 0, mean: 0.98 },
      { name: 'accuracy_reward', bins: [410, 0, 0, 0, 0, 0, 0, 0, 0, 614].map((count, i) => ({ lo: i / 10, hi: (i + 1) / 10, count })), nulls: 0, mean: 0.6 },
      { name: 'iou', bins: [120, 40, 35, 50, 61, 80, 110, 160, 190, 150].map((count, i) => ({ lo: i / 10, hi: (i + 1) / 10, count })), nulls: 28, mean: 0.58 },
    ],
    kOfG: { g: 8, counts: [12, 5, 7, 9, 10, 11, 8, 6, 60], correctBy: 'accuracy_reward ≥ 0.5' },
    zeroStd: { 'all-fail': 12, 'all-pass': 60, identical: 1, 'same-reward': 2 },
  };
}

type Calls = Array<[string, number]>;
const calls = (p: Page) => p.evaluate(() => (globalThis as unknown as { __calls: Calls }).__calls);

describe('run overview pane (Chromium)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let dir: string;
  let bundle: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-ov-'));
    bundle = await bundleEntry('overview', dir);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function mount(o: OverviewView = fakeOverview()) {
    const h = await openPane(browser, bundle, { width: 1200, height: 900 });
    await h.page.evaluate((data) => (globalThis as unknown as { __pane: { setData(o: unknown): void } }).__pane.setData(data), o);
    await h.page.locator('.ov-card[data-key] canvas').nth(o.series.length - 1).waitFor({ timeout: 10_000 });
    return h;
  }

  /** Page coordinates of `step` on a chart, from the plot area (x scale = first..last step, exactly). */
  async function stepX(p: Page, key: string, step: number, first = 1, last = 50) {
    const over = await p.locator(`.ov-card[data-key="${key}"] .u-over`).boundingBox();
    assert.ok(over, 'plot area');
    return { x: over.x + ((step - first) / (last - first)) * over.width, y: over.y + over.height / 2, over };
  }

  it('draws one chart per series, rollout series first, and a placeholder for series still computing', async () => {
    const h = await mount();
    const keys = await h.page.locator('.ov-card[data-key]').evaluateAll((es) => es.map((e) => (e as unknown as { dataset: { key: string } }).dataset.key));
    assert.deepStrictEqual(keys, ['reward', 'reward/accuracy', 'zero_std', 'loss']);
    assert.strictEqual(await h.page.locator('.ov-card[data-key] .uplot').count(), 4);
    assert.deepStrictEqual(await h.page.locator('.ov-card-source').allTextContents(), ['from rollouts', 'from rollouts', 'from rollouts', 'from trainer_state.json']);
    assert.strictEqual((await h.page.locator('.ov-pending').textContent())?.trim(), 'computing length, IoU… 43 %');
    const aria = await h.page.locator('.ov-card[data-key="loss"] .ov-chart').getAttribute('aria-label');
    assert.match(aria ?? '', /loss \(from trainer_state\.json\), latest value 0\.15 at step 50/);
    assert.match((await h.page.locator('.ov-note').textContent()) ?? '', /metrics read from trainer_state\.json/);
    assert.strictEqual((await h.page.locator('.ov-select').textContent())?.startsWith('select a step'), true);
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.close();
  });

  it('clicking a curve near the dip at step 40 picks step 40, draws the marker there and asks for its statistics', async () => {
    const h = await mount();
    const { x, y, over } = await stepX(h.page, 'reward', 40);
    await h.page.mouse.click(x + 1.5, y); // a little off: the nearest step with data wins
    await h.page.waitForFunction(() => (globalThis as unknown as { __calls: Calls }).__calls.some((c) => c[0] === 'step'));
    const c = await calls(h.page);
    assert.deepStrictEqual(c.filter((k) => k[0] === 'step'), [['step', 40]]);
    assert.deepStrictEqual(c.filter((k) => k[0] === 'stats'), [['stats', 40]]);
    assert.strictEqual(await h.page.locator('.ov-step').textContent(), 'step 40');
    // the marker is drawn on the canvas (focusBorder blue) at step 40 on every chart, not on the others' steps
    await h.page.mouse.move(5, 5);
    const marker = async (key: string, step: number, first = 1) => {
      const pos = await stepX(h.page, key, step, first);
      const shot = await h.page.screenshot({ clip: { x: Math.round(pos.x) - 2, y: Math.round(pos.over.y) + 2, width: 5, height: Math.round(pos.over.height) - 4 } });
      const img = PNG.decode(shot);
      let hits = 0;
      for (let i = 0; i < img.data.length; i += img.channels) {
        if (Math.abs(img.data[i]! - 0x00) < 40 && Math.abs(img.data[i + 1]! - 0x78) < 40 && Math.abs(img.data[i + 2]! - 0xd4) < 40) hits++;
      }
      return hits;
    };
    assert.ok((await marker('reward', 40)) > 10, 'marker at step 40 on the reward chart');
    assert.ok((await marker('loss', 40, 5)) > 10, 'marker at step 40 on the trainer_state chart (logged every 5 steps from 5)');
    assert.strictEqual(await marker('reward', 20), 0, 'no marker at step 20');
    assert.ok(over.width > 100);
    await h.page.close();
  });

  it('moves between steps with ← and →, without rebuilding the charts', async () => {
    const h = await mount();
    await h.page.evaluate(() => {
      const g = globalThis as unknown as { __pane: { setStep(s: number): void }; document: { querySelectorAll(s: string): Array<{ __tag?: number }> } };
      g.__pane.setStep(40);
      g.document.querySelectorAll('.ov-card[data-key] canvas').forEach((c, i) => { c.__tag = i + 1; });
    });
    await h.page.locator('.ov').focus();
    await h.page.keyboard.press('ArrowRight');
    await h.page.keyboard.press('ArrowLeft');
    await h.page.keyboard.press('ArrowLeft');
    const c = await calls(h.page);
    assert.deepStrictEqual(c.filter((k) => k[0] === 'step'), [['step', 41], ['step', 40], ['step', 39]]);
    assert.strictEqual(await h.page.locator('.ov-step').textContent(), 'step 39');
    assert.match((await h.page.locator('.ov-card[data-key="reward"] .ov-card-value').textContent()) ?? '', /^step 39: /);
    // the same canvases: the marker moved by redraw, no chart was recreated
    const tags = await h.page.evaluate(() => [...(globalThis as unknown as { document: { querySelectorAll(s: string): Array<{ __tag?: number }> } }).document.querySelectorAll('.ov-card[data-key] canvas')].map((e) => e.__tag ?? 0));
    assert.deepStrictEqual(tags, [1, 2, 3, 4]);
    // Home of the data: stops at the first step
    await h.page.evaluate(() => (globalThis as unknown as { __pane: { setStep(s: number): void } }).__pane.setStep(1));
    await h.page.keyboard.press('ArrowLeft');
    assert.strictEqual((await calls(h.page)).filter((k) => k[0] === 'step').length, 3);
    await h.page.keyboard.press('End');
    assert.deepStrictEqual((await calls(h.page)).filter((k) => k[0] === 'step').pop(), ['step', 50]);
    // statistics that arrive for a step already left are not shown
    await h.page.evaluate(() => (globalThis as unknown as { __pane: { setStats(v: unknown): void } }).__pane.setStats({ step: 12, records: 1, groups: 1, histograms: [], kOfG: null, zeroStd: { 'all-fail': 0, 'all-pass': 0, identical: 0, 'same-reward': 0 } }));
    assert.strictEqual(await h.page.locator('.ov-stats-title').count(), 0);
    await h.page.close();
  });

  it('shows the statistics of the step: a histogram per reward, k of G correct, the zero-std split', async () => {
    const h = await mount();
    const stats = fakeStats(40);
    await h.page.evaluate((s) => {
      const g = globalThis as unknown as { __pane: { setStep(n: number): void; setStats(v: unknown): void } };
      g.__pane.setStep(40);
      g.__pane.setStats(s);
    }, stats);
    for (const hist of stats.histograms) {
      const counts = await h.page.locator(`.ov-hist[data-name="${hist.name}"] .ov-bar`).evaluateAll((es) => es.map((e) => Number(e.getAttribute('data-count'))));
      assert.deepStrictEqual(counts, hist.bins.map((b) => b.count), hist.name);
    }
    // heights in % of the largest bin
    const heights = await h.page.locator('.ov-hist[data-name="reward"] .ov-bar').evaluateAll((es) => es.map((e) => (e as unknown as { style: { height: string } }).style.height));
    assert.strictEqual(heights[5], '100%');
    assert.strictEqual(heights[0], '12%');
    assert.strictEqual(await h.page.locator('.ov-hist[data-name="reward"] .ov-bin').first().getAttribute('title'), '0–0.20: 3');
    assert.match((await h.page.locator('.ov-hist[data-name="iou"] .ov-stat-meta').textContent()) ?? '', /mean 0\.58 · 28 null/);
    const k = await h.page.locator('.ov-kofg .ov-bar').evaluateAll((es) => es.map((e) => Number(e.getAttribute('data-count'))));
    assert.deepStrictEqual(k, stats.kOfG!.counts);
    assert.match((await h.page.locator('.ov-kofg .ov-stat-foot').textContent()) ?? '', /correct = accuracy_reward ≥ 0\.5/);
    const zs = await h.page.locator('.ov-zs-row').evaluateAll((es) => es.map((e) => `${e.getAttribute('data-kind')}=${e.querySelector('.ov-zs-count')?.textContent}`));
    assert.deepStrictEqual(zs, ['all-fail=12', 'all-pass=60', 'identical=1', 'same-reward=2']);
    assert.match((await h.page.locator('.ov-zerostd .ov-stat-meta').textContent()) ?? '', /75 of 128 groups \(59 %\)/);
    assert.strictEqual(await h.page.locator('.ov-stats-title').textContent(), 'Step 40 · 1\u00a0024 completions · 128 groups');
    // hover a point for the screenshot: the cursor shows the value
    const { x, y } = await stepX(h.page, 'reward/accuracy', 40);
    await h.page.mouse.move(x, y);
    await h.page.locator('.ov-card[data-key="reward/accuracy"] .ov-card-value').filter({ hasText: 'step 40: 0.08' }).waitFor();
    await h.page.screenshot({ path: path.join(OUT, 'overview.png'), fullPage: true });
    await h.page.evaluate(() => (globalThis as unknown as { __pane: { setStats(v: unknown): void } }).__pane.setStats(null));
    assert.match((await h.page.locator('.ov-stats').textContent()) ?? '', /^select a step/);
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.close();
  });

  it('names batches when the log has no step, and updates a chart in place on new data', async () => {
    const o = fakeOverview('batch-ordinal');
    const h = await mount(o);
    await h.page.evaluate(() => (globalThis as unknown as { __pane: { setStep(n: number): void } }).__pane.setStep(12));
    assert.strictEqual(await h.page.locator('.ov-step').textContent(), 'batch 12');
    assert.match((await h.page.locator('.ov-card[data-key="reward"] .ov-chart').getAttribute('aria-label')) ?? '', /at batch 50/);
    // the scan finished: no placeholder any more, a new series appears, existing charts are kept
    const done: OverviewView = { ...o, pending: null, series: [...o.series, { key: 'iou', label: 'mean IoU', source: 'rollouts', points: STEPS.map((s) => [s, 0.3 + s / 100]) }] };
    await h.page.evaluate((data) => (globalThis as unknown as { __pane: { setData(v: unknown): void } }).__pane.setData(data), done);
    await h.page.locator('.ov-card[data-key="iou"] canvas').waitFor();
    assert.strictEqual(await h.page.locator('.ov-pending').count(), 0);
    const keys = await h.page.locator('.ov-card[data-key]').evaluateAll((es) => es.map((e) => e.getAttribute('data-key')));
    assert.deepStrictEqual(keys, ['reward', 'reward/accuracy', 'zero_std', 'iou', 'loss']);
    await h.page.evaluate(() => (globalThis as unknown as { __pane: { dispose(): void } }).__pane.dispose());
    assert.strictEqual(await h.page.locator('.ov').count(), 0);
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.close();
  });
  it('draws the alignment rates (chosen source and every source) as one chart with a line each, on a 0–100 % axis', async () => {
    const o = fakeOverview();
    o.series.push(
      { key: 'alignment', label: 'alignment (auto)', source: 'rollouts', points: curve((s) => 0.5 + 0.3 * (s / 50)) },
      { key: 'alignment:rules', label: 'alignment (rules)', source: 'rollouts', points: curve((s) => 0.3 + 0.2 * (s / 50)) },
      { key: 'alignment:onnx', label: 'alignment (tiny-nli)', source: 'rollouts', points: curve((s) => 0.9 - 0.2 * (s / 50)).filter(([s]) => s % 2 === 0) },
    );
    const h = await openPane(browser, bundle, { width: 1200, height: 900 });
    await h.page.evaluate((data) => (globalThis as unknown as { __pane: { setData(o: unknown): void } }).__pane.setData(data), o);
    const card = h.page.locator('.ov-card[data-key="alignment"]');
    await card.locator('canvas').waitFor({ timeout: 10_000 });
    const keys = await h.page.locator('.ov-card[data-key]').evaluateAll((es) => es.map((e) => e.getAttribute('data-key')));
    assert.deepStrictEqual(keys, ['reward', 'reward/accuracy', 'zero_std', 'alignment', 'loss'], 'one chart for the three alignment series');
    assert.strictEqual(await card.locator('.uplot').count(), 1);
    assert.strictEqual(await card.locator('.ov-card-title').textContent(), 'alignment rate');
    assert.deepStrictEqual(await card.locator('.ov-legend-label').allTextContents(), ['alignment (auto)', 'alignment (rules)', 'alignment (tiny-nli)']);
    assert.deepStrictEqual(await card.locator('.ov-legend-value').allTextContents(), ['80 %', '50 %', '70 %']);
    assert.match((await card.locator('.ov-chart').getAttribute('aria-label')) ?? '', /^alignment rate: alignment \(auto\) \(from rollouts\), latest value 80 % at step 50; alignment \(rules\)/);
    // three lines in three palette colours on the one canvas
    await h.page.waitForTimeout(200);
    const chart = (await card.locator('.u-over').boundingBox())!;
    const img = PNG.decode(await h.page.screenshot({ clip: { x: chart.x, y: chart.y, width: chart.width, height: chart.height } }));
    const near = (rgb: [number, number, number]) => {
      let n = 0;
      for (let i = 0; i < img.data.length; i += img.channels) {
        if (Math.abs(img.data[i]! - rgb[0]) < 30 && Math.abs(img.data[i + 1]! - rgb[1]) < 30 && Math.abs(img.data[i + 2]! - rgb[2]) < 30) n++;
      }
      return n;
    };
    const palette: Array<[number, number, number]> = [[0x37, 0x94, 0xff], [0xd1, 0x86, 0x16], [0x89, 0xd1, 0x85], [0xb1, 0x80, 0xd7], [0xcc, 0xa7, 0x00], [0xf1, 0x4c, 0x4c]];
    const drawn = palette.filter((c) => near(c) > 30).length;
    assert.ok(drawn >= 3, `${drawn} line colours on the alignment chart`);
    // stepping moves the legend values with the current step
    await h.page.evaluate(() => (globalThis as unknown as { __pane: { setStep(n: number): void } }).__pane.setStep(25));
    assert.deepStrictEqual(await card.locator('.ov-legend-value').allTextContents(), ['65 %', '40 %', '—']);
    assert.strictEqual(await card.locator('.ov-card-value').textContent(), 'step 25: 65 %');
    // the rates change (a judge ran): the chart updates in place, still one
    const again = { ...o, series: o.series.filter((s) => s.key !== 'alignment:onnx') };
    await h.page.evaluate((data) => (globalThis as unknown as { __pane: { setData(o: unknown): void } }).__pane.setData(data), again);
    assert.strictEqual(await card.locator('.ov-legend-item').count(), 2);
    assert.strictEqual(await h.page.locator('.ov-card[data-key="alignment"] .uplot').count(), 1);
    await h.page.screenshot({ path: path.join(OUT, 'overview-alignment.png') });
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.close();
  });
});
