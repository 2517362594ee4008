import * as assert from 'node:assert/strict';
import { compare, curves, tableLegend } from '../../extension/core/compare/compare';
import { METRIC_IDS, type CompareSource, type EvalSample, type LoadedSource, type MetricId } from '../../extension/core/compare/types';

const close = (actual: number | null | undefined, expected: number, tol = 1e-12): void =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= tol, `${actual} ≉ ${expected}`);

/** One answer to prompt `id` of `dataset` (key `<dataset>:<id>`), with the given scores and extra slice fields. */
function ev(dataset: string, id: string, scores: Partial<Record<MetricId, number | null>>, slice: Record<string, string> = {}): EvalSample {
  const all = Object.fromEntries(METRIC_IDS.map((m) => [m, scores[m] ?? null])) as Record<MetricId, number | null>;
  return {
    key: `${dataset}:${id}`,
    sampleId: id,
    dataset,
    slice: { dataset, ...slice },
    scores: all,
    log: `${dataset}.jsonl`,
    record: 0,
    file: `${dataset}.jsonl`,
    line: 1,
    question: `question ${id}`,
    answer: null,
    reference: null,
  };
}

function src(name: string, samples: EvalSample[], over: Partial<CompareSource> = {}): LoadedSource {
  return { source: { name, kind: 'checkpoint', path: name, step: null, evalFiles: [], ...over }, samples, issues: [] };
}

// ---------------------------------------------------------------------------------------------------
// The fixture
//
// aokvqa (domain ID, one answer per prompt):
//   prompt   a1 a2 a3 a4 a5 a6 a7 a8
//   SFT       1  0  0  0  0  —  0  1     → 2/7, n 7
//   GRPO      1  1  1  1  1  1  0  0     → 6/8 = 0.75, n 8 (a6 only in GRPO)
//   paired over a1–a5, a7, a8 (7): SFT 2/7, GRPO 5/7 → delta 3/7
//   McNemar: b = #(1, 0) = 1 (a8), c = #(0, 1) = 4 (a2–a5): n = 5, p = 2·(C(5,0) + C(5,1))/2⁵ = 12/32 = 0.375
//   iou only in GRPO (a1 0.8, a2 0.6 → 0.7, n 2): no paired prompt → no delta
//
// driving (split test; domain OOD for d1–d3, none for d4): SFT one answer 0 per prompt, GRPO two answers [1, 0]
//   per prompt (mean@2 = 0.5): every dᵢ = 0.5 → delta 0.5, ci [0.5, 0.5], bootstrap p = 2/(B + 1) = 2/1000 with
//   B = 999 iterations; test 'bootstrap' (two answers per prompt on one side).
//   SFT 0 (n 4, 4 answers), GRPO 0.5 (n 4, 8 answers); OOD row: n 3; (none) row: n 1.

const ITER = 999;
const P_SHIFT = 2 / (ITER + 1); // 0.002

function fixture(): LoadedSource[] {
  const id = { domain: 'ID' };
  const sft = [
    ev('aokvqa', 'a1', { accuracy: 1 }, id),
    ev('aokvqa', 'a2', { accuracy: 0 }, id),
    ev('aokvqa', 'a3', { accuracy: 0 }, id),
    ev('aokvqa', 'a4', { accuracy: 0 }, id),
    ev('aokvqa', 'a5', { accuracy: 0 }, id),
    ev('aokvqa', 'a7', { accuracy: 0 }, id),
    ev('aokvqa', 'a8', { accuracy: 1 }, id),
    ev('driving', 'd1', { accuracy: 0 }, { domain: 'OOD', split: 'test' }),
    ev('driving', 'd2', { accuracy: 0 }, { domain: 'OOD', split: 'test' }),
    ev('driving', 'd3', { accuracy: 0 }, { domain: 'OOD', split: 'test' }),
    ev('driving', 'd4', { accuracy: 0 }, { split: 'test' }),
  ];
  const grpo = [
    ev('aokvqa', 'a1', { accuracy: 1, iou: 0.8 }, id),
    ev('aokvqa', 'a2', { accuracy: 1, iou: 0.6 }, id),
    ev('aokvqa', 'a3', { accuracy: 1 }, id),
    ev('aokvqa', 'a4', { accuracy: 1 }, id),
    ev('aokvqa', 'a5', { accuracy: 1 }, id),
    ev('aokvqa', 'a6', { accuracy: 1 }, id),
    ev('aokvqa', 'a7', { accuracy: 0 }, id),
    ev('aokvqa', 'a8', { accuracy: 0 }, id),
  ];
  for (const d of ['d1', 'd2', 'd3', 'd4']) {
    const slice: Record<string, string> = d === 'd4' ? { split: 'test' } : { domain: 'OOD', split: 'test' };
    grpo.push(ev('driving', d, { accuracy: 1 }, slice), ev('driving', d, { accuracy: 0 }, slice));
  }
  const a = src('SFT', sft);
  a.issues.push({ file: 'sft.jsonl', line: 3, message: 'bad line', severity: 'warning' });
  return [a, src('GRPO', grpo, { step: 500 })];
}

