// Box rewards: VLM-R1 `iou_reward` (REC), multimodal_cot `bbox_reward`, and the multiple-answer
// multiple-choice F1 of multimodal_cot's DrivingVQA evaluation. Pure: no `vscode`.

import type { BoxCoords } from '../model';
import { firstIntegerBoxInAnswer } from '../geometry/boxParse';
import { iouPixel } from '../geometry/iou';
import { smartResize } from '../geometry/smartResize';
import { firstAnswer } from './accuracyRewards';
import { pyFindall1, pyFloat, pyInt, pyLower, pyRe, pySearch, pyStrip, show, Trace, type ExplainTrace } from './trace';

/** Sizes iou_reward needs: the image as stored (PIL `Image.open(path).size`) and the model input. */
export interface IouSizes {
  width: number;
  height: number;
  /** Model-input size (`image_grid_thw[1|2] * 14`); computed by smart_resize when absent. */
  inputWidth?: number;
  inputHeight?: number;
  /** For smart_resize when the input size is absent (Qwen2.5-VL defaults 3136 / 12845056). */
  minPixels?: number;
  maxPixels?: number;
  /** Where the sizes came from, for the trace. */
  source?: string;
}

/**
 * VLM-R1 `Qwen2VLModule.iou_reward`: the first integer box of the first `<answer>`, mapped from the
 * model input to the image (`x / W_in * W`, `y / H_in * H`, in that order of operations), then VLM-R1's
 * "−1/+1 pixel" IoU against the ground truth in original pixels. 0 when there is no `<answer>` or no box.
 * Null when the sizes are unknown.
 */
