// TRL, verl and ms-swift log no images (and TRL no ground truth): when the run context names the training
// dataset, each prompt is joined back to its dataset row (question text, see runs/datasetJoin.ts) and the
// record gets the row's images (resolved, sizes read), its solution as the reference when the log has
// none, and its predicted boxes mapped with the image size. An ambiguous or missing match is said, never
// guessed. Pure apart from reading image headers.

import * as path from 'path';
import type { ImageRef } from '../model';
import { wrapRead, type RolloutLog, type ReadOptions } from './log';
import { loadDatasetIndex, type DatasetIndex } from '../runs/datasetJoin';
import { completeImage, makeImageLookup, withUnit, parseReference, pixelBudget, predictedBoxes } from './recordCommon';

/** Formats whose records carry no images of their own. */
const NO_IMAGES = new Set<RolloutLog['format']>(['trl-parquet', 'verl-jsonl', 'ms-swift-jsonl', 'easyr1-generations']);

export async function withDatasetJoin(log: RolloutLog, opts: ReadOptions): Promise<RolloutLog> {
  const ctx = opts.context;
  const datasets = ctx?.datasets?.value ?? [];
  if (!NO_IMAGES.has(log.format) || datasets.length === 0) return log;
  const runDir = ctx?.runDir ?? path.dirname(log.file);
  const files = datasets.map((d) => path.resolve(runDir, d));
  const folders = (ctx?.imageFolders?.value ?? []).map((d) => path.resolve(runDir, d));
  let index: DatasetIndex;
  try {
    index = await loadDatasetIndex(files, folders);
  } catch (e) {
    log.issues.push({ file: files[0] ?? runDir, line: 0, message: `cannot read the dataset to find images: ${e instanceof Error ? e.message : String(e)}`, severity: 'warning' });
    return log;
  }
  for (const i of index.issues.slice(0, 20)) log.issues.push(i);
  const lookup = makeImageLookup({ logDir: runDir }, opts);
  const pixels = pixelBudget(ctx);
  return wrapRead(log, (out) => {
    const r = out.rollout;
    if (!r || r.prompt.images.length > 0) return out;
    const issues = [...out.issues];
    const warn = (message: string): void => void issues.push(withUnit({ file: r.source.file, line: r.source.line, message, severity: 'warning' }, r.source.unit));
    const matches = index.match(r.prompt.text);
    if (matches.length === 0) {
      warn(`prompt not found in the dataset (${index.files.map((f) => path.basename(f)).join(', ')}): no image`);
      return { rollout: r, issues };
    }
    const distinct = new Set(matches.map((m) => m.images.join('\u0000')));
    if (distinct.size > 1) {
      warn(`the prompt matches ${matches.length} dataset rows with different images (the question is shared): no image chosen`);
      r.extra.dataset_matches = matches.slice(0, 10).map((m) => ({ id: m.id ?? null, images: m.images, file: path.basename(m.file), row: m.row }));
      return { rollout: r, issues };
    }
    const m = matches[0]!;
    const images: ImageRef[] = m.images.map((p) => ({ path: p }));
    for (const im of images) completeImage(im, lookup, opts.imageRoots ?? [], warn);
    r.prompt.images = images;
    r.extra.dataset_row = { id: m.id ?? null, file: path.basename(m.file), line: m.line || null, row: m.row, how: m.how };
    if (r.reference.answer === undefined && r.reference.boxes.length === 0 && m.solution !== undefined) {
      const ref = parseReference(m.solution, images);
      r.reference = ref;
      r.extra.reference_source = 'dataset';
    }
    if (images[0]) r.predicted = predictedBoxes(r.completion, images[0], pixels, warn);
    return { rollout: r, issues };
  });
}
