// SampleCanvas (webview/inspector/canvasView.ts) in Debian Chromium (playwright-core): the test entry
// test/webview/entries/canvas.ts is bundled with esbuild, served from a fake origin under the webview's CSP
// with the dark theme's --vscode-* variables, and driven through window.__canvas. Asserts the pixels drawn.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, REPO, ensureDir } from '../e2e/harness';
import { encodePng } from '../../extension/demo/png';
import { PNG } from './png';
import type { BoxView, ImageView } from '../../extension/protocol/inspector';

const ORIGIN = 'https://rl.test';
/** Another origin, as webview resource URLs are in VS Code. */
const IMG_ORIGIN = 'https://img.test';
const OUT = ensureDir(path.join(REPO, 'test-output', 'webview'));
const THEME = `
  --vscode-foreground:#cccccc; --vscode-editor-background:#1f1f1f; --vscode-font-family:sans-serif; --vscode-font-size:13px;
  --vscode-editor-font-family:monospace; --vscode-charts-green:#89d185; --vscode-charts-orange:#d18616; --vscode-charts-purple:#b180d7;
  --vscode-charts-red:#f14c4c; --vscode-charts-blue:#3794ff; --vscode-badge-background:#616161; --vscode-badge-foreground:#f8f8f8;
  --vscode-panel-border:#2b2b2b; --vscode-focusBorder:#0078d4; --vscode-errorForeground:#f85149;
  --vscode-textCodeBlock-background:#2b2b2b; --vscode-editorWidget-background:#202020;`;
const PAGE_CSS = 'body { margin: 10px; background: var(--vscode-editor-background); color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }';
const COLOUR = { gt: [0x89, 0xd1, 0x85], tp: [0x37, 0x94, 0xff], fp: [0xf1, 0x4c, 0x4c], fn: [0xd1, 0x86, 0x16] } as const;
const TAINTED = 'This image cannot be exported (cross-origin); the boxes can be copied as text instead.';

/** 400×300, a plain slate background with a lighter "object" where the ground truth is. */
function scenePng(): Buffer {
  const W = 400;
  const H = 300;
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inObj = x >= 108 && x < 212 && y >= 88 && y < 192;
      rgb.set(inObj ? [168, 150, 120] : [84, 96, 110], (y * W + x) * 3);
    }
  }
  return encodePng(W, H, rgb);
}

function bv(box: [number, number, number, number], label: string | null, part: BoxView['part'], extra: Partial<BoxView> = {}): BoxView {
  return { box, label, frame: 'original', frameAssumed: false, span: null, part, iou: 0, ...extra };
}

const SCENE: ImageView = { path: '/data/scenes/scene.png', url: `${ORIGIN}/img/scene.png`, width: 400, height: 300, orientation: null };
// GT, a prediction overlapping it at IoU ≈ 0.62 (answer, solid), one far away (reasoning, dashed).
const GT = [bv([100, 80, 220, 200], 'cat', null, { iou: 0.619 })];
const PRED = [bv([118, 92, 238, 212], 'cat', 'answer', { iou: 0.619 }), bv([300, 30, 370, 90], 'dog', 'think')];
const SAMPLE = { images: [SCENE], gt: GT, pred: PRED };
const OPTS = { showGt: true, showPred: true, threshold: 0.5 };
const WIDTH = 800; // container width: 2 CSS px per image pixel

function page(nonce: string): string {
  const csp = `default-src 'none'; img-src ${ORIGIN} ${IMG_ORIGIN} blob: data:; style-src ${ORIGIN}; font-src ${ORIGIN}; script-src 'nonce-${nonce}'`;
  return `<!DOCTYPE html><html style="${THEME.replace(/\n/g, ' ')}"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${ORIGIN}/page.css"><link rel="stylesheet" href="${ORIGIN}/media/canvas.css"></head>
<body><div id="app"></div>
<script type="module" nonce="${nonce}" src="${ORIGIN}/bundle/canvas.js"></script></body></html>`;
}