describe('compare: tables', () => {
  it('needs two sources', () => {
    assert.throws(() => compare([fixture()[0]!], { slice: null }), /at least two sources/);
    assert.throws(() => compare([], { slice: null }), /at least two sources/);
  });

  it('computes per-dataset cells, deltas, tests and Holm without a slice', () => {
    const c = compare(fixture(), { slice: null, iterations: ITER });
    assert.deepEqual(c.metrics, ['accuracy', 'iou']);
    assert.deepEqual(
      c.rows.map((r) => [r.dataset, r.slice]),
      [
        ['aokvqa', null],
        ['driving', null],
      ],
    );
    const [aok, drv] = c.rows;
    assert.deepEqual(aok!.metrics[0]!.accuracy, { value: 2 / 7, n: 7, answers: 7 });
    assert.deepEqual(aok!.metrics[1]!.accuracy, { value: 0.75, n: 8, answers: 8 });
    assert.deepEqual(aok!.metrics[0]!.iou, { value: null, n: 0, answers: 0 });
    close(aok!.metrics[1]!.iou!.value, 0.7);
    assert.equal(aok!.deltas[0], null);

    const da = aok!.deltas[1]!.accuracy!;
    close(da.delta, 3 / 7);
    assert.equal(da.test, 'mcnemar');
    assert.equal(da.p, 0.375);
    assert.equal(da.n, 7);
    assert.ok(da.ci[0] <= da.ci[1]);
    assert.equal(aok!.deltas[1]!.iou, undefined, 'no paired prompt → no delta');

    assert.deepEqual(drv!.metrics[0]!.accuracy, { value: 0, n: 4, answers: 4 });
    assert.deepEqual(drv!.metrics[1]!.accuracy, { value: 0.5, n: 4, answers: 8 });
    const dd = drv!.deltas[1]!.accuracy!;
    assert.deepEqual([dd.delta, dd.ci, dd.test, dd.n], [0.5, [0.5, 0.5], 'bootstrap', 4]);
    close(dd.p, P_SHIFT);

    // Holm over the dataset rows: sorted 0.002 · 2 = 0.004 (driving), 0.375 · 1 = 0.375 (aokvqa)
    close(dd.pAdjusted, 0.004);
    close(da.pAdjusted, 0.375);
    assert.equal(dd.significant, true);
    assert.equal(da.significant, false);

    assert.equal(c.slice, null);
    assert.deepEqual([c.iterations, c.seed, c.alpha], [ITER, 1, 0.05]);
    assert.deepEqual(c.sources.map((s) => s.name), ['SFT', 'GRPO']);
    assert.deepEqual(c.issues, [{ file: 'sft.jsonl', line: 3, message: 'bad line', severity: 'warning' }]);
  });

  it('adds slice rows, with their own Holm family', () => {
    const c = compare(fixture(), { slice: 'domain', iterations: ITER });
    assert.deepEqual(
      c.rows.map((r) => [r.dataset, r.slice]),
      [
        ['aokvqa', null],
        ['aokvqa', 'ID'],
        ['driving', null],
        ['driving', 'OOD'],
        ['driving', '(none)'],
      ],
    );
    const [aok, aokId, drv, ood, none] = c.rows;
    // aokvqa has one slice value: its slice row holds the same prompts as the dataset row
    assert.deepEqual(aokId!.metrics, aok!.metrics);
    assert.deepEqual(ood!.metrics[0]!.accuracy, { value: 0, n: 3, answers: 3 });
    assert.deepEqual(ood!.metrics[1]!.accuracy, { value: 0.5, n: 3, answers: 6 });
    assert.deepEqual(none!.metrics[1]!.accuracy, { value: 0.5, n: 1, answers: 2 });
    for (const r of [ood, none]) {
      const d = r!.deltas[1]!.accuracy!;
      assert.deepEqual([d.delta, d.ci, d.test], [0.5, [0.5, 0.5], 'bootstrap']);
      close(d.p, P_SHIFT);
    }
    // Dataset family (aokvqa 0.375, driving 0.002): as without a slice → 0.375, 0.004
    close(aok!.deltas[1]!.accuracy!.pAdjusted, 0.375);
    close(drv!.deltas[1]!.accuracy!.pAdjusted, 0.004);
    // Slice family (ID 0.375, OOD 0.002, (none) 0.002), m = 3, sorted: OOD 0.002·3 = 0.006,
    // (none) max(0.006, 0.002·2 = 0.004) = 0.006, ID max(0.006, 0.375·1) = 0.375
    close(ood!.deltas[1]!.accuracy!.pAdjusted, 0.006);
    close(none!.deltas[1]!.accuracy!.pAdjusted, 0.006);
    close(aokId!.deltas[1]!.accuracy!.pAdjusted, 0.375);
    assert.equal(ood!.deltas[1]!.accuracy!.significant, true);
    assert.equal(aokId!.deltas[1]!.accuracy!.significant, false);

    // The dataset rows do not depend on the slice choice (seeds are derived from dataset, slice, metric, source).
    const plain = compare(fixture(), { slice: null, iterations: ITER });
    assert.deepEqual([aok, drv], plain.rows);
    // and the whole comparison is deterministic
    assert.deepEqual(compare(fixture(), { slice: 'domain', iterations: ITER }), c);
  });

  it('honours alpha', () => {
    const c = compare(fixture(), { slice: null, iterations: ITER, alpha: 0.001 });
    assert.equal(c.rows[1]!.deltas[1]!.accuracy!.significant, false); // 0.004 ≥ 0.001
  });

  it('picks McNemar for a binary metric with one 0/1 answer per prompt, the bootstrap otherwise', () => {
    const a = src('A', [ev('x', '1', { format: 1 }), ev('x', '2', { format: 0 })]);
    const b = src('B', [ev('x', '1', { format: 1 }), ev('x', '2', { format: 1 })]);
    const c = compare([a, b], { slice: null, iterations: 99 });
    // b = 0, c = 1 → n = 1, p = 2 · 1/2 = 1
    assert.deepEqual([c.rows[0]!.deltas[1]!.format!.test, c.rows[0]!.deltas[1]!.format!.p], ['mcnemar', 1]);
    // length is not binary → bootstrap
    const l = compare([src('A', [ev('x', '1', { length: 10 })]), src('B', [ev('x', '1', { length: 12 })])], { slice: null, iterations: 99 });
    const d = l.rows[0]!.deltas[1]!.length!;
    // one prompt, d = 2: every resample is 2 → ci [2, 2], p = 2/(99 + 1) = 0.02
    assert.deepEqual([d.test, d.delta, d.ci, d.p], ['bootstrap', 2, [2, 2], 0.02]);
    // a binary metric with a value other than 0/1 (one answer each) cannot go to McNemar
    const f = compare([src('A', [ev('x', '1', { alignment: 0.5 })]), src('B', [ev('x', '1', { alignment: 1 })])], { slice: null, iterations: 99 });
    assert.equal(f.rows[0]!.deltas[1]!.alignment!.test, 'bootstrap');
  });
});