export function iouRewardVlmR1(content: string, gt: BoxCoords, sizes: IouSizes | null): ExplainTrace {
  const t = new Trace();
  const a = firstAnswer(content, true);
  t.add('extracted answer', a === undefined ? 'none (no <answer>…</answer>)' : `${pyStrip(a)} (first <answer>)`);
  const raw = firstIntegerBoxInAnswer(content)?.raw ?? null;
  t.add('parsed box', raw ? `[${raw.join(', ')}] (first [d, d, d, d] in the answer; model-input pixels)` : 'none (no integer [x1, y1, x2, y2] in the answer)');
  t.add('ground truth', `${show(gt.map(Number))} (original pixels)`);
  if (!raw) return t.done(0);
  if (!sizes || !(sizes.width > 0) || !(sizes.height > 0)) return t.done(null, 'image size unknown: cannot map the box from the model input');
  let inW = sizes.inputWidth;
  let inH = sizes.inputHeight;
  let how = 'logged';
  if (!(inW! > 0 && inH! > 0)) {
    const minPixels = sizes.minPixels ?? 3136;
    const maxPixels = sizes.maxPixels ?? 12845056;
    try {
      const r = smartResize(sizes.width, sizes.height, { minPixels, maxPixels });
      [inW, inH] = [r.width, r.height];
      how = `smart_resize(${sizes.height}, ${sizes.width}, min_pixels=${minPixels}, max_pixels=${maxPixels})`;
    } catch (e) {
      return t.done(null, `smart_resize failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const W = sizes.width;
  const H = sizes.height;
  const w = inW!;
  const h = inH!;
  t.add('sizes', `image ${W}×${H} (W×H${sizes.source ? `, ${sizes.source}` : ''}); model input ${w}×${h} (${how}; image_grid_thw [1, ${h / 14}, ${w / 14}])`);
  const mapped: BoxCoords = [(raw[0] / w) * W, (raw[1] / h) * H, (raw[2] / w) * W, (raw[3] / h) * H];
  t.add('frame conversion', `x·${W}/${w}, y·${H}/${h} → ${show(mapped)} (original pixels)`);
  const v = iouPixel(mapped, gt);
  t.add('IoU', `${pyFloat(v)} (VLM-R1 iou(): intersection with the −1/+1 pixel convention)`);
  return t.done(v);
}

/** The sizes for iou_reward from a size pair and run pixels (helper for callers holding an ImageRef). */
export function iouSizes(width: number | undefined, height: number | undefined, more: Partial<IouSizes> = {}): IouSizes | null {
  if (!(width! > 0) || !(height! > 0)) return null;
  return { ...more, width: width!, height: height! };
}

// ---------------------------------------------------------------------------------------------------
// multimodal_cot bbox_reward

/** multimodal_cot `compute_iou` (continuous; degenerate boxes have area 0; 0 when the union is 0). */
export function continuousIou(b1: BoxCoords, b2: BoxCoords): number {
  const iw = Math.max(0, Math.min(b1[2], b2[2]) - Math.max(b1[0], b2[0]));
  const ih = Math.max(0, Math.min(b1[3], b2[3]) - Math.max(b1[1], b2[1]));
  const inter = iw * ih;
  const a1 = Math.max(0, b1[2] - b1[0]) * Math.max(0, b1[3] - b1[1]);
  const a2 = Math.max(0, b2[2] - b2[0]) * Math.max(0, b2[3] - b2[1]);
  const union = a1 + a2 - inter;
  return union === 0 ? 0 : inter / union;
}

const INLINE = String.raw`\[(\d+),(\d+),(\d+),(\d+)\s+([^\[\]]+?)\]`;

/** multimodal_cot `extract_bounding_boxes`: label (stripped, lower-cased) → box; a repeated label keeps its last box, at its first position. */
export function inlineBoxesByLabel(text: string): Map<string, BoxCoords> {
  const re = pyRe(INLINE, { global: true });
  const out = new Map<string, BoxCoords>();
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.set(pyLower(pyStrip(m[5])), [pyInt(m[1]), pyInt(m[2]), pyInt(m[3]), pyInt(m[4])]);
  return out;
}

/**
 * multimodal_cot `bbox_reward`: boxes `[x1,y1,x2,y2 label]` of the first `<think>` of each side (the whole
 * text, lower-cased, when there is none). Per distinct predicted label: the IoU with the ground-truth box of the
 * same label when there is one, else the best IoU over all ground-truth boxes (0 when there are none); the
 * reward is the mean over distinct predicted labels (0 without predicted boxes). Both sides are in the same
 * (model-input) frame, so no size is needed.
 */
export function bboxRewardMultimodalCot(content: string, solution: string): ExplainTrace {
  const t = new Trace();
  const sm = pySearch('<think>(.*?)</think>', solution, true);
  const trueThink = sm ? pyStrip(sm[1]) : pyLower(pyStrip(solution));
  const cm = pySearch('<think>(.*?)</think>', content, true);
  const predThink = cm ? pyStrip(cm[1]) : pyLower(pyStrip(content));
  const truth = inlineBoxesByLabel(trueThink);
  const pred = inlineBoxesByLabel(predThink);
  t.add('ground-truth boxes', [...truth].map(([l, b]) => `${l}: ${show(b)}`).join('; ') || 'none');
  t.add('predicted boxes', [...pred].map(([l, b]) => `${l}: ${show(b)}`).join('; ') || 'none');
  t.add('frame', 'both sides as written (smart-resized model-input pixels): no conversion');
  if (pred.size === 0) return t.done(0);
  let sum = 0;
  for (const [label, box] of pred) {
    const same = truth.get(label);
    let v = 0;
    if (same) {
      v = continuousIou(box, same);
      t.add(`IoU ${label}`, `${pyFloat(v)} (same label)`);
    } else if (truth.size > 0) {
      v = Math.max(...[...truth.values()].map((g) => continuousIou(box, g)));
      t.add(`IoU ${label}`, `${pyFloat(v)} (best over ground-truth boxes)`);
    } else t.add(`IoU ${label}`, '0.0 (no ground-truth boxes)');
    sum += v;
  }
  t.add('mean', `${pyFloat(sum)} / ${pred.size}`);
  return t.done(sum / pred.size);
}

// ---------------------------------------------------------------------------------------------------
// Multiple-answer multiple choice (DrivingVQA): options, per-sample counts, F1

/** multimodal_cot `extract_answer` (eval): option letters A–D and `(n)` numbers in the first `<answer>`, deduplicated, sorted. */
export function chosenOptions(text: string): string[] {
  const a = firstAnswer(text, true);
  if (a === undefined) return [];
  return [...new Set(pyFindall1(String.raw`([A-D]|\(\d+\))`, a))].sort();
}

export interface F1Counts {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  /** Subset accuracy of this sample ("exam score"): the chosen set equals the correct set. */
  exact: boolean;
}

/**
 * F1 between the chosen and the correct option sets of ONE sample (precision = tp/(tp+fp), recall =
 * tp/(tp+fn), 0 when a denominator is 0; F1 = 2PR/(P+R), 0 when P+R = 0). Combining samples is the
 * caller's job: multimodal_cot's DrivingVQA F1 pools tp/fp/fn over all samples first (micro F1, see
 * `pooledF1`), which is not the mean of per-sample F1.
 */
export function multiChoiceF1(chosen: Iterable<string>, correct: Iterable<string>): F1Counts {
  const c = new Set(chosen);
  const g = new Set(correct);
  let tp = 0;
  for (const x of c) if (g.has(x)) tp++;
  const fp = c.size - tp;
  const fn = g.size - tp;
  return { tp, fp, fn, ...prf(tp, fp, fn), exact: fp === 0 && fn === 0 };
}

/** Micro precision / recall / F1 over samples (tp, fp, fn summed first), as multimodal_cot's `compute_precision_recall_f1` (×100 there). */
export function pooledF1(samples: ReadonlyArray<Pick<F1Counts, 'tp' | 'fp' | 'fn'>>): { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const s of samples) {
    tp += s.tp;
    fp += s.fp;
    fn += s.fn;
  }
  return { tp, fp, fn, ...prf(tp, fp, fn) };
}

function prf(tp: number, fp: number, fn: number): { precision: number; recall: number; f1: number } {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * (precision * recall)) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/** Per-sample F1 as an explain trace (chosen options from the completion's first `<answer>`). */
export function multiChoiceF1Reward(content: string, correct: Iterable<string>): ExplainTrace {
  const t = new Trace();
  const chosen = chosenOptions(content);
  const c = multiChoiceF1(chosen, correct);
  t.add('chosen options', chosen.join(', ') || 'none').add('correct options', [...new Set(correct)].sort().join(', ') || 'none');
  t.add('counts', `tp ${c.tp}, fp ${c.fp}, fn ${c.fn}; precision ${pyFloat(c.precision)}, recall ${pyFloat(c.recall)}`);
  return t.done(c.f1, 'per-sample F1; a dataset F1 pools the counts of all samples (pooledF1)');
}
