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
import { InspectorBackend, isBackendMethod } from '../../extension/core/inspectorBackend';
import type { GroupView, HostToWebview, InitPayload, QueryResult } from '../../extension/protocol/inspector';
import { isWebviewToHost } from '../../extension/protocol/inspector';
import { generateDemoWorkspace } from '../../extension/demo/generate';

const ORIGIN = 'https://rl.test';
const OUT = ensureDir(path.join(REPO, 'test-output', 'webview'));
const THEME = `
  --vscode-foreground:#cccccc; --vscode-editor-background:#1f1f1f; --vscode-font-family:sans-serif; --vscode-font-size:13px;
  --vscode-editor-font-family:monospace; --vscode-charts-green:#89d185; --vscode-charts-orange:#d18616; --vscode-charts-purple:#b180d7;
  --vscode-charts-red:#f14c4c; --vscode-badge-background:#616161; --vscode-badge-foreground:#f8f8f8; --vscode-panel-border:#2b2b2b;
  --vscode-focusBorder:#0078d4; --vscode-charts-blue:#3794ff; --vscode-charts-yellow:#cca700; --vscode-textLink-foreground:#4daafc; --vscode-errorForeground:#f85149; --vscode-textCodeBlock-background:#2b2b2b;
  --vscode-button-background:#0078d4; --vscode-button-foreground:#ffffff; --vscode-button-secondaryBackground:#313131;
  --vscode-button-secondaryForeground:#cccccc; --vscode-editorWidget-background:#202020;`;

function page(nonce: string): string {
  const csp = `default-src 'none'; img-src ${ORIGIN} blob: data:; style-src ${ORIGIN}; font-src ${ORIGIN}; script-src 'nonce-${nonce}'`;
  return `<!DOCTYPE html><html style="${THEME.replace(/\n/g, ' ')}"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${ORIGIN}/dist/webview/uplot.css"><link rel="stylesheet" href="${ORIGIN}/dist/webview/inspector.css">
<link rel="stylesheet" href="${ORIGIN}/dist/webview/panes.css"><link rel="stylesheet" href="${ORIGIN}/dist/webview/canvas.css"></head>
<body><div id="app"><p class="loading">Indexing the log…</p></div>
<script type="module" nonce="${nonce}" src="${ORIGIN}/dist/webview/inspector.js"></script></body></html>`;
}

interface Harness {
  page: Page;
  sent: unknown[];
  cspViolations: string[];
}

