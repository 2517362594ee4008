import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../extension/cli';
import { FIXTURES, makePng, tempDir } from './helpers';

const LOG = 'vlm-r1__debug_log.2025-06-21-14-00-00.txt';
const FMT = 'vlm-r1__debug_log.2025-06-21-14-00-00_format.txt';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, out: out.join(''), err: err.join('') };
}

describe('rollout-lens check: logged vs recomputed rewards', () => {
  let dir: string;
  let images: string;
  beforeEach(() => {
    dir = tempDir();
    images = path.join(dir, 'coco', 'train2014');
    fs.mkdirSync(images, { recursive: true });
    // the fixture's image is not shipped; its size is known (427 wide x 640 high): any content will do
    fs.writeFileSync(path.join(images, 'COCO_train2014_000000581857.jpg'), makePng(427, 640));
    fs.mkdirSync(path.join(dir, 'log'));
    fs.copyFileSync(path.join(FIXTURES, 'frameworks', LOG), path.join(dir, 'log', LOG));
    fs.copyFileSync(path.join(FIXTURES, 'frameworks', FMT), path.join(dir, 'log', FMT));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports nothing on the clean VLM-R1 log: every accuracy (iou_reward) and format value is reproduced', async () => {
    const { code, out } = await cli(['check', path.join(dir, 'log'), '--image-root', path.join(dir, 'coco'), '--json']);
    assert.equal(code, 0, out);
    const r = JSON.parse(out);
    assert.equal(r.mismatches, 0);
    assert.deepEqual(r.logs[0].rewards.accuracy, { compared: 4, notComputable: 0, mismatches: 0, examples: [] });
    assert.deepEqual(r.logs[0].rewards.format, { compared: 4, notComputable: 0, mismatches: 0, examples: [] });
  });

  it('finds a planted mismatch and names its record, file and line', async () => {
    const f = path.join(dir, 'log', LOG);
    const text = fs.readFileSync(f, 'utf8');
    const m = /Accuracy reward: (\S+) -/.exec(text.split('\n').slice(14).join('\n'))!; // the second entry
    fs.writeFileSync(f, text.replace(`Accuracy reward: ${m[1]} -`, 'Accuracy reward: 0.5 -'));
    const { code, out } = await cli(['check', path.join(dir, 'log'), '--image-root', path.join(dir, 'coco')]);
    assert.equal(code, 1);
    assert.match(out, /accuracy: MISMATCH in 1 of 4/);
    assert.match(out, /record 1 \(.*:15\): logged 0\.5 vs recomputed 0\.72664/);
    assert.match(out, /format: ok \(4 compared\)/);
  });

  it('show --explain walks the IoU reward: answer box, sizes, conversion, IoU', async () => {
    const { code, out } = await cli(['show', path.join(dir, 'log'), '--record', '0', '--explain', '--image-root', path.join(dir, 'coco'), '--json']);
    assert.equal(code, 0);
    const j = JSON.parse(out);
    assert.ok(Math.abs(j.record.recomputed.accuracy - j.record.rewards.accuracy) < 1e-6);
    const steps = j.record.explain.accuracy.steps.map((s: { label: string; value: string }) => `${s.label}: ${s.value}`).join('\n');
    assert.match(steps, /427×640/);
    assert.match(steps, /420×644/);
  });
});
