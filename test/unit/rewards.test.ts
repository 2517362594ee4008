import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openVlmR1Debug } from '../../extension/core/formats/vlmr1Debug';
import type { Rollout } from '../../extension/core/model';
import type { RunContext } from '../../extension/core/runs/context';
import {
  bboxRewardMultimodalCot,
  chosenOptions,
  compareRewards,
  defaultAccuracyReward,
  exactMatchReward,
  extractChoice,
  formatRewardDefault,
  formatRewardEasyR1,
  formatRewardGeo3k,
  formatRewardMultimodalCot,
  formatRewardRec,
  iouRewardVlmR1,
  levenshteinRatio,
  mcqReward,
  multiChoiceF1,
  multiChoiceF1Reward,
  numericMatch,
  numericReward,
  pooledF1,
  recomputeRewards,
  thinkFormatRewardTrl,
  yesNoReward,
} from '../../extension/core/rewards';
import { FIXTURES, makePng, tempDir } from './helpers';

const DIR = path.join(FIXTURES, 'frameworks');
const MAIN = path.join(DIR, 'vlm-r1__debug_log.2025-06-21-14-00-00.txt');
const JSONL = path.join(DIR, 'vlm-r1__grpo_jsonl_accuracy_reward.debug_log.txt');
const COT = path.join(DIR, 'jakhongir0103-multimodal_cot__debug_log_Qwen2.5-VL-7B-GRPO.txt');
const RFT = path.join(DIR, 'visual-rft__debug_log_2b_GRPO_coco_base65cate_6k.txt');
const GT: [number, number, number, number] = [103.93, 299.99, 238.15, 477.41];

async function readAll(files: string[], opts: Parameters<typeof openVlmR1Debug>[1] = {}): Promise<Rollout[]> {
  const log = await openVlmR1Debug(files, opts);
  const out: Rollout[] = [];
  for (let i = 0; i < log.recordCount; i++) out.push(log.read(i).rollout!);
  log.close();
  return out;
}

function stepValue(t: { steps: Array<{ label: string; value: string }> }, label: string): string {
  const s = t.steps.find((x) => x.label === label);
  assert.ok(s, `no step ${label} in ${JSON.stringify(t.steps)}`);
  return s.value;
}

