import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, it, before, after } from 'mocha';
import { extractBoxes, generateDemoWorkspace, groupAdvantages, iou, main, scoreCompletion } from '../../extension/demo/generate';
import { crc32, encodePng, PNG_SIGNATURE } from '../../extension/demo/png';
import { generateScene, mulberry32, roundHalfEven, smartResize } from '../../extension/demo/scenes';
import { EVAL_STEPS, parseOptionSet, writeEvalOutputs } from '../../extension/demo/evals';
import { openEvalJsonl } from '../../extension/core/formats/evalOutputs';
import type { Rollout } from '../../extension/core/model';
import { ImportedVerdicts, readVerdictFile } from '../../extension/core/judge/importFile';
import { ruleVerdict } from '../../extension/core/judge/rules';
import { openRolloutLensJsonl } from '../../extension/core/formats/rolloutLensJsonl';

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
    assert.deepEqual(fs.readdirSync(dir).sort(), ['.vscode', 'README.md', 'data', 'models', 'runs', 'tools']);
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
    assert.ok(recs.every((r) => r.verdict === undefined), 'verdicts come from the rules, the models and the judge file, not the log');
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
    for (const f of fs.readdirSync(path.join(dir, 'data', 'images')).filter((x) => x.endsWith('.png'))) {
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
    assert.ok(out.some((l) => l.includes('evals: 8 eval files') && l.endsWith(path.join(path.resolve(target), 'runs', 'grpo-demo', 'eval'))), out.join('\n'));
    assert.ok(fs.existsSync(path.join(target, 'runs/grpo-demo/rollouts/train.rollouts.jsonl')));
    assert.equal(main(['--seed', 'x'], () => undefined, () => undefined), 2);
    assert.equal(main(['--bogus'], () => undefined, () => undefined), 2);
  });
});

describe('demo workspace judges', function () {
  this.timeout(60000);
  let dir: string;
  let res: ReturnType<typeof generateDemoWorkspace>;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-demo-judges-'));
    res = generateDemoWorkspace(dir, { frameworks: false, evals: false });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the tiny models and points the workspace settings at them (relative paths)', () => {
    for (const f of ['model.onnx', 'tokenizer.json', 'config.json']) assert.ok(fs.existsSync(path.join(dir, 'models', 'tiny-nli', f)), f);
    assert.ok(fs.readdirSync(path.join(dir, 'models', 'tiny-clip')).some((f) => f.endsWith('.onnx')));
    const settings = JSON.parse(fs.readFileSync(path.join(dir, '.vscode', 'settings.json'), 'utf8'));
    assert.equal(settings['rolloutLens.judge.modelPath'], 'models/tiny-nli');
    assert.equal(settings['rolloutLens.judge.clipModelPath'], 'models/tiny-clip');
  });

  it("the synthetic judge file matches the log by completion hash and agrees with the rules except for its deliberate flips", async () => {
    const file = readVerdictFile(res.judgeFile);
    assert.equal(file.issues.length, 0);
    assert.equal(file.entries.length, res.judgeEntries);
    const index = new ImportedVerdicts(file.entries, res.judgeFile);
    const log = await openRolloutLensJsonl(res.logFile);
    try {
      let matched = 0;
      let flips = 0;
      let agree = 0;
      let contradicted = 0;
      for (let i = 0; i < log.recordCount; i++) {
        const r = log.read(i).rollout!;
        const v = index.lookup(r);
        if (!v) continue;
        matched++;
        const rule = ruleVerdict(r);
        if (rule.label === 'contradicted') contradicted++;
        if (/deliberate disagreement/.test(v.rationale ?? '')) flips++;
        else if (rule.label === v.label) agree++;
      }
      assert.equal(matched, res.judgeEntries, 'every entry matches one completion');
      assert.equal(agree + flips, matched, 'the rules agree with every planned verdict');
      assert.ok(flips > 0.05 * matched && flips < 0.15 * matched, `${flips} flips of ${matched}`);
      assert.ok(contradicted > 20, `${contradicted} contradicting completions in the demo`);
    } finally {
      log.close();
    }
  });
});