describe('compare: flips, unmatched, overall, fields', () => {
  const c = compare(fixture(), { slice: null, iterations: ITER });

  it('lists flips on correctness (per-prompt accuracy ≥ 0.5 is right)', () => {
    assert.equal(c.flips[0], null);
    // driving: SFT 0 vs GRPO mean@2 = 0.5 → right in GRPO only; a6 is not paired
    assert.deepEqual(c.flips[1], {
      aOnly: ['aokvqa:a8'],
      bOnly: ['aokvqa:a2', 'aokvqa:a3', 'aokvqa:a4', 'aokvqa:a5', 'driving:d1', 'driving:d2', 'driving:d3', 'driving:d4'],
      both: 1,
      neither: 1,
      bothKeys: ['aokvqa:a1'],
      neitherKeys: ['aokvqa:a7'],
    });
  });

  it('names the prompts a source lacks', () => {
    assert.deepEqual(c.unmatched, [
      { source: 0, name: 'SFT', missing: ['aokvqa:a6'] },
      { source: 1, name: 'GRPO', missing: [] },
    ]);
  });

  it('computes the overall cells over every sample', () => {
    // SFT: 2 right of 11 prompts → 2/11; GRPO: aokvqa 6 + driving 4 · 0.5 = 8 over 12 prompts → 2/3, 16 answers
    assert.deepEqual(c.overall[0]!.accuracy, { value: 2 / 11, n: 11, answers: 11 });
    close(c.overall[1]!.accuracy!.value, 8 / 12);
    assert.deepEqual([c.overall[1]!.accuracy!.n, c.overall[1]!.accuracy!.answers], [12, 16]);
  });

  it('reports how samples were matched and which slice fields exist', () => {
    assert.equal(c.matchedBy, 'id');
    assert.deepEqual(c.sliceFields, ['domain', 'split']);
    const noId = fixture();
    noId[1]!.samples[0]!.sampleId = null;
    assert.equal(compare(noId, { slice: null, iterations: 10 }).matchedBy, 'question');
  });

  it('writes a legend line per metric and one on the test', () => {
    const lines = tableLegend(c);
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^Accuracy: share of answers judged correct/);
    assert.match(lines[1]!, /^mean IoU: best IoU/);
    assert.match(lines[2]!, /paired-bootstrap .*999 resamples/);
    assert.match(lines[2]!, /McNemar/);
    assert.match(lines[2]!, /Holm/);
    assert.match(lines[2]!, /0\.05/);
    const withSlice = tableLegend(compare(fixture(), { slice: 'domain', iterations: 10 }));
    assert.match(withSlice[2]!, /slices of "domain"/);
  });
});

