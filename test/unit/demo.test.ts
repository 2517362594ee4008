import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, it, before, after } from 'mocha';
import { extractBoxes, generateDemoWorkspace, groupAdvantages, iou, main, scoreCompletion } from '../../extension/demo/generate';
import { crc32, encodePng, PNG_SIGNATURE } from '../../extension/demo/png';
import { mulberry32, roundHalfEven, smartResize } from '../../extension/demo/scenes';

interface Rec {
  step: number;
  group_id: string;
  index_in_group: number;
  sample_id: string;
  prompt: { text: string; images: Array<{ path: string; width: number; height: number; input_width: number; input_height: number }> };
  completion: string;
  reference: { answer: string; boxes: Array<{ bbox: [number, number, number, number]; label: string; frame: string }> };
  rewards: { accuracy: number; format: number; iou: number };
  reward: number;
  advantage: number;
  verdict?: { label: string; source: string; rationale: string };
  extra: { completion_tokens: number; truncated: boolean };
}

function readPng(file: string): { width: number; height: number; chunks: string[]; raw: Buffer } {
  const buf = fs.readFileSync(file);
  assert.ok(buf.subarray(0, 8).equals(PNG_SIGNATURE), `${file}: PNG signature`);
  let off = 8;
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    assert.equal(buf.readUInt32BE(off + 8 + len), crc32(buf, off + 4, off + 8 + len), `${file}: CRC of ${type}`);
    chunks.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 2, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  return { width, height, chunks, raw: zlib.inflateSync(Buffer.concat(idat)) };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

describe('demo workspace generator', function () {
  this.timeout(30000);
  let dir: string;
  let dir2: string;
  let result: ReturnType<typeof generateDemoWorkspace>;
  let recs: Rec[];
  let ms = 0;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-demo-'));
    dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-demo-'));
    const t0 = Date.now();
    result = generateDemoWorkspace(dir, { seed: 11 });
    ms = Date.now() - t0;
    recs = fs
      .readFileSync(result.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Rec);
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(dir2, { recursive: true, force: true });
  });

  it('generates quickly and writes the expected layout inside outDir only', () => {
    assert.ok(ms < 5000, `generation took ${ms} ms`);
    assert.equal(result.outDir, path.resolve(dir));
    assert.equal(result.logFile, path.join(dir, 'runs', 'grpo-demo', 'rollouts', 'train.rollouts.jsonl'));
    assert.equal(result.images, 8);
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    assert.match(readme, /SYNTHETIC/);
    assert.match(readme, /Rollout Lens/);
    assert.match(readme, /\.rollouts\.jsonl/);
    for (const ck of [100, 200]) {
      const ckDir = path.join(dir, 'runs', 'grpo-demo', `checkpoint-${ck}`);
      for (const f of ['trainer_state.json', 'config.json', 'adapter_config.json', 'preprocessor_config.json']) {
        assert.ok(fs.existsSync(path.join(ckDir, f)), `${ck}/${f}`);
      }
      const pre = JSON.parse(fs.readFileSync(path.join(ckDir, 'preprocessor_config.json'), 'utf8'));
      assert.equal(pre.min_pixels, 3136);
      assert.equal(pre.max_pixels, 12845056);
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), ['README.md', 'data', 'runs']);
  });

  it('writes at least 20×8×8 well-formed records', () => {
    assert.ok(recs.length >= 20 * 8 * 8, `${recs.length} records`);
    assert.equal(recs.length, result.records);
    assert.equal(recs.length, 24 * 8 * 8);
    const steps = new Set<number>();
    for (const r of recs) {
      assert.equal(typeof r.step, 'number');
      assert.equal(typeof r.group_id, 'string');
      assert.equal(typeof r.index_in_group, 'number');
      assert.equal(typeof r.completion, 'string');
      assert.equal(r.group_id, `s${r.step}-p${r.sample_id.replace('scene-', '').replace(/^0+(?=\d)/, '')}`);
      assert.equal(r.prompt.images.length, 1);
      const img = r.prompt.images[0];
      assert.ok(img.input_width % 28 === 0 && img.input_height % 28 === 0);
      assert.deepEqual(smartResize(img.height, img.width), [img.input_height, img.input_width]);
      assert.ok(fs.existsSync(path.resolve(path.dirname(result.logFile), img.path)), img.path);
      assert.equal(r.reference.answer, String(r.reference.boxes.length));
      for (const b of r.reference.boxes) assert.equal(b.frame, 'original');
      assert.ok(Math.abs(r.reward - (r.rewards.accuracy + r.rewards.format + r.rewards.iou)) < 1e-3);
      assert.equal(typeof r.extra.completion_tokens, 'number');
      assert.equal(typeof r.extra.truncated, 'boolean');
      steps.add(r.step);
    }
    assert.deepEqual([...steps].sort((a, b) => a - b), Array.from({ length: 24 }, (_, i) => i + 1));
  });

  it('writes valid PNGs whose sizes match the log and are not multiples of 28', () => {
    const sizes = new Map<string, { width: number; height: number }>();
    for (const r of recs) sizes.set(r.prompt.images[0].path, r.prompt.images[0]);
    assert.equal(sizes.size, 8);
    for (const [p, s] of sizes) {
      const file = path.resolve(path.dirname(result.logFile), p);
      assert.ok(fs.statSync(file).size < 100 * 1024, `${p} is ${fs.statSync(file).size} bytes`);
      const png = readPng(file);
      assert.deepEqual(png.chunks, ['IHDR', 'IDAT', 'IEND']);
      assert.equal(png.width, s.width);
      assert.equal(png.height, s.height);
      assert.ok(s.width % 28 !== 0 || s.height % 28 !== 0);
      assert.equal(png.raw.length, s.height * (1 + 3 * s.width));
      // Filter byte 0 on every row and more than a couple of colours (shapes were drawn).
      const colours = new Set<number>();
      for (let y = 0; y < s.height; y++) {
        assert.equal(png.raw[y * (1 + 3 * s.width)], 0);
        for (let x = 0; x < s.width; x += 7) {
          const i = y * (1 + 3 * s.width) + 1 + 3 * x;
          colours.add((png.raw[i] << 16) | (png.raw[i + 1] << 8) | png.raw[i + 2]);
        }
      }
      assert.ok(colours.size > 5, `${p}: ${colours.size} colours`);
    }
  });

  it('the policy improves: mean reward of the last 3 steps beats the first 3', () => {
    const byStep = (lo: number, hi: number) => mean(recs.filter((r) => r.step >= lo && r.step <= hi).map((r) => r.reward));
    const early = byStep(1, 3);
    const late = byStep(22, 24);
    assert.ok(late > early + 0.5, `early ${early}, late ${late}`);
    const fmtEarly = mean(recs.filter((r) => r.step <= 3).map((r) => r.rewards.format));
    assert.ok(fmtEarly < 1, 'some early format errors');
  });

  it('has zero-variance groups (fail early, pass late), truncations and verdicts', () => {
    const groups = new Map<string, Rec[]>();
    for (const r of recs) groups.set(r.group_id, [...(groups.get(r.group_id) ?? []), r]);
    let zeroFail = 0;
    let zeroPass = 0;
    for (const g of groups.values()) {
      assert.equal(g.length, 8);
      assert.deepEqual(g.map((r) => r.index_in_group), [0, 1, 2, 3, 4, 5, 6, 7]);
      const rewards = g.map((r) => r.reward);
      if (rewards.every((x) => x === rewards[0])) {
        if (rewards[0] === 0) zeroFail++;
        else if (rewards[0] > 2) zeroPass++;
        for (const r of g) assert.equal(r.advantage, 0);
      } else {
        const sum = g.reduce((a, r) => a + r.advantage, 0);
        assert.ok(Math.abs(sum) < 0.01, `${g[0].group_id}: advantages sum to ${sum}`);
        const expected = groupAdvantages(rewards);
        assert.deepEqual(g.map((r) => r.advantage), expected);
      }
    }
    assert.ok(zeroFail >= 1, 'an all-fail group');
    assert.ok(zeroPass >= 1, 'an all-pass group');
    const truncated = recs.filter((r) => r.extra.truncated);
    assert.ok(truncated.length >= 2, `${truncated.length} truncated`);
    for (const r of truncated) {
      assert.ok(!r.completion.includes('</answer>'));
      assert.equal(r.rewards.format, 0);
    }
    const labels = new Set(recs.filter((r) => r.verdict).map((r) => r.verdict!.label));
    assert.ok(labels.has('supported') && labels.has('unsupported'), [...labels].join(','));
    // Every kind of early mistake shows up somewhere.
    assert.ok(recs.some((r) => !r.completion.includes('</think>') && r.completion.startsWith('<think>')), 'missing </think>');
    assert.ok(recs.some((r) => r.completion.includes('</think>') && !r.completion.includes('<answer>')), 'missing <answer>');
    assert.ok(recs.some((r) => extractBoxes(r.completion).some((b) => b[0] === b[2] || b[1] === b[3])), 'degenerate box');
  });

  it('recomputing the rewards from the text gives the logged values', () => {
    for (const r of recs) {
      const img = r.prompt.images[0];
      const score = scoreCompletion(
        r.completion,
        Number(r.reference.answer),
        r.reference.boxes.map((b) => b.bbox),
        { width: img.width, height: img.height, inputWidth: img.input_width, inputHeight: img.input_height },
      );
      assert.deepEqual(score, r.rewards);
      assert.equal(r.rewards.format, /^<think>[\s\S]*<\/think>\s*<answer>[\s\S]*<\/answer>$/.test(r.completion) ? 1 : 0);
    }
  });

  it('late correct completions put their boxes on the ground truth (after mapping back by W/W_in)', () => {
    const late = recs.filter((r) => r.step >= 22 && r.rewards.accuracy === 1 && r.rewards.format === 1);
    assert.ok(late.length > 100, `${late.length} late correct completions`);
    let checked = 0;
    for (const r of late) {
      const img = r.prompt.images[0];
      const sx = img.width / img.input_width;
      const sy = img.height / img.input_height;
      const boxes = extractBoxes(r.completion);
      assert.equal(boxes.length, r.reference.boxes.length);
      for (const b of boxes) {
        const o: [number, number, number, number] = [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy];
        const cx = (o[0] + o[2]) / 2;
        const cy = (o[1] + o[3]) / 2;
        const hit = r.reference.boxes.some((g) => {
          const [x1, y1, x2, y2] = g.bbox;
          const mx = (x2 - x1) * 0.25;
          const my = (y2 - y1) * 0.25;
          return cx >= x1 - mx && cx <= x2 + mx && cy >= y1 - my && cy <= y2 + my && iou(o, g.bbox) > 0.3;
        });
        assert.ok(hit, `${r.group_id}#${r.index_in_group}: ${JSON.stringify(b)} is on no GT box`);
        checked++;
      }
    }
    assert.ok(checked > 100);
  });

  it('is deterministic: the same seed gives identical bytes, another seed differs', () => {
    const again = generateDemoWorkspace(dir2, { seed: 11 });
    assert.ok(fs.readFileSync(again.logFile).equals(fs.readFileSync(result.logFile)));
    for (const f of fs.readdirSync(path.join(dir, 'data', 'images'))) {
      assert.ok(fs.readFileSync(path.join(dir2, 'data', 'images', f)).equals(fs.readFileSync(path.join(dir, 'data', 'images', f))), f);
    }
    const ts = 'runs/grpo-demo/checkpoint-200/trainer_state.json';
    assert.ok(fs.readFileSync(path.join(dir2, ts)).equals(fs.readFileSync(path.join(dir, ts))));
    const other = generateDemoWorkspace(dir2, { seed: 12, steps: 4, prompts: 3, groupSize: 4 });
    assert.equal(other.records, 4 * 3 * 4);
    assert.ok(!fs.readFileSync(other.logFile).equals(fs.readFileSync(result.logFile)));
  });

  it('writes HF trainer_state.json files with TRL GRPO metrics that agree with the log', () => {
    const st = JSON.parse(fs.readFileSync(path.join(dir, 'runs/grpo-demo/checkpoint-100/trainer_state.json'), 'utf8'));
    const keys = [
      'best_global_step', 'best_metric', 'best_model_checkpoint', 'epoch', 'eval_steps', 'global_step',
      'is_hyper_param_search', 'is_local_process_zero', 'is_world_process_zero', 'log_history', 'logging_steps',
      'max_steps', 'num_input_tokens_seen', 'num_train_epochs', 'save_steps', 'stateful_callbacks', 'total_flos',
      'train_batch_size', 'trial_name', 'trial_params',
    ];
    assert.deepEqual(Object.keys(st), keys);
    assert.equal(st.global_step, 100);
    assert.equal(st.log_history.length, 100);
    for (const k of ['step', 'epoch', 'loss', 'grad_norm', 'learning_rate', 'reward', 'reward_std', 'frac_reward_zero_std', 'kl',
      'completions/mean_length', 'rewards/accuracy/mean', 'rewards/accuracy/std', 'rewards/format/mean', 'rewards/iou/mean']) {
      assert.equal(typeof st.log_history[0][k], 'number', k);
    }
    const step5 = recs.filter((r) => r.step === 5);
    assert.ok(Math.abs(st.log_history[4].reward - mean(step5.map((r) => r.reward))) < 1e-3);
    assert.ok(Math.abs(st.log_history[4]['rewards/iou/mean'] - mean(step5.map((r) => r.rewards.iou))) < 1e-3);
    const st2 = JSON.parse(fs.readFileSync(path.join(dir, 'runs/grpo-demo/checkpoint-200/trainer_state.json'), 'utf8'));
    assert.equal(st2.global_step, 200);
    assert.deepEqual(st2.log_history.slice(0, 100), st.log_history);
  });

  it('main() parses --out and --seed and reports what it wrote', () => {
    const out: string[] = [];
    const errs: string[] = [];
    const target = path.join(dir2, 'cli');
    const code = main(['--out', target, '--seed', '3', '--steps', '2', '--prompts', '2', '--group-size', '2', '--no-serve'], (s) => out.push(s), (s) => errs.push(s));
    assert.equal(code, 0, errs.join('\n'));
    assert.match(out.join('\n'), /SYNTHETIC/);
    assert.match(out.join('\n'), /8 rollouts/);
    assert.ok(fs.existsSync(path.join(target, 'runs/grpo-demo/rollouts/train.rollouts.jsonl')));
    assert.equal(main(['--seed', 'x'], () => undefined, () => undefined), 2);
    assert.equal(main(['--bogus'], () => undefined, () => undefined), 2);
  });
});