interface EvalRec {
  sample_id: string;
  checkpoint: string;
  prompt: { text: string; images: Array<{ path: string; width: number; height: number; input_width: number; input_height: number }> };
  completion: string;
  reference: { answer: string; boxes?: Array<{ bbox: [number, number, number, number]; label: string; frame: string }> };
  correct: boolean;
  slice: { dataset: string; domain: 'ID' | 'OOD'; category: string };
  scores?: unknown;
  verdict?: { label: string; source: string; rationale: string };
  extra: { completion_tokens: number };
}

/** Exact two-sided McNemar p from the discordant counts. */
function mcnemarP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  let tail = 0;
  let coef = 1;
  for (let i = 0; i <= Math.min(b, c); i++) {
    if (i > 0) coef = (coef * (n - i + 1)) / i;
    tail += coef;
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

describe('demo workspace eval outputs', function () {
  this.timeout(60000);
  const DATASETS = ['shapes-count', 'shapes-mc'] as const;
  let dir: string;
  let dir2: string;
  let result: ReturnType<typeof generateDemoWorkspace>;
  /** dataset → checkpoint step → sample id → record. */
  const recs = new Map<string, Map<number, Map<string, EvalRec>>>();
  const fileOf = (root: string, step: number, ds: string) => path.join(root, 'runs', 'grpo-demo', 'eval', `checkpoint-${step}`, `${ds}.eval.jsonl`);
  const at = (ds: string, step: number) => recs.get(ds)!.get(step)!;
  const acc = (ds: string, step: number, domain: string) => {
    const xs = [...at(ds, step).values()].filter((r) => r.slice.domain === domain);
    return xs.filter((r) => r.correct).length / xs.length;
  };
  const flips = (ds: string, a: number, b: number, domain?: string) => {
    let up = 0;
    let down = 0;
    for (const [id, x] of at(ds, a)) {
      const y = at(ds, b).get(id);
      if (!y || (domain && x.slice.domain !== domain)) continue;
      if (!x.correct && y.correct) up++;
      if (x.correct && !y.correct) down++;
    }
    return { up, down };
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-demo-eval-'));
    dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-demo-eval-'));
    result = generateDemoWorkspace(dir, { seed: 11 });
    for (const ds of DATASETS) {
      const bySteps = new Map<number, Map<string, EvalRec>>();
      for (const step of EVAL_STEPS) {
        const m = new Map<string, EvalRec>();
        const lines = fs.readFileSync(fileOf(dir, step, ds), 'utf8').split('\n');
        assert.equal(lines.pop(), '', 'the file ends with a newline');
        for (const l of lines) {
          const r = JSON.parse(l) as EvalRec;
          assert.ok(!m.has(r.sample_id), `${ds}@${step}: ${r.sample_id} twice`);
          m.set(r.sample_id, r);
        }
        bySteps.set(step, m);
      }
      recs.set(ds, bySteps);
    }
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(dir2, { recursive: true, force: true });
  });

  it('writes 4 checkpoints × 2 datasets of eval JSONL, and says so in the README', () => {
    assert.deepEqual([...EVAL_STEPS], [50, 100, 150, 200]);
    const evalDir = path.join(dir, 'runs', 'grpo-demo', 'eval');
    assert.ok(result.evals);
    assert.equal(result.evals.dir, evalDir);
    assert.deepEqual(fs.readdirSync(evalDir).sort(), ['checkpoint-100', 'checkpoint-150', 'checkpoint-200', 'checkpoint-50']);
    const expected = EVAL_STEPS.flatMap((s) => DATASETS.map((ds) => fileOf(dir, s, ds)));
    assert.deepEqual(result.evals.files, expected);
    for (const step of EVAL_STEPS) {
      assert.deepEqual(fs.readdirSync(path.join(evalDir, `checkpoint-${step}`)).sort(), ['shapes-count.eval.jsonl', 'shapes-mc.eval.jsonl']);
    }
    // Checkpoint folders only for 100 and 200: 50 and 150 are eval-only.
    assert.ok(!fs.existsSync(path.join(dir, 'runs', 'grpo-demo', 'checkpoint-50')));
    assert.ok(!fs.existsSync(path.join(dir, 'runs', 'grpo-demo', 'checkpoint-150')));
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    assert.match(readme, /## Evals/);
    assert.match(readme, /shapes-count\.eval\.jsonl/);
    assert.match(readme, /rollout-lens compare runs\/grpo-demo\/checkpoint-100 runs\/grpo-demo\/checkpoint-200 --slice domain/);
  });

  it('every line reads with the eval-jsonl reader without errors, its images found', async () => {
    let records = 0;
    for (const file of result.evals!.files) {
      const log = await openEvalJsonl(file);
      try {
        assert.equal(log.format, 'eval-jsonl');
        assert.deepEqual(log.issues.filter((i) => i.severity === 'error'), [], file);
        const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).length;
        assert.equal(log.recordCount, lines);
        assert.equal(log.evalMeta.judged, lines);
        const step = Number(/checkpoint-(\d+)/.exec(file)![1]);
        for (let i = 0; i < log.recordCount; i++) {
          const { rollout, issues } = log.read(i);
          assert.deepEqual(issues.filter((x) => x.severity === 'error'), [], `${file}:${i + 1}`);
          const r = rollout as Rollout;
          assert.ok(r && r.eval, `${file}:${i + 1}`);
          assert.equal(r.eval.checkpoint, `checkpoint-${step}`);
          assert.equal(typeof r.eval.correct, 'boolean');
          assert.deepEqual(r.eval.scores, {}, 'no scores written: the viewer computes IoU and F1');
          assert.deepEqual(Object.keys(r.eval.slice).sort(), ['category', 'dataset', 'domain']);
          assert.ok(['ID', 'OOD'].includes(r.eval.slice.domain));
          assert.equal(r.prompt.images.length, 1);
          const img = r.prompt.images[0];
          assert.ok(img.resolved && fs.existsSync(img.resolved), `${file}:${i + 1}: ${img.path}`);
          assert.equal(path.dirname(img.resolved), path.join(dir, 'data', 'images', 'eval'));
          assert.deepEqual(smartResize(img.height!, img.width!), [img.inputHeight, img.inputWidth]);
          if (r.eval.slice.dataset === 'shapes-count') {
            assert.equal(r.eval.slice.category, /Locate every \w+ (\w+)/.exec(r.prompt.text)![1]);
            assert.ok(r.reference.boxes.length >= 1);
            for (const b of r.predicted) assert.equal(b.frame, 'model-input');
          } else {
            assert.match(r.eval.slice.category, /^colours-[1-5]$/);
            assert.equal(r.predicted.length, 0);
          }
          records++;
        }
      } finally {
        log.close();
      }
    }
    assert.equal(records, 8 * 60 - 1);
  });

  it('keeps sample ids across checkpoints, except the sample a crashed eval never reached', () => {
    for (const ds of DATASETS) {
      const ids = [...at(ds, 200).keys()];
      const prefix = ds === 'shapes-count' ? 'count' : 'mc';
      assert.deepEqual(ids, Array.from({ length: 60 }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`));
      for (const step of EVAL_STEPS) {
        const here = [...at(ds, step).keys()];
        if (ds === 'shapes-count' && step === 150) assert.deepEqual(here, ids.filter((id) => id !== 'count-0059'));
        else assert.deepEqual(here, ids, `${ds}@${step}`);
        for (const [id, r] of at(ds, step)) {
          const first = at(ds, 200).get(id)!;
          // The same sample everywhere: same prompt, image, reference and slice.
          assert.deepEqual([r.prompt, r.reference, r.slice], [first.prompt, first.reference, first.slice]);
          assert.equal(r.checkpoint, `checkpoint-${step}`);
        }
      }
    }
    // Both datasets ask about the same images, one per sample.
    for (const [id, r] of at('shapes-count', 200)) assert.deepEqual(r.prompt.images, at('shapes-mc', 200).get(id.replace('count', 'mc'))!.prompt.images);
    assert.deepEqual(result.evals!.missing, { step: 150, dataset: 'shapes-count', sampleId: 'count-0059' });
  });

  it('correct is what the completion says (exact count, exact option set)', () => {
    for (const step of EVAL_STEPS) {
      for (const r of at('shapes-count', step).values()) {
        const ans = /<answer>([\s\S]*?)<\/answer>/.exec(r.completion);
        const num = ans ? /-?\d+/.exec(ans[1]) : null;
        assert.equal(r.correct, num !== null && num[0] === r.reference.answer, `${r.sample_id}@${step}`);
        assert.equal(r.reference.answer, String(r.reference.boxes!.length));
        for (const b of r.reference.boxes!) assert.equal(b.frame, 'original');
        assert.equal(r.scores, undefined);
      }
      for (const r of at('shapes-mc', step).values()) {
        assert.match(r.completion, /^<think>[\s\S]+<\/think><answer>[A-E](, [A-E])*<\/answer>$/);
        const got = parseOptionSet(/<answer>(.*)<\/answer>/.exec(r.completion)![1]);
        const want = parseOptionSet(r.reference.answer);
        assert.equal(r.correct, got.size === want.size && [...got].every((x) => want.has(x)), `${r.sample_id}@${step}`);
        assert.equal(r.slice.category, `colours-${want.size}`);
        assert.equal(r.scores, undefined);
      }
    }
  });

  it('uses held-out scenes: other images than the training prompts, ID = a target combination seen in training', () => {
    const train = new Set(fs.readdirSync(path.join(dir, 'data', 'images')).filter((f) => f.endsWith('.png')).map((f) => fs.readFileSync(path.join(dir, 'data', 'images', f)).toString('base64')));
    const evalImages = fs.readdirSync(path.join(dir, 'data', 'images', 'eval'));
    assert.equal(evalImages.length, 60);
    assert.equal(result.evals!.images, 60);
    for (const f of evalImages) assert.ok(!train.has(fs.readFileSync(path.join(dir, 'data', 'images', 'eval', f)).toString('base64')), f);
    const trainRecs = fs.readFileSync(result.logFile, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as Rec);
    const trainTargets = new Set(trainRecs.map((r) => /Locate every (\w+ \w+)/.exec(r.prompt.text)![1]));
    assert.deepEqual(result.evals!.trainTargets, [...trainTargets].sort());
    const domains = { ID: 0, OOD: 0 };
    for (const r of at('shapes-count', 200).values()) {
      const target = /Locate every (\w+ \w+)/.exec(r.prompt.text)![1];
      assert.equal(r.slice.domain, trainTargets.has(target) ? 'ID' : 'OOD', `${r.sample_id}: ${target}`);
      domains[r.slice.domain]++;
    }
    assert.deepEqual(domains, { ID: 40, OOD: 20 });
  });

  it('in-domain accuracy rises clearly (a paired test finds 200 vs 100 significant), out-of-domain barely', () => {
    const id = EVAL_STEPS.map((s) => acc('shapes-count', s, 'ID'));
    const ood = EVAL_STEPS.map((s) => acc('shapes-count', s, 'OOD'));
    assert.ok(id[3] - id[0] >= 0.25, `ID ${id.join(' ')}`);
    assert.ok(id[3] - id[1] >= 0.15, `ID ${id.join(' ')}`);
    assert.ok(Math.abs(ood[3] - ood[1]) <= 0.1, `OOD ${ood.join(' ')}`);
    assert.ok(ood[3] - ood[0] <= 0.15 && Math.max(...ood) < Math.min(id[2], id[3]), `OOD ${ood.join(' ')}`);
    const fid = flips('shapes-count', 100, 200, 'ID');
    const food = flips('shapes-count', 100, 200, 'OOD');
    assert.ok(mcnemarP(fid.up, fid.down) < 0.01, `ID flips ${JSON.stringify(fid)}`);
    assert.ok(mcnemarP(food.up, food.down) > 0.2, `OOD flips ${JSON.stringify(food)}`);
  });

  it('has flips both ways between checkpoint-100 and checkpoint-200, most samples keeping their verdict', () => {
    for (const ds of DATASETS) {
      const f = flips(ds, 100, 200);
      assert.ok(f.up >= 1 && f.down >= 1, `${ds}: ${JSON.stringify(f)}`);
      assert.ok(f.up + f.down <= 30, `${ds}: ${JSON.stringify(f)}`);
    }
    for (const domain of ['ID', 'OOD']) {
      const f = flips('shapes-count', 100, 200, domain);
      assert.ok(f.up >= 1 && f.down >= 1, `${domain}: ${JSON.stringify(f)}`);
    }
  });

  it('mc answers are mostly right, wrong ones partly right (F1 high, not perfect)', () => {
    for (const step of EVAL_STEPS) {
      const f1s = [...at('shapes-mc', step).values()].map((r) => {
        const got = parseOptionSet(/<answer>(.*)<\/answer>/.exec(r.completion)![1]);
        const want = parseOptionSet(r.reference.answer);
        const tp = [...got].filter((x) => want.has(x)).length;
        return (2 * tp) / (got.size + want.size);
      });
      const f1 = mean(f1s);
      assert.ok(f1 > 0.85 && f1 < 0.99, `F1@${step} ${f1}`);
      const accMc = mean([...at('shapes-mc', step).values()].map((r) => (r.correct ? 1 : 0)));
      assert.ok(accMc > 0.35 && accMc < 0.9, `mc accuracy@${step} ${accMc}`);
      assert.ok(f1s.some((x) => x > 0 && x < 1), 'partial option sets');
    }
  });

  it('completions grow a little longer and contradict their answer more often with the step', () => {
    for (const ds of DATASETS) {
      const len = (s: number) => mean([...at(ds, s).values()].map((r) => r.extra.completion_tokens));
      assert.ok(len(200) > len(50) && len(200) < 1.5 * len(50), `${ds}: ${len(50)} → ${len(200)}`);
    }
    const count = (s: number, label: string) => [...at('shapes-count', s).values()].filter((r) => r.verdict?.label === label).length;
    assert.ok(count(200, 'contradicted') > count(50, 'contradicted'), `${count(50, 'contradicted')} → ${count(200, 'contradicted')}`);
    assert.ok(count(50, 'contradicted') >= 1);
    for (const s of EVAL_STEPS) {
      for (const r of at('shapes-count', s).values()) {
        if (!r.verdict) continue;
        assert.equal(r.verdict.source, 'rules');
        // contradicted ⇔ the reasoning's conclusion differs from the answer.
        const stated = /So there (?:is|are) (\d+)|could not find any/.exec(r.completion);
        const n = stated?.[1] !== undefined ? Number(stated[1]) : 0;
        const ans = Number(/<answer>\D*(\d+)/.exec(r.completion)![1]);
        assert.equal(r.verdict.label, n === ans ? 'supported' : 'contradicted', `${r.sample_id}@${s}`);
      }
    }
    // Some answers are right while the reasoning says otherwise (the alignment gap of GRPO write-ups).
    assert.ok([...at('shapes-count', 200).values()].some((r) => r.correct && r.verdict?.label === 'contradicted'));
  });

  it('is deterministic, quick, and can be left out', () => {
    generateDemoWorkspace(dir2, { seed: 11 });
    for (const step of EVAL_STEPS) for (const ds of DATASETS) assert.ok(fs.readFileSync(fileOf(dir2, step, ds)).equals(fs.readFileSync(fileOf(dir, step, ds))), `${ds}@${step}`);
    for (const f of fs.readdirSync(path.join(dir, 'data', 'images', 'eval'))) {
      assert.ok(fs.readFileSync(path.join(dir2, 'data', 'images', 'eval', f)).equals(fs.readFileSync(path.join(dir, 'data', 'images', 'eval', f))), f);
    }
    assert.ok(fs.readFileSync(path.join(dir2, 'README.md')).equals(fs.readFileSync(path.join(dir, 'README.md'))));
    // The eval part alone stays well under two seconds.
    const scenesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-demo-eval-'));
    try {
      const t0 = Date.now();
      const trainScenes = Array.from({ length: 8 }, (_, i) => generateScene(11, i));
      const e = writeEvalOutputs(scenesDir, path.join(scenesDir, 'runs', 'grpo-demo'), 11, trainScenes);
      const ms = Date.now() - t0;
      assert.ok(ms < 2000, `eval outputs took ${ms} ms`);
      assert.ok(fs.readFileSync(e.files[7]).equals(fs.readFileSync(fileOf(dir, 200, 'shapes-mc'))));
    } finally {
      fs.rmSync(scenesDir, { recursive: true, force: true });
    }
    const other = generateDemoWorkspace(dir2, { seed: 12, steps: 2, prompts: 3, groupSize: 2 });
    assert.ok(!fs.readFileSync(fileOf(dir2, 200, 'shapes-count')).equals(fs.readFileSync(fileOf(dir, 200, 'shapes-count'))));
    assert.equal(other.evals!.samples, 60);
    fs.rmSync(dir2, { recursive: true, force: true });
    const none = generateDemoWorkspace(dir2, { seed: 11, evals: false });
    assert.equal(none.evals, null);
    assert.ok(!fs.existsSync(path.join(dir2, 'runs', 'grpo-demo', 'eval')));
    assert.ok(!fs.existsSync(path.join(dir2, 'data', 'images', 'eval')));
    assert.doesNotMatch(fs.readFileSync(path.join(dir2, 'README.md'), 'utf8'), /## Evals/);
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