describe('compare: curves', () => {
  it('orders the checkpoints with a step by step, per dataset and metric', () => {
    const [sft, grpo] = fixture();
    sft!.source.step = 200;
    grpo!.source.step = 100;
    const other = src('eval-only', [ev('aokvqa', 'a1', { accuracy: 1 })]);
    const cs = curves([sft!, other, grpo!]);
    assert.deepEqual(
      cs.map((c) => [c.dataset, c.metric]),
      [
        ['aokvqa', 'accuracy'],
        ['aokvqa', 'iou'],
        ['driving', 'accuracy'],
      ],
    );
    assert.deepEqual(cs[0]!.points, [
      { step: 100, source: 'GRPO', value: 0.75, n: 8 },
      { step: 200, source: 'SFT', value: 2 / 7, n: 7 },
    ]);
    assert.deepEqual(cs[1]!.points.map((p) => [p.step, p.value === null ? null : Math.round(p.value * 100) / 100, p.n]), [
      [100, 0.7, 2],
      [200, null, 0],
    ]);
    assert.deepEqual(cs[2]!.points, [
      { step: 100, source: 'GRPO', value: 0.5, n: 4 },
      { step: 200, source: 'SFT', value: 0, n: 4 },
    ]);
    assert.deepEqual(curves([other]), []);
  });
});
