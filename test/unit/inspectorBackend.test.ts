// The inspector's backend on the demo log: what the webview gets for each request.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateDemoWorkspace } from '../../extension/demo/generate';
import { onlySpec, openSpec } from '../../extension/core/formats/all';
import type { RolloutLog } from '../../extension/core/formats/log';
import { InspectorBackend } from '../../extension/core/inspectorBackend';
import type { RunContext } from '../../extension/core/runs/context';

describe('InspectorBackend', function () {
  this.timeout(60_000);
  let ws: string;
  let file: string;
  let log: RolloutLog;
  let backend: InspectorBackend;

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-backend-'));
    file = generateDemoWorkspace(ws).logFile;
    const context: RunContext = {};
    // opened the way the extension opens logs (the registry adds the box pass that honours the frame)
    log = await openSpec(await onlySpec(file), { columns: true, context });
    backend = new InspectorBackend(log, { target: file, toUrl: (p) => `url:${p}` });
    let last = 0;
    await backend.scan(new AbortController().signal, (p) => (last = p));
    assert.strictEqual(last, 1, 'the scan reports completion');
  });
  after(() => {
    log?.close();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('answers a group with recurrences of its prompt at other steps', async () => {
    const g = await backend.answer('getGroup', { groupIndex: 0 });
    assert.strictEqual(g.rollouts.length, log.groups[0]!.records.length);
    assert.ok(g.recurrences.length > 0, 'the demo repeats prompts over steps');
    assert.ok(g.recurrences.every((r) => log.groups[r.groupIndex]!.step !== g.step || r.groupIndex !== 0));
    assert.ok(g.rollouts.every((r) => r.images.every((im) => im.url === null || im.url.startsWith('url:'))));
  });

  it('finds the group of a step by value (the nearest step when it has none) and of a record', async () => {
    const s = log.steps[5]!;
    const g = await backend.answer('getStepByValue', { step: s });
    assert.strictEqual(g.step, s);
    const near = await backend.answer('getStepByValue', { step: s + 0.4 });
    assert.strictEqual(near.step, s);
    const ri = log.groups[7]!.records[3]!;
    const r = await backend.answer('getRecord', { recordIndex: ri });
    assert.strictEqual(r.group.groupIndex, 7);
    assert.strictEqual(r.group.rollouts[r.completion]!.recordIndex, ri);
    await assert.rejects(backend.answer('getRecord', { recordIndex: log.recordCount }), /out of range/);
  });

  it('filters, sorts and pages the sample list; a bad filter says where', async () => {
    const all = await backend.answer('query', { filter: '', search: '', sort: null, desc: false, offset: 0, limit: 10 });
    assert.strictEqual(all.matched, log.recordCount);
    const low = await backend.answer('query', { filter: 'iou < 0.3', search: '', sort: 'reward', desc: true, offset: 0, limit: 50 });
    assert.ok(low.matched > 0 && low.matched < log.recordCount);
    assert.ok(low.rows.every((r) => r.iou !== null && r.iou < 0.3));
    for (let i = 1; i < low.rows.length; i++) assert.ok((low.rows[i - 1]!.reward ?? -Infinity) >= (low.rows[i]!.reward ?? -Infinity));
    const page2 = await backend.answer('query', { filter: 'iou < 0.3', search: '', sort: 'reward', desc: true, offset: 50, limit: 50 });
    assert.strictEqual(page2.offset, 50);
    assert.notDeepStrictEqual(page2.rows[0], low.rows[0]);
    const bad = await backend.answer('query', { filter: 'iou <', search: '', sort: null, desc: false, offset: 0, limit: 10 });
    assert.ok(bad.error);
    assert.strictEqual(bad.rows.length, 0);
    const text = await backend.answer('query', { filter: 'text ~ "purple"', search: '', sort: null, desc: false, offset: 0, limit: 5 });
    assert.ok(text.matched > 0, 'text conditions are matched in process without a worker');
  });

  it('overrides the frame of predicted boxes for the run, in memory, and back', async () => {
    const before = await backend.answer('getGroup', { groupIndex: 0 });
    const r0 = before.rollouts.find((r) => r.pred.length > 0)!;
    await backend.answer('setFrame', { frame: 'norm1000' });
    const after = await backend.answer('getGroup', { groupIndex: 0 });
    assert.strictEqual(after.frameOverride, 'norm1000');
    const r1 = after.rollouts.find((r) => r.recordIndex === r0.recordIndex)!;
    assert.strictEqual(r1.pred[0]!.frame, 'norm1000');
    assert.notDeepStrictEqual(r1.pred[0]!.box, r0.pred[0]!.box, 'boxes re-mapped');
    await backend.answer('setFrame', { frame: null });
    const back = await backend.answer('getGroup', { groupIndex: 0 });
    assert.strictEqual(back.frameOverride, null);
    assert.deepStrictEqual(back.rollouts.find((r) => r.recordIndex === r0.recordIndex)!.pred[0]!.box, r0.pred[0]!.box);
    await assert.rejects(backend.answer('setFrame', { frame: 'furlongs' }), /unknown frame/);
  });

  it('gives the overview and a step histogram, and exports a group and the filtered list', async () => {
    const o = await backend.answer('getOverview', {});
    assert.ok(o.series.some((s) => s.key === 'reward' && s.source === 'rollouts'));
    assert.ok(o.series.some((s) => s.source === 'trainer_state.json' || /trainer_state/.test(s.source)), 'the demo checkpoints carry trainer_state.json');
    assert.strictEqual(new Set(o.series.map((s) => s.key)).size, o.series.length, 'keys are distinct');
    const st = await backend.answer('getStepStats', { step: log.steps[0]! });
    assert.ok(st.histograms.length > 0);
    const g = await backend.exportText({ what: 'group', format: 'markdown', groupIndex: 0 });
    assert.match(g.name, /group1\.md$/);
    assert.match(g.text, /\|/);
    const l = await backend.exportText({ what: 'list', format: 'csv', query: { filter: 'zero_std', search: '', sort: null, desc: false, offset: 0, limit: 1 } });
    const zero = await backend.answer('query', { filter: 'zero_std', search: '', sort: null, desc: false, offset: 0, limit: 1 });
    assert.strictEqual(l.text.trim().split('\n').length, zero.matched + 1, 'a header and one line per match');
  });
});
