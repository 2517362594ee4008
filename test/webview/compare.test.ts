// The Checkpoint Comparison bundle (dist/webview/compare.js) in Debian Chromium (playwright-core), in a plain
// page with the panel's stylesheets, the same strict CSP as in VS Code, the dark --vscode-* theme and a fake
// acquireVsCodeApi whose host answers the compare protocol with canned, typed data: two checkpoints, two
// datasets with ID / OOD slices, real PNG images with ground-truth and predicted boxes on both sides.
// Asserts the table's numbers and marks, the slice and metric pickers, the flip list and its keys, the side
// by side view (canvas pixels where the boxes are), the curves, export, state, errors and text-only strings.
// Saves test-output/webview/compare-table.png, compare-sample.png, compare-curves.png.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, REPO, ensureDir } from '../e2e/harness';
import { encodePng } from '../../extension/demo/png';
import {
  isCompareWebviewToHost, type CompareHostToWebview, type CompareInit, type CompareMethodName, type CompareMethods, type Curve,
  type FlipKind, type FlipRow, type PairSide, type PairView, type TableRow, type TableView,
} from '../../extension/protocol/compare';
import type { BoxView, RolloutView } from '../../extension/protocol/inspector';
import type { CellStat, DeltaStat, MetricId } from '../../extension/core/compare/types';
import { DARK_THEME } from './theme';

const ORIGIN = 'https://rl.test';
const OUT = ensureDir(path.join(REPO, 'test-output', 'webview'));
// VS Code sets these too; theme.ts has the ones the other panes need.
const THEME = DARK_THEME + ` --vscode-button-background:#0078d4; --vscode-button-foreground:#ffffff; --vscode-button-secondaryBackground:#313131;
  --vscode-button-secondaryForeground:#cccccc; --vscode-textCodeBlock-background:#2b2b2b; --vscode-dropdown-background:#313131;
  --vscode-dropdown-foreground:#cccccc; --vscode-dropdown-border:#3c3c3c; --vscode-checkbox-background:#313131; --vscode-checkbox-border:#3c3c3c;`;
const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>';
const COLOUR = { gt: [0x89, 0xd1, 0x85], tp: [0x37, 0x94, 0xff], fp: [0xf1, 0x4c, 0x4c], fn: [0xd1, 0x86, 0x16] } as const;

// ---------------------------------------------------------------- canned data

const A = 'checkpoint-100';
const B = 'checkpoint-200';

/** 200×150, a slate background with a lighter object where the ground truth is. */
function scenePng(): Buffer {
  const W = 200;
  const H = 150;
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) rgb.set(x >= 40 && x < 120 && y >= 30 && y < 100 ? [168, 150, 120] : [70, 82, 96], (y * W + x) * 3);
  }
  return encodePng(W, H, rgb);
}

const GT_BOX: [number, number, number, number] = [40, 30, 120, 100];
const A_BOX: [number, number, number, number] = [44, 34, 124, 104];
const B_BOX: [number, number, number, number] = [140, 90, 190, 140];

function box(b: [number, number, number, number], label: string | null, part: BoxView['part'], span: [number, number] | null = null): BoxView {
  return { box: b, label, frame: 'original', frameAssumed: false, span, part, iou: 0 };
}

function rollout(p: Partial<RolloutView> & { completion: string }): RolloutView {
  return {
    recordIndex: 0, file: '/runs/grpo/checkpoint-100/eval/refcocog.eval.jsonl', line: 1, unit: 'line', step: 100, groupId: 'g', indexInGroup: 0,
    sampleId: '17', promptText: 'Find the dog on the left.',
    images: [{ path: '/data/refcocog/000017.png', url: `${ORIGIN}/img/scene.png`, width: 200, height: 150, orientation: null }],
    answer: null, referenceAnswer: '[40,30,120,100]', gt: [box(GT_BOX, 'dog', null)], pred: [], rewards: [], reward: null, advantage: null,
    advantageSource: null, verdict: null, verdicts: [], issues: [], length: p.completion.length, lengthUnit: 'chars', truncated: false, truncatedWhy: null,
    generatedImages: [], formatOk: true, correct: null,
    ...p,
  };
}

function withBox(think: string, b: [number, number, number, number], answer: string): { completion: string; span: [number, number] } {
  const coords = `[${b.join(',')}]`;
  const completion = `<think>${think} ${coords}.</think><answer>${answer}</answer>`;
  const at = completion.indexOf(coords);
  return { completion, span: [at, at + coords.length] };
}

const cell = (value: number | null, n: number, answers = n): CellStat => ({ value, n, answers });
const delta = (d: number, ci: [number, number], p: number, significant: boolean, n: number, test: DeltaStat['test'] = 'mcnemar'): DeltaStat => ({
  delta: d, ci, p, test, pAdjusted: Math.min(1, p * 2), significant, n,
});

const METRICS: MetricId[] = ['accuracy', 'f1', 'iou', 'iou50', 'format', 'length'];

function datasetRow(dataset: string, slice: string | null, scale = 1): TableRow {
  if (dataset === 'ChartQA') {
    return {
      dataset, slice,
      metrics: [
        { accuracy: cell(0.612 * scale, Math.round(250 / (slice ? 2 : 1))), f1: cell(0.655, 250), format: cell(0.98, 250), length: cell(312.4, 250) },
        { accuracy: cell(0.684 * scale, Math.round(250 / (slice ? 2 : 1))), f1: cell(0.701, 250), format: cell(0.99, 250), length: cell(287.6, 250) },
      ],
      deltas: [null, {
        accuracy: delta(0.072, [0.031, 0.113], 0.0021, true, 250),
        f1: delta(0.046, [-0.004, 0.097], 0.07, false, 250, 'bootstrap'),
        format: delta(0.01, [-0.01, 0.03], 0.5, false, 250),
        length: delta(-24.8, [-40.2, -9.9], 0.001, true, 250, 'bootstrap'),
      }],
    };
  }
  return {
    dataset, slice,
    metrics: [
      { accuracy: cell(0.52, 200), iou: cell(0.5234, 200), iou50: cell(0.55, 200), format: cell(1, 200), length: cell(95.25, 200) },
      { accuracy: cell(0.48, 200), iou: cell(0.5567, 200), iou50: cell(0.575, 200), format: cell(1, 200), length: cell(101.5, 200) },
    ],
    deltas: [null, {
      accuracy: delta(-0.04, [-0.07, -0.01], 0.012, true, 200),
      iou: delta(0.0333, [-0.002, 0.069], 0.09, false, 200, 'bootstrap'),
      iou50: delta(0.025, [-0.02, 0.07], 0.3, false, 200),
      format: delta(0, [0, 0], 1, false, 200),
      length: delta(6.25, [1.1, 11.4], 0.02, true, 200, 'bootstrap'),
    }],
  };
}

