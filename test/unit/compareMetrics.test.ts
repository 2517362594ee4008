import * as assert from 'node:assert/strict';
import { cellStat, optionSetF1, parseOptionSet, perKey, presentMetrics } from '../../extension/core/compare/metrics';
import { METRIC_IDS, type EvalSample, type MetricId } from '../../extension/core/compare/types';

/** One answer with the given scores (every other metric null). */
function sample(key: string, scores: Partial<Record<MetricId, number | null>>): EvalSample {
  const all = Object.fromEntries(METRIC_IDS.map((m) => [m, scores[m] ?? null])) as Record<MetricId, number | null>;
  return { key, sampleId: key, dataset: 'ds', slice: {}, scores: all, log: 'x.jsonl', record: 0, file: 'x.jsonl', line: 1, question: 'q', answer: null, reference: null };
}

describe('compare metrics: option sets', () => {
  it('reads the usual ways of writing several options', () => {
    const ac = ['A', 'C'];
    for (const s of ['A, C', '(A) (C)', 'A and C', 'AC', "['A','C']", '["A", "C"]', 'A;C', 'C, A', 'A/C', 'a, c', 'Answer: A, C', 'Answer: AC', '<answer>A, C</answer>', 'A, C, A']) {
      assert.deepEqual(parseOptionSet(s), ac, s);
    }
    assert.deepEqual(parseOptionSet('Answer: B'), ['B']);
    assert.deepEqual(parseOptionSet('The answer is D.'), ['D']);
    assert.deepEqual(parseOptionSet('B)'), ['B']);
    assert.deepEqual(parseOptionSet('ABDE'), ['A', 'B', 'D', 'E']);
    assert.deepEqual(parseOptionSet('[]'), []);
  });

  it('returns null for what is not an option set', () => {
    for (const s of ['3', 'a red circle', '', '   ', 'A1', 'I think A', 'A. a car', 'AA', 'ABCDEF', 'YES', 'NO', 'Answer:']) {
      assert.equal(parseOptionSet(s), null, s);
    }
  });

  it('computes the F1 of two option sets', () => {
    // P = {A, B}, R = {A, C}: tp = 1, precision 1/2, recall 1/2 → F1 = 2·1/(2 + 2) = 0.5
    assert.equal(optionSetF1('A,B', 'A,C'), 0.5);
    // P = {A}, R = {A, C}: precision 1, recall 1/2 → F1 = 2·(1·½)/(1 + ½) = 2/3 = 2·1/(1 + 2)
    assert.equal(optionSetF1('A', 'A,C'), 2 / 3);
    // P = {A, B, C}, R = {B}: tp = 1 → 2/(3 + 1) = 0.5
    assert.equal(optionSetF1('(A) (B) (C)', 'B'), 0.5);
    assert.equal(optionSetF1('C, A', 'AC'), 1);
    assert.equal(optionSetF1('B', 'A, C'), 0);
    assert.equal(optionSetF1('[]', '[]'), 1);
  });

  it('scores an unreadable prediction 0 and an unreadable reference null', () => {
    assert.equal(optionSetF1('a red circle', 'A'), 0);
    assert.equal(optionSetF1(null, 'A'), 0);
    assert.equal(optionSetF1(undefined, 'B, C'), 0);
    assert.equal(optionSetF1('A', 'a red circle'), null);
    assert.equal(optionSetF1('A', null), null);
    assert.equal(optionSetF1(null, undefined), null);
  });
});

describe('compare metrics: cells', () => {
  const samples = [
    // k1: accuracy [1, 0, 1, 1] → 3/4 = 0.75
    sample('k1', { accuracy: 1, length: 10 }),
    sample('k1', { accuracy: 0, length: 20 }),
    sample('k1', { accuracy: 1 }),
    sample('k1', { accuracy: 1 }),
    // k2: accuracy [0, 0] → 0
    sample('k2', { accuracy: 0, length: 30 }),
    sample('k2', { accuracy: 0 }),
    // k3: no accuracy at all → not counted
    sample('k3', { iou: 0.4 }),
  ];

  it('averages per prompt, then over prompts (mean@N)', () => {
    // (0.75 + 0) / 2 = 0.375; n = 2 prompts; answers = 4 + 2 = 6
    assert.deepEqual(cellStat(samples, 'accuracy'), { value: 0.375, n: 2, answers: 6 });
    // length: k1 (10 + 20)/2 = 15, k2 30 → (15 + 30)/2 = 22.5, n = 2, answers 3
    assert.deepEqual(cellStat(samples, 'length'), { value: 22.5, n: 2, answers: 3 });
    assert.deepEqual(cellStat(samples, 'iou'), { value: 0.4, n: 1, answers: 1 });
    assert.deepEqual(cellStat(samples, 'f1'), { value: null, n: 0, answers: 0 });
    assert.deepEqual(cellStat([], 'accuracy'), { value: null, n: 0, answers: 0 });
  });

  it('exposes per-key sums and counts', () => {
    const m = perKey(samples, 'accuracy');
    assert.deepEqual([...m.entries()], [
      ['k1', { sum: 3, count: 4 }],
      ['k2', { sum: 0, count: 2 }],
    ]);
  });

  it('lists the metrics present in METRIC_IDS order', () => {
    assert.deepEqual(presentMetrics(samples), ['accuracy', 'iou', 'length']);
    assert.deepEqual(presentMetrics([sample('x', { format: 1, f1: 0.5 })]), ['f1', 'format']);
    assert.deepEqual(presentMetrics([]), []);
  });
});
