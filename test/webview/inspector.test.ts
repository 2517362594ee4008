// The inspector bundle in Debian Chromium (playwright-core), in a plain page with the same strict CSP as
// in VS Code, a fake acquireVsCodeApi that answers the protocol from a real log read by core, and the
// --vscode-* theme variables. Asserts the DOM, the box geometry and the pixels actually drawn.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, REPO, ensureDir } from '../e2e/harness';
import { openRolloutLensJsonl, type RolloutLensLog } from '../../extension/core/formats/rolloutLensJsonl';
import { groupView, rolloutView } from '../../extension/core/inspectorView';
import type { GroupView, HostToWebview, InitPayload } from '../../extension/protocol/inspector';
import { isWebviewToHost } from '../../extension/protocol/inspector';
import { generateDemoWorkspace } from '../../extension/demo/generate';

const ORIGIN = 'https://rl.test';
const OUT = ensureDir(path.join(REPO, 'test-output', 'webview'));
const THEME = `
  --vscode-foreground:#cccccc; --vscode-editor-background:#1f1f1f; --vscode-font-family:sans-serif; --vscode-font-size:13px;
  --vscode-editor-font-family:monospace; --vscode-charts-green:#89d185; --vscode-charts-orange:#d18616; --vscode-charts-purple:#b180d7;
  --vscode-charts-red:#f14c4c; --vscode-badge-background:#616161; --vscode-badge-foreground:#f8f8f8; --vscode-panel-border:#2b2b2b;
  --vscode-focusBorder:#0078d4; --vscode-errorForeground:#f85149; --vscode-textCodeBlock-background:#2b2b2b;
  --vscode-button-background:#0078d4; --vscode-button-foreground:#ffffff; --vscode-button-secondaryBackground:#313131;
  --vscode-button-secondaryForeground:#cccccc; --vscode-editorWidget-background:#202020;`;

function page(nonce: string): string {
  const csp = `default-src 'none'; img-src ${ORIGIN} blob: data:; style-src ${ORIGIN}; font-src ${ORIGIN}; script-src 'nonce-${nonce}'`;
  return `<!DOCTYPE html><html style="${THEME.replace(/\n/g, ' ')}"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${ORIGIN}/dist/webview/inspector.css"></head>
<body><div id="app"><p class="loading">Indexing the log…</p></div>
<script type="module" nonce="${nonce}" src="${ORIGIN}/dist/webview/inspector.js"></script></body></html>`;
}

interface Harness {
  page: Page;
  sent: unknown[];
  cspViolations: string[];
}