describe('inspector webview (Chromium)', function () {
  this.timeout(90_000);
  let browser: Browser;
  let ws: string;
  let log: RolloutLensLog;
  let backend: InspectorBackend;
  const toUrl = (p: string) => `${ORIGIN}/file${p}`;

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-wv-'));
    const res = generateDemoWorkspace(ws);
    log = await openRolloutLensJsonl(res.logFile, { columns: true });
    // the real backend answers the webview, as in the extension (only URLs differ)
    backend = new InspectorBackend(log, { target: res.logFile, toUrl });
    await backend.scan(new AbortController().signal, () => undefined);
    browser = await launchBrowser();
  });
  after(async () => {
    log?.close();
    await browser?.close();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  function group(i: number, patch?: (g: GroupView) => void): GroupView {
    const v = backend.group(i);
    patch?.(v);
    return v;
  }

  async function open(init: Partial<InitPayload> = {}, patch?: (g: GroupView) => void, waitImage = true): Promise<Harness> {
    const p = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const sent: unknown[] = [];
    const cspViolations: string[] = [];
    p.on('console', (m) => {
      if (process.env.RL_DEBUG) console.log('    [console]', m.text());
      if (/Content Security Policy|Refused to/.test(m.text())) cspViolations.push(m.text());
    });
    p.on("pageerror", (e) => { cspViolations.push("pageerror: " + e.message); console.log("    [pageerror]", e.message); });
    const nonce = Math.random().toString(36).slice(2);
    await p.route(`${ORIGIN}/**`, async (route) => {
      const u = new URL(route.request().url());
      if (u.pathname === '/index.html') return route.fulfill({ contentType: 'text/html', body: page(nonce) });
      const file = u.pathname.startsWith('/file/') ? decodeURIComponent(u.pathname.slice(5)) : path.join(REPO, decodeURIComponent(u.pathname));
      if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : file.endsWith('.png') ? 'image/png' : 'application/octet-stream';
      return route.fulfill({ contentType: type, body: fs.readFileSync(file), headers: { 'access-control-allow-origin': '*' } });
    });
    const reply = (m: HostToWebview) => p.evaluate((msg) => (globalThis as unknown as { postMessage(x: unknown, o: string): void }).postMessage(msg, '*'), m);
    await p.exposeFunction('__toHost', async (m: unknown) => {
      sent.push(m);
      if (!isWebviewToHost(m)) throw new Error('webview sent a malformed message: ' + JSON.stringify(m));
      if (m.kind === 'ready') {
        await reply({ kind: 'init', params: { file: '/runs/train.rollouts.jsonl', fileName: 'train.rollouts.jsonl', format: 'rollout-lens-jsonl', records: log.recordCount, groups: log.groups.length, steps: log.steps, issues: [], issueCount: 0, groupIndex: 0, formatLabel: 'Rollout Lens JSONL', fileCount: 1, notes: [], context: [], complete: true, ...init } });
        await reply({ kind: 'scan', params: { progress: 1, fields: backend.table.fieldInfos() } });
      } else if (m.kind === 'request') {
        try {
          let result: unknown = null;
          if (isBackendMethod(m.method)) result = await backend.answer(m.method, m.params as never);
          if (m.method === 'getGroup' || m.method === 'getStepGroup' || m.method === 'getStepByValue') patch?.(result as GroupView);
          if (m.method === 'getRecord') patch?.((result as { group: GroupView }).group);
          await reply({ kind: 'response', id: m.id, ok: true, result });
        } catch (e) {
          await reply({ kind: 'response', id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
        }
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
    try {
      await p.locator('#position').filter({ hasText: 'completion 1/' }).waitFor({ timeout: 20_000 });
    } catch (e) {
      await p.screenshot({ path: path.join(OUT, 'inspector-open-failed.png') });
      throw new Error(`the inspector did not show a completion; messages sent: ${JSON.stringify(sent).slice(0, 600)}; page: ${(await p.locator('#app').textContent())?.slice(0, 300)}`);
    }
    if (waitImage) await p.locator('canvas.rlc-canvas[data-state="image"]').first().waitFor({ timeout: 20_000 });
    return { page: p, sent, cspViolations };
  }

  /** The completion shown first: the group's highest advantage. */
  function firstShown(g: GroupView) {
    return [...g.rollouts].sort((a, b) => (b.advantage ?? -Infinity) - (a.advantage ?? -Infinity) || a.indexInGroup - b.indexInGroup)[0]!;
  }

  it('says ready before anything else and draws the completion with the highest advantage first', async () => {
    const h = await open();
    assert.deepStrictEqual(h.sent[0], { kind: 'ready' });
    const r = firstShown(group(0));
    assert.strictEqual(await h.page.locator('.rlc-item[data-set="gt"]').count(), r.gt.length);
    assert.strictEqual(await h.page.locator('.rlc-item[data-set="pred"]').count(), r.pred.length);
    assert.strictEqual(await h.page.locator('#completion').textContent(), r.completion);
    const g0 = group(0);
    assert.strictEqual(await h.page.locator('.card.selected').getAttribute('data-index'), String(g0.rollouts.findIndex((x) => x.recordIndex === r.recordIndex)));
    assert.deepStrictEqual(h.cspViolations, [], 'no CSP violation, no page error');
    await h.page.screenshot({ path: path.join(OUT, 'inspector.png') });
    await h.page.close();
  });

  it('recolours boxes as TP / FP / FN when the IoU threshold is dragged', async () => {
    const h = await open();
    const counts = h.page.locator('.rlc-counts');
    const at = async (t: number) => {
      await h.page.locator('.rlc-range').evaluate((e, v) => {
        (e as HTMLInputElement).value = String(v);
        e.dispatchEvent(new Event('input', { bubbles: true }));
      }, t);
      return (await counts.textContent()) ?? '';
    };
    const low = await at(0.05);
    const high = await at(0.95);
    const tp = (s: string) => Number(/TP (\d+)/.exec(s)?.[1] ?? NaN);
    const fp = (s: string) => Number(/FP (\d+)/.exec(s)?.[1] ?? NaN);
    assert.ok(tp(low) >= tp(high), `${low} / ${high}`);
    assert.ok(tp(low) + fp(low) === tp(high) + fp(high), 'every predicted box is TP or FP');
    // find a completion where the threshold matters
    let changed = tp(low) !== tp(high);
    for (let k = 0; k < 8 && !changed; k++) {
      await h.page.keyboard.press('j');
      await h.page.waitForTimeout(100);
      changed = tp(await at(0.05)) !== tp(await at(0.95));
    }
    assert.ok(changed, 'some completion has a box matched at 0.05 and not at 0.95');
    await h.page.close();
  });

  it('moves with the keyboard (j/k in card order, J/K groups, [ ] steps) and toggles box sets with t and p', async () => {
    const h = await open();
    const pos = h.page.locator('#position');
    await h.page.keyboard.press('j');
    await pos.filter({ hasText: 'completion 2/' }).waitFor();
    await h.page.keyboard.press('k');
    await pos.filter({ hasText: 'completion 1/' }).waitFor();
    await h.page.keyboard.press('J');
    await pos.filter({ hasText: `group 2/${log.groups.length}` }).waitFor();
    await h.page.keyboard.press('K');
    await pos.filter({ hasText: `group 1/${log.groups.length}` }).waitFor();
    await h.page.keyboard.press(']');
    await pos.filter({ hasText: `(2/${log.steps.length})` }).waitFor();
    await h.page.keyboard.press('[');
    await pos.filter({ hasText: `(1/${log.steps.length})` }).waitFor();
    const checked = (id: string) => h.page.locator(id).evaluate((e) => (e as unknown as { checked: boolean }).checked);
    await h.page.keyboard.press('t');
    assert.strictEqual(await checked('#toggle-gt'), false);
    await h.page.keyboard.press('p');
    assert.strictEqual(await checked('#toggle-pred'), false);
    await h.page.keyboard.press('t');
    await h.page.keyboard.press('p');
    assert.strictEqual(await checked('#toggle-gt'), true);
    await h.page.keyboard.press('?');
    assert.ok(await h.page.locator('#help').isVisible());
    assert.match((await h.page.locator('#help').textContent()) ?? '', /toggle ground-truth boxes/);
    await h.page.screenshot({ path: path.join(OUT, 'inspector-help.png') });
    await h.page.keyboard.press('Escape');
    assert.ok(!(await h.page.locator('#help').isVisible()));
    const reqs = h.sent.filter((m) => (m as { kind: string }).kind === 'request');
    assert.ok(reqs.length >= 3, 'groups are requested one at a time');
    await h.page.close();
  });

  it('hovering a box on the image lights its mention in the reasoning', async () => {
    const h = await open();
    const r = firstShown(group(0));
    assert.ok(r.pred.length > 0, 'the first demo completion draws a box');
    const canvas = (await h.page.locator('canvas.rlc-canvas').first().boundingBox())!;
    const W = r.images[0]!.width!;
    const s = canvas.width / W;
    // a point inside predicted box 0 and clear of every ground-truth box (the smallest box under the mouse wins)
    const [x1, y1, x2, y2] = r.pred[0]!.box;
    const clear = (x: number, y: number) => r.gt.every((g) => x < g.box[0] - 8 || x > g.box[2] + 8 || y < g.box[1] - 8 || y > g.box[3] + 8);
    let pt: [number, number] | null = null;
    for (let fy = 0.05; fy < 1 && !pt; fy += 0.05) for (let fx = 0.05; fx < 1 && !pt; fx += 0.05) {
      const x = x1 + fx * (x2 - x1);
      const y = y1 + fy * (y2 - y1);
      if (clear(x, y)) pt = [x, y];
    }
    if (!pt) pt = [(x1 + x2) / 2, (y1 + y2) / 2];
    await h.page.mouse.move(canvas.x + pt[0] * s, canvas.y + pt[1] * s);
    await h.page.locator('.mention.lit[data-box="0"]').first().waitFor({ timeout: 5000 }).catch(async (e) => {
      await h.page.screenshot({ path: path.join(OUT, 'inspector-hover-failed.png') });
      throw new Error(`${e}: canvas ${JSON.stringify(canvas)}, box ${r.pred[0]!.box}, W ${W}, mentions ${await h.page.locator('.mention').count()}`);
    });
    await h.page.mouse.move(canvas.x + canvas.width + 50, canvas.y);
    await h.page.locator('.mention[data-box="0"]').first().hover();
    assert.ok(await h.page.locator('.mention[data-box="0"]').first().evaluate((e) => e.classList.contains('lit')));
    await h.page.close();
  });

  it('shows every string from the log as text: script tags, onerror, javascript: URLs and CSS never act', async () => {
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b></pre><style>body{display:none}</style>';
    const h = await open({ fileName: evil, formatLabel: evil, notes: [evil], context: [{ label: evil, value: evil, source: evil, assumed: true }] }, (g) => {
      g.groupId = evil;
      for (const r of g.rollouts) {
        r.completion = evil + ' javascript:alert(1)';
        r.promptText = evil;
        r.answer = evil;
        r.referenceAnswer = evil;
        r.sampleId = evil;
        r.rewards = [{ name: evil, value: 1 }];
        r.verdict = { label: evil, source: evil, rationale: evil };
        r.pred = r.pred.map((b) => ({ ...b, label: evil, span: null }));
        r.gt = r.gt.map((b) => ({ ...b, label: evil }));
        r.images = r.images.map((im) => ({ ...im, path: 'javascript:alert(1)//' + evil, url: null }));
      }
    }, false);
    await h.page.locator('.rlc-missing').first().waitFor({ timeout: 10_000 });
    assert.strictEqual(await h.page.locator('#completion').textContent(), evil + ' javascript:alert(1)');
    assert.strictEqual(await h.page.locator('#app b, #app script, #app style, #app img[src="x"]').count(), 0);
    assert.match((await h.page.locator('.rlc-missing').first().textContent()) ?? '', /javascript:alert\(1\)\/\/<img/);
    assert.strictEqual(await h.page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
    assert.ok(await h.page.locator('#completion').isVisible(), 'no injected CSS hid the page');
    assert.ok((await h.page.locator('a[href^="javascript:"]').count()) === 0);
    await h.page.screenshot({ path: path.join(OUT, 'inspector-injection.png') });
    await h.page.close();
  });

  it('lists problems with file and line, says why a group has no signal, flags EXIF-rotated images', async () => {
    const issues = [{ file: '/runs/train.rollouts.jsonl', line: 7, message: 'not valid JSON', severity: 'error' as const }];
    const h = await open({ issues, issueCount: 1 }, (g) => { g.zeroVariance = true; g.zeroVarianceKind = 'all-fail'; g.rollouts[0]!.images[0]!.orientation = 6; });
    assert.match((await h.page.locator('#log-issues').textContent()) ?? '', /train\.rollouts\.jsonl:7: not valid JSON/);
    assert.match((await h.page.locator('#zero-variance').textContent()) ?? '', /no learning signal: every completion failed/);
    await h.page.close();
  });

  it('marks a reward whose recomputed value differs from the log, and ticks one that matches', async () => {
    const h = await open({}, (g) => {
      for (const r of g.rollouts) {
        r.rewards = [
          { name: 'accuracy', value: 0.5, recomputed: 0.7266, mismatch: true, explain: ['IoU: 0.7266'] },
          { name: 'format', value: 1, recomputed: 1, mismatch: false, explain: [] },
          { name: 'custom', value: 0.3 },
        ];
      }
    });
    assert.strictEqual(await h.page.locator('.reward-chip.mismatch[data-reward="accuracy"] .chip-recomputed').textContent(), '≠ 0.73');
    assert.match((await h.page.locator('.reward-chip[data-reward="accuracy"]').getAttribute('title')) ?? '', /MISMATCH: logged 0\.50, recomputed 0\.73\nIoU: 0\.7266/);
    assert.strictEqual(await h.page.locator('.reward-chip.verified[data-reward="format"] .chip-check').count(), 1);
    assert.strictEqual(await h.page.locator('.reward-chip[data-reward="custom"] .chip-check, .reward-chip[data-reward="custom"] .chip-recomputed').count(), 0);
    await h.page.close();
  });

  it('filters the sample list with an expression, and opens a row in the Inspect view', async () => {
    const h = await open();
    await h.page.keyboard.press('/');
    const input = h.page.locator('.sl-filter');
    await input.waitFor();
    await input.fill('iou < 0.3');
    await input.press('Enter');
    const want = (await backend.query({ filter: 'iou < 0.3', search: '', sort: null, desc: false, offset: 0, limit: 10 })) as QueryResult;
    assert.ok(want.matched > 0 && want.matched < log.recordCount, `demo has some low-IoU completions (${want.matched})`);
    await h.page.locator('.sl-status').filter({ hasText: want.matched.toLocaleString('en-US').replace(/,/g, '') }).or(h.page.locator('.sl-status').filter({ hasText: String(want.matched) })).first().waitFor({ timeout: 10_000 }).catch(() => undefined);
    const status = (await h.page.locator('.sl-status').textContent()) ?? '';
    assert.ok(status.replace(/[\s,\u202f\u00a0]/g, '').includes(String(want.matched)), `status "${status}" names ${want.matched} matches`);
    await h.page.screenshot({ path: path.join(OUT, 'inspector-samples.png') });
    // an invalid filter says where
    await input.fill('iou < ');
    await h.page.locator('.sl-error').filter({ hasText: /./ }).first().waitFor({ timeout: 5000 });
    await input.fill('iou < 0.3');
    await input.press('Enter');
    await h.page.waitForTimeout(300);
    const row = h.page.locator('.sl-row[data-record]').first();
    await row.waitFor({ timeout: 10_000 });
    const rec = Number(await row.getAttribute('data-record'));
    await row.dblclick();
    await h.page.locator('#view-inspect:not([hidden])').waitFor({ timeout: 10_000 });
    await h.page.waitForFunction(() => !!document.querySelector('.card.selected'));
    const g = backend.record(rec).group;
    assert.match((await h.page.locator('#position').textContent()) ?? '', new RegExp(`group ${g.groupIndex + 1}/`));
    await h.page.close();
  });

  it('draws the run overview and jumps to a step from a curve', async () => {
    const h = await open();
    await h.page.keyboard.press('1');
    await h.page.locator('#view-overview:not([hidden]) .uplot').first().waitFor({ timeout: 10_000 });
    const charts = await h.page.locator('#view-overview .uplot').count();
    assert.ok(charts >= 3, `${charts} charts`);
    await h.page.waitForTimeout(300);
    await h.page.screenshot({ path: path.join(OUT, 'inspector-overview.png') });
    // click the middle of the first chart's plot area: the Inspect view opens at that step
    const over = (await h.page.locator('#view-overview .uplot .u-over').first().boundingBox())!;
    await h.page.mouse.click(over.x + over.width * 0.6, over.y + over.height / 2);
    await h.page.locator('#view-inspect:not([hidden])').waitFor({ timeout: 10_000 });
    const req = h.sent.find((m) => (m as { method?: string }).method === 'getStepByValue');
    assert.ok(req, 'the click asked for the step');
    const step = (req as { params: { step: number } }).params.step;
    await h.page.locator('#position').filter({ hasText: `step ${step} ` }).waitFor({ timeout: 10_000 });
    await h.page.close();
  });
});