describe('rewards: VLM-R1 REC fixture recomputed', () => {
  let root: string;
  let rollouts: Rollout[];
  before(async () => {
    root = tempDir();
    // a real 427×640 PNG under the logged file name (the fixture README gives the size)
    fs.mkdirSync(path.join(root, 'train2014'), { recursive: true });
    fs.writeFileSync(path.join(root, 'train2014', 'COCO_train2014_000000581857.jpg'), makePng(427, 640));
    rollouts = await readAll([MAIN], { imageRoots: [root] });
  });

  it('accuracy (iou_reward) equals the logged value to 1e-6 and format equals Has format, for every entry', () => {
    assert.equal(rollouts.length, 4);
    for (const r of rollouts) {
      const res = recomputeRewards(r, null, 'vlm-r1-debug');
      assert.deepEqual(res.notRecomputed, []);
      assert.deepEqual(Object.keys(res.recomputed).sort(), ['accuracy', 'format']);
      assert.ok(Math.abs(res.recomputed.accuracy! - r.rewards.accuracy!) <= 1e-6 * Math.max(1, r.rewards.accuracy!), `${res.recomputed.accuracy} vs ${r.rewards.accuracy}`);
      assert.equal(res.recomputed.format, r.rewards.format);
      const cmp = compareRewards(r.rewards, res.recomputed);
      assert.ok(cmp.every((c) => !c.mismatch), JSON.stringify(cmp));
    }
    assert.deepEqual(rollouts.map((r) => r.rewards.format), [1, 1, 1, 0]);
  });

  it('explain traces walk through answer, box, sizes, conversion, IoU and value', () => {
    const t = recomputeRewards(rollouts[1], null, 'vlm-r1-debug').explain.accuracy;
    assert.match(stepValue(t, 'definition'), /iou_reward/);
    assert.match(stepValue(t, 'extracted answer'), /bbox_2d/);
    assert.match(stepValue(t, 'parsed box'), /^\[98, 288, 251, 500\]/);
    assert.match(stepValue(t, 'sizes'), /image 427×640 .*model input 420×644 \(smart_resize\(640, 427, min_pixels=3136, max_pixels=12845056\); image_grid_thw \[1, 46, 30\]\)/);
    assert.match(stepValue(t, 'frame conversion'), /x·427\/420, y·640\/644/);
    assert.match(stepValue(t, 'IoU'), /^0\.72664087875948/);
    assert.equal(stepValue(t, 'value'), String(t.value));
    const f = recomputeRewards(rollouts[3], null, 'vlm-r1-debug').explain.format;
    assert.match(stepValue(f, 'rule'), /re\.search.*re\.DOTALL/);
    assert.equal(stepValue(f, 'value'), '0.0');
  });

  it('sizes come from the run context min/max pixels too (and are named in the trace)', () => {
    const ctx: RunContext = { minPixels: { value: 3136, source: 'run.sh', assumed: false }, maxPixels: { value: 401408, source: 'run.sh', assumed: false } };
    const t = recomputeRewards(rollouts[0], ctx, 'vlm-r1-debug').explain.accuracy;
    assert.match(stepValue(t, 'pixels'), /max_pixels 401408 \(run\.sh\)/);
    assert.match(stepValue(t, 'sizes'), /max_pixels=401408/);
    // 427×640 = 273280 px < 401408: same input size, same value
    assert.ok(Math.abs(t.value! - rollouts[0].rewards.accuracy!) < 1e-9);
  });

  it('a planted mismatch (one logged value edited) is reported', () => {
    const r = rollouts[1];
    const res = recomputeRewards(r, null, 'vlm-r1-debug');
    const planted = { ...r.rewards, accuracy: 0.7266 };
    const cmp = compareRewards(planted, res.recomputed);
    const acc = cmp.find((c) => c.name === 'accuracy')!;
    assert.equal(acc.mismatch, true);
    assert.ok(acc.relDiff! > 1e-6 && acc.relDiff! < 1e-4);
    assert.equal(cmp.find((c) => c.name === 'format')!.mismatch, false);
    const flipped = compareRewards({ ...r.rewards, format: 0 }, res.recomputed);
    assert.equal(flipped.find((c) => c.name === 'format')!.mismatch, true);
  });

  it('without the image size the accuracy is null (never a mismatch), and the trace says why', async () => {
    const bare = await readAll([MAIN], { imageRoots: [] , exists: () => false });
    const res = recomputeRewards(bare[0], null, 'vlm-r1-debug');
    assert.equal(res.recomputed.accuracy, null);
    assert.match(stepValue(res.explain.accuracy, 'not recomputed'), /image size unknown/);
    assert.ok(compareRewards(bare[0].rewards, res.recomputed).every((c) => !c.mismatch));
  });
});

describe('rewards: other VLM-R1-family logs', () => {
  it('grpo_jsonl default accuracy ("0" vs "<answer> 0 </answer>") and the default format', async () => {
    const rs = await readAll([JSONL]);
    for (const r of rs) {
      const res = recomputeRewards(r, null, 'vlm-r1-debug');
      const cmp = compareRewards(r.rewards, res.recomputed);
      assert.ok(cmp.every((c) => !c.mismatch), JSON.stringify([r.rewards, res.recomputed, res.explain]));
    }
    const res0 = recomputeRewards(rs[0], null, 'vlm-r1-debug');
    assert.equal(res0.recomputed.accuracy, 1);
  });

  it('multimodal_cot accuracy is an exact match of the first <answer>', async () => {
    const rs = await readAll([COT]);
    assert.ok(rs.length >= 2);
    for (const r of rs) {
      const res = recomputeRewards(r, null, 'vlm-r1-debug');
      assert.equal(res.recomputed.accuracy, r.rewards.accuracy, JSON.stringify(res.explain.accuracy));
    }
  });

  it('Visual-RFT rewards are custom: listed as not recomputed, never compared', async () => {
    const rs = await readAll([RFT]);
    const res = recomputeRewards(rs[0], null, 'vlm-r1-debug');
    assert.deepEqual(Object.keys(res.recomputed), []);
    assert.ok(res.notRecomputed.length >= 1);
    assert.deepEqual(compareRewards(rs[0].rewards, res.recomputed), []);
  });
});

