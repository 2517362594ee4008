import * as assert from 'node:assert/strict';
import { parseCsv } from './helpers';
import { compare } from '../../extension/core/compare/compare';
import { COMPARISON_CSV_HEADER, comparisonCsv, comparisonMarkdown, rewardLabel } from '../../extension/core/compare/exportTable';
import { METRIC_IDS, type CompareSource, type EvalSample, type LoadedSource, type MetricId } from '../../extension/core/compare/types';


function ev(dataset: string, id: string, scores: Partial<Record<MetricId, number | null>>, slice: Record<string, string> = {}): EvalSample {
  const all = Object.fromEntries(METRIC_IDS.map((m) => [m, scores[m] ?? null])) as Record<MetricId, number | null>;
  return { key: `${dataset}:${id}`, sampleId: id, dataset, slice: { dataset, ...slice }, scores: all, log: 'e.jsonl', record: 0, file: 'e.jsonl', line: 1, question: id, answer: null, reference: null };
}

/** Accuracy answers 1/0 of prompts p0, p1, … of a dataset, with a length of 10 + 2·i. */
function answers(dataset: string, domain: string, right: number[]): EvalSample[] {
  return right.map((r, i) => ev(dataset, `p${i}`, { accuracy: r, length: 10 + 2 * i }, { domain }));
}

function src(name: string, samples: EvalSample[], over: Partial<CompareSource> = {}): LoadedSource {
  return { source: { name, kind: 'checkpoint', path: name, step: null, evalFiles: [], ...over }, samples, issues: [] };
}

// Accuracy per prompt (one answer each):
//   A-OKVQA (ID):      SFT 1 1 0 0 → 50.00   GRPO 1 1 1 0 → 75.00   =GRPO+iou 1 1 1 0 → 75.00 (tie: both bold)
//   DrivingVQA (OOD):  SFT 0×8 → 0.00        GRPO 1 0×7 → 12.50      =GRPO+iou 1×8 → 100.00 (bold)
// =GRPO+iou vs SFT: DrivingVQA McNemar b = 0, c = 8 → p = 2/2⁸ = 0.0078125; A-OKVQA b = 0, c = 1 → p = 1.
// Holm over the slice rows (m = 2): 0.0078125 · 2 = 0.015625 < 0.05 → † on DrivingVQA only.
// GRPO vs SFT: A-OKVQA c = 1, DrivingVQA c = 1 → p = 1 → no mark.
function fixture(): LoadedSource[] {
  return [
    src('SFT|warm', [...answers('A-OKVQA', 'ID', [1, 1, 0, 0]), ...answers('DrivingVQA', 'OOD', [0, 0, 0, 0, 0, 0, 0, 0])]),
    src('GRPO', [...answers('A-OKVQA', 'ID', [1, 1, 1, 0]), ...answers('DrivingVQA', 'OOD', [1, 0, 0, 0, 0, 0, 0, 0])], {
      rewards: ['accuracy_reward', 'format_reward'],
    }),
    src('=GRPO+iou', [...answers('A-OKVQA', 'ID', [1, 1, 1, 0]), ...answers('DrivingVQA', 'OOD', [1, 1, 1, 1, 1, 1, 1, 1])], {
      rewards: ['accuracy_reward', 'iou_reward'],
      step: 500,
    }),
  ];
}