type Px = number[];
function near(px: Px, want: readonly number[], tol = 12): boolean {
  return want.every((v, k) => Math.abs(v - px[k]!) <= tol);
}

describe('SampleCanvas (Chromium)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let bundleDir: string;
  let png: Buffer;

  before(async () => {
    bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-canvas-'));
    await esbuild.build({
      entryPoints: [path.join(REPO, 'test', 'webview', 'entries', 'canvas.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      outfile: path.join(bundleDir, 'canvas.js'),
      logLevel: 'warning',
    });
    png = scenePng();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
  });

  interface H {
    page: Page;
    errors: string[];
  }

  async function open(opts: { dpr?: number } = {}): Promise<H> {
    const p = await browser.newPage({ viewport: { width: 840, height: 1000 }, deviceScaleFactor: opts.dpr ?? 1 });
    const errors: string[] = [];
    p.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) errors.push(m.text()); });
    p.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
    const nonce = Math.random().toString(36).slice(2);
    await p.route(`${ORIGIN}/**`, (route) => {
      const u = new URL(route.request().url());
      if (u.pathname === '/index.html') return route.fulfill({ contentType: 'text/html', body: page(nonce) });
      if (u.pathname === '/page.css') return route.fulfill({ contentType: 'text/css', body: PAGE_CSS });
      if (u.pathname === '/media/canvas.css') return route.fulfill({ contentType: 'text/css', body: fs.readFileSync(path.join(REPO, 'media', 'canvas.css')) });
      if (u.pathname === '/bundle/canvas.js') return route.fulfill({ contentType: 'text/javascript', body: fs.readFileSync(path.join(bundleDir, 'canvas.js')) });
      if (u.pathname === '/img/scene.png') return route.fulfill({ contentType: 'image/png', body: png });
      return route.fulfill({ status: 404, body: 'not found' });
    });
    await p.route(`${IMG_ORIGIN}/**`, (route) => {
      const u = new URL(route.request().url());
      // Playwright adds CORS headers to fulfilled cross-origin requests that have none: name another origin to refuse.
      const headers = { 'Access-Control-Allow-Origin': u.pathname.startsWith('/cors/') ? '*' : 'https://elsewhere.test' };
      return route.fulfill({ status: 200, contentType: 'image/png', headers, body: png });
    });
    await p.goto(`${ORIGIN}/index.html`);
    await p.waitForFunction(() => (globalThis as unknown as { __canvas?: unknown }).__canvas !== undefined);
    await p.evaluate((w) => (globalThis as unknown as { __canvas: Api }).__canvas.mount(w), WIDTH);
    return { page: p, errors };
  }

  // Runs in the page: the test API of test/webview/entries/canvas.ts.
  type Api = {
    hovers: Array<[string, number | null]>;
    thresholds: number[];
    mount(w: number): void;
    show(s: unknown, o: unknown): number;
    setToggles(g: boolean, p: boolean): void;
    setThreshold(t: number): void;
    light(set: 'gt' | 'pred', i: number | null): void;
    counts(): { tp: number; fp: number; fn: number; threshold: number };
    toPng(i?: number): Promise<string>;
    lastRenderMs(): number;
    pixel(img: number, x: number, y: number): number[];
    hash(img: number): string;
    frame(): Promise<void>;
  };

  async function api<T>(h: H, fn: string, ...args: unknown[]): Promise<T> {
    return h.page.evaluate(async ([f, a]) => {
      const c = (globalThis as unknown as { __canvas: Record<string, (...x: unknown[]) => unknown> }).__canvas;
      return (await c[f as string]!(...(a as unknown[]))) as never;
    }, [fn, args] as const) as Promise<T>;
  }
  const pixel = (h: H, x: number, y: number, img = 0) => api<Px>(h, 'pixel', img, x, y);
  const hash = (h: H, img = 0) => api<string>(h, 'hash', img);
  const frame = (h: H) => api<void>(h, 'frame');
  const hovers = (h: H) => h.page.evaluate(() => (globalThis as unknown as { __canvas: Api }).__canvas.hovers.slice());

  async function showScene(h: H, sample: unknown = SAMPLE, o: unknown = OPTS, state = 'image'): Promise<void> {
    await api(h, 'show', sample, o);
    await h.page.locator(`canvas.rlc-canvas[data-state="${state}"]`).first().waitFor({ timeout: 10_000 });
    await frame(h);
  }

  it('colours a matched prediction TP at IoU ≥ 0.5 and FP at 0.7; counts and the status line follow', async () => {
    const h = await open();
    await showScene(h);
    // left edge of the TP box at x = 118·2, mid-height; the GT's left edge at x = 100·2
    assert.ok(near(await pixel(h, 235, 304), COLOUR.tp), `TP edge ${await pixel(h, 235, 304)}`);
    assert.ok(near(await pixel(h, 199, 280), COLOUR.gt), `GT edge ${await pixel(h, 199, 280)}`);
    // the far box was written while reasoning: an FP, dashed (some edge pixels red, some not)
    const edge: Px[] = [];
    for (let y = 64; y < 176; y += 2) edge.push(await pixel(h, 599, y));
    const red = edge.filter((p) => near(p, COLOUR.fp)).length;
    assert.ok(red > 5 && red < edge.length - 5, `dashed FP edge: ${red} of ${edge.length} red`);
    assert.deepStrictEqual(await api(h, 'counts'), { tp: 1, fp: 1, fn: 0, threshold: 0.5 });
    assert.strictEqual(await h.page.locator('.rlc-counts[role="status"]').textContent(), 'TP 1 · FP 1 · FN 0 at IoU ≥ 0.50');
    await h.page.locator('#app').screenshot({ path: path.join(OUT, 'canvas.png') });

    await api(h, 'setThreshold', 0.7);
    await frame(h);
    assert.ok(near(await pixel(h, 235, 304), COLOUR.fp), `unmatched prediction is FP: ${await pixel(h, 235, 304)}`);
    assert.ok(near(await pixel(h, 199, 280), COLOUR.fn), `unmatched GT is FN: ${await pixel(h, 199, 280)}`);
    assert.deepStrictEqual(await api(h, 'counts'), { tp: 0, fp: 2, fn: 1, threshold: 0.7 });
    assert.strictEqual(await h.page.locator('.rlc-counts').textContent(), 'TP 0 · FP 2 · FN 1 at IoU ≥ 0.70');
    assert.strictEqual(await h.page.locator('.rlc-range').inputValue(), '0.7');
    assert.strictEqual(await h.page.locator('.rlc-range-value').textContent(), '0.70');
    assert.deepStrictEqual(await h.page.evaluate(() => (globalThis as unknown as { __canvas: Api }).__canvas.thresholds), [], 'setThreshold does not call onThreshold');
    assert.match((await h.page.locator('.rlc-legend').textContent()) ?? '', /GT.*TP.*FP.*FN.*answer.*reasoning/);
    assert.deepStrictEqual(h.errors, [], 'no CSP violation, no page error');
    await h.page.close();
  });

  it('re-matches live while the IoU slider is dragged', async () => {
    const h = await open();
    await showScene(h, SAMPLE, { ...OPTS, threshold: 0.7 });
    const range = h.page.locator('.rlc-range');
    const drag = (v: string) => range.evaluate((e, val) => {
      (e as HTMLInputElement).value = val;
      e.dispatchEvent(new Event('input', { bubbles: true }));
    }, v);
    await drag('0.6');
    assert.strictEqual(await h.page.locator('.rlc-counts').textContent(), 'TP 1 · FP 1 · FN 0 at IoU ≥ 0.60');
    await frame(h);
    assert.ok(near(await pixel(h, 235, 304), COLOUR.tp));
    await drag('0.65');
    assert.strictEqual(await h.page.locator('.rlc-counts').textContent(), 'TP 0 · FP 2 · FN 1 at IoU ≥ 0.65');
    await frame(h);
    assert.ok(near(await pixel(h, 235, 304), COLOUR.fp));
    // the keyboard moves a range input too, and fires the same input event
    await range.focus();
    await h.page.keyboard.press('ArrowLeft');
    assert.strictEqual(await h.page.locator('.rlc-counts').textContent(), 'TP 1 · FP 1 · FN 0 at IoU ≥ 0.60');
    const ts = await h.page.evaluate(() => (globalThis as unknown as { __canvas: Api }).__canvas.thresholds);
    assert.strictEqual(ts.length, 3);
    assert.ok(Math.abs(ts[0]! - 0.6) < 1e-9 && Math.abs(ts[1]! - 0.65) < 1e-9 && Math.abs(ts[2]! - 0.6) < 1e-9, `onThreshold ${ts}`);
    assert.deepStrictEqual(h.errors, []);
    await h.page.close();
  });

  it('reports the box under the pointer and highlights the box the caller lights', async () => {
    const h = await open();
    await showScene(h);
    const cv = (await h.page.locator('canvas.rlc-canvas').boundingBox())!;
    const at = (ix: number, iy: number) => h.page.mouse.move(cv.x + ix * 2, cv.y + iy * 2);
    await at(335, 60); // inside the far FP box
    assert.deepStrictEqual((await hovers(h)).at(-1), ['pred', 1]);
    assert.match((await h.page.locator('canvas.rlc-canvas').getAttribute('title')) ?? '', /pred dog · IoU 0\.00 — false positive/);
    await at(30, 250); // empty
    assert.deepStrictEqual((await hovers(h)).at(-1), ['pred', null]);
    await at(105, 85); // inside the GT box only
    assert.deepStrictEqual((await hovers(h)).at(-1), ['gt', 0]);
    await at(200, 150); // inside both (same area): the prediction wins the tie
    assert.deepStrictEqual((await hovers(h)).slice(-2), [['gt', null], ['pred', 0]]);
    await at(298.5, 60); // 3 screen px left of the far box's edge: within the tolerance
    assert.deepStrictEqual((await hovers(h)).at(-1), ['pred', 1]);
    await h.page.mouse.move(cv.x + cv.width + 20, cv.y + 10); // off the canvas
    assert.deepStrictEqual((await hovers(h)).at(-1), ['pred', null]);

    const inside = [356, 400] as const; // inside the TP box, below the GT box
    const before = await pixel(h, ...inside);
    const h0 = await hash(h);
    await api(h, 'light', 'pred', 0);
    await frame(h);
    const lit = await pixel(h, ...inside);
    assert.notDeepStrictEqual(lit, before, 'the lit box is filled');
    assert.ok(lit[2]! > before[2]! + 10, `filled with the TP colour at 20 %: ${before} → ${lit}`);
    await h.page.locator('#app').screenshot({ path: path.join(OUT, 'canvas-lit.png') });
    await api(h, 'light', 'pred', null);
    await frame(h);
    assert.strictEqual(await hash(h), h0, 'unlit: back to the same pixels');
    assert.deepStrictEqual(h.errors, []);
    await h.page.close();
  });

  it('zooms with the wheel around the cursor, pans by dragging and arrows, resets on double-click and 0', async () => {
    const h = await open();
    await showScene(h);
    const canvas = h.page.locator('canvas.rlc-canvas');
    const cv = (await canvas.boundingBox())!;
    const h0 = await hash(h);
    // the cursor on the TP box's left edge: that edge stays under it, the GT's left edge moves away
    await h.page.mouse.move(cv.x + 236, cv.y + 304);
    await h.page.mouse.wheel(0, -400);
    await frame(h);
    assert.notStrictEqual(await hash(h), h0);
    assert.ok(near(await pixel(h, 235, 304), COLOUR.tp), `anchored edge ${await pixel(h, 235, 304)}`);
    assert.ok(!near(await pixel(h, 199, 280), COLOUR.gt), 'the GT edge moved: the scale changed');
    assert.ok(!near(await pixel(h, 475, 304), COLOUR.tp), 'the TP right edge moved out of x = 476');
    await h.page.locator('#app').screenshot({ path: path.join(OUT, 'canvas-zoomed.png') });
    const hz = await hash(h);
    await h.page.mouse.down();
    await h.page.mouse.move(cv.x + 150, cv.y + 250, { steps: 4 });
    await h.page.mouse.up();
    await frame(h);
    assert.notStrictEqual(await hash(h), hz, 'dragging pans');
    await canvas.dblclick({ position: { x: 40, y: 560 } }); // on no box (a hovered box is highlighted)
    await frame(h);
    assert.strictEqual(await hash(h), h0, 'double-click restores the view');

    // keyboard, with the canvas focused; the keys do not reach the page's own handlers
    await h.page.evaluate(() => {
      (globalThis as unknown as { __keys: number }).__keys = 0;
      document.addEventListener('keydown', () => (globalThis as unknown as { __keys: number }).__keys++);
    });
    await canvas.focus();
    await h.page.keyboard.press('+');
    await frame(h);
    const hk = await hash(h);
    assert.notStrictEqual(hk, h0, '+ zooms in');
    await h.page.keyboard.press('ArrowRight');
    await frame(h);
    assert.notStrictEqual(await hash(h), hk, '→ pans');
    await h.page.keyboard.press('0');
    await frame(h);
    assert.strictEqual(await hash(h), h0, '0 resets');
    await h.page.keyboard.press('-'); // already at the fitted size: nothing to zoom out
    await frame(h);
    assert.strictEqual(await hash(h), h0);
    assert.strictEqual(await h.page.evaluate(() => (globalThis as unknown as { __keys: number }).__keys), 0);
    // showing another completion of the same image keeps the zoom; a new image resets it
    await h.page.keyboard.press('+');
    await frame(h);
    const z1 = await hash(h);
    await api(h, 'show', SAMPLE, OPTS);
    assert.strictEqual(await hash(h), z1, 'same image, same view');
    assert.deepStrictEqual(h.errors, []);
    await h.page.close();
  });

  it('draws a placeholder with the boxes when the image is missing, and says so in the caption', async () => {
    const h = await open();
    const evil = '<img src=x onerror="window.__pwned=1">';
    const missing = { ...SCENE, url: null, path: '/data/coco/000123.jpg' };
    await showScene(h, { images: [missing], gt: GT, pred: [PRED[0], bv([300, 30, 370, 90], evil, 'think', { flags: ['repeated'] })] }, OPTS, 'missing');
    assert.match((await h.page.locator('.rlc-caption').textContent()) ?? '', /Image not found: \/data\/coco\/000123\.jpg/);
    const box = (await h.page.locator('canvas.rlc-canvas').boundingBox())!;
    assert.deepStrictEqual([box.width, box.height], [800, 600], 'placeholder of the logged size');
    assert.ok(near(await pixel(h, 235, 304), COLOUR.tp), 'boxes still drawn');
    assert.match((await h.page.locator('.rlc-sr').textContent()) ?? '', /predicted 2 "<img src=x onerror="window.__pwned=1">" in the reasoning .*warning: repeated/);
    assert.strictEqual(await h.page.locator('#app img').count(), 0, 'a label is text, never markup');
    assert.strictEqual(await h.page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
    await h.page.locator('#app').screenshot({ path: path.join(OUT, 'canvas-missing.png') });

    // a URL that fails to load, size not logged: a 1000×1000 placeholder (0.8 CSS px per image pixel)
    const broken = { ...SCENE, url: `${ORIGIN}/img/gone.png`, width: null, height: null, path: 'gone.png' };
    await showScene(h, { images: [broken], gt: GT, pred: PRED }, OPTS, 'missing');
    assert.match((await h.page.locator('.rlc-caption').textContent()) ?? '', /Image not found: gone\.png.*1000×1000 \(size unknown\)/);
    const b2 = (await h.page.locator('canvas.rlc-canvas').boundingBox())!;
    assert.deepStrictEqual([b2.width, b2.height], [800, 800]);
    assert.ok(near(await pixel(h, 94, 121), COLOUR.tp), `boxes on the placeholder: ${await pixel(h, 94, 121)}`);
    assert.deepStrictEqual(h.errors.filter((e) => !/404/.test(e)), []);
    await h.page.close();
  });

  it('shows every image of a multi-image prompt, each with its own boxes, aria-label and text list', async () => {
    const h = await open({ dpr: 2 });
    const second: ImageView = { ...SCENE, url: `${ORIGIN}/img/scene.png?second`, path: '/data/scenes/second.png' };
    const pred = [PRED[0]!, { ...PRED[1]!, imageIndex: 1 }];
    await showScene(h, { images: [SCENE, second], gt: GT, pred }, OPTS);
    await h.page.locator('canvas.rlc-canvas[data-state="image"]').nth(1).waitFor();
    const canvases = h.page.locator('canvas.rlc-canvas');
    assert.strictEqual(await canvases.count(), 2);
    assert.strictEqual(await canvases.nth(0).getAttribute('role'), 'img');
    assert.strictEqual(await canvases.nth(0).getAttribute('aria-label'), 'image 1 of 2, 1 ground-truth and 1 predicted boxes, TP 1 FP 0 FN 0');
    assert.strictEqual(await canvases.nth(1).getAttribute('aria-label'), 'image 2 of 2, 0 ground-truth and 1 predicted boxes, TP 0 FP 1 FN 0');
    assert.strictEqual(await h.page.locator('.rlc-sr').nth(0).locator('li').count(), 2);
    assert.match((await h.page.locator('.rlc-sr').nth(1).textContent()) ?? '', /predicted 2 "dog" in the reasoning at \[300, 30, 370, 90\]: false positive/);
    // DPR-aware: the backing store has 2 device pixels per CSS pixel
    const size = await canvases.nth(0).evaluate((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height, c.getBoundingClientRect().width]);
    assert.deepStrictEqual(size, [1600, 1200, 800]);
    assert.ok(near(await pixel(h, 235.5, 304), COLOUR.tp), 'first image has the TP box');
    assert.ok(!near(await pixel(h, 599.5, 120, 0), COLOUR.fp), 'the far box is not on the first image');
    assert.ok(near(await pixel(h, 475.5, 304), COLOUR.tp), 'first image: TP right edge');
    assert.ok(near(await pixel(h, 475.5, 304, 1), [84, 96, 110], 16), 'the second image has no TP box');
    assert.deepStrictEqual(await api(h, 'counts'), { tp: 1, fp: 1, fn: 0, threshold: 0.5 });
    // toggles hide a set (the caller owns them)
    await api(h, 'setToggles', true, false);
    await frame(h);
    assert.ok(!near(await pixel(h, 235.5, 304), COLOUR.tp), 'predicted boxes hidden');
    assert.ok(near(await pixel(h, 199.5, 280), COLOUR.gt), 'GT still drawn');
    assert.deepStrictEqual(h.errors, []);
    await h.page.close();
  });

  it('exports a PNG at natural size; cross-origin images export with CORS and reject clearly without', async () => {
    const h = await open();
    await showScene(h);
    const url = await api<string>(h, 'toPng', 0);
    assert.ok(url.startsWith('data:image/png;base64,'));
    const img = PNG.decode(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'));
    assert.deepStrictEqual([img.width, img.height], [400, 300]);
    const at = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x) * img.channels + 3));
    assert.ok(near(at(118, 152), COLOUR.tp), `TP edge in the export ${at(118, 152)}`);
    assert.ok(near(at(20, 280), [84, 96, 110], 3), 'image pixels at full resolution');
    fs.writeFileSync(path.join(OUT, 'canvas-export.png'), Buffer.from(url.slice(22), 'base64'));
    await api(h, 'light', 'pred', 0);
    assert.strictEqual(await api<string>(h, 'toPng', 0), url, 'the export does not carry the highlight');
    await api(h, 'light', 'pred', null);

    await showScene(h, { ...SAMPLE, images: [{ ...SCENE, url: `${IMG_ORIGIN}/cors/scene.png` }] });
    assert.ok((await api<string>(h, 'toPng')).startsWith('data:image/png;base64,'), 'CORS-approved image exports');
    await showScene(h, { ...SAMPLE, images: [{ ...SCENE, url: `${IMG_ORIGIN}/nocors/scene.png` }] });
    // (the page cannot read a tainted canvas back: look at the screen)
    const cv = (await h.page.locator('canvas.rlc-canvas').boundingBox())!;
    const shot = await h.page.screenshot({ clip: { x: cv.x + 40, y: cv.y + 560, width: 1, height: 1 } });
    assert.ok(near(PNG.firstPixel(shot), [84, 96, 110], 3), `the image without CORS still displays: ${PNG.firstPixel(shot)}`);
    const err = await h.page.evaluate(async () => {
      try {
        await (globalThis as unknown as { __canvas: Api }).__canvas.toPng(0);
        return 'exported';
      } catch (e) {
        return (e as Error).message;
      }
    });
    assert.strictEqual(err, TAINTED);
    assert.deepStrictEqual(h.errors, []);
    await h.page.close();
  });

  it('draws EXIF-rotated images as stored (as the model saw them), not as the browser orients them', async () => {
    const h = await open();
    for (const orientation of [3, 6, 8]) {
      // a 40×20 JPEG, left half red, right half blue, with an EXIF orientation tag spliced in
      const url = await h.page.evaluate((o) => {
        const c = document.createElement('canvas');
        c.width = 40;
        c.height = 20;
        const x = c.getContext('2d')!;
        x.fillStyle = '#f00';
        x.fillRect(0, 0, 20, 20);
        x.fillStyle = '#00f';
        x.fillRect(20, 0, 20, 20);
        const bin = Uint8Array.from(atob(c.toDataURL('image/jpeg', 0.95).split(',')[1]!), (ch) => ch.charCodeAt(0));
        const tiff = [0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, o, 0, 0, 0, 0, 0, 0];
        const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
        const app1 = [0xff, 0xe1, 0, payload.length + 2, ...payload];
        const out = new Uint8Array(bin.length + app1.length);
        out.set(bin.subarray(0, 2), 0);
        out.set(app1, 2);
        out.set(bin.subarray(2), 2 + app1.length);
        return URL.createObjectURL(new Blob([out], { type: 'image/jpeg' }));
      }, orientation);
      const view: ImageView = { path: `rotated-${orientation}.jpg`, url, width: 40, height: 20, orientation };
      await showScene(h, { images: [view], gt: [bv([0, 0, 20, 20], 'red half', null)], pred: [] });
      const box = (await h.page.locator('canvas.rlc-canvas').boundingBox())!;
      assert.deepStrictEqual([box.width, box.height], [800, 400], `orientation ${orientation}: stored aspect`);
      assert.ok(near(await pixel(h, 200, 220), [255, 0, 0], 40), `orientation ${orientation}: left is red ${await pixel(h, 200, 220)}`);
      assert.ok(near(await pixel(h, 600, 220), [0, 0, 255], 40), `orientation ${orientation}: right is blue ${await pixel(h, 600, 220)}`);
      assert.match((await h.page.locator('.rlc-caption').textContent()) ?? '', new RegExp(`40×20.*EXIF orientation ${orientation}: shown as stored`));
      const png = PNG.decode(Buffer.from((await api<string>(h, 'toPng')).slice(22), 'base64'));
      assert.deepStrictEqual([png.width, png.height], [40, 20]);
    }
    assert.deepStrictEqual(h.errors, []);
    await h.page.close();
  });

  it('follows a theme change (light theme: its chart colours, light label backing)', async () => {
    const h = await open();
    await showScene(h);
    await h.page.evaluate(() => {
      const st = document.documentElement.style; // CSSOM, allowed by the CSP
      for (const [k, v] of Object.entries({
        '--vscode-editor-background': '#ffffff', '--vscode-foreground': '#3b3b3b', '--vscode-editorWidget-background': '#f8f8f8',
        '--vscode-charts-blue': '#1a85ff', '--vscode-charts-green': '#388a34', '--vscode-charts-red': '#e51400', '--vscode-charts-orange': '#d18616',
      })) st.setProperty(k, v);
    });
    await frame(h);
    assert.ok(near(await pixel(h, 235, 304), [0x1a, 0x85, 0xff]), `TP in the light theme's blue: ${await pixel(h, 235, 304)}`);
    assert.ok(near(await pixel(h, 199, 280), [0x38, 0x8a, 0x34]), 'GT in its green');
    // the GT label sits below the GT box's bottom-left corner: its backing is light now
    assert.ok((await pixel(h, 230, 406)).slice(0, 3).every((v) => v > 200), `light label backing ${await pixel(h, 230, 406)}`);
    await h.page.locator('#app').screenshot({ path: path.join(OUT, 'canvas-light.png') });
    assert.deepStrictEqual(h.errors, []);
    await h.page.close();
  });

  it('renders 8 completions of a group with 50 boxes each (figure reported)', async () => {
    const h = await open();
    await showScene(h); // decode the image once, as the first completion of a group does
    const samples = Array.from({ length: 8 }, (_, c) => {
      let seed = 1234 + c;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      const box = (): [number, number, number, number] => {
        const x = rnd() * 360;
        const y = rnd() * 260;
        return [x, y, x + 10 + rnd() * 60, y + 10 + rnd() * 50];
      };
      const gt = Array.from({ length: 10 }, () => bv(box(), 'obj', null));
      const pred = Array.from({ length: 50 }, (_, i) => {
        const g = gt[i % gt.length]!.box;
        const j = () => (rnd() - 0.5) * 12;
        const b: [number, number, number, number] = i < 25 ? [g[0] + j(), g[1] + j(), g[2] + j(), g[3] + j()] : box();
        return bv(b, `obj ${i}`, i % 3 === 0 ? 'think' : 'answer', i === 7 ? { flags: ['zero-area'] } : {});
      });
      return { images: [SCENE], gt, pred };
    });
    const ms = await h.page.evaluate((ss) => {
      const c = (globalThis as unknown as { __canvas: Api }).__canvas;
      return ss.map((s) => c.show(s, { showGt: true, showPred: true, threshold: 0.5 }));
    }, samples);
    await frame(h);
    const sorted = [...ms].sort((a, b) => a - b);
    console.log(`      show → first frame, 8 completions × (50 predicted + 10 GT boxes): ${ms.map((v) => v.toFixed(1)).join(', ')} ms (median ${sorted[4]!.toFixed(1)}, max ${sorted[7]!.toFixed(1)})`);
    assert.ok(ms.every((v) => Number.isFinite(v) && v > 0));
    await h.page.locator('#app').screenshot({ path: path.join(OUT, 'canvas-50.png') });
    assert.deepStrictEqual(h.errors, []);
    await h.page.close();
  });
});