function fakeRollout(completion: string, rewards: Record<string, number | null>, more: Partial<Rollout> = {}): Rollout {
  return {
    step: 0, groupId: '', indexInGroup: 0, prompt: { text: '', images: [] }, completion, reference: { boxes: [] }, predicted: [],
    rewards, reward: null, advantage: null, advantageSource: null, generatedImages: [], extra: {}, source: { file: 'x', line: 1 }, ...more,
  };
}

describe('rewards: identification per format', () => {
  it('TRL columns: iou_reward / format_reward_rec / think_format_reward known; accuracy_reward and custom names listed', () => {
    const c = '<think>left</think>\n<answer>{"bbox_2d": [98, 288, 251, 500], "label": "lady"}</answer>';
    const r = fakeRollout(c, { iou_reward: 0.7266408787594841, format_reward_rec: 1, think_format_reward: 1, accuracy_reward: 1, my_reward: 0.3 }, {
      prompt: { text: '', images: [{ path: 'a.jpg', width: 427, height: 640 }] },
      reference: { boxes: [{ box: GT, raw: GT, frame: 'original' }] },
    });
    const res = recomputeRewards(r, null, 'trl-parquet');
    assert.deepEqual(res.notRecomputed, ['accuracy_reward', 'my_reward']);
    assert.ok(compareRewards(r.rewards, res.recomputed).every((x) => !x.mismatch), JSON.stringify(res.recomputed));
    assert.equal(Object.keys(res.recomputed).length, 3);
  });

  it('verl geo3k score = 0.9·acc + 0.1·format compared at float32 tolerance; other verl keys are custom', () => {
    const out = 'Right triangle, hypotenuse 12, so \\boxed{6}';
    const r = fakeRollout(out, { score: 0.8999999761581421, iou: 0.5 }, { reference: { answer: '6', boxes: [] }, extra: { data_source: 'hiyouga/geometry3k' } });
    const res = recomputeRewards(r, null, 'verl-jsonl');
    assert.equal(res.recomputed.score, 0.9);
    assert.deepEqual(res.notRecomputed, ['iou']);
    assert.equal(compareRewards(r.rewards, res.recomputed, { float32: true })[0].mismatch, false);
    assert.equal(compareRewards({ score: 0.8999 }, res.recomputed, { float32: true })[0].mismatch, true);
    const r2 = fakeRollout('<think>x</think> \\boxed{7}', { score: 0.0 }, { reference: { answer: '6', boxes: [] }, extra: { data_source: 'geo3k' } });
    const res2 = recomputeRewards(r2, null, 'verl-jsonl');
    assert.ok(Math.abs(res2.recomputed.score! - 0.1) < 1e-12);
    assert.equal(compareRewards({ score: 0.10000000149011612 }, res2.recomputed, { float32: true })[0].mismatch, false);
    // 1e-5 vs 1e-6: a relative difference of 5e-6 passes only as float32
    assert.equal(compareRewards({ score: 0.1000005 }, res2.recomputed, { float32: true })[0].mismatch, false);
    assert.equal(compareRewards({ score: 0.1000005 }, res2.recomputed)[0].mismatch, true);
  });
});