describe('inspector webview (Chromium)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let ws: string;
  let log: RolloutLensLog;

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-wv-'));
    const res = generateDemoWorkspace(ws);
    log = await openRolloutLensJsonl(res.logFile);
    browser = await launchBrowser();
  });
  after(async () => {
    log?.close();
    await browser?.close();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  function group(i: number, patch?: (g: GroupView) => void): GroupView {
    const g = log.groups[i]!;
    const toUrl = (p: string) => `${ORIGIN}/file${p}`;
    const rollouts = g.records.map((ri) => { const { rollout, issues } = log.read(ri); return rolloutView(ri, rollout!, issues, toUrl); });
    const v = groupView({ groupIndex: i, groupCount: log.groups.length, step: g.step, stepIndex: log.steps.indexOf(g.step), stepCount: log.steps.length, groupId: g.groupId }, rollouts, []);
    patch?.(v);
    return v;
  }

  async function open(init: Partial<InitPayload> = {}, patch?: (g: GroupView) => void): Promise<Harness> {
    const p = await browser.newPage({ viewport: { width: 1300, height: 850 } });
    const sent: unknown[] = [];
    const cspViolations: string[] = [];
    p.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) cspViolations.push(m.text()); });
    p.on('pageerror', (e) => cspViolations.push('pageerror: ' + e.message));
    const nonce = Math.random().toString(36).slice(2);
    await p.route(`${ORIGIN}/**`, async (route) => {
      const u = new URL(route.request().url());
      if (u.pathname === '/index.html') return route.fulfill({ contentType: 'text/html', body: page(nonce) });
      const file = u.pathname.startsWith('/file/') ? decodeURIComponent(u.pathname.slice(5)) : path.join(REPO, decodeURIComponent(u.pathname));
      if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : file.endsWith('.png') ? 'image/png' : 'application/octet-stream';
      return route.fulfill({ contentType: type, body: fs.readFileSync(file) });
    });
    const reply = (m: HostToWebview) => p.evaluate((msg) => (globalThis as unknown as { postMessage(x: unknown, o: string): void }).postMessage(msg, '*'), m);
    await p.exposeFunction('__toHost', async (m: unknown) => {
      sent.push(m);
      if (!isWebviewToHost(m)) throw new Error('webview sent a malformed message: ' + JSON.stringify(m));
      if (m.kind === 'ready') {
        await reply({ kind: 'init', params: { file: '/runs/train.rollouts.jsonl', fileName: 'train.rollouts.jsonl', format: 'rollout-lens-jsonl', records: log.recordCount, groups: log.groups.length, steps: log.steps, issues: [], issueCount: 0, groupIndex: 0, formatLabel: 'Rollout Lens JSONL', fileCount: 1, notes: [], context: [], complete: true, ...init } });
      } else if (m.kind === 'request') {
        if (m.method === 'getGroup') await reply({ kind: 'response', id: m.id, ok: true, result: group(m.params.groupIndex, patch) });
        else if (m.method === 'getStepGroup') {
          const gi = log.groups.findIndex((g) => g.step === log.steps[m.params.stepIndex]);
          await reply({ kind: 'response', id: m.id, ok: true, result: group(gi, patch) });
        } else await reply({ kind: 'response', id: m.id, ok: true, result: null });
      }
    });
    await p.addInitScript(() => {
      let state: unknown;
      (globalThis as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => (globalThis as unknown as { __toHost: (m: unknown) => void }).__toHost(m),
        getState: () => state,
        setState: (s: unknown) => { state = s; },
      });
    });
    await p.goto(`${ORIGIN}/index.html`);
    await p.locator('#position').filter({ hasText: 'completion 1/' }).waitFor({ timeout: 20_000 });
    await p.locator('.stage.loaded').first().waitFor({ timeout: 20_000 });
    return { page: p, sent, cspViolations };
  }

  it('says ready before anything else and draws the first completion of the first group', async () => {
    const h = await open();
    assert.deepStrictEqual(h.sent[0], { kind: 'ready' });
    const r = group(0).rollouts[0]!;
    assert.strictEqual(await h.page.locator('.box-gt').count(), r.gt.length);
    assert.strictEqual(await h.page.locator('.box-pred').count(), r.pred.length);
    assert.strictEqual(await h.page.locator('#completion').textContent(), r.completion);
    assert.deepStrictEqual(h.cspViolations, [], 'no CSP violation, no page error');
    await h.page.screenshot({ path: path.join(OUT, 'inspector.png') });
    await h.page.close();
  });

  it('places every box where its original-pixel coordinates say, and really paints it', async () => {
    const h = await open();
    const r = group(0).rollouts[0]!;
    const img = await h.page.locator('.stage img').first().boundingBox();
    assert.ok(img);
    const W = r.images[0]!.width!;
    const s = img.width / W;
    for (const [set, boxes] of [['gt', r.gt], ['pred', r.pred]] as const) {
      for (let i = 0; i < boxes.length; i++) {
        const bb = await h.page.locator(`.box-${set}[data-index="${i}"]`).boundingBox();
        assert.ok(bb);
        const [x1, y1, x2] = boxes[i]!.box;
        assert.ok(Math.abs(bb.x - (img.x + x1 * s)) < 1.5, `${set} ${i} left ${bb.x} vs ${img.x + x1 * s}`);
        assert.ok(Math.abs(bb.y - (img.y + y1 * s)) < 1.5, `${set} ${i} top`);
        assert.ok(Math.abs(bb.width - (x2 - x1) * s) < 1.5, `${set} ${i} width`);
      }
    }
    // The pixel under the middle of a predicted box's left edge has the theme colour of its set
    // (orange for boxes in the answer, purple for boxes drawn while thinking).
    if (r.pred.length) {
      const bb = (await h.page.locator('.box-pred[data-index="0"]').boundingBox())!;
      const shot = await h.page.screenshot({ clip: { x: Math.round(bb.x) + 1, y: Math.floor(bb.y + bb.height / 2), width: 1, height: 1 } });
      const { PNG } = await import('./png');
      const px = PNG.firstPixel(shot);
      const want = r.pred[0]!.part === 'think' ? [0xb1, 0x80, 0xd7] : [0xd1, 0x86, 0x16];
      assert.ok(px.every((v, k) => Math.abs(v - want[k]!) < 16), `edge pixel ${px}, want ${want}`);
    }
    await h.page.close();
  });

  it('moves with the keyboard between completions, groups and steps, and toggles box sets', async () => {
    const h = await open();
    const pos = h.page.locator('#position');
    await h.page.keyboard.press('j');
    await pos.filter({ hasText: 'completion 2/' }).waitFor();
    await h.page.keyboard.press('ArrowLeft');
    await pos.filter({ hasText: 'completion 1/' }).waitFor();
    await h.page.keyboard.press('n');
    await pos.filter({ hasText: `group 2/${log.groups.length}` }).waitFor();
    await h.page.keyboard.press(']');
    await pos.filter({ hasText: `(2/${log.steps.length})` }).waitFor();
    await h.page.keyboard.press('k'); // back over the group boundary: last completion of the previous group
    await pos.filter({ hasText: `group ${log.groups.findIndex((g) => g.step === log.steps[1])}/` }).waitFor();
    await h.page.keyboard.press('g');
    assert.strictEqual(await h.page.locator('.box-gt').count(), 0);
    await h.page.keyboard.press('g');
    assert.ok((await h.page.locator('.box-gt').count()) > 0);
    const reqs = h.sent.filter((m) => (m as { kind: string }).kind === 'request');
    assert.ok(reqs.length >= 3, 'groups are requested one at a time');
    await h.page.close();
  });

  it('hovering a predicted box lights its mention in the reasoning', async () => {
    const h = await open();
    const r = group(0).rollouts[0]!;
    assert.ok(r.pred.length > 0, 'the first demo completion draws a box');
    await h.page.locator('.box-pred[data-index="0"]').hover();
    assert.ok((await h.page.locator('.mention.lit[data-box="0"]').count()) > 0);
    await h.page.locator('.mention[data-box="0"]').first().hover();
    assert.ok(await h.page.locator('.box-pred[data-index="0"]').evaluate((e) => e.classList.contains('lit')));
    await h.page.close();
  });

  it('shows text from the log as text, never as HTML', async () => {
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>';
    const h = await open({}, (g) => { g.rollouts[0]!.completion = evil; g.rollouts[0]!.promptText = evil; g.rollouts[0]!.pred = []; });
    assert.strictEqual(await h.page.locator('#completion').textContent(), evil);
    assert.strictEqual(await h.page.locator('#completion b').count(), 0);
    assert.strictEqual(await h.page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
    await h.page.close();
  });

  it('lists problems with file and line, flags zero-variance groups and EXIF-rotated images', async () => {
    const issues = [{ file: '/runs/train.rollouts.jsonl', line: 7, message: 'not valid JSON', severity: 'error' as const }];
    const h = await open({ issues, issueCount: 1 }, (g) => { g.zeroVariance = true; g.rollouts[0]!.images[0]!.orientation = 6; });
    assert.match((await h.page.locator('#log-issues').textContent()) ?? '', /train\.rollouts\.jsonl:7: not valid JSON/);
    assert.match((await h.page.locator('#zero-variance').textContent()) ?? '', /no learning signal/);
    assert.match((await h.page.locator('#orientation-flag').textContent()) ?? '', /orientation 6/);
    await h.page.close();
  });

  it('marks a reward whose recomputed value differs from the log, and ticks one that matches', async () => {
    const h = await open({}, (g) => {
      const r = g.rollouts[0]!;
      r.rewards = [
        { name: 'accuracy', value: 0.5, recomputed: 0.7266, mismatch: true, explain: ['IoU: 0.7266'] },
        { name: 'format', value: 1, recomputed: 1, mismatch: false, explain: [] },
        { name: 'custom', value: 0.3 },
      ];
    });
    assert.strictEqual(await h.page.locator('.reward-chip.mismatch[data-reward="accuracy"] .chip-recomputed').textContent(), '≠ 0.73');
    assert.match((await h.page.locator('.reward-chip[data-reward="accuracy"]').getAttribute('title')) ?? '', /MISMATCH: logged 0\.50, recomputed 0\.73\nIoU: 0\.7266/);
    assert.strictEqual(await h.page.locator('.reward-chip.verified[data-reward="format"] .chip-check').count(), 1);
    assert.strictEqual(await h.page.locator('.reward-chip[data-reward="custom"] .chip-check, .reward-chip[data-reward="custom"] .chip-recomputed').count(), 0);
    await h.page.close();
  });
});