const SLICE_VALUES: Record<string, string[]> = { domain: ['ID', 'OOD'], split: ['test'] };

/** A third source: B's numbers again (a checkpoint-150 between A and B). */
function withThird(r: TableRow): TableRow {
  return { ...r, metrics: [...r.metrics, r.metrics[1]!], deltas: [...r.deltas, r.deltas[1]!] };
}

function tableView(slice: string | null, sources = 2): TableView {
  const rows: TableRow[] = [];
  for (const d of ['ChartQA', 'RefCOCOg']) {
    rows.push(datasetRow(d, null));
    if (slice) for (const v of SLICE_VALUES[slice] ?? []) rows.push(datasetRow(d, v, v === 'OOD' ? 0.8 : 1));
  }
  const t = tableView2(slice, rows);
  if (sources === 3) {
    t.rows = t.rows.map(withThird);
    t.overall.push(t.overall[1]!);
    t.flips.push({ aOnly: 1, bOnly: 2, both: 3, neither: 4 });
  }
  return t;
}

function tableView2(slice: string | null, rows: TableRow[]): TableView {
  return {
    slice,
    metrics: METRICS,
    rows,
    overall: [
      { accuracy: cell(0.571, 450), f1: cell(0.655, 250), iou: cell(0.5234, 200), iou50: cell(0.55, 200), format: cell(0.989, 450), length: cell(215.9, 450) },
      { accuracy: cell(0.593, 450), f1: cell(0.701, 250), iou: cell(0.5567, 200), iou50: cell(0.575, 200), format: cell(0.994, 450), length: cell(204.9, 450) },
    ],
    flips: [null, { aOnly: 3, bOnly: 250, both: 10, neither: 2 }],
    legend: [
      'Accuracy: share of prompts answered right (mean@N over the answers of a prompt).',
      'Tests: exact McNemar for binary metrics with one answer per prompt, else a paired bootstrap (2000 resamples, seed 1); Holm over the cells of a metric.',
    ],
  };
}

function flipRow(key: string, dataset: string, domain: string, question: string, a: [boolean, string], b: [boolean, string]): FlipRow {
  return { key, dataset, slice: { dataset, domain }, question, a: { correct: a[0], answer: a[1] }, b: { correct: b[0], answer: b[1] } };
}

const FLIPS: Record<FlipKind, FlipRow[]> = {
  aOnly: [
    flipRow('RefCOCOg:17', 'RefCOCOg', 'ID', 'Find the dog on the left.', [true, '[44,34,124,104]'], [false, '[140,90,190,140]']),
    flipRow('ChartQA:23', 'ChartQA', 'OOD', `Which year? ${EVIL}`, [true, EVIL], [false, '2018']),
    flipRow('RefCOCOg:7', 'RefCOCOg', 'OOD', 'Find the red car.', [true, '[1,2,3,4]'], [false, '[5,6,7,8]']),
  ],
  bOnly: Array.from({ length: 250 }, (_, i) => flipRow(`ChartQA:${1000 + i}`, 'ChartQA', i % 3 ? 'ID' : 'OOD', `What is the value of bar ${i + 1}?`, [false, String(i)], [true, String(i + 1)])),
  both: Array.from({ length: 10 }, (_, i) => flipRow(`ChartQA:${2000 + i}`, 'ChartQA', 'ID', `Question ${i + 1} both got right`, [true, 'yes'], [true, 'yes'])),
  neither: [
    flipRow('RefCOCOg:99', 'RefCOCOg', 'OOD', 'Find the person behind the fence.', [false, '[0,0,10,10]'], [false, '—']),
    flipRow('ChartQA:98', 'ChartQA', 'ID', 'What is the total?', [false, '12'], [false, '13']),
  ],
};

function side(source: number, r: RolloutView | null, scores: PairSide['scores']): PairSide {
  return { source, name: source === 0 ? A : B, rollout: r, scores, answers: 1 };
}

function pairView(key: string): PairView {
  if (key === 'RefCOCOg:7') throw new Error('RefCOCOg:7 could not be read: line 7 of refcocog.eval.jsonl is not valid JSON');
  const a = withBox('The dog on the left is at', A_BOX, `[${A_BOX.join(',')}]`);
  const b = withBox('I think the dog is at', B_BOX, `[${B_BOX.join(',')}]`);
  const ra = rollout({ completion: a.completion, answer: `[${A_BOX.join(',')}]`, pred: [box(A_BOX, 'dog', 'answer', a.span)], correct: true });
  const rb = rollout({
    completion: b.completion, answer: `[${B_BOX.join(',')}]`, pred: [box(B_BOX, 'dog', 'answer', b.span)], correct: false, step: 200,
    file: '/runs/grpo/checkpoint-200/eval/refcocog.eval.jsonl', line: 17,
  });
  if (key === 'ChartQA:23') {
    const evil = rollout({ completion: `<think>${EVIL}</think><answer>${EVIL}</answer>`, answer: EVIL, images: [], gt: [], correct: true });
    return {
      key, dataset: 'ChartQA', question: `Which year? ${EVIL}`,
      sides: [side(0, evil, { accuracy: 1 }), side(1, { ...evil, answer: '2018', correct: false }, { accuracy: 0 })],
      changes: [`answer ${EVIL} → 2018`],
    };
  }
  if (key === 'RefCOCOg:99') {
    return { key, dataset: 'RefCOCOg', question: 'Find the person behind the fence.', sides: [side(0, ra, { accuracy: 0 }), side(1, null, {})], changes: [] };
  }
  return {
    key, dataset: 'RefCOCOg', question: 'Find the dog on the left.',
    sides: [side(0, ra, { accuracy: 1, iou: 0.822 }), side(1, rb, { accuracy: 0, iou: 0 })],
    changes: ['answer [44,34,124,104] → [140,90,190,140]', "box moved: IoU with A's 0.00", 'IoU 0.822 → 0.000'],
  };
}

const CURVES: Curve[] = (['ChartQA', 'RefCOCOg'] as const).flatMap((dataset, d) => (['accuracy', 'iou'] as MetricId[]).filter((m) => d === 1 || m !== 'iou').map((metric) => ({
  dataset, metric,
  points: [100, 150, 200].map((step, i) => ({ step, source: `checkpoint-${step}`, value: metric === 'iou' ? 0.5 + 0.02 * i : d === 0 ? 0.61 + 0.035 * i : 0.52 - 0.02 * i, n: 200 })),
})));