describe('rewards: format regexes', () => {
  const rec = '<think>The lady in blue is on the left side.</think>\n<answer>{"bbox_2d": [98, 288, 251, 500], "label": "lady"}</answer>';
  const bare = '<think>The blue shirt lady is at the left.</think><answer>[105, 301, 236, 478]</answer>';
  it('VLM-R1 format_reward_rec: re.search with DOTALL, needs {…[d, d, d, d]…} in the answer', () => {
    assert.equal(formatRewardRec(rec).value, 1);
    assert.equal(formatRewardRec(bare).value, 0);
    assert.equal(formatRewardRec(`Sure.\n${rec}\ntrailing`).value, 1); // search: anywhere
    assert.equal(formatRewardRec('<think>a</think><answer>{"bbox_2d": [98.5, 288, 251, 500]}</answer>').value, 0); // integers only
    assert.equal(formatRewardRec('<think>a</think><answer>{"bbox_2d": [98,288,251,500]}</answer>').value, 1);
  });
  it('R1-V / VLM-R1 default format_reward: fullmatch with DOTALL', () => {
    assert.equal(formatRewardDefault(bare).value, 1);
    assert.equal(formatRewardDefault('<think>a\nb</think>\n\n<answer>\nC\n</answer>').value, 1);
    assert.equal(formatRewardDefault(`${bare}\n`).value, 0); // fullmatch: nothing after </answer>
    assert.equal(formatRewardDefault(`Okay. ${bare}`).value, 0);
  });
  it('multimodal_cot format_reward: re.match → 0.5 / 0 (text after </answer> allowed)', () => {
    assert.equal(formatRewardMultimodalCot(`${bare} extra`).value, 0.5);
    assert.equal(formatRewardMultimodalCot(` ${bare}`).value, 0);
  });
  it('EasyR1 r1v: fullmatch after removing spaces around < > /', () => {
    assert.equal(formatRewardEasyR1('<think> a </think> <answer> B </answer>').value, 1);
    assert.equal(formatRewardEasyR1('< think >a</ think >\n<answer>B</answer>').value, 1);
    assert.equal(formatRewardEasyR1('< think >a</ think >\n<answer>B</answer>', { normalizeTags: false }).value, 0);
    assert.equal(formatRewardEasyR1('<answer>B</answer>').value, 0);
  });
  it('TRL think_format_reward and verl geo3k format', () => {
    assert.equal(thinkFormatRewardTrl('<think>\nreasoning\n</think>\nanswer').value, 1);
    assert.equal(thinkFormatRewardTrl('<think>\nreasoning\nanswer').value, 0);
    assert.equal(thinkFormatRewardTrl('<think>a</think><think>b</think>').value, 0);
    assert.equal(formatRewardGeo3k('<think>a</think> so \\boxed{6}.').value, 1);
    assert.equal(formatRewardGeo3k('so \\boxed{6}').value, 0);
  });
});