describe('compare export: Markdown', () => {
  const c = compare(fixture(), { slice: 'domain', iterations: 200 });
  const md = comparisonMarkdown(c);
  const lines = md.split('\n');

  it('writes the wide table like the papers: rewards ✓/✗/—, best in bold, † after Holm', () => {
    assert.deepEqual(lines.slice(0, 5), [
      '| Method | Accuracy Reward | Format Reward | IoU Reward | A-OKVQA (ID) | DrivingVQA (OOD) |',
      '| --- | :---: | :---: | :---: | ---: | ---: |',
      '| SFT\\|warm | — | — | — | 50.00 | 0.00 |',
      '| GRPO | ✓ | ✓ | ✗ | **75.00** | 12.50 |',
      '| =GRPO+iou | ✓ | ✗ | ✓ | **75.00** | **100.00**† |',
    ]);
    assert.equal(lines[5], '');
    assert.match(lines[6]!, /^Accuracy \(%\) per source; n \(prompts\) per column: A-OKVQA \(ID\) 4, DrivingVQA \(OOD\) 8\. † differs from SFT\|warm \(Holm-adjusted p < 0\.05\)/);
  });

  it('adds a long table per column with every metric, Δ, interval and p', () => {
    const at = lines.indexOf('**DrivingVQA (OOD)**');
    assert.ok(at > 0);
    assert.equal(lines[at + 2], '| Method | Metric | Value | n | Answers | Δ vs SFT\\|warm | 95 % CI | Paired | p | p (Holm) | Test |');
    const iouAcc = lines.slice(at).find((l) => l.startsWith('| =GRPO+iou | Accuracy (%)'))!;
    // delta = 1 − 0 = +100.00 points; every prompt flips the same way: ci [+100.00, +100.00]; p = 0.0078125 → "0.008",
    // Holm 0.015625 → "0.016"
    assert.equal(iouAcc, '| =GRPO+iou | Accuracy (%) | 100.00 | 8 | 8 | +100.00† | [+100.00, +100.00] | 8 | 0.008 | 0.016 | McNemar |');
    // length 10, 12, …, 24 in every source: mean 17.0, delta +0.0
    const len = lines.slice(at).find((l) => l.startsWith('| GRPO | Length'))!;
    assert.equal(len, '| GRPO | Length | 17.0 | 8 | 8 | +0.0 | [+0.0, +0.0] | 8 | 1.000 | 1.000 | bootstrap |');
    // one long table per wide column: the dataset rows are folded into their single slice value
    assert.equal(lines.filter((l) => /^\*\*.*\*\*$/.test(l)).length, 2);
    assert.ok(lines.some((l) => l.startsWith('- Accuracy: share of answers judged correct')));
  });

  it('escapes | and line breaks in names; headline metric; no reward columns without rewards', () => {
    const plain = fixture().map((l) => ({ ...l, source: { ...l.source, rewards: undefined } }));
    plain[1]!.source.name = 'two\nlines | x';
    const m = comparisonMarkdown(compare(plain, { slice: null, iterations: 50 }), { metric: 'length' });
    const ls = m.split('\n');
    assert.equal(ls[0], '| Method | A-OKVQA | DrivingVQA |');
    // length: plain numbers, no bold (longer is not better); A-OKVQA 10, 12, 14, 16 → 13.0; DrivingVQA → 17.0
    assert.equal(ls[3], '| two lines \\| x | 13.0 | 17.0 |');
    assert.equal(ls[5], '');
    assert.match(ls[6]!, /^Length per source/);
  });

  it('names reward columns', () => {
    assert.equal(rewardLabel('accuracy_reward'), 'Accuracy Reward');
    assert.equal(rewardLabel('iou_reward'), 'IoU Reward');
    assert.equal(rewardLabel('format'), 'Format Reward');
  });
});

describe('compare export: CSV', () => {
  it('writes one line per dataset/slice row, source and metric, with plain decimals', () => {
    const c = compare(fixture(), { slice: 'domain', iterations: 200 });
    const rows = parseCsv(comparisonCsv(c));
    assert.deepEqual(rows[0], [...COMPARISON_CSV_HEADER]);
    // 4 rows (2 datasets + 2 slice values) × 3 sources × 2 metrics (accuracy, length) = 24, + header
    assert.equal(rows.length, 25);
    const line = rows.find((r) => r[0] === 'DrivingVQA' && r[1] === 'OOD' && r[4] === 'accuracy' && r[2] === "'=GRPO+iou")!;
    assert.deepEqual(line, ['DrivingVQA', 'OOD', "'=GRPO+iou", '500', 'accuracy', '1', '8', '8', '1', '1', '1', '0.0078125', '0.015625', 'mcnemar', 'true']);
    const first = rows.find((r) => r[0] === 'A-OKVQA' && r[1] === '' && r[2] === 'SFT|warm' && r[4] === 'accuracy')!;
    assert.deepEqual(first, ['A-OKVQA', '', 'SFT|warm', '', 'accuracy', '0.5', '4', '4', '', '', '', '', '', '', '']);
  });

  it('quotes per RFC 4180 and guards formulas', () => {
    const [a, b] = fixture();
    a!.source.name = 'say "hi", ok';
    b!.source.name = '@SUM(A1)';
    const text = comparisonCsv(compare([a!, b!], { slice: null, iterations: 20 }));
    assert.ok(text.includes('"say ""hi"", ok"'));
    assert.ok(text.endsWith('\r\n'));
    const rows = parseCsv(text);
    assert.ok(rows.some((r) => r[2] === 'say "hi", ok'));
    assert.ok(rows.some((r) => r[2] === "'@SUM(A1)"));
    // 2 dataset rows × 2 sources × 2 metrics + header
    assert.equal(rows.length, 9);
    assert.ok(rows.every((r) => r.length === COMPARISON_CSV_HEADER.length));
  });
});
