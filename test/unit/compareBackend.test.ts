// The comparison backend on the demo workspace's evals: what the compare webview gets for each request,
// from checkpoint folders resolved as the tree and the CLI resolve them.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateDemoWorkspace } from '../../extension/demo/generate';
import { openPath } from '../../extension/core/formats/all';
import { CompareBackend, compareTitle, describeChanges } from '../../extension/core/compare/backend';
import { discoverEvals, loadSource, resolveSources } from '../../extension/core/compare/sources';
import type { CompareSource, LoadedSource } from '../../extension/core/compare/types';
import { isCompareHostToWebview, isCompareWebviewToHost } from '../../extension/protocol/compare';

describe('CompareBackend (demo evals)', function () {
  this.timeout(60_000);
  let ws: string;
  let run: string;
  let loaded: LoadedSource[];
  let curveSources: LoadedSource[];
  let backend: CompareBackend;
  const opened: string[] = [];

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cmp-backend-'));
    generateDemoWorkspace(ws, { frameworks: false });
    run = path.join(ws, 'runs', 'grpo-demo');
    const { sources, errors } = await resolveSources([path.join(run, 'checkpoint-100'), path.join(run, 'checkpoint-200')]);
    assert.deepStrictEqual(errors, []);
    loaded = await Promise.all(sources.map((s) => loadSource(s)));
    // every evaluated step of the run, as the panel gathers them for the curves
    const evals = await discoverEvals(run);
    const steps = [...new Set(evals.map((e) => e.step))].filter((s): s is number => s !== null && s !== 100 && s !== 200);
    curveSources = [...loaded];
    for (const step of steps) {
      const files = evals.filter((e) => e.step === step).map((e) => e.path);
      const src: CompareSource = { name: `checkpoint-${step}`, kind: 'step', path: path.dirname(files[0]!), step, evalFiles: files };
      curveSources.push(await loadSource(src));
    }
    backend = new CompareBackend(loaded, {
      toUrl: (p) => `url:${path.basename(p)}`,
      openLog: (t) => {
        opened.push(t);
        return openPath(t);
      },
      curveSources,
    });
  });
  after(() => {
    backend?.close();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('needs two sources', () => {
    assert.throws(() => new CompareBackend(loaded.slice(0, 1), { toUrl: () => null, openLog: openPath }), /two or more/);
  });

  it('init: sources in step order, the domain slice chosen first, matched by id, four curve points', () => {
    const init = backend.init(compareTitle(loaded.map((l) => l.source.name)));
    assert.strictEqual(init.title, 'checkpoint-100 vs checkpoint-200');
    assert.deepStrictEqual(init.sources.map((s) => [s.name, s.step, s.samples]), [['checkpoint-100', 100, 120], ['checkpoint-200', 200, 120]]);
    assert.deepStrictEqual(init.sources[0]!.rewards, ['accuracy', 'format', 'iou']);
    assert.ok(init.sliceFields.includes('domain') && init.sliceFields.includes('category'), init.sliceFields.join());
    assert.strictEqual(init.slice, 'domain');
    assert.strictEqual(init.matchedBy, 'id');
    assert.deepStrictEqual(init.unmatched.map((u) => u.count), [0, 0]);
    assert.strictEqual(init.curvePoints, 4);
    for (const m of ['accuracy', 'f1', 'iou', 'iou50', 'format', 'alignment', 'length']) assert.ok(init.metrics.includes(m as never), m);
    assert.ok(isCompareHostToWebview({ kind: 'init', params: init }));
  });

  it('table: the counts of the demo (60 prompts per dataset, 40 in domain) and the in-domain gain found by McNemar', () => {
    const t = backend.table('domain');
    const row = (ds: string, sl: string | null) => t.rows.find((r) => r.dataset === ds && r.slice === sl)!;
    assert.deepStrictEqual(t.rows.map((r) => `${r.dataset}/${r.slice}`), [
      'shapes-count/null', 'shapes-count/ID', 'shapes-count/OOD', 'shapes-mc/null', 'shapes-mc/ID', 'shapes-mc/OOD',
    ]);
    const id = row('shapes-count', 'ID');
    assert.strictEqual(id.metrics[0]!.accuracy!.n, 40);
    assert.strictEqual(row('shapes-count', 'OOD').metrics[1]!.accuracy!.n, 20);
    // the demo's skill model puts ID accuracy at exactly 0.50 (step 100) and 0.85 (step 200)
    assert.strictEqual(id.metrics[0]!.accuracy!.value, 0.5);
    assert.strictEqual(id.metrics[1]!.accuracy!.value, 0.85);
    const d = id.deltas[1]!.accuracy!;
    assert.strictEqual(d.test, 'mcnemar');
    assert.ok(Math.abs(d.delta - 0.35) < 1e-12);
    assert.ok(d.significant, JSON.stringify(d));
    assert.ok(!row('shapes-count', 'OOD').deltas[1]!.accuracy!.significant, 'the out-of-domain change is noise');
    assert.deepStrictEqual(row('shapes-count', null).metrics[0]!.f1, { value: null, n: 0, answers: 0 }, 'no F1 on the counting set');
    assert.ok(row('shapes-mc', null).metrics[0]!.f1!.value! > 0.8);
    // flips: the counts add up to the prompts both checkpoints have
    const f = t.flips[1]!;
    assert.strictEqual(f.aOnly + f.bOnly + f.both + f.neither, 120);
    assert.ok(f.aOnly > 0 && f.bOnly > f.aOnly, JSON.stringify(f));
    assert.ok(t.legend.some((l) => /Holm/.test(l)) && t.legend.some((l) => /option-set F1/.test(l)));
  });

  it('flips: a page of the right-in-A-wrong-in-B list, filtered by dataset', () => {
    const all = backend.flips({ against: 1, kind: 'aOnly', dataset: null, offset: 0, limit: 100 });
    assert.strictEqual(all.total, backend.table(null).flips[1]!.aOnly);
    for (const r of all.rows) {
      assert.strictEqual(r.a.correct, true);
      assert.strictEqual(r.b.correct, false);
    }
    const count = backend.flips({ against: 1, kind: 'aOnly', dataset: 'shapes-count', offset: 0, limit: 100 });
    assert.ok(count.rows.every((r) => r.dataset === 'shapes-count' && r.key.startsWith('shapes-count:')));
    const page2 = backend.flips({ against: 1, kind: 'both', dataset: null, offset: 1, limit: 1 });
    assert.strictEqual(page2.rows.length, 1);
    assert.strictEqual(page2.rows[0]!.key, backend.flips({ against: 1, kind: 'both', dataset: null, offset: 0, limit: 2 }).rows[1]!.key);
    assert.throws(() => backend.flips({ against: 5, kind: 'aOnly', dataset: null, offset: 0, limit: 1 }), /no source 6/);
  });

  it('pair: both answers read from their eval files, with image URLs, boxes and what changed', async () => {
    const key = backend.flips({ against: 1, kind: 'aOnly', dataset: 'shapes-count', offset: 0, limit: 1 }).rows[0]!.key;
    const pair = await backend.answer('getPair', { key, sources: [0, 1] });
    assert.strictEqual(pair.key, key);
    const [a, b] = pair.sides;
    assert.ok(a!.rollout && b!.rollout);
    assert.match(a!.rollout.images[0]!.url ?? '', /^url:eval-\d+\.png$/);
    assert.ok(a!.rollout.gt.length > 0, 'ground-truth boxes');
    assert.strictEqual(a!.scores.accuracy, 1);
    assert.strictEqual(b!.scores.accuracy, 0);
    assert.strictEqual(pair.changes[0], 'right in checkpoint-100, wrong in checkpoint-200');
    assert.ok(pair.changes.some((c) => /^answer “\d+” → “\d+” \(reference “\d+”\)$/.test(c)), pair.changes.join(' | '));
    assert.ok(opened.some((f) => f.endsWith(path.join('checkpoint-100', 'shapes-count.eval.jsonl'))));
    await assert.rejects(backend.pair('shapes-count:nope', [0, 1]), /no source has the sample/);
  });

  it('curves: each metric per dataset over the four evaluated steps', async () => {
    const curves = await backend.answer('getCurves', {});
    const acc = curves.find((c) => c.dataset === 'shapes-count' && c.metric === 'accuracy')!;
    assert.deepStrictEqual(acc.points.map((p) => p.step), [50, 100, 150, 200]);
    assert.deepStrictEqual(acc.points.map((p) => p.n), [60, 60, 59, 60], 'count-0059 is missing at step 150');
    assert.ok(acc.points[3]!.value! > acc.points[0]!.value!);
  });

  it('export: Markdown like the papers and CSV, with a default name', () => {
    const md = backend.exportText('markdown', 'domain');
    const lines = md.split('\n');
    assert.strictEqual(lines[0], '| Method | Accuracy Reward | Format Reward | IoU Reward | shapes-count | shapes-count (ID) | shapes-count (OOD) | shapes-mc | shapes-mc (ID) | shapes-mc (OOD) |');
    assert.match(lines[2]!, /^\| checkpoint-100 \| ✓ \| ✓ \| ✓ \| 43\.33 \| 50\.00 \| 30\.00 \|/);
    assert.match(lines[3]!, /^\| checkpoint-200 \| ✓ \| ✓ \| ✓ \| \*\*68\.33\*\*† \| \*\*85\.00\*\*† \|/);
    // a metric no source has in a cell is not listed in that cell's long table
    const mcTable = md.slice(md.indexOf('**shapes-mc**'), md.indexOf('**shapes-mc (ID)**'));
    assert.ok(!/mean IoU/.test(mcTable) && /F1 \(%\)/.test(mcTable), mcTable);
    const csv = backend.exportText('csv', null).trim().split('\r\n');
    assert.match(csv[0]!, /^dataset,slice,source,step,metric,value,n,answers,delta,ci_low,ci_high,p,p_adjusted,test,significant$/);
    assert.strictEqual(backend.exportName('markdown'), 'compare-checkpoint-100-vs-checkpoint-200.md');
  });

  it('the protocol refuses malformed requests', () => {
    assert.ok(isCompareWebviewToHost({ kind: 'request', id: 1, method: 'getPair', params: { key: 'a', sources: [0, 1] } }));
    assert.ok(!isCompareWebviewToHost({ kind: 'request', id: 1, method: 'getPair', params: { key: 'a', sources: [0] } }));
    assert.ok(!isCompareWebviewToHost({ kind: 'request', id: 1, method: 'getFlips', params: { against: 0, kind: 'aOnly', dataset: null, offset: 0, limit: 1 } }));
    assert.ok(!isCompareWebviewToHost({ kind: 'request', id: 1, method: 'export', params: { format: 'pdf', slice: null } }));
    assert.ok(!isCompareWebviewToHost({ kind: 'request', id: 1, method: 'eval', params: {} }));
  });

  it('describeChanges says when a side did not evaluate the sample', () => {
    const s = loaded[0]!.samples[0]!;
    assert.deepStrictEqual(describeChanges({ side: { name: 'A' }, rollout: null, sample: s }, { side: { name: 'B' }, rollout: null, sample: undefined }), ['not evaluated by B']);
  });
});
