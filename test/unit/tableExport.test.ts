import * as assert from 'node:assert/strict';
import { parseCsv } from './helpers';
import { collapse, csvQuote, groupToCsv, groupToMarkdown, mdEscape, neutraliseFormula, rowsToCsv, rowsToMarkdown } from '../../extension/core/table/export';
import { groupView, rolloutView } from '../../extension/core/inspectorView';
import type { Rollout } from '../../extension/core/model';
import type { SampleRow } from '../../extension/protocol/inspector';

const row = (over: Partial<SampleRow> = {}): SampleRow => ({
  recordIndex: 3,
  step: 2,
  groupIndex: 1,
  indexInGroup: 0,
  reward: 1.5,
  advantage: -0.5,
  rewards: { accuracy: 1, format: null },
  iou: 0.25,
  length: 12,
  verdict: '=HYPERLINK("http://x")',
  mismatch: false,
  zeroStd: true,
  truncated: false,
  ...over,
});

describe('CSV and Markdown export', () => {
  it('quotes cells as RFC 4180 and neutralises formulas in text from the log, not in numbers', () => {
    assert.equal(csvQuote('a,b'), '"a,b"');
    assert.equal(csvQuote('say "hi"'), '"say ""hi"""');
    assert.equal(csvQuote('plain'), 'plain');
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx']) assert.equal(neutraliseFormula(s), `'${s}`);
    assert.equal(neutraliseFormula('ok'), 'ok');
    const csv = rowsToCsv([row(), row({ recordIndex: 4, verdict: 'a "b",\nc', reward: null })], ['accuracy', 'format']);
    assert.ok(csv.endsWith('\r\n'));
    const parsed = parseCsv(csv);
    assert.deepEqual(parsed[0], ['record', 'step', 'group', 'index', 'reward', 'accuracy', 'format', 'advantage', 'iou', 'length', 'truncated', 'mismatch', 'zero_std', 'verdict']);
    assert.deepEqual(parsed[1], ['3', '2', '1', '0', '1.5', '1', '', '-0.5', '0.25', '12', 'false', 'false', 'true', `'=HYPERLINK("http://x")`]);
    assert.equal(parsed[2]![4], '');
    assert.equal(parsed[2]![13], 'a "b",\nc');
    assert.equal(parsed.length, 3);
  });

  it('neutralises formulas in reward names too (they come from the log)', () => {
    const csv = rowsToCsv([row({ rewards: { '=cmd': 1 } })], ['=cmd']);
    assert.equal(parseCsv(csv)[0]![5], `'=cmd`);
  });

  it('escapes pipes, backticks, backslashes, tags and line breaks in Markdown cells', () => {
    assert.equal(mdEscape('a|b`c`\\d\ne<think>'), 'a\\|b\\`c\\`\\\\d e&lt;think>');
    const md = rowsToMarkdown([row({ verdict: 'x|y\nz' })], ['accuracy', 'format']);
    const lines = md.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[1]!, /^\|( --- \|)+$/);
    assert.ok(lines[2]!.includes('x\\|y z'));
    assert.ok(lines[2]!.includes('| yes |'), 'zero_std shows as yes');
  });

  it('collapses whitespace and cuts long text with an ellipsis', () => {
    assert.equal(collapse('  a \n\n b\t c '), 'a b c');
    const long = collapse('x'.repeat(400));
    assert.equal(long.length, 301);
    assert.ok(long.endsWith('…'));
  });

  const mk = (i: number, completion: string, reward: number): Rollout => ({
    step: 5,
    groupId: 'g|1',
    indexInGroup: i,
    prompt: { text: 'Count the `red` circles.', images: [{ path: 'a.png', width: 100, height: 100 }] },
    completion,
    answer: '2',
    reference: { answer: '2', boxes: [{ box: [0, 0, 10, 10], raw: [0, 0, 10, 10], frame: 'original' }] },
    predicted: [{ box: [0, 0, 5, 10], raw: [0, 0, 5, 10], frame: 'original', part: 'answer' }],
    rewards: { accuracy: reward, format: 1 },
    reward: reward + 1,
    advantage: reward - 0.5,
    advantageSource: 'logged',
    generatedImages: [],
    extra: {},
    source: { file: 'f', line: i + 1 },
  });

  it('exports one group as Markdown (collapsed, cut) and CSV (full text)', () => {
    const long = `<think>${'step '.repeat(100)}</think>\n<answer>2</answer>`;
    const views = [rolloutView(0, mk(0, long, 1), [], () => null), rolloutView(1, mk(1, '-2+3 | `x`', 0), [], () => null)];
    const g = groupView({ groupIndex: 2, groupCount: 9, step: 5, stepIndex: 0, stepCount: 1, groupId: 'g|1' }, views, []);
    const md = groupToMarkdown(g);
    assert.match(md, /^### step 5 · group g\\\|1 \(3 of 9\) · 2 completions/);
    assert.ok(md.includes('Prompt: Count the \\`red\\` circles.'));
    const table = md.split('\n').filter((l) => l.startsWith('|'));
    assert.equal(table.length, 4);
    assert.ok(table[0]!.startsWith('| index | reward | accuracy | format | advantage | correct | iou |'));
    assert.ok(table[2]!.includes('&lt;think>step step'));
    assert.ok(table[2]!.includes('…'));
    assert.ok(!table[2]!.includes('\n'));
    assert.ok(table[3]!.includes('-2+3 \\| \\`x\\`'));
    assert.ok(table[2]!.includes('| 0.5 |'), 'IoU of the GT box with the prediction');

    const rows = parseCsv(groupToCsv(g));
    assert.deepEqual(rows[0], ['index', 'reward', 'accuracy', 'format', 'advantage', 'correct', 'iou', 'length', 'truncated', 'answer', 'completion']);
    assert.equal(rows[1]![10], long, 'CSV keeps the full completion');
    assert.equal(rows[2]![10], "'-2+3 | `x`", 'a completion that starts with - is neutralised');
    assert.equal(rows[2]![4], '-0.5', 'numbers stay numbers');
    assert.equal(rows[1]![5], 'true');
    assert.equal(rows[1]![6], '0.5');
  });
});