function initPayload(patch: Partial<CompareInit> = {}): CompareInit {
  return {
    title: 'grpo-qwen2.5vl: checkpoint-100 vs checkpoint-200',
    sources: [
      { name: A, kind: 'checkpoint', path: '/runs/grpo/checkpoint-100', step: 100, evalFiles: ['/runs/grpo/checkpoint-100/eval/chartqa.eval.jsonl', '/runs/grpo/checkpoint-100/eval/refcocog.eval.jsonl'], rewards: ['accuracy', 'format'], samples: 450 },
      { name: B, kind: 'checkpoint', path: '/runs/grpo/checkpoint-200', step: 200, evalFiles: ['/runs/grpo/checkpoint-200/eval/chartqa.eval.jsonl', '/runs/grpo/checkpoint-200/eval/refcocog.eval.jsonl'], rewards: ['accuracy', 'format'], samples: 453 },
    ],
    sliceFields: ['domain', 'split'],
    slice: 'domain',
    metrics: METRICS,
    matchedBy: 'id',
    unmatched: [
      { source: 0, name: A, count: 3, examples: ['ChartQA:501', 'ChartQA:502', `ChartQA:${EVIL}`] },
      { source: 1, name: B, count: 0, examples: [] },
    ],
    issues: [{ file: '/runs/grpo/checkpoint-200/eval/refcocog.eval.jsonl', line: 7, message: 'not valid JSON', severity: 'error' }],
    issueCount: 1,
    curvePoints: 3,
    iterations: 2000,
    alpha: 0.05,
    ...patch,
  };
}

// ---------------------------------------------------------------- the page

function html(nonce: string): string {
  const csp = `default-src 'none'; img-src ${ORIGIN} blob: data:; style-src ${ORIGIN}; font-src ${ORIGIN}; script-src 'nonce-${nonce}'`;
  const css = ['uplot', 'inspector', 'canvas', 'panes', 'compare'].map((n) => `<link rel="stylesheet" href="${ORIGIN}/dist/webview/${n}.css">`).join('');
  return `<!DOCTYPE html><html style="${THEME.replace(/\n/g, ' ')}"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">${css}</head>
<body><div id="app"></div>
<script type="module" nonce="${nonce}" src="${ORIGIN}/dist/webview/compare.js"></script></body></html>`;
}

type RequestOf<M extends CompareMethodName> = { kind: 'request'; id: number; method: M; params: CompareMethods[M]['params'] };

interface Harness {
  page: Page;
  sent: unknown[];
  requests<M extends CompareMethodName>(method: M): Array<RequestOf<M>>;
  problems(): Promise<string[]>;
  reply(m: CompareHostToWebview): Promise<void>;
  state(): Promise<Record<string, unknown> | undefined>;
}

interface OpenOptions {
  init?: Partial<CompareInit>;
  /** Answer `ready` with a progress message only; the test sends init (or failed) itself. */
  hold?: boolean;
  /** The state the webview finds in getState (as VS Code restores it). */
  state?: unknown;
  /** Wait for the table to be drawn. */
  waitTable?: boolean;
}

