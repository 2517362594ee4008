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
import type { GroupView, HostToWebview, InitPayload, OverviewView, QueryResult, VerdictView, VerdictsView } from '../../extension/protocol/inspector';
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
  /** Post a host → webview message (as the extension would). */
  push(m: HostToWebview): Promise<void>;
}

interface OpenOptions {
  /** Patch the backend's overview (e.g. its verdicts) before the webview gets it. */
  overview?: (o: OverviewView) => void;
  /** Answer a request instead of the backend ({result}), or leave it to the backend (undefined). */
  answer?: (method: string, params: unknown) => { result: unknown } | undefined;
}

type Sent = { kind: string; method?: string; params?: Record<string, unknown> };

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const requests = (h: Harness, method: string) => (h.sent as Sent[]).filter((m) => m.kind === 'request' && m.method === method);

const RULES_V: VerdictView = { label: 'contradicted', kind: 'rules', source: 'rules', confidence: null, rationale: '[final-answer-mismatch] the reasoning concludes "left" but the answer says "right"' };
const ONNX_V: VerdictView = { label: 'supported', kind: 'onnx', source: 'tiny-nli (local model)', confidence: 0.9134, rationale: 'entailment 0.91 over 3 premise sentences' };

/** An overview verdicts view as the backend would send it: three sources, two pairs, judges half configured. */
function fakeVerdicts(p: Partial<VerdictsView> = {}): VerdictsView {
  return {
    choice: 'auto',
    sources: [
      { kind: 'log', name: 'log (gpt-4o)', total: 640, supported: 402, unsupported: 101, contradicted: 77, unknown: 60 },
      { kind: 'onnx', name: 'tiny-nli (local model)', total: 640, supported: 455, unsupported: 120, contradicted: 50, unknown: 15 },
      { kind: 'rules', name: 'rules', total: 640, supported: 300, unsupported: 100, contradicted: 100, unknown: 140 },
    ],
    agreement: [
      { a: 'log', b: 'rules', n: 450, observed: 0.78, kappa: 0.4219, labels: ['supported', 'unsupported', 'contradicted'], confusion: [[250, 20, 10], [30, 60, 10], [20, 9, 41]] },
      { a: 'onnx', b: 'rules', n: 0, observed: 0, kappa: null, labels: ['supported', 'unsupported', 'contradicted'], confusion: [[0, 0, 0], [0, 0, 0], [0, 0, 0]] },
    ],
    judges: { onnx: 'tiny-nli', http: null, clip: null },
    running: null,
    last: { kind: 'onnx', message: 'judged 640 (612 from cache) in 1.2 s', error: false },
    ...p,
  };
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

  async function open(init: Partial<InitPayload> = {}, patch?: (g: GroupView) => void, waitImage = true, opts: OpenOptions = {}): Promise<Harness> {
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
          const custom = opts.answer?.(m.method, m.params);
          if (custom) result = custom.result;
          else if (isBackendMethod(m.method)) result = await backend.answer(m.method, m.params as never);
          if (m.method === 'getOverview' && !custom) opts.overview?.(result as OverviewView);
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
    return { page: p, sent, cspViolations, push: reply };
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

  it('follows the newest step (f): on the toggle, on growth, and after the panel is restored in follow mode', async () => {
    const h = await open();
    const pos = h.page.locator('#position');
    const n = log.steps.length;
    const newest = log.steps[n - 1]!;
    await h.page.keyboard.press('f');
    await h.page.locator('#follow[aria-pressed="true"]').waitFor();
    await pos.filter({ hasText: `step ${newest} (${n}/${n})` }).waitFor();
    // the log "grows": an update while following shows the newest step again, wherever the user went
    await h.page.keyboard.press('Home');
    await pos.filter({ hasText: '(1/' }).waitFor();
    await h.push({ kind: 'update', params: { records: log.recordCount, groups: log.groups.length, steps: [...log.steps], issueCount: 0, complete: true } });
    await pos.filter({ hasText: `step ${newest} (${n}/${n})` }).waitFor();
    // a panel restored with follow on (a window reload while a job runs) starts at the newest step, not the saved group
    await h.page.locator('#follow').click();
    await h.page.locator('#follow[aria-pressed="false"]').waitFor();
    await h.page.keyboard.press('Home');
    await pos.filter({ hasText: '(1/' }).waitFor();
    await h.page.keyboard.press('f');
    await pos.filter({ hasText: `(${n}/${n})` }).waitFor();
    await h.page.keyboard.press('Home');
    await pos.filter({ hasText: '(1/' }).waitFor();
    await h.push({ kind: 'init', params: { file: '/runs/train.rollouts.jsonl', fileName: 'train.rollouts.jsonl', format: 'rollout-lens-jsonl', records: log.recordCount, groups: log.groups.length, steps: log.steps, issues: [], issueCount: 0, groupIndex: 0, formatLabel: 'Rollout Lens JSONL', fileCount: 1, notes: [], context: [], complete: true } });
    await h.page.locator('#follow[aria-pressed="true"]').waitFor();
    await pos.filter({ hasText: `step ${newest} (${n}/${n})` }).waitFor();
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
        r.verdict = { label: evil, kind: 'rules', source: evil, confidence: 0.5, rationale: evil };
        r.verdicts = [r.verdict, { label: evil, kind: evil, source: evil, confidence: null, rationale: evil }];
        r.generatedImages = [{ path: evil, url: null, width: null, height: null, orientation: null, at: null }];
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
    // verdicts from a judge are evidence too: label, source and rationale stay text
    assert.match((await h.page.locator('.card .badge.verdict').first().getAttribute('title')) ?? '', /^<img src=x onerror=/);
    assert.strictEqual(await h.page.locator('#verdict .chip-value').textContent(), evil);
    assert.strictEqual(await h.page.locator('.verdict-rationale-text').textContent(), evil);
    assert.match((await h.page.locator('#verdict').getAttribute('class')) ?? '', /^[a-z -]+$/, 'the label becomes a sanitised class');
    assert.deepStrictEqual(h.cspViolations, [], 'no CSP violation, no page error');
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
  // ---------------- alignment verdicts ----------------

  /** Every completion but the one at index 1 judged by the rules (chosen) and the local model. */
  function withVerdicts(g: GroupView): void {
    g.rollouts.forEach((r, i) => {
      r.verdicts = i === 1 ? [] : [{ ...ONNX_V }, { ...RULES_V }];
      r.verdict = i === 1 ? null : { ...RULES_V };
    });
  }

  it('badges each card with the chosen verdict and its source marker, every source in the title', async () => {
    const h = await open({}, withVerdicts);
    const g = group(0);
    const badges = h.page.locator('.card .badge.verdict');
    assert.strictEqual(await badges.count(), g.rollouts.length - 1, 'no badge on the completion without a verdict');
    assert.strictEqual(await h.page.locator('.card[data-index="1"] .badge.verdict').count(), 0);
    const b = h.page.locator('.card[data-index="0"] .badge.verdict');
    assert.match((await b.getAttribute('class')) ?? '', /\bverdict-contradicted\b/);
    assert.strictEqual(await b.getAttribute('data-kind'), 'rules');
    assert.strictEqual(await b.locator('.verdict-label').textContent(), 'contradicted');
    assert.strictEqual(await b.locator('.verdict-marker').textContent(), 'R');
    const title = (await b.getAttribute('title')) ?? '';
    assert.match(title, /^contradicted — rules: \[final-answer-mismatch\] the reasoning concludes/);
    assert.match(title, /\nsupported — tiny-nli \(local model\): entailment 0\.91 over 3 premise sentences \(confidence 0\.91\)/);
    assert.strictEqual(await b.locator('.verdict-split').count(), 1, 'the sources disagree: marked');
    // the sources' colours differ: contradicted in the red of the theme
    assert.strictEqual(await b.evaluate((e) => getComputedStyle(e).color), 'rgb(241, 76, 76)');
    assert.deepStrictEqual(h.cspViolations, []);
    await h.page.close();
  });

  it('shows one focusable chip per source in the sample view, the chosen one marked, the rationale below', async () => {
    const h = await open({}, withVerdicts);
    await h.page.locator('#verdicts .verdict-chips').waitFor();
    const chips = h.page.locator('#verdicts .chip.verdict');
    assert.strictEqual(await chips.count(), 2);
    assert.deepStrictEqual(await chips.evaluateAll((es) => es.map((e) => e.getAttribute('data-kind'))), ['onnx', 'rules']);
    // the chosen source keeps the id the rest of the inspector (and older tests) know
    assert.strictEqual(await h.page.locator('#verdict').getAttribute('data-kind'), 'rules');
    assert.match((await h.page.locator('#verdict').getAttribute('class')) ?? '', /\bchosen\b/);
    assert.strictEqual(await h.page.locator('#verdict .chip-value').textContent(), 'contradicted');
    assert.strictEqual(await h.page.locator('.chip.verdict[data-kind="onnx"] .chip-conf').textContent(), '0.91');
    assert.strictEqual(await h.page.locator('.chip.verdict[data-kind="onnx"] .chip-value').textContent(), 'supported');
    assert.strictEqual(await h.page.locator('.verdict-rationale-text').textContent(), RULES_V.rationale);
    // keyboard: focus the first chip, → moves to the next without changing the completion
    const pos = await h.page.locator('#position').textContent();
    await h.page.locator('.chip.verdict[data-kind="onnx"]').focus();
    assert.strictEqual(await h.page.locator('.verdict-rationale-text').textContent(), ONNX_V.rationale);
    await h.page.keyboard.press('ArrowRight');
    assert.strictEqual(await h.page.evaluate(() => document.activeElement?.getAttribute('data-kind')), 'rules');
    assert.strictEqual(await h.page.locator('.verdict-rationale-text').textContent(), RULES_V.rationale);
    assert.strictEqual(await h.page.locator('#position').textContent(), pos);
    assert.match((await h.page.locator('#verdict').getAttribute('title')) ?? '', /chosen source/);
    await h.page.locator('.chip.verdict[data-kind="onnx"]').focus();
    await h.page.screenshot({ path: path.join(OUT, 'verdict-chips.png') });
    // a completion without verdicts: no row
    await h.page.locator('.card[data-index="1"]').click();
    await h.page.waitForFunction(() => document.querySelector('.card.selected')?.getAttribute('data-index') === '1');
    assert.strictEqual(await h.page.locator('#verdicts .chip').count(), 0);
    assert.deepStrictEqual(h.cspViolations, []);
    await h.page.close();
  });

  /** Open on the overview with the verdicts card drawn from `v`; setVerdictSource answers `onSource`. */
  async function openCard(v: VerdictsView, onSource?: (source: string) => VerdictsView) {
    const h = await open({}, withVerdicts, true, {
      overview: (o) => {
        o.verdicts = v;
        const steps = o.series[0]?.points.map((p) => p[0]) ?? [1, 2, 3];
        o.series = o.series.filter((s) => !s.key.startsWith('alignment'));
        o.series.push(
          { key: 'alignment', label: 'alignment (auto)', source: 'rollouts', points: steps.map((x, i) => [x, 0.5 + 0.015 * i]) },
          { key: 'alignment:rules', label: 'alignment (rules)', source: 'rollouts', points: steps.map((x, i) => [x, 0.4 + 0.012 * i]) },
          { key: 'alignment:onnx', label: 'alignment (tiny-nli)', source: 'rollouts', points: steps.map((x, i) => [x, 0.7 - 0.01 * i]) },
        );
      },
      answer: (method, params) => {
        if (method === 'setVerdictSource' && onSource) return { result: onSource((params as { source: string }).source) };
        if (method === 'runJudge') return { result: null };
        return undefined;
      },
    });
    await h.page.keyboard.press('1');
    await h.page.locator('.verdicts-card .verdict-counts').waitFor({ timeout: 10_000 });
    return h;
  }

  it('renders the verdicts card: counts and alignment rate per source, κ and a confusion table per pair', async () => {
    const v = fakeVerdicts();
    const h = await openCard(v);
    const rows = h.page.locator('.verdict-counts tr[data-kind]');
    assert.deepStrictEqual(await rows.evaluateAll((es) => es.map((e) => e.getAttribute('data-kind'))), ['log', 'onnx', 'rules']);
    const cells = await h.page.locator('.verdict-counts tr[data-kind="rules"] td').allTextContents();
    assert.deepStrictEqual(cells, ['300', '100', '100', '140', '60.0 %']);
    assert.match((await h.page.locator('.verdict-counts tr[data-kind="log"]').getAttribute('class')) ?? '', /chosen/, 'auto: the log comes first');
    const ag = h.page.locator('.verdict-agreement[data-a="log"][data-b="rules"]');
    assert.strictEqual(await ag.locator('.kappa').textContent(), '0.42');
    assert.match((await ag.textContent()) ?? '', /n 450 · agree 78\.0 %/);
    assert.deepStrictEqual(await ag.locator('thead th').allTextContents(), ['L ↓R →', 'supported', 'unsupported', 'contradicted']);
    assert.deepStrictEqual(await ag.locator('tbody th').allTextContents(), ['supported', 'unsupported', 'contradicted']);
    assert.deepStrictEqual(await ag.locator('tbody td').allTextContents(), ['250', '20', '10', '30', '60', '10', '20', '9', '41']);
    assert.strictEqual(await h.page.locator('.verdict-agreement[data-a="onnx"][data-b="rules"] .kappa').textContent(), 'undefined');
    // the source choice: auto, every source, in words
    const options = await h.page.locator('.verdict-source-select option').evaluateAll((es) => es.map((e) => (e as HTMLOptionElement).value));
    assert.deepStrictEqual(options, ['auto', 'log', 'onnx', 'rules']);
    assert.match((await h.page.locator('.vc-last').textContent()) ?? '', /judged 640 \(612 from cache\)/);
    // the alignment rates: one chart with a line per source, near the card
    assert.strictEqual(await h.page.locator('.ov-card[data-key="alignment"]').count(), 1);
    assert.strictEqual(await h.page.locator('.ov-card[data-key^="alignment:"]').count(), 0);
    assert.strictEqual(await h.page.locator('.ov-card[data-key="alignment"] .ov-legend-item').count(), 3);
    await h.page.locator('.ov-card[data-key="alignment"] canvas').waitFor();
    await h.page.waitForTimeout(200);
    await h.page.mouse.move(2, 2);
    await h.page.locator('.verdicts-card').scrollIntoViewIfNeeded();
    await h.page.screenshot({ path: path.join(OUT, 'verdicts-card.png') });
    assert.deepStrictEqual(h.cspViolations, []);
    await h.page.close();
  });

  it('changing the source sends setVerdictSource, shows the reply and refreshes the curves and the badges', async () => {
    const h = await openCard(fakeVerdicts(), (source) => fakeVerdicts({ choice: source }));
    const overviews = requests(h, 'getOverview').length;
    const groups = requests(h, 'getGroup').length;
    await h.page.locator('.verdict-source-select').selectOption('rules');
    await h.page.locator('.verdict-counts tr.chosen[data-kind="rules"]').waitFor({ timeout: 5000 });
    assert.deepStrictEqual(requests(h, 'setVerdictSource').map((m) => m.params), [{ source: 'rules' }]);
    assert.strictEqual(await h.page.locator('.verdict-source-select').inputValue(), 'rules');
    await waitFor(() => requests(h, 'getOverview').length > overviews && requests(h, 'getGroup').length > groups, 'the overview and the group are asked again');
    await h.page.close();
  });

  it('judge buttons send runJudge with their kind; an unconfigured judge is disabled and names its setting', async () => {
    const h = await openCard(fakeVerdicts({ judges: { onnx: null, http: 'gpt-4o-mini', clip: null } }));
    const onnx = h.page.locator('.judge-run[data-kind="onnx"]');
    assert.strictEqual(await onnx.isDisabled(), true);
    assert.match((await onnx.getAttribute('title')) ?? '', /rolloutLens\.judge\.modelPath/);
    assert.match((await h.page.locator('.vc-hint').textContent()) ?? '', /rolloutLens\.judge\.modelPath/);
    assert.strictEqual(await h.page.locator('.judge-run[data-kind="http"]').isDisabled(), false);
    await h.page.locator('.judge-run[data-kind="http"]').click();
    await h.page.locator('.judge-run[data-kind="file"]').click();
    await waitFor(() => requests(h, 'runJudge').length === 2, 'two judge runs asked');
    assert.deepStrictEqual(requests(h, 'runJudge').map((m) => m.params), [{ kind: 'http' }, { kind: 'file' }]);
    // both unset: both disabled, the endpoint's setting named too
    await h.push({ kind: 'verdicts', params: fakeVerdicts({ judges: { onnx: null, http: null, clip: null } }) });
    await h.page.locator('.judge-run[data-kind="http"]:disabled').waitFor({ timeout: 5000 });
    assert.match((await h.page.locator('.judge-run[data-kind="http"]').getAttribute('title')) ?? '', /rolloutLens\.judge\.endpoint/);
    assert.strictEqual(await h.page.locator('.judge-run[data-kind="file"]').isDisabled(), false, 'a file needs no setting');
    await h.page.close();
  });

  it('a pushed verdicts message shows the progress at once and re-requests the overview and the group, debounced', async () => {
    const h = await openCard(fakeVerdicts());
    await h.page.waitForTimeout(600); // let the first load settle
    const overviews = requests(h, 'getOverview').length;
    const groups = requests(h, 'getGroup').length;
    for (let i = 1; i <= 5; i++) await h.push({ kind: 'verdicts', params: fakeVerdicts({ running: { kind: 'onnx', done: 120 * i, total: 640 }, last: null }) });
    assert.strictEqual(await h.page.locator('.vc-progress-text').textContent(), 'judging 600 / 640 (onnx)');
    assert.strictEqual(await h.page.locator('.judge-run[data-kind="onnx"]').isDisabled(), true, 'no second run while one runs');
    await waitFor(() => requests(h, 'getOverview').length > overviews && requests(h, 'getGroup').length > groups, 'refetched');
    await h.page.waitForTimeout(800);
    assert.strictEqual(requests(h, 'getOverview').length, overviews + 1, 'five pushes, one overview request');
    assert.strictEqual(requests(h, 'getGroup').length, groups + 1, 'five pushes, one group request');
    assert.deepStrictEqual(requests(h, 'getGroup').pop()?.params, { groupIndex: 0 });
    // the run failed: its message in the theme's error colour
    await h.push({ kind: 'verdicts', params: fakeVerdicts({ running: null, last: { kind: 'http', message: 'endpoint answered 401 <b>Unauthorized</b>', error: true } }) });
    const last = h.page.locator('.vc-last.error');
    await last.waitFor({ timeout: 5000 });
    assert.strictEqual(await last.textContent(), 'http: endpoint answered 401 <b>Unauthorized</b>');
    assert.strictEqual(await last.evaluate((e) => getComputedStyle(e).color), 'rgb(248, 81, 73)');
    assert.strictEqual(await h.page.locator('.vc-progress').count(), 0);
    assert.deepStrictEqual(h.cspViolations, []);
    await h.page.close();
  });

  it('shows the CLIP score next to each generated image, asked once per record, and nothing without a CLIP model', async () => {
    const gen = (g: GroupView) => {
      withVerdicts(g);
      for (const r of g.rollouts) r.generatedImages = [{ ...r.images[0]!, path: 'gen/step1.png', at: null }, { ...r.images[0]!, path: 'gen/step2.png', at: null }];
    };
    let asked = 0;
    const h = await open({}, gen, true, {
      answer: (method) => (method === 'getImageSimilarity' ? (asked++, { result: { model: 'clip-vit-b32', scores: [0.3127, null] } }) : undefined),
    });
    const score = h.page.locator('.gen-image[data-gen="0"] .clip-score');
    await score.waitFor({ timeout: 5000 });
    assert.strictEqual(await score.textContent(), 'CLIP 0.31');
    assert.match((await score.getAttribute('title')) ?? '', /clip-vit-b32/);
    assert.strictEqual(await h.page.locator('.gen-image[data-gen="1"] .clip-score').count(), 0, 'no score for an image the model could not rate');
    const rec = requests(h, 'getImageSimilarity')[0]?.params?.recordIndex;
    await h.page.keyboard.press('j');
    await h.page.keyboard.press('k');
    await h.page.locator('.gen-image[data-gen="0"] .clip-score').waitFor({ timeout: 5000 });
    assert.strictEqual(requests(h, 'getImageSimilarity').filter((m) => m.params?.recordIndex === rec).length, 1, 'once per record');
    assert.ok(asked >= 1);
    await h.page.close();
    // no CLIP model configured: the host answers null, nothing is shown
    const h2 = await open({}, gen);
    await waitFor(() => requests(h2, 'getImageSimilarity').length === 1, 'asked');
    await h2.page.waitForTimeout(300);
    assert.strictEqual(await h2.page.locator('.clip-score').count(), 0);
    assert.ok(await h2.page.locator('.gen-image').count() >= 2);
    await h2.page.close();
  });
});
