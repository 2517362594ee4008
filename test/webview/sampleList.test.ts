// The sample list (webview/inspector/sampleList.ts) in Debian Chromium (playwright-core): bundled from a
// small test entry with esbuild (a fake `query` over 1 000 000 generated rows), served from a fake origin
// under the same strict CSP as the webview, with the dark --vscode-* theme. Asserts virtualization (a
// bounded number of rows in the DOM, the last of a million rows reachable), sorting, filter validation
// and completion, stale replies, the keyboard; saves test-output/webview/sample-list*.png.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, REPO, ensureDir } from '../e2e/harness';
import type { QueryParams } from '../../extension/protocol/inspector';
import { DARK_THEME } from './theme';

const ORIGIN = 'https://rl.test';
const OUT = ensureDir(path.join(REPO, 'test-output', 'webview'));

interface W {
  __queries: QueryParams[];
  __opened: number[];
  __nextDelay: number;
  __pendingFields: string[];
  __csp: string[];
  __ready?: boolean;
  __list: { getState(): unknown; setState(s: unknown): void; refresh(): void; dispose(): void; focusFilter(): void };
}

describe('sample list pane (Chromium)', function () {
  this.timeout(90_000);
  let browser: Browser;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-sl-'));
    await esbuild.build({
      entryPoints: [path.join(REPO, 'test', 'webview', 'entries', 'sampleList.entry.js')],
      bundle: true, format: 'esm', platform: 'browser', target: 'chrome120', outfile: path.join(dir, 'sampleList.js'), logLevel: 'silent', absWorkingDir: REPO,
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function mount(): Promise<{ page: Page; problems: () => Promise<string[]> }> {
    const p = await browser.newPage({ viewport: { width: 1200, height: 640 } });
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
<body><div id="app"></div><script type="module" nonce="${nonce}" src="${ORIGIN}/bundle/sampleList.js"></script></body></html>`;
    await p.route(`${ORIGIN}/**`, async (route) => {
      const u = new URL(route.request().url());
      if (u.pathname === '/index.html') return route.fulfill({ contentType: 'text/html', body: html });
      const file = u.pathname.startsWith('/bundle/') ? path.join(dir, path.basename(u.pathname)) : path.join(REPO, decodeURIComponent(u.pathname));
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
    await p.waitForFunction(() => (globalThis as unknown as W).__ready === true, undefined, { timeout: 20_000 });
    await p.locator('.sl-row[data-state="ready"]').first().waitFor({ timeout: 20_000 });
    return { page: p, problems: async () => [...problems, ...(await p.evaluate(() => (globalThis as unknown as W).__csp))] };
  }

  const queries = (p: Page) => p.evaluate(() => (globalThis as unknown as W).__queries);
  const rowCount = (p: Page) => p.locator('.sl-row').count();
  const status = (p: Page) => p.locator('.sl-status').textContent();

  it('renders the first rows, with a bounded number of row elements for a million rows', async () => {
    const h = await mount();
    assert.strictEqual(await h.page.locator('.sl-row').first().getAttribute('data-record'), '0');
    assert.strictEqual(await h.page.locator('.sl-row[data-index="0"] .sl-td').first().textContent(), '0');
    await h.page.locator('.sl-status').filter({ hasText: /1\u00a0000\u00a0000 of 1\u00a0000\u00a0000 completions · \d+ ms/ }).waitFor();
    const n = await rowCount(h.page);
    assert.ok(n > 10 && n < 200, `${n} row elements`);
    const q = (await queries(h.page))[0]!;
    assert.deepStrictEqual(q, { filter: '', search: '', sort: null, desc: false, offset: 0, limit: 200 });
    // one column per reward function found in the rows, named as logged (last path segment)
    const heads = await h.page.locator('.sl-th').allTextContents();
    assert.deepStrictEqual(heads, ['record', 'step', 'group', '#', 'reward', 'advantage', 'accuracy_reward', 'format_reward', 'IoU', 'length', 'verdict', 'flags']);
    // the scrollbar: physical spacer capped, the table still spans a million rows
    const spacer = await h.page.locator('.sl-spacer').evaluate((e) => (e as unknown as { offsetHeight: number }).offsetHeight);
    assert.ok(spacer <= 8_000_000 && spacer >= 4_000_000, `spacer ${spacer}px`);
    assert.strictEqual(await h.page.locator('.sl-scroll').getAttribute('aria-rowcount'), '1000001');
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.close();
  });

  it('reaches row 999 999 with End, and rows in the middle by dragging the scrollbar, fetching pages as they come into view', async () => {
    const h = await mount();
    await h.page.locator('.sl-scroll').focus();
    await h.page.keyboard.press('End');
    const last = h.page.locator('.sl-row[data-index="999999"][data-state="ready"]');
    await last.waitFor({ timeout: 10_000 });
    assert.strictEqual(await last.locator('.sl-td').first().textContent(), '999999');
    assert.strictEqual(await last.getAttribute('aria-selected'), 'true');
    const sc = (await h.page.locator('.sl-scroll').boundingBox())!;
    const lb = (await last.boundingBox())!;
    assert.ok(lb.y >= sc.y && lb.y + lb.height <= sc.y + sc.height + 0.5, `last row inside the viewport: ${lb.y}+${lb.height} vs ${sc.y}+${sc.height}`);
    assert.ok(await rowCount(h.page) < 200);
    assert.ok((await queries(h.page)).some((q) => q.offset === 999_800), 'the last page was fetched');
    // ArrowUp moves the selection to the row above, still in view
    await h.page.keyboard.press('ArrowUp');
    await h.page.locator('.sl-row[data-index="999998"].selected').waitFor();
    // Home back to the first row
    await h.page.keyboard.press('Home');
    await h.page.locator('.sl-row[data-index="0"].selected[data-state="ready"]').waitFor();
    // the scrollbar thumb to the middle: the rows there are fetched and shown
    await h.page.locator('.sl-scroll').evaluate((e) => {
      const el = e as unknown as { scrollTop: number; scrollHeight: number; clientHeight: number };
      el.scrollTop = (el.scrollHeight - el.clientHeight) / 2;
    });
    await h.page.waitForFunction(() => {
      const idx = [...(globalThis as unknown as { document: { querySelectorAll(s: string): Array<{ getAttribute(a: string): string | null }> } }).document
        .querySelectorAll('.sl-row[data-state="ready"]')].map((r) => Number(r.getAttribute('data-index')));
      return idx.some((i) => i > 499_000 && i < 501_000);
    }, undefined, { timeout: 10_000 });
    // PageDown from a selection moves by a screenful
    await h.page.mouse.click(sc.x + 120, sc.y + 24 + 22 * 3 + 8); // a row in view (by position: the scaled scrollbar must not move)
    await h.page.locator('.sl-row.selected').waitFor({ timeout: 2000 });
    const sel = Number(await h.page.locator('.sl-row.selected').getAttribute('data-index'));
    await h.page.keyboard.press('PageDown');
    const after = Number(await h.page.locator('.sl-row.selected').getAttribute('data-index'));
    assert.ok(after - sel > 10 && after - sel < 40, `PageDown ${sel} → ${after}`);
    // wheel: moves the rows by the wheel's pixels even though the scrollbar is scaled
    const top0 = Number(await h.page.locator('.sl-row[data-state]').first().getAttribute('data-index'));
    await h.page.mouse.move(sc.x + 200, sc.y + 200);
    await h.page.mouse.wheel(0, 22 * 20);
    await h.page.waitForTimeout(200);
    const firstVisible = await h.page.evaluate(({ y }) => {
      const rows = [...(globalThis as unknown as { document: { querySelectorAll(s: string): Array<{ getAttribute(a: string): string | null; getBoundingClientRect(): { top: number } }> } }).document.querySelectorAll('.sl-row')];
      const vis = rows.filter((r) => r.getBoundingClientRect().top >= y).sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
      return Number(vis[0]?.getAttribute('data-index'));
    }, { y: sc.y + 24 });
    assert.ok(firstVisible - top0 >= 15 && firstVisible - top0 <= 35, `wheel of 20 rows moved ${top0} → ${firstVisible}`);
    assert.ok(await rowCount(h.page) < 200);
    await h.page.close();
  });

  it('sorts by a column when its header is clicked (ascending, descending, off), with aria-sort', async () => {
    const h = await mount();
    const th = h.page.locator('.sl-th[data-col="reward"]');
    await th.locator('.sl-sort').click();
    await h.page.waitForFunction(() => (globalThis as unknown as W).__queries.some((q) => q.sort === 'reward'));
    let q = (await queries(h.page)).filter((x) => x.sort === 'reward');
    assert.deepStrictEqual({ ...q[0], offset: 0 }, { filter: '', search: '', sort: 'reward', desc: false, offset: 0, limit: 200 });
    assert.strictEqual(await th.getAttribute('aria-sort'), 'ascending');
    await h.page.locator('.sl-row[data-index="0"][data-state="ready"] .sl-td:nth-child(5)').filter({ hasText: '0.00' }).waitFor({ timeout: 20_000 });
    await th.locator('.sl-sort').click();
    await h.page.waitForFunction(() => (globalThis as unknown as W).__queries.some((x) => x.sort === 'reward' && x.desc));
    assert.strictEqual(await th.getAttribute('aria-sort'), 'descending');
    await h.page.locator('.sl-row[data-index="0"][data-state="ready"] .sl-td:nth-child(5)').filter({ hasText: '2.00' }).waitFor({ timeout: 20_000 });
    // a reward function's column sorts by its filter name
    await h.page.locator('.sl-th[data-col="rw:rewards/accuracy_reward"] .sl-sort').click();
    await h.page.waitForFunction(() => (globalThis as unknown as W).__queries.some((x) => x.sort === 'accuracy_reward'));
    assert.strictEqual(await th.getAttribute('aria-sort'), 'none');
    q = await queries(h.page);
    assert.strictEqual(q[q.length - 1]!.desc, false);
    assert.strictEqual(q[q.length - 1]!.offset, 0, 'a new sort starts at the top');
    await h.page.close();
  });

  it('shows where an invalid filter is wrong and sends no query; applies a valid one live and on Enter', async () => {
    const h = await mount();
    const before = (await queries(h.page)).length;
    const input = h.page.locator('.sl-filter');
    await input.click();
    await input.pressSequentially('iou < 0.3 and iuo > 2', { delay: 5 });
    await h.page.keyboard.press('Escape'); // close any completion
    await input.focus();
    await h.page.keyboard.press('Enter');
    await h.page.waitForTimeout(500); // longer than the live delay
    const err = h.page.locator('.sl-error');
    assert.match((await err.textContent()) ?? '', /iuo/);
    const at = Number(await err.getAttribute('data-at'));
    assert.strictEqual(at, 'iou < 0.3 and '.length, 'the error points at the unknown field');
    assert.match((await h.page.locator('.sl-error-pos').textContent()) ?? '', new RegExp(`column ${at + 1}`));
    assert.strictEqual(await input.getAttribute('aria-invalid'), 'true');
    // the underline sits under the bad word
    const ul = (await h.page.locator('.sl-underline').boundingBox())!;
    const ib = (await input.boundingBox())!;
    assert.ok(ul && ul.width > 10, 'underline drawn');
    const charW = await h.page.locator('.sl-mirror').evaluate((e) => {
      const m = e as unknown as { textContent: string; getBoundingClientRect(): { width: number } };
      m.textContent = 'x'.repeat(100);
      return m.getBoundingClientRect().width / 100;
    });
    assert.ok(Math.abs(ul.x - (ib.x + 7 + at * charW)) < 3, `underline at ${ul.x}, text column at ${ib.x + 7 + at * charW}`);
    assert.ok(Math.abs(ul.width - 3 * charW) < 3, 'as wide as "iuo"');
    await h.page.screenshot({ path: path.join(OUT, 'sample-list-error.png'), clip: { x: 0, y: 0, width: 1200, height: 160 } });
    assert.strictEqual((await queries(h.page)).length, before, 'no query for an invalid filter');
    // fix it: the live apply sends it after the pause in typing
    await input.fill('iou < 0.3');
    await h.page.waitForFunction(() => (globalThis as unknown as W).__queries.some((q) => q.filter === 'iou < 0.3'), undefined, { timeout: 3000 });
    assert.strictEqual(await h.page.locator('.sl-error').textContent(), '');
    assert.strictEqual(await input.getAttribute('aria-invalid'), null);
    await h.page.locator('.sl-status').filter({ hasText: /^2\d\d\u00a0\d{3} of 1\u00a0000\u00a0000 completions/ }).waitFor();
    // an error at the end of the text (a value still being typed) shows only after a pause
    const n = (await queries(h.page)).length;
    await input.fill('iou <');
    assert.strictEqual(await h.page.locator('.sl-error').textContent(), '', 'not while typing');
    await h.page.locator('.sl-error-pos').filter({ hasText: 'column 6' }).waitFor({ timeout: 2000 });
    assert.strictEqual((await queries(h.page)).length, n);
    // Enter applies at once
    await input.fill('iou > 0.9');
    await h.page.keyboard.press('Enter');
    const q = await queries(h.page);
    assert.strictEqual(q[q.length - 1]!.filter, 'iou > 0.9');
    await h.page.close();
  });

  it('ignores a stale reply when a newer query was sent, and says when a field is still being computed', async () => {
    const h = await mount();
    const input = h.page.locator('.sl-filter');
    await h.page.evaluate(() => { (globalThis as unknown as W).__nextDelay = 700; }); // the first filter's reply comes late
    await input.fill('iou < 0.1');
    await h.page.keyboard.press('Enter');
    await input.fill('iou > 0.5');
    await h.page.keyboard.press('Enter');
    await h.page.waitForTimeout(1000);
    assert.match((await status(h.page)) ?? '', /^4\d\d\u00a0\d{3} of/, 'the count of the newer filter stays');
    assert.ok((await queries(h.page)).some((q) => q.filter === 'iou < 0.1'), 'the older query was sent');
    // a field the scan has not finished: the status says the results may change
    await h.page.evaluate(() => { (globalThis as unknown as W).__pendingFields = ['iou']; (globalThis as unknown as W).__list.refresh(); });
    await h.page.locator('.sl-status.pending').filter({ hasText: 'iou still being computed: results may change' }).waitFor({ timeout: 3000 });
    await h.page.close();
  });

  it('offers completions: `io` → iou, ↑/↓ and Tab accept, Esc closes, verdict values', async () => {
    const h = await mount();
    const input = h.page.locator('.sl-filter');
    await input.click();
    await input.pressSequentially('io', { delay: 20 });
    const box = h.page.locator('.sl-complete[role="listbox"]');
    await box.waitFor();
    const labels = await box.locator('[role="option"] .sl-opt-label').allTextContents();
    assert.ok(labels.includes('iou'), `offered ${labels}`);
    assert.strictEqual(await input.getAttribute('aria-expanded'), 'true');
    const activeId = await input.getAttribute('aria-activedescendant');
    assert.ok(activeId && (await h.page.locator(`[id="${activeId}"]`).getAttribute('aria-selected')) === 'true');
    const i = labels.indexOf('iou');
    for (let k = 0; k < i; k++) await h.page.keyboard.press('ArrowDown');
    await h.page.keyboard.press('Tab');
    assert.strictEqual(await input.inputValue(), 'iou');
    assert.ok(await box.isHidden());
    // Ctrl+Space opens, Esc closes
    await input.fill('verdict == ');
    await h.page.keyboard.press('Control+Space');
    await box.waitFor();
    const values = await box.locator('[role="option"] .sl-opt-label').allTextContents();
    assert.ok(values.includes('"unsupported"'), `verdict values ${values}`);
    await h.page.screenshot({ path: path.join(OUT, 'sample-list-complete.png'), clip: { x: 0, y: 0, width: 1200, height: 320 } });
    await h.page.keyboard.press('Escape');
    assert.ok(await box.isHidden());
    // Esc again: focus goes back to the table
    await h.page.keyboard.press('Escape');
    assert.ok(await h.page.locator('.sl-scroll').evaluate((e) => (e as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement === e));
    await h.page.close();
  });

  it('opens the selected row with Enter or a double-click, / focuses the filter, and keeps its state', async () => {
    const h = await mount();
    await h.page.locator('.sl-scroll').focus();
    await h.page.keyboard.press('ArrowDown');
    await h.page.keyboard.press('ArrowDown');
    await h.page.keyboard.press('ArrowDown');
    const sel = h.page.locator('.sl-row.selected');
    assert.strictEqual(await sel.getAttribute('data-index'), '2');
    const rec = Number(await sel.getAttribute('data-record'));
    await h.page.keyboard.press('Enter');
    assert.deepStrictEqual(await h.page.evaluate(() => (globalThis as unknown as W).__opened), [rec]);
    await h.page.locator('.sl-row[data-index="5"]').dblclick();
    assert.deepStrictEqual(await h.page.evaluate(() => (globalThis as unknown as W).__opened), [rec, 5]);
    await h.page.keyboard.press('/');
    assert.ok(await h.page.locator('.sl-filter').evaluate((e) => (e as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement === e));
    // a sorted, filtered, selected list for the screenshot; getState / setState round trip
    await h.page.locator('.sl-filter').fill('iou < 0.5');
    await h.page.keyboard.press('Enter');
    await h.page.locator('.sl-th[data-col="iou"] .sl-sort').click();
    await h.page.locator('.sl-th[data-col="iou"] .sl-sort').click();
    await h.page.waitForFunction(() => (globalThis as unknown as W).__queries.some((q) => q.sort === 'iou' && q.desc));
    await h.page.locator('.sl-row[data-index="0"][data-state="ready"]').waitFor();
    await h.page.locator('.sl-row[data-index="3"]').click();
    const state = await h.page.evaluate(() => (globalThis as unknown as W).__list.getState());
    assert.deepStrictEqual(state, { filter: 'iou < 0.5', search: '', sort: 'iou', desc: true, selected: 3 });
    await h.page.mouse.move(600, 400);
    await h.page.locator('.sl-row[data-index="6"]').hover();
    await h.page.screenshot({ path: path.join(OUT, 'sample-list.png') });
    await h.page.evaluate(() => (globalThis as unknown as W).__list.setState({ filter: 'iou > 0.8', search: 'cat', sort: 'length', desc: false, selected: 40 }));
    await h.page.waitForFunction(() => (globalThis as unknown as W).__queries.some((q) => q.filter === 'iou > 0.8' && q.search === 'cat' && q.sort === 'length'));
    await h.page.locator('.sl-row[data-index="40"].selected[data-state="ready"]').waitFor();
    assert.strictEqual(await h.page.locator('.sl-filter').inputValue(), 'iou > 0.8');
    assert.strictEqual(await h.page.locator('.sl-th[data-col="length"]').getAttribute('aria-sort'), 'ascending');
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.evaluate(() => (globalThis as unknown as W).__list.dispose());
    assert.strictEqual(await h.page.locator('.sl').count(), 0);
    await h.page.close();
  });
});