describe('rewards: accuracy variants', () => {
  it('iou_reward: first integer box of the FIRST answer; 0 without box; sizes in the trace', () => {
    const s = { width: 427, height: 640 };
    const t = iouRewardVlmR1('<think>x</think><answer>[105, 301, 236, 478]</answer>', GT, s);
    assert.ok(Math.abs(t.value! - 0.9488631770628526) < 1e-12);
    assert.equal(iouRewardVlmR1('<answer>{"bbox_2d": [98.5, 288.0, 251, 500]}</answer>', GT, s).value, 0);
    assert.equal(iouRewardVlmR1('<think>[105, 301, 236, 478]</think> no answer', GT, s).value, 0);
    const two = iouRewardVlmR1('<answer>[0, 0, 5, 5]</answer><answer>[105, 301, 236, 478]</answer>', GT, s);
    assert.equal(two.value, 0);
    // logged input size wins over smart_resize
    const logged = iouRewardVlmR1('<answer>[105, 301, 236, 478]</answer>', GT, { ...s, inputWidth: 427, inputHeight: 640 });
    assert.match(stepValue(logged, 'sizes'), /model input 427×640 \(logged/);
    assert.equal(iouRewardVlmR1('<answer>[1, 2, 3, 4]</answer>', GT, null).value, null);
  });
  it('exact match (multimodal_cot)', () => {
    assert.equal(exactMatchReward('<think>t</think> <answer>(B) frisbee</answer>', '<answer>(B) frisbee</answer>').value, 1);
    assert.equal(exactMatchReward('<answer> (B) frisbee </answer>', '<answer>(B) frisbee</answer>').value, 1);
    assert.equal(exactMatchReward('<answer>(b) frisbee</answer>', '<answer>(B) frisbee</answer>').value, 0);
    assert.equal(exactMatchReward('FRISBEE', 'frisbee').value, 1); // no tags: both lower-cased
  });
  it('multiple-choice letter (VLM-R1 extract_choice / mcq_reward)', () => {
    assert.equal(extractChoice('B'), 'B');
    assert.equal(extractChoice('The answer is C.'), 'C');
    assert.equal(extractChoice('(A) leash'), null);
    assert.equal(mcqReward('<think>…</think><answer>C.</answer>', '<answer> C </answer>').value, 1);
    // several letters: VLM-R1's heuristic scores keywords, position in the last 30 % and punctuation: B wins here
    assert.equal(mcqReward('<answer>I choose A, not B.</answer>', '<answer>B</answer>').value, 1);
    assert.equal(mcqReward('<answer>(A) leash</answer>', '<answer>A</answer>').value, 0); // no letter before punctuation
  });
  it('yes/no (first "yes" or "no" substring)', () => {
    assert.equal(yesNoReward('<answer>Yes, it is.</answer>', '<answer>yes</answer>').value, 1);
    assert.equal(yesNoReward('<answer>No.</answer>', '<answer>yes</answer>').value, 0);
    assert.equal(yesNoReward('<answer>maybe</answer>', '<answer>unclear</answer>').value, 1); // both absent agree
    assert.equal(yesNoReward('<answer>nothing</answer>', '<answer>no</answer>').value, 1); // "nothing" holds "no"
  });
  it('numeric match: exact by default, relative tolerance on request; Python float() syntax', () => {
    assert.equal(numericMatch('3', '3.0'), true);
    assert.equal(numericMatch('1_000', '1e3'), true);
    assert.equal(numericMatch('0.1', '0.1000001'), false);
    assert.equal(numericMatch('0.1', '0.1000001', 1e-6), true);
    assert.equal(numericMatch('three', '3'), null);
    assert.equal(numericMatch('nan', 'nan'), false);
    assert.equal(numericReward('<answer>42.</answer>', '<answer> 42 </answer>').value, 1);
    assert.equal(numericReward('<answer>forty</answer>', '<answer>42</answer>').value, null);
  });
  it('default_accuracy_reward uses the LAST <answer>; math_verify cases are left null', () => {
    assert.equal(defaultAccuracyReward('<answer>1</answer> wait <answer>0</answer>', '<answer> 0 </answer>').value, 1);
    assert.equal(defaultAccuracyReward('<answer>0</answer> wait <answer>1</answer>', '<answer> 0 </answer>').value, null);
    assert.equal(defaultAccuracyReward('<answer>red cube</answer>', '<answer>red cube</answer>').value, 1);
    const fuzzy = defaultAccuracyReward('<answer>red cubes</answer>', '<answer>red cube</answer>');
    assert.ok(Math.abs(fuzzy.value! - 16 / 17) < 1e-12); // Levenshtein ratio 1 − 1/17
    assert.equal(defaultAccuracyReward('<answer>B</answer>', '<answer>A</answer>').value, 0);
    assert.equal(levenshteinRatio('', ''), 1);
  });
  it('multimodal_cot bbox_reward: same label first, else best IoU; mean over predicted labels', () => {
    const sol = '<think>The [110,78,305,420 man] is holding the [238,196,333,262 frisbee].</think> <answer>(B)</answer>';
    const t = bboxRewardMultimodalCot('<think>[110,78,305,420 man] and [0,0,10,10 dog]</think><answer>(B)</answer>', sol);
    assert.equal(t.value, 0.5); // man: 1.0 (same label), dog: best IoU 0
    assert.equal(bboxRewardMultimodalCot('<think>[110, 78, 305, 420 man]</think>', sol).value, 0); // spaces after commas: not a box
    assert.match(stepValue(t, 'frame'), /model-input/);
  });
});

describe('rewards: multiple-answer multiple-choice F1 (DrivingVQA)', () => {
  it('per-sample counts and F1', () => {
    assert.deepEqual(chosenOptions('<think>…</think><answer>B, A and (2)</answer>'), ['(2)', 'A', 'B']);
    const c = multiChoiceF1(['A', 'B'], ['A', 'C']);
    assert.deepEqual([c.tp, c.fp, c.fn, c.precision, c.recall, c.f1, c.exact], [1, 1, 1, 0.5, 0.5, 0.5, false]);
    assert.equal(multiChoiceF1(['A', 'C'], ['C', 'A']).f1, 1);
    assert.equal(multiChoiceF1([], ['A']).f1, 0);
    assert.equal(multiChoiceF1([], []).f1, 0);
    assert.equal(multiChoiceF1Reward('<answer>A, C</answer>', ['A']).value, 2 / 3);
  });
  it('dataset F1 pools the counts (micro), which is not the mean of per-sample F1', () => {
    const s = [multiChoiceF1(['A'], ['A']), multiChoiceF1(['A', 'B', 'C'], ['D'])];
    const pooled = pooledF1(s);
    assert.deepEqual([pooled.tp, pooled.fp, pooled.fn], [1, 3, 1]);
    assert.ok(Math.abs(pooled.f1 - 2 * 0.25 * 0.5 / 0.75) < 1e-12);
    assert.notEqual(pooled.f1, (s[0].f1 + s[1].f1) / 2);
  });
});