describe('demo helpers', () => {
  it('smartResize matches Qwen2.5-VL for the demo sizes and the edge cases', () => {
    assert.deepEqual(smartResize(480, 640), [476, 644]);
    assert.deepEqual(smartResize(375, 500), [364, 504]);
    assert.deepEqual(smartResize(640, 427), [644, 420]);
    assert.deepEqual(smartResize(600, 800), [588, 812]);
    assert.deepEqual(smartResize(20, 20), [56, 56]); // below min_pixels → scaled up
    const [h, w] = smartResize(8000, 6000); // above max_pixels → scaled down
    assert.ok(h * w <= 12845056 && h % 28 === 0 && w % 28 === 0);
    assert.equal(roundHalfEven(2.5), 2);
    assert.equal(roundHalfEven(3.5), 4);
    assert.equal(roundHalfEven(-0.5), 0);
    assert.deepEqual(smartResize(14 * 28 + 14, 28 * 10), [14 * 28, 280]); // 14.5 rounds to 14 (half-even)
  });

  it('mulberry32 is deterministic', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 10; i++) assert.equal(a(), b());
  });

  it('encodePng round-trips a tiny image', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const png = encodePng(2, 2, rgb);
    const file = path.join(os.tmpdir(), `rl-demo-${process.pid}.png`);
    fs.writeFileSync(file, png);
    try {
      const r = readPng(file);
      assert.equal(r.width, 2);
      assert.deepEqual([...r.raw], [0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 10, 20, 30]);
    } finally {
      fs.rmSync(file);
    }
    assert.throws(() => encodePng(2, 2, new Uint8Array(3)));
  });

  it('scoreCompletion follows the documented reward definitions', () => {
    const size = { width: 640, height: 480, inputWidth: 644, inputHeight: 476 };
    const gt: Array<[number, number, number, number]> = [[0, 0, 100, 100]];
    const box = `{"bbox_2d": [0, 0, ${Math.round((100 * 644) / 640)}, ${Math.round((100 * 476) / 480)}], "label": "red circle"}`;
    const good = scoreCompletion(`<think>${box}</think><answer>1</answer>`, 1, gt, size);
    assert.equal(good.accuracy, 1);
    assert.equal(good.format, 1);
    assert.ok(good.iou > 0.98);
    const bad = scoreCompletion(`<think>nothing<answer>2</answer>`, 1, gt, size);
    assert.deepEqual(bad, { accuracy: 0, format: 0, iou: 0 });
    assert.deepEqual(groupAdvantages([1, 1, 1]), [0, 0, 0]);
    const adv = groupAdvantages([0, 1]);
    assert.ok(Math.abs(adv[0] + 0.7071) < 1e-3 && Math.abs(adv[1] - 0.7071) < 1e-3);
  });
});