describe('checkpoint comparison webview (Chromium)', function () {
  this.timeout(90_000);
  let browser: Browser;
  const png = scenePng();

  before(async () => {
    assert.ok(fs.existsSync(path.join(REPO, 'dist', 'webview', 'compare.js')), 'dist/webview/compare.js is built (node scripts/build.mjs)');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  async function open(opts: OpenOptions = {}): Promise<Harness> {
    const p = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const sent: unknown[] = [];
    const problems: string[] = [];
    p.on('console', (m) => {
      if (process.env.RL_DEBUG) console.log('    [console]', m.text());
      if (/Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
    });
    p.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
    const nonce = Math.random().toString(36).slice(2);
    await p.route(`${ORIGIN}/**`, async (route) => {
      const u = new URL(route.request().url());
      if (u.pathname === '/index.html') return route.fulfill({ contentType: 'text/html', body: html(nonce) });
      if (u.pathname === '/img/scene.png') return route.fulfill({ contentType: 'image/png', body: png, headers: { 'access-control-allow-origin': '*' } });
      const file = path.join(REPO, decodeURIComponent(u.pathname));
      if (!u.pathname.startsWith('/dist/webview/') || !fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
      return route.fulfill({ contentType: type, body: fs.readFileSync(file) });
    });
    const reply = async (m: CompareHostToWebview) => {
      await p.evaluate((msg) => (globalThis as unknown as { postMessage(x: unknown, o: string): void }).postMessage(msg, '*'), m);
    };
    const init = initPayload(opts.init);
    await p.exposeFunction('__toHost', async (m: unknown) => {
      sent.push(m);
      if (!isCompareWebviewToHost(m)) throw new Error('webview sent a malformed message: ' + JSON.stringify(m));
      if (m.kind === 'ready') {
        await reply({ kind: 'progress', params: { message: 'Reading checkpoint-200: refcocog.eval.jsonl (2 of 4 files)…' } });
        if (!opts.hold) await reply({ kind: 'init', params: init });
      } else if (m.kind === 'request') {
        try {
          let result: unknown = null;
          switch (m.method) {
            case 'getTable':
              if (m.params.slice === 'broken') throw new Error('no sample has the field broken');
              result = tableView(m.params.slice, init.sources.length);
              break;
            case 'getFlips': {
              const all = FLIPS[m.params.kind].filter((r) => m.params.dataset === null || r.dataset === m.params.dataset);
              result = { total: all.length, rows: all.slice(m.params.offset, m.params.offset + m.params.limit) };
              break;
            }
            case 'getPair':
              result = pairView(m.params.key);
              break;
            case 'getCurves':
              result = CURVES;
              break;
            case 'export':
              result = `/runs/grpo/compare.${m.params.format === 'csv' ? 'csv' : 'md'}`;
              break;
            case 'revealLine':
              result = null;
              break;
          }
          await reply({ kind: 'response', id: m.id, ok: true, result });
        } catch (e) {
          await reply({ kind: 'response', id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
        }
      }
    });
    await p.addInitScript((initial: unknown) => {
      const g = globalThis as unknown as {
        __state: unknown; __csp: string[]; __toHost(m: unknown): void; acquireVsCodeApi(): unknown;
        document: { addEventListener(t: string, f: (e: { violatedDirective: string; blockedURI: string }) => void): void };
      };
      g.__state = initial ?? undefined;
      g.__csp = [];
      g.document.addEventListener('securitypolicyviolation', (e) => g.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      g.acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => g.__toHost(m),
        getState: () => g.__state,
        setState: (s: unknown) => { g.__state = JSON.parse(JSON.stringify(s)); },
      });
    }, opts.state ?? null);
    await p.goto(`${ORIGIN}/index.html`);
    const h: Harness = {
      page: p,
      sent,
      requests: <M extends CompareMethodName>(method: M) =>
        sent.filter((m): m is RequestOf<M> => (m as { kind?: string }).kind === 'request' && (m as { method: string }).method === method),
      problems: async () => [...problems, ...(await p.evaluate(() => (globalThis as unknown as { __csp: string[] }).__csp))],
      reply,
      state: () => p.evaluate(() => (globalThis as unknown as { __state: Record<string, unknown> | undefined }).__state),
    };
    if (!opts.hold && opts.waitTable !== false) {
      try {
        await p.locator('.cmp-table').waitFor({ state: 'attached', timeout: 20_000 });
      } catch (e) {
        await p.screenshot({ path: path.join(OUT, 'compare-open-failed.png') });
        throw new Error(`the table did not appear (${e}); sent: ${JSON.stringify(sent).slice(0, 500)}; problems: ${(await h.problems()).join(' | ')}; page: ${(await p.locator('#app').textContent())?.slice(0, 300)}`);
      }
    }
    return h;
  }

  const cellSel = (dataset: string, slice: string, metric: MetricId, source: number) =>
    `.cmp-row[data-dataset="${dataset}"][data-slice="${slice}"] .cmp-cell[data-metric="${metric}"][data-source="${source}"]`;
  const text = async (p: Page, sel: string) => ((await p.locator(sel).first().textContent()) ?? '').trim();

  /** RGBA at image pixel (ix, iy) of the first canvas of side `source` (the canvas is drawn at dpr 1). */
  async function sidePixel(p: Page, source: number, ix: number, iy: number): Promise<number[][]> {
    return p.evaluate(([src, x, y]) => {
      const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
      const cv = doc.querySelector(`.cmp-side[data-source="${src}"] canvas.rlc-canvas`) as {
        width: number; getContext(k: string): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
      } | null;
      if (!cv) throw new Error(`no canvas on side ${src}`);
      const s = cv.width / 200;
      const cx = Math.round(x * s);
      const cy = Math.round(y * s);
      const d = cv.getContext('2d').getImageData(cx - 1, cy, 3, 1).data;
      return [0, 1, 2].map((k) => [d[k * 4]!, d[k * 4 + 1]!, d[k * 4 + 2]!]);
    }, [source, ix, iy] as const);
  }
  const near = (pxs: number[][], want: readonly number[], tol = 14) => pxs.some((px) => want.every((v, k) => Math.abs(v - px[k]!) <= tol));

  it('shows progress until init, then the header: sources, matching, unmatched examples, issues', async () => {
    const h = await open({ hold: true });
    await h.page.locator('.cmp-progress').filter({ hasText: 'Reading checkpoint-200' }).waitFor({ timeout: 20_000 });
    assert.deepStrictEqual(h.sent[0], { kind: 'ready' });
    await h.reply({ kind: 'init', params: initPayload() });
    await h.page.locator('.cmp-table').waitFor();
    assert.strictEqual(await h.page.locator('.cmp-progress').count(), 0);
    const chips = await h.page.locator('.cmp-source').allTextContents();
    assert.deepStrictEqual(chips, ['Acheckpoint-100step 100 · 450 samplesbaseline', 'Bcheckpoint-200step 200 · 453 samples']);
    assert.strictEqual(await h.page.locator('.cmp-source[data-source="0"].cmp-baseline').count(), 1);
    // matching line: the unmatched examples are one click away, shown as text
    const matching = h.page.locator('.cmp-matching summary');
    assert.match((await matching.textContent()) ?? '', /^matched by id · 3 unmatched in checkpoint-100 \(list\)$/);
    assert.ok(!(await h.page.locator('.cmp-unmatched-list').isVisible()));
    await matching.click();
    assert.deepStrictEqual(await h.page.locator('.cmp-unmatched[data-source="0"] li').allTextContents(), ['ChartQA:501', 'ChartQA:502', `ChartQA:${EVIL}`]);
    // issues: file:line message; a click asks the host to reveal the line
    await h.page.locator('.cmp-issues summary').click();
    assert.strictEqual(await text(h.page, '.cmp-issue'), 'refcocog.eval.jsonl:7: not valid JSON');
    await h.page.locator('.cmp-issue').click();
    await h.page.waitForFunction(() => true);
    assert.deepStrictEqual(h.requests('revealLine').map((r) => r.params), [{ file: '/runs/grpo/checkpoint-200/eval/refcocog.eval.jsonl', line: 7 }]);
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.close();
  });

  it('formats the table: percentages, mean IoU, length, n, Δ with CI titles and significance marks', async () => {
    const h = await open();
    // the first getTable uses the slice init chose
    assert.deepStrictEqual(h.requests('getTable').map((r) => r.params), [{ slice: 'domain' }]);
    assert.strictEqual(await h.page.locator('.cmp-slice').inputValue(), 'domain');
    // rows: dataset (bold) then its slices (indented)
    const rows = await h.page.locator('.cmp-table tbody .cmp-row').evaluateAll((es) => es.map((e) => `${e.getAttribute('data-dataset')}/${e.getAttribute('data-slice')}/${e.className}`));
    assert.deepStrictEqual(rows, [
      'ChartQA//cmp-row cmp-row-dataset', 'ChartQA/ID/cmp-row cmp-row-slice', 'ChartQA/OOD/cmp-row cmp-row-slice',
      'RefCOCOg//cmp-row cmp-row-dataset', 'RefCOCOg/ID/cmp-row cmp-row-slice', 'RefCOCOg/OOD/cmp-row cmp-row-slice',
    ]);
    const weight = await h.page.locator('.cmp-row[data-dataset="ChartQA"][data-slice=""] .cmp-rowname').evaluate((e) => getComputedStyle(e).fontWeight);
    assert.strictEqual(weight, '700');
    // default metrics: accuracy, F1, mean IoU
    const metrics = await h.page.locator('.cmp-th-metric').evaluateAll((es) => es.map((e) => e.getAttribute('data-metric')));
    assert.deepStrictEqual(metrics, ['accuracy', 'f1', 'iou']);
    assert.deepStrictEqual(await h.page.locator('.cmp-th-metric').allTextContents(), ['Accuracy %', 'F1 %', 'mean IoU']);
    // accuracy: percent with 1 decimal, n under it; Δ in points, significant → marked
    assert.strictEqual(await text(h.page, cellSel('ChartQA', '', 'accuracy', 0) + ' .cmp-val'), '61.2');
    assert.strictEqual(await text(h.page, cellSel('ChartQA', '', 'accuracy', 0) + ' .cmp-n'), 'n 250');
    assert.strictEqual(await h.page.locator(cellSel('ChartQA', '', 'accuracy', 0) + ' .cmp-delta').count(), 0, 'no Δ for A');
    assert.strictEqual(await text(h.page, cellSel('ChartQA', '', 'accuracy', 1) + ' .cmp-val'), '68.4');
    const d = h.page.locator(cellSel('ChartQA', '', 'accuracy', 1) + ' .cmp-delta');
    assert.strictEqual(await d.textContent(), '+7.2*');
    assert.strictEqual(await d.getAttribute('class'), 'cmp-delta sig pos');
    assert.strictEqual(await h.page.locator(cellSel('ChartQA', '', 'accuracy', 1) + ' .cmp-delta .cmp-mark').count(), 1);
    const title = (await d.getAttribute('title')) ?? '';
    assert.match(title, /95 % CI \[\+3\.1, \+11\.3\] pp/);
    assert.match(title, /p = 0\.002 \(exact McNemar\), Holm-adjusted p = 0\.004/);
    assert.match(title, /significant at α = 0\.05/);
    // slices: their own values (OOD scaled in the canned data)
    assert.strictEqual(await text(h.page, cellSel('ChartQA', 'OOD', 'accuracy', 0) + ' .cmp-val'), '49.0');
    assert.strictEqual(await text(h.page, cellSel('ChartQA', 'OOD', 'accuracy', 0) + ' .cmp-n'), 'n 125');
    // a significant drop: minus sign, red class
    assert.strictEqual(await text(h.page, cellSel('RefCOCOg', '', 'accuracy', 1) + ' .cmp-delta'), '−4.0*');
    assert.match((await h.page.locator(cellSel('RefCOCOg', '', 'accuracy', 1) + ' .cmp-delta').getAttribute('class')) ?? '', /sig neg/);
    // mean IoU: 3 decimals; not significant → muted, no mark
    assert.strictEqual(await text(h.page, cellSel('RefCOCOg', '', 'iou', 0) + ' .cmp-val'), '0.523');
    assert.strictEqual(await text(h.page, cellSel('RefCOCOg', '', 'iou', 1) + ' .cmp-val'), '0.557');
    const ns = h.page.locator(cellSel('RefCOCOg', '', 'iou', 1) + ' .cmp-delta');
    assert.strictEqual(await ns.textContent(), '+0.033');
    assert.match((await ns.getAttribute('class')) ?? '', /\bns\b/);
    assert.match((await ns.getAttribute('title')) ?? '', /95 % CI \[−0\.002, \+0\.069\]\np = 0\.090 \(paired bootstrap\)/);
    const [sigColour, nsColour] = await Promise.all([d, ns].map((l) => l.evaluate((e) => getComputedStyle(e).color)));
    assert.notStrictEqual(sigColour, nsColour, 'significant and not significant look different');
    // a metric a dataset lacks
    assert.strictEqual(await text(h.page, cellSel('ChartQA', '', 'iou', 0) + ' .cmp-val'), '—');
    // the overall row and the legend
    assert.strictEqual(await text(h.page, '.cmp-row-overall .cmp-cell[data-metric="accuracy"][data-source="1"] .cmp-val'), '59.3');
    const legend = await h.page.locator('.cmp-legend-line').allTextContents();
    assert.strictEqual(legend.length, 3);
    assert.match(legend[0]!, /A = checkpoint-100 · B = checkpoint-200/);
    assert.match(legend[2]!, /^Tests: exact McNemar/);
    // flip counts above the table
    assert.match((await h.page.locator('.cmp-flipline[data-source="1"]').textContent()) ?? '', /✓→✗3✗→✓250both ✓10both ✗2net \+247/);
    await h.page.screenshot({ path: path.join(OUT, 'compare-table.png'), fullPage: true });
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.close();
  });

  it('asks getTable again when the slice changes; the metric picker adds and removes column groups', async () => {
    const h = await open();
    await h.page.locator('.cmp-slice').selectOption('split');
    await h.page.locator('.cmp-row[data-dataset="ChartQA"][data-slice="test"]').waitFor();
    assert.strictEqual(await h.page.locator('.cmp-row[data-slice="ID"]').count(), 0);
    await h.page.locator('.cmp-slice').selectOption('');
    await h.page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.cmp-row-slice').length === 0);
    assert.deepStrictEqual(h.requests('getTable').map((r) => r.params), [{ slice: 'domain' }, { slice: 'split' }, { slice: null }]);
    assert.strictEqual(await h.page.locator('.cmp-table tbody .cmp-row').count(), 2);
    // metrics: drop mean IoU, add Length (plain numbers)
    await h.page.locator('.cmp-metric-toggle[data-metric="iou"]').click();
    await h.page.locator('.cmp-metric-toggle[data-metric="length"]').click();
    const metrics = await h.page.locator('.cmp-th-metric').evaluateAll((es) => es.map((e) => e.getAttribute('data-metric')));
    assert.deepStrictEqual(metrics, ['accuracy', 'f1', 'length']);
    assert.strictEqual(await text(h.page, cellSel('ChartQA', '', 'length', 0) + ' .cmp-val'), '312');
    assert.strictEqual(await text(h.page, cellSel('ChartQA', '', 'length', 1) + ' .cmp-delta'), '−24.8*');
    assert.match((await h.page.locator(cellSel('ChartQA', '', 'length', 1) + ' .cmp-delta').getAttribute('class')) ?? '', /neutral/, 'shorter is not colored as better or worse');
    const st = await h.state();
    assert.deepStrictEqual(st?.metrics, ['accuracy', 'f1', 'length']);
    assert.strictEqual(st?.slice, null);
    // export: the format and the slice shown; the saved path is said
    await h.page.locator('.cmp-export[data-format="csv"]').click();
    await h.page.locator('.cmp-status').filter({ hasText: 'Saved /runs/grpo/compare.csv' }).waitFor();
    await h.page.locator('.cmp-export[data-format="markdown"]').click();
    await h.page.locator('.cmp-status').filter({ hasText: 'Saved /runs/grpo/compare.md' }).waitFor();
    assert.deepStrictEqual(h.requests('export').map((r) => r.params), [{ format: 'csv', slice: null }, { format: 'markdown', slice: null }]);
    assert.deepStrictEqual(await h.problems(), []);
    await h.page.close();
  });

  it('lists a flip bucket, moves with j/k, opens the pair side by side with both canvases drawn, Esc goes back', async () => {
    const h = await open();
    // the ✓→✗ count above the table opens the Flips tab on that bucket
    await h.page.locator('.cmp-flipbtn[data-source="1"][data-kind="aOnly"]').click();
    await h.page.locator('.cmp-view[data-view="flips"]:not([hidden]) .cmp-flip').first().waitFor();
    assert.strictEqual(await h.page.locator('.cmp-tab[data-tab="flips"]').getAttribute('aria-selected'), 'true');
    assert.strictEqual(await h.page.locator('.cmp-bucket.active').getAttribute('data-kind'), 'aOnly');
    assert.deepStrictEqual(await h.page.locator('.cmp-bucket .cmp-bucket-count').allTextContents(), ['3', '250', '10', '2']);
    const keys = await h.page.locator('.cmp-flip').evaluateAll((es) => es.map((e) => e.getAttribute('data-key')));
    assert.deepStrictEqual(keys, ['RefCOCOg:17', 'ChartQA:23', 'RefCOCOg:7']);
    const last = h.requests('getFlips').at(-1)!;
    assert.deepStrictEqual(last.params, { against: 1, kind: 'aOnly', dataset: null, offset: 0, limit: 100 });
    // a log string with markup is text
    assert.strictEqual(await text(h.page, '.cmp-flip[data-key="ChartQA:23"] .cmp-flip-q'), `Which year? ${EVIL}`);
    assert.strictEqual(await text(h.page, '.cmp-flip[data-key="ChartQA:23"] .cmp-flip-a .cmp-flip-text'), EVIL);
    assert.strictEqual(await h.page.locator('#app img, #app script, #app b').count(), 0);
    const selected = () => h.page.locator('.cmp-flip.selected').getAttribute('data-key');
    assert.strictEqual(await selected(), 'RefCOCOg:17');
    await h.page.keyboard.press('j');
    assert.strictEqual(await selected(), 'ChartQA:23');
    await h.page.keyboard.press('j');
    await h.page.keyboard.press('j'); // stops at the end
    assert.strictEqual(await selected(), 'RefCOCOg:7');
    await h.page.keyboard.press('k');
    await h.page.keyboard.press('ArrowUp');
    assert.strictEqual(await selected(), 'RefCOCOg:17');
    await h.page.screenshot({ path: path.join(OUT, 'compare-flips.png') });
    // Enter: the side by side view
    await h.page.keyboard.press('Enter');
    await h.page.locator('.cmp-side[data-source="0"] canvas.rlc-canvas[data-state="image"]').waitFor({ timeout: 20_000 });
    await h.page.locator('.cmp-side[data-source="1"] canvas.rlc-canvas[data-state="image"]').waitFor({ timeout: 20_000 });
    assert.deepStrictEqual(h.requests('getPair').map((r) => r.params), [{ key: 'RefCOCOg:17', sources: [0, 1] }]);
    assert.strictEqual(await h.page.locator('.cmp-tab[data-tab="sample"]').getAttribute('aria-selected'), 'true');
    assert.strictEqual(await text(h.page, '.cmp-sample-pos'), '1 of 3 · ✓ A → ✗ B');
    assert.deepStrictEqual(await h.page.locator('.cmp-change').allTextContents(), ['answer [44,34,124,104] → [140,90,190,140]', "box moved: IoU with A's 0.00", 'IoU 0.822 → 0.000']);
    assert.strictEqual(await text(h.page, '.cmp-side[data-source="0"] .cmp-answer'), '[44,34,124,104]');
    assert.strictEqual(await text(h.page, '.cmp-side[data-source="1"] .cmp-answer'), '[140,90,190,140]');
    assert.deepStrictEqual(await h.page.locator('.cmp-side[data-source="0"] .cmp-score').allTextContents(), ['Accuracy100.0 %', 'mean IoU0.822']);
    // the two canvases side by side, the same height
    const [ba, bb] = await Promise.all([0, 1].map((s) => h.page.locator(`.cmp-side[data-source="${s}"] canvas.rlc-canvas`).boundingBox()));
    assert.ok(ba && bb && bb.x > ba.x + ba.width && Math.abs(ba.y - bb.y) < 1, `side by side: ${JSON.stringify([ba, bb])}`);
    // pixels: on A the GT is matched (green) by A's box (TP, blue); on B the GT is missed (FN, orange) and B's box is FP (red)
    await h.page.waitForTimeout(100);
    const midA = (A_BOX[1] + A_BOX[3]) / 2;
    const midGt = (GT_BOX[1] + GT_BOX[3]) / 2 + 10;
    assert.ok(near(await sidePixel(h.page, 0, A_BOX[0], midA), COLOUR.tp), `A: TP edge ${JSON.stringify(await sidePixel(h.page, 0, A_BOX[0], midA))}`);
    assert.ok(near(await sidePixel(h.page, 0, GT_BOX[0], midGt), COLOUR.gt), `A: GT edge ${JSON.stringify(await sidePixel(h.page, 0, GT_BOX[0], midGt))}`);
    assert.ok(near(await sidePixel(h.page, 1, GT_BOX[0], midGt), COLOUR.fn), `B: GT edge (missed) ${JSON.stringify(await sidePixel(h.page, 1, GT_BOX[0], midGt))}`);
    assert.ok(near(await sidePixel(h.page, 1, B_BOX[0], (B_BOX[1] + B_BOX[3]) / 2), COLOUR.fp), `B: FP edge ${JSON.stringify(await sidePixel(h.page, 1, B_BOX[0], (B_BOX[1] + B_BOX[3]) / 2))}`);
    assert.ok(!near(await sidePixel(h.page, 1, A_BOX[0], midA), COLOUR.tp), 'A\'s box is not drawn on B');
    // traces: think / answer parts and the box mention
    assert.strictEqual(await h.page.locator('.cmp-side[data-source="0"] .cmp-trace .tag').count(), 4);
    assert.strictEqual(await text(h.page, '.cmp-side[data-source="1"] .cmp-trace .part-answer:not(.tag)'), '[140,90,190,140]');
    assert.strictEqual(await text(h.page, '.cmp-side[data-source="0"] .cmp-trace .mention'), '[44,34,124,104]');
    // the IoU threshold moves on both canvases
    await h.page.locator('.cmp-side[data-source="0"] .rlc-range').evaluate((e) => {
      (e as unknown as { value: string }).value = '0.9';
      e.dispatchEvent(new Event('input', { bubbles: true }));
    });
    assert.strictEqual(await h.page.locator('.cmp-side[data-source="1"] .rlc-range').inputValue(), '0.9');
    assert.strictEqual((await h.state())?.threshold, 0.9);
    // Open in log
    await h.page.locator('.cmp-side[data-source="1"] .cmp-reveal').click();
    await h.page.waitForFunction(() => true);
    assert.deepStrictEqual(h.requests('revealLine').at(-1)?.params, { file: '/runs/grpo/checkpoint-200/eval/refcocog.eval.jsonl', line: 17 });
    await h.page.locator('.cmp-side[data-source="0"] .rlc-range').evaluate((e) => {
      (e as unknown as { value: string }).value = '0.5';
      e.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await h.page.mouse.move(0, 0);
    // tall enough to show the traces under the images (the view scrolls in a 900 px panel)
    await h.page.setViewportSize({ width: 1300, height: 1300 });
    await h.page.waitForTimeout(200);
    await h.page.screenshot({ path: path.join(OUT, 'compare-sample.png') });
    // Esc: back to the list, the row still selected
    await h.page.keyboard.press('Escape');
    await h.page.locator('.cmp-view[data-view="flips"]:not([hidden])').waitFor();
    assert.strictEqual(await selected(), 'RefCOCOg:17');
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.close();
  });

  it('j/k step through the list in the side by side view; a failed pair says why inline; log markup stays text', async () => {
    const h = await open();
    await h.page.keyboard.press('2');
    await h.page.locator('.cmp-flip').first().waitFor();
    await h.page.keyboard.press('Enter');
    await h.page.locator('.cmp-side[data-source="0"] canvas.rlc-canvas[data-state="image"]').waitFor({ timeout: 20_000 });
    await h.page.keyboard.press('j');
    await h.page.locator('.cmp-sample-pos').filter({ hasText: '2 of 3' }).waitFor();
    await h.page.locator('.cmp-question').filter({ hasText: 'Which year?' }).waitFor();
    assert.strictEqual(await text(h.page, '.cmp-question'), `Which year? ${EVIL}`);
    assert.strictEqual(await text(h.page, '.cmp-side[data-source="0"] .cmp-answer'), EVIL);
    assert.strictEqual(await text(h.page, '.cmp-change'), `answer ${EVIL} → 2018`);
    assert.strictEqual(await h.page.locator('.cmp-side[data-source="0"] .cmp-trace').textContent(), `<think>${EVIL}</think><answer>${EVIL}</answer>`);
    assert.strictEqual(await h.page.locator('#app img, #app script, #app b').count(), 0);
    assert.strictEqual(await h.page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
    await h.page.keyboard.press('j');
    await h.page.locator('.cmp-sample-status.cmp-error').waitFor();
    assert.match(await text(h.page, '.cmp-sample-status'), /^Could not load this prompt: RefCOCOg:7 could not be read: line 7 of refcocog\.eval\.jsonl is not valid JSON$/);
    await h.page.keyboard.press('j'); // the end of the list: stays
    await h.page.keyboard.press('k');
    await h.page.locator('.cmp-sample-pos').filter({ hasText: '2 of 3' }).waitFor();
    await h.page.locator('.cmp-question').filter({ hasText: 'Which year?' }).waitFor();
    assert.strictEqual(await h.page.locator('.cmp-sample-status.cmp-error').count(), 0);
    assert.deepStrictEqual(h.requests('getPair').map((r) => r.params.key), ['RefCOCOg:17', 'ChartQA:23', 'RefCOCOg:7', 'ChartQA:23']);
    // a side the source did not evaluate
    await h.page.keyboard.press('Escape');
    await h.page.locator('.cmp-bucket[data-kind="neither"]').click();
    await h.page.locator('.cmp-flip[data-key="RefCOCOg:99"]').waitFor();
    await h.page.keyboard.press('Enter');
    await h.page.locator('.cmp-side[data-source="1"] .cmp-missing').filter({ hasText: `not evaluated by ${B}` }).waitFor();
    assert.ok(!(await h.page.locator('.cmp-side[data-source="1"] .cmp-side-canvas').isVisible()));
    assert.strictEqual(await text(h.page, '.cmp-change'), 'no change in answer, boxes or scores');
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.close();
  });

  it('pages a long bucket, filters by dataset, and keeps tab, slice, metrics, bucket and position in the state', async () => {
    const h = await open();
    await h.page.keyboard.press('2');
    await h.page.keyboard.press('ArrowRight'); // next bucket: ✗→✓
    await h.page.locator('.cmp-flip[data-key="ChartQA:1000"]').waitFor();
    assert.strictEqual(await h.page.locator('.cmp-bucket.active').getAttribute('data-kind'), 'bOnly');
    assert.strictEqual(await h.page.locator('.cmp-flip').count(), 100);
    assert.strictEqual(await text(h.page, '.cmp-page-pos'), '1–100 of 250');
    await h.page.keyboard.press('PageDown');
    await h.page.locator('.cmp-flip[data-key="ChartQA:1100"].selected').waitFor();
    assert.strictEqual(await text(h.page, '.cmp-page-pos'), '101–200 of 250');
    assert.deepStrictEqual(h.requests('getFlips').at(-1)?.params, { against: 1, kind: 'bOnly', dataset: null, offset: 100, limit: 100 });
    await h.page.keyboard.press('k'); // back across the page boundary
    await h.page.locator('.cmp-flip[data-key="ChartQA:1099"].selected').waitFor();
    assert.strictEqual(await text(h.page, '.cmp-page-pos'), '1–100 of 250');
    await h.page.keyboard.press('End');
    await h.page.locator('.cmp-flip[data-key="ChartQA:1249"].selected').waitFor();
    const st = await h.state();
    assert.deepStrictEqual(st?.flip, { against: 1, kind: 'bOnly', dataset: null, index: 249 });
    assert.strictEqual(st?.tab, 'flips');
    // dataset filter
    await h.page.locator('.cmp-dataset').selectOption('RefCOCOg');
    await h.page.locator('.cmp-flips .cmp-empty').filter({ hasText: 'No prompt is wrong in checkpoint-100, right in checkpoint-200 in RefCOCOg.' }).waitFor();
    assert.deepStrictEqual(h.requests('getFlips').at(-1)?.params, { against: 1, kind: 'bOnly', dataset: 'RefCOCOg', offset: 0, limit: 100 });
    await h.page.close();

    // a reopened panel comes back where it was (VS Code restores getState)
    const saved = { ...st, slice: 'split', metrics: ['accuracy', 'iou50'], tab: 'flips', flip: { against: 1, kind: 'bOnly', dataset: null, index: 150 } };
    const r = await open({ state: saved });
    assert.deepStrictEqual(r.requests('getTable')[0]?.params, { slice: 'split' });
    assert.strictEqual(await r.page.locator('.cmp-slice').inputValue(), 'split');
    const metrics = await r.page.locator('.cmp-th-metric').evaluateAll((es) => es.map((e) => e.getAttribute('data-metric')));
    assert.deepStrictEqual(metrics, ['accuracy', 'iou50']);
    assert.strictEqual(await r.page.locator('.cmp-tab.active').getAttribute('data-tab'), 'flips');
    await r.page.locator('.cmp-flip[data-key="ChartQA:1150"].selected').waitFor();
    assert.strictEqual(await r.page.locator('.cmp-bucket.active').getAttribute('data-kind'), 'bOnly');
    assert.deepStrictEqual(await r.problems(), []);
    await r.page.close();
    // …and to the pair it showed
    const q = await open({ state: { ...saved, tab: 'sample', threshold: 0.7, flip: { against: 1, kind: 'aOnly', dataset: null, index: 0 } } });
    await q.page.locator('.cmp-side[data-source="1"] canvas.rlc-canvas[data-state="image"]').waitFor({ timeout: 20_000 });
    assert.deepStrictEqual(q.requests('getPair').map((x) => x.params), [{ key: 'RefCOCOg:17', sources: [0, 1] }]);
    assert.strictEqual(await q.page.locator('.cmp-side[data-source="1"] .rlc-range').inputValue(), '0.7');
    assert.deepStrictEqual(await q.problems(), []);
    await q.page.close();
  });

  it('handles a third source: its columns, its flip counts, and the source picker of the Flips tab', async () => {
    const C = { name: 'checkpoint-150', kind: 'checkpoint' as const, path: '/runs/grpo/checkpoint-150', step: 150, evalFiles: [], rewards: null, samples: 447 };
    const base = initPayload();
    const h = await open({ init: { sources: [base.sources[0]!, C, base.sources[1]!] } });
    assert.strictEqual(await h.page.locator('.cmp-th-source[data-metric="accuracy"]').count(), 3);
    assert.deepStrictEqual(await h.page.locator('.cmp-th-source[data-metric="accuracy"] .cmp-th-srcname').allTextContents(), ['100', '150', '200']);
    assert.strictEqual(await text(h.page, cellSel('ChartQA', '', 'accuracy', 2) + ' .cmp-delta'), '+7.2*');
    assert.strictEqual(await h.page.locator('.cmp-flipline').count(), 2);
    await h.page.locator('.cmp-flipbtn[data-source="2"][data-kind="neither"]').click();
    await h.page.locator('.cmp-bucket.active[data-kind="neither"]').waitFor();
    assert.strictEqual(await h.page.locator('.cmp-against').inputValue(), '2');
    assert.deepStrictEqual(await h.page.locator('.cmp-bucket .cmp-bucket-count').allTextContents(), ['1', '2', '3', '4']);
    assert.deepStrictEqual(h.requests('getFlips').at(-1)?.params, { against: 2, kind: 'neither', dataset: null, offset: 0, limit: 100 });
    await h.page.locator('.cmp-against').selectOption('1');
    await h.page.waitForFunction(() => true);
    await h.page.locator('.cmp-flip').first().waitFor();
    assert.deepStrictEqual(h.requests('getFlips').at(-1)?.params, { against: 1, kind: 'neither', dataset: null, offset: 0, limit: 100 });
    assert.strictEqual(await text(h.page, '.cmp-bucket[data-kind="aOnly"] .cmp-bucket-label'), '✓ A → ✗ B');
    await h.page.locator('.cmp-flip').first().click();
    await h.page.keyboard.press('Enter');
    await h.page.locator('.cmp-side[data-source="0"] .cmp-side-name').waitFor();
    assert.deepStrictEqual(h.requests('getPair').at(-1)?.params, { key: 'RefCOCOg:99', sources: [0, 1] });
    assert.deepStrictEqual(await h.problems(), []);
    await h.page.close();
  });

  it('draws one chart per metric over the checkpoint steps, one series per dataset, values on hover', async () => {
    const h = await open();
    await h.page.keyboard.press('4');
    await h.page.locator('.cmp-curve[data-metric] .uplot').nth(1).waitFor({ timeout: 10_000 });
    const charts = await h.page.locator('.cmp-curve').evaluateAll((es) => es.map((e) => e.getAttribute('data-metric')));
    assert.deepStrictEqual(charts, ['accuracy', 'iou']);
    assert.strictEqual(h.requests('getCurves').length, 1);
    assert.deepStrictEqual(await h.page.locator('.cmp-curve[data-metric="accuracy"] .cmp-curve-name').allTextContents(), ['ChartQA', 'RefCOCOg']);
    assert.deepStrictEqual(await h.page.locator('.cmp-curve[data-metric="iou"] .cmp-curve-name').allTextContents(), ['RefCOCOg']);
    assert.strictEqual(await text(h.page, '.cmp-curve[data-metric="accuracy"] .cmp-curve-value'), 'latest: step 200 (checkpoint-200): ChartQA 68.0 % · RefCOCOg 48.0 %');
    // hover the middle step
    const over = (await h.page.locator('.cmp-curve[data-metric="accuracy"] .u-over').boundingBox())!;
    await h.page.mouse.move(over.x + over.width / 2, over.y + over.height / 2);
    await h.page.locator('.cmp-curve[data-metric="accuracy"] .cmp-curve-value').filter({ hasText: 'step 150 (checkpoint-150): ChartQA 64.5 % · RefCOCOg 50.0 %' }).waitFor();
    // the series are drawn: the chart's pixels hold the first two palette colours
    const shot = await h.page.locator('.cmp-curve[data-metric="accuracy"] .cmp-curve-chart').screenshot();
    const { PNG } = await import('./png');
    const img = PNG.decode(shot);
    const count = (c: readonly number[]) => {
      let n = 0;
      for (let i = 0; i < img.data.length; i += img.channels) if (Math.abs(img.data[i]! - c[0]!) < 30 && Math.abs(img.data[i + 1]! - c[1]!) < 30 && Math.abs(img.data[i + 2]! - c[2]!) < 30) n++;
      return n;
    };
    assert.ok(count(COLOUR.tp) > 50, 'blue series drawn');
    assert.ok(count(COLOUR.fn) > 50, 'orange series drawn');
    await h.page.screenshot({ path: path.join(OUT, 'compare-curves.png'), fullPage: true });
    assert.deepStrictEqual(await h.problems(), [], 'no CSP violation, no page error');
    await h.page.close();
  });

  it('says curves need 2 checkpoints, shows `failed` clearly, and an inline error for a failed table', async () => {
    const one = await open({ init: { curvePoints: 1 } });
    await one.page.keyboard.press('4');
    await one.page.locator('.cmp-curves-none').waitFor();
    assert.match(await text(one.page, '.cmp-curves-none'), /^Curves need evals at 2 or more checkpoints/);
    assert.strictEqual(one.requests('getCurves').length, 0);
    await one.page.close();

    const f = await open({ hold: true });
    await f.page.locator('.cmp-progress').waitFor();
    await f.reply({ kind: 'failed', params: { message: `No eval files under /runs/grpo/checkpoint-300 ${EVIL}` } });
    await f.page.locator('.cmp-failed').waitFor();
    assert.strictEqual(await text(f.page, '.cmp-failed-title'), 'Nothing to compare');
    assert.strictEqual(await text(f.page, '.cmp-failed-message'), `No eval files under /runs/grpo/checkpoint-300 ${EVIL}`);
    assert.strictEqual(await f.page.locator('#app img, #app script, #app b').count(), 0);
    assert.deepStrictEqual(await f.problems(), []);
    await f.page.close();

    // the table request fails for one slice: an inline error, the rest of the panel stays
    const g = await open({ init: { sliceFields: ['domain', 'broken'] } });
    await g.page.locator('.cmp-slice').selectOption('broken');
    await g.page.locator('.cmp-table-host .cmp-error').waitFor();
    assert.match(await text(g.page, '.cmp-table-host .cmp-error'), /^Could not compute the table by broken: /);
    assert.ok(await g.page.locator('.cmp-tab[data-tab="flips"]').isVisible());
    await g.page.close();
  });
});
