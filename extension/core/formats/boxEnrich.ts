// Predicted boxes in every convention, for every format, in one place after the reader: boxes the reader
// did not parse (Qwen2-VL points, InternVL, Florence-2 / PaliGemma bins, \boxed{}, 0–1 floats …) are
// added with the frame their convention implies or the one inferred for the run; a frame the user set for
// the run (rollout-lens.json / setting `boxFrame`, CLI --frame) re-maps every box; when the frame was
// only assumed and several fit, the IoU under each candidate is kept so the viewer can show it instead of
// guessing silently. Bad values are reported on the record, never drawn silently wrong. Pure.

import type { Box, BoxCoords, FrameKind, LogIssue, Rollout } from '../model';
import { wrapRead, type ReadOptions, type RolloutLog } from './log';
import { withUnit } from './recordCommon';
import { parseBoxes } from '../geometry/boxParse';
import { inferFrame, toOriginalPixels, type FrameSizes } from '../geometry/frames';
import { iou } from '../geometry/iou';
import { normaliseBox } from '../geometry/smartResize';

function overlaps(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] < b[1] && b[0] < a[1];
}

function fmt(b: readonly number[]): string {
  return `[${b.map((n) => (Number.isInteger(n) ? String(n) : n.toFixed(1))).join(', ')}]`;
}

/** Add, re-map and check the predicted boxes of one rollout (mutates it); returns the issues found. */
export function enrichBoxes(r: Rollout, opts: ReadOptions): LogIssue[] {
  const issues: LogIssue[] = [];
  const warn = (message: string): void =>
    void issues.push(withUnit({ file: r.source.file, line: r.source.line, message, severity: 'warning' }, r.source.unit));
  const ctx = opts.context ?? null;
  const override = ctx?.boxFrame?.value;
  const im = r.prompt.images[0];
  const sizes: FrameSizes = {};
  if (im?.width) sizes.width = im.width;
  if (im?.height) sizes.height = im.height;
  if (im?.inputWidth) sizes.inputWidth = im.inputWidth;
  if (im?.inputHeight) sizes.inputHeight = im.inputHeight;
  if (ctx?.minPixels) sizes.minPixels = ctx.minPixels.value;
  if (ctx?.maxPixels) sizes.maxPixels = ctx.maxPixels.value;
  if (!sizes.minPixels && !sizes.maxPixels && sizes.width && !sizes.inputWidth) sizes.maxPixels = 16384 * 28 * 28;
  const family = ctx?.modelName?.value;

  const parsed = parseBoxes(r.completion);
  if (parsed.truncated) warn(`${parsed.count} boxes in this completion; the first ${parsed.boxes.length} are kept`);
  const gt = r.reference.boxes.map((b) => b.box);
  for (const p of parsed.boxes) {
    const existing = r.predicted.find((b) => b.span && overlaps(b.span, p.span));
    if (p.issues.length) warn(`predicted box ${fmt(p.raw)} (${p.convention}): ${p.issues.join(', ')}; drawn as written, not corrected`);
    if (existing && !override) continue;
    let frame: FrameKind;
    let assumed: boolean;
    let candidates: FrameKind[] = [];
    if (override) {
      frame = override;
      assumed = false;
    } else if (p.frameHint) {
      frame = p.frameHint;
      assumed = false;
    } else {
      const inf = inferFrame([p.raw], { ...sizes, ...(family ? { modelFamily: family } : {}), convention: p.convention });
      frame = inf.frame;
      assumed = inf.assumed;
      candidates = inf.candidates;
    }
    const mapped = toOriginalPixels(p.raw, frame, sizes);
    if (!mapped) warn(`predicted box ${fmt(p.raw)} cannot be mapped from ${frame}: image size unknown`);
    const box: Box = existing ?? { box: p.raw, raw: p.raw, frame, span: p.span, part: p.part };
    box.raw = p.raw;
    box.frame = frame;
    box.box = normaliseBox(mapped ?? p.raw);
    if (assumed) box.frameAssumed = true;
    else delete box.frameAssumed;
    if (p.label !== undefined && box.label === undefined) box.label = p.label;
    if (im && box.imageIndex === undefined) box.imageIndex = 0;
    if (assumed && candidates.length > 1 && gt.length > 0) {
      box.candidates = candidates.map((f) => {
        const m = toOriginalPixels(p.raw, f, sizes);
        return { frame: f, box: m ? normaliseBox(m) : p.raw, iou: m ? Math.max(0, ...gt.map((g) => iou(normaliseBox(m), g))) : null };
      });
    }
    if (!existing) r.predicted.push(box);
  }
  if (!override) {
    // boxes the reader placed: say so when their frame was only assumed and others fit as well
    for (const b of r.predicted) {
      if (!b.frameAssumed || b.candidates || gt.length === 0) continue;
      const inf = inferFrame([b.raw], { ...sizes, ...(family ? { modelFamily: family } : {}) });
      if (inf.candidates.length > 1) {
        b.candidates = inf.candidates.map((f) => {
          const m = toOriginalPixels(b.raw as BoxCoords, f, sizes);
          return { frame: f, box: m ? normaliseBox(m) : b.raw, iou: m ? Math.max(0, ...gt.map((g) => iou(normaliseBox(m), g))) : null };
        });
      }
    }
  }
  r.predicted.sort((a, b) => (a.span?.[0] ?? 0) - (b.span?.[0] ?? 0));
  return issues;
}

/** Wrap a log's `read` so every record goes through `enrichBoxes`. */
export function withBoxes(log: RolloutLog, opts: ReadOptions): RolloutLog {
  return wrapRead(log, (out) => {
    if (!out.rollout) return out;
    try {
      const extra = enrichBoxes(out.rollout, opts);
      return extra.length ? { rollout: out.rollout, issues: [...out.issues, ...extra] } : out;
    } catch {
      return out;
    }
  });
}
