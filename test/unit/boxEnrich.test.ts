import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../extension/cli';
import { makePng, tempDir, writeLines } from './helpers';

async function show(args: string[]): Promise<{ code: number; j: { record: { predicted: Array<Record<string, unknown>> } }; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['show', ...args, '--json'], { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, j: JSON.parse(out.join('') || '{}'), err: err.join('') };
}

describe('predicted boxes in every convention, for every format', () => {
  let dir: string;
  const line = (completion: string, more: Record<string, unknown> = {}) => ({
    step: 1, group_id: 'g', index_in_group: 0, completion,
    prompt: { text: 'find it', images: [{ path: 'img.png' }] },
    reference: { boxes: [{ bbox: [100, 100, 300, 200], frame: 'original' }] },
    ...more,
  });
  beforeEach(() => {
    dir = tempDir();
    fs.writeFileSync(path.join(dir, 'img.png'), makePng(1000, 500));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('draws Qwen2-VL points (0–1000), Florence-2 bins and PaliGemma bins in original pixels', async () => {
    const f = path.join(dir, 'a.rollouts.jsonl');
    writeLines(f, [
      line('<answer>the car(100,200),(300,400)</answer>'),
      line('car<loc_100><loc_200><loc_299><loc_399>'),
      line('<loc0256><loc0128><loc0512><loc0384> car'),
    ]);
    const q = (await show([f, '--record', '0'])).j.record.predicted[0]!;
    assert.equal(q.frame, 'norm1000');
    assert.deepEqual(q.box, [100, 100, 300, 200]);
    assert.ok(Math.abs((q.iou as number) - 1) < 1e-9, 'on the ground truth');
    const fl = (await show([f, '--record', '1'])).j.record.predicted[0]!;
    assert.equal(fl.frame, 'bins1000');
    assert.deepEqual(fl.box, [100.5, 100.25, 299.5, 199.75]);
    const pg = (await show([f, '--record', '2'])).j.record.predicted[0]!;
    assert.equal(pg.frame, 'bins1024');
    assert.deepEqual(pg.raw, [128, 256, 384, 512], 'y-first tokens reordered to x1, y1, x2, y2');
    assert.deepEqual(pg.box, [125, 125, 375, 250]);
  });

  it('keeps the IoU under each candidate frame when the frame was only assumed, and a --frame override re-maps', async () => {
    const f = path.join(dir, 'b.rollouts.jsonl');
    writeLines(f, [line('<answer>[100, 200, 300, 400]</answer>')]);
    const auto = (await show([f, '--record', '0'])).j.record.predicted[0]!;
    assert.equal(auto.frameAssumed, true);
    const cands = auto.frameCandidates as Array<{ frame: string; iou: number | null }>;
    assert.ok(cands.length > 1, JSON.stringify(auto));
    const n1000 = cands.find((c) => c.frame === 'norm1000')!;
    assert.ok(Math.abs(n1000.iou! - 1) < 1e-9, 'under norm1000 the box is on the ground truth');
    const forced = (await show([f, '--record', '0', '--frame', 'norm1000'])).j.record.predicted[0]!;
    assert.equal(forced.frame, 'norm1000');
    assert.equal(forced.frameAssumed, undefined);
    assert.deepEqual(forced.box, [100, 100, 300, 200]);
    const bad = await show([f, '--record', '0', '--frame', 'inches']).catch(() => null);
    assert.equal(bad?.code, 2);
  });

  it('the run folder can set the frame in rollout-lens.json', async () => {
    const f = path.join(dir, 'c.rollouts.jsonl');
    writeLines(f, [line('<answer>[100, 200, 300, 400]</answer>')]);
    fs.writeFileSync(path.join(dir, 'rollout-lens.json'), JSON.stringify({ boxFrame: 'norm1000' }));
    const p = (await show([f, '--record', '0'])).j.record.predicted[0]!;
    assert.equal(p.frame, 'norm1000');
    assert.deepEqual(p.box, [100, 100, 300, 200]);
  });

  it('reports NaN, inverted and 10 000 boxes instead of drawing them silently wrong', async () => {
    const f = path.join(dir, 'd.rollouts.jsonl');
    const many = Array.from({ length: 10_000 }, (_, i) => `{"bbox_2d": [${i % 900}, 10, ${(i % 900) + 5}, 20]}`).join(' ');
    writeLines(f, [line('<answer>[300, 200, 100, 400]</answer>'), line(many)]);
    const inv = await show([f, '--record', '0']);
    assert.match(inv.err, /x2<x1; drawn as written, not corrected/);
    const t0 = Date.now();
    const lots = await show([f, '--record', '1']);
    assert.ok(Date.now() - t0 < 10_000);
    assert.match(lots.err, /10000 boxes in this completion; the first 1000 are kept/);
  });
});
