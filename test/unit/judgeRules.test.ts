import * as assert from 'node:assert/strict';
import { RULE_NAMES, ruleVerdict } from '../../extension/core/judge/rules';
import { parseBoxes } from '../../extension/core/geometry/boxParse';
import { makeRollout } from './helpers';
import type { Rollout } from '../../extension/core/model';

const COUNT_Q =
  'Locate every red circle in the image and count them. Output each box as JSON {"bbox_2d": [x1, y1, x2, y2], "label": "red circle"} inside your reasoning, then the count in <answer></answer>. Think step by step inside <think></think> tags.';
const MC_Q = 'Which shape is red?\nA. circle\nB. square\nC. triangle\nD. star\nAnswer with the option letter.';
const REF_Q = 'Output the bounding box of the dog in the image.';

/** A rollout whose predicted boxes (with their trace parts) come from the project's box parser. */
function mk(completion: string, question = COUNT_Q, over: Partial<Rollout> = {}): Rollout {
  const predicted = parseBoxes(completion).boxes.map((b) => ({
    box: b.raw,
    raw: b.raw,
    frame: 'model-input' as const,
    part: b.part,
    span: b.span,
    ...(b.label !== undefined ? { label: b.label } : {}),
  }));
  return makeRollout({ prompt: { text: question, images: [] }, completion, predicted, ...over });
}

const box = (b: number[], label = 'red circle'): string => JSON.stringify({ bbox_2d: b, label });
const B1 = [10, 10, 50, 50];
const B2 = [120, 30, 170, 80];
const B3 = [200, 200, 260, 260];
const B4 = [300, 20, 340, 60];

/** The rule names in a rationale, in order. */
function rules(rationale: string | undefined): string[] {
  return [...(rationale ?? '').matchAll(/\[([a-z-]+)\]/g)].map((m) => m[1]!);
}

function demo(boxes: number[][], stated: string, answer: string): string {
  const found = boxes.map((b, i) => (i % 2 ? `I see a match in the top right ${box(b)}.` : `There is one in the top left: ${box(b)}.`));
  return `<think>Let me scan the image for red circles. ${found.join(' ')} The blue circle in the centre does not count because it is blue, not red. ${stated}</think><answer>${answer}</answer>`;
}

describe('judge rules: final-answer-mismatch / final-answer-match', () => {
  it('the demo: "So there are 4 red circles in total." with <answer>3</answer> is contradicted', () => {
    const v = ruleVerdict(mk(demo([B1, B2, B3, B4], 'So there are 4 red circles in total.', '3')));
    assert.equal(v.label, 'contradicted');
    assert.equal(v.source, 'rules');
    assert.deepEqual(rules(v.rationale), ['final-answer-mismatch', 'box-count-mismatch']);
    assert.match(v.rationale!, /^\[final-answer-mismatch\] the reasoning ends with "So there are 4 red circles in total\." \(states 4\) but the answer is "3"\./);
  });

  it('the demo: matching count and boxes is supported by both rules', () => {
    const v = ruleVerdict(mk(demo([B1, B2, B3], 'So there are 3 red circles in total.', '3')));
    assert.equal(v.label, 'supported');
    assert.deepEqual(rules(v.rationale), ['final-answer-match', 'box-count-match']);
    const one = ruleVerdict(mk(demo([B1], 'So there is 1 red circle in total.', '1')));
    assert.equal(one.label, 'supported');
  });

  it('the demo verbose answer "3 red circles" compares its number', () => {
    assert.equal(ruleVerdict(mk(demo([B1, B2, B3], 'So there are 3 red circles in total.', '3 red circles'))).label, 'supported');
    assert.equal(ruleVerdict(mk(demo([B1, B2, B3], 'So there are 3 red circles in total.', '2 red circles'))).label, 'contradicted');
  });

  it('the demo: "I could not find any red circles." is a count of 0', () => {
    const c = '<think>Let me scan the image for red circles. The blue circle in the centre does not count. I could not find any red circles.</think>';
    assert.deepEqual(rules(ruleVerdict(mk(`${c}<answer>0</answer>`)).rationale), ['final-answer-match', 'box-count-match']);
    const v = ruleVerdict(mk(`${c}<answer>1</answer>`));
    assert.equal(v.label, 'contradicted');
    assert.deepEqual(rules(v.rationale), ['final-answer-mismatch', 'box-count-mismatch']);
  });

  it('the demo format errors: no </think>, no <think>, trailing text', () => {
    const body = `Let me scan the image for red circles. There is one in the top left: ${box(B1)}. I see a match in the top right ${box(B2)}. So there are 2 red circles in total.`;
    assert.equal(ruleVerdict(mk(`<think>${body}<answer>2</answer>`)).label, 'supported');
    assert.equal(ruleVerdict(mk(`${body}\n<answer>3</answer>`)).label, 'contradicted');
    const noThink = ruleVerdict(mk(`${body}\n<answer>2</answer>`));
    assert.deepEqual(rules(noThink.rationale), ['final-answer-match', 'box-count-match']);
    assert.equal(ruleVerdict(mk(`<think>${body}</think><answer>2</answer> Let me know if you need anything else.`)).label, 'supported');
  });

  it('numbers as words, one to twenty, both ways', () => {
    const c = (s: string, a: string): Rollout => mk(`<think>I looked at every shape in the picture carefully. ${s}</think><answer>${a}</answer>`, 'How many apples are there?');
    assert.equal(ruleVerdict(c('So there are four apples.', '4')).label, 'supported');
    assert.equal(ruleVerdict(c('So there are four apples.', '5')).label, 'contradicted');
    assert.equal(ruleVerdict(c('In total I count twelve apples.', '12')).label, 'supported');
    assert.equal(ruleVerdict(c('Therefore, the answer is 7.', 'seven')).label, 'supported');
    assert.equal(ruleVerdict(c('Therefore, the answer is twenty.', '19')).label, 'contradicted');
    assert.equal(ruleVerdict(c('There are 6 apples altogether.', '6.0')).label, 'supported');
  });

  it('the statement shapes: "the answer is", "final answer:", "therefore … = X", "I count N"', () => {
    const geo = 'As shown in the figure, in triangle ABC, angle A = 80.0, angle B = 60.0, DE parallel BC, then the size of angle CED is ()';
    const g1 = '<think>Given that DE is parallel to BC, we have angle AED = angle B = 60.0. Therefore, angle CED = 180.0 - angle A - angle AED = 180.0 - 80.0 - 60.0 = 40.0. </think>\n<answer>40.0</answer>';
    assert.deepEqual(rules(ruleVerdict(mk(g1, geo)).rationale), ['final-answer-match']);
    assert.equal(ruleVerdict(mk(g1.replace('<answer>40.0', '<answer>140°'), geo)).label, 'contradicted');
    const g2 = '<think>Given that AB is parallel to CD, we have angle 1 = angle BEF = 50. Since EG bisects angle BEF, we have angle 2 = 1/2 * angle BEF = 25. Therefore, the answer is 25.</think>\n<answer>25</answer>';
    assert.equal(ruleVerdict(mk(g2, geo)).label, 'supported');
    assert.equal(ruleVerdict(mk(g2.replace('<answer>25', '<answer>65'), geo)).label, 'contradicted');
    const f = '<think>Adding the two parts gives the total length of the rope.\nFinal answer: 12 cm</think><answer>12</answer>';
    assert.equal(ruleVerdict(mk(f, 'How long is the rope?')).label, 'supported');
    const count = '<think>Looking at the shelf row by row. I count 9 books.</think><answer>8</answer>';
    assert.equal(ruleVerdict(mk(count, 'How many books are on the shelf?')).label, 'contradicted');
  });

  it('yes/no and text answers: explicit statements only', () => {
    const vsr = '<think>\nThe image shows a motorcycle with a suitcase attached to its back, and there is no visible car in the foreground or background that would be behind the suitcase. Therefore, it is not accurate to say that the car is behind the suitcase.\n</think>\n<answer>\nFalse\n</answer>';
    const v = ruleVerdict(mk(vsr, 'The car is behind the suitcase. True or false?'));
    assert.equal(v.label, 'unknown');
    assert.deepEqual(rules(v.rationale), ['no-check']);
    const yes = '<think>The cat sits on the mat next to the door. So the answer is yes.</think><answer>no</answer>';
    assert.equal(ruleVerdict(mk(yes, 'Is the cat on the mat?')).label, 'contradicted');
    assert.equal(ruleVerdict(mk(yes.replace('<answer>no', '<answer>Yes'), 'Is the cat on the mat?')).label, 'supported');
    const text = '<think>The animal has stripes and a mane-less head. The answer is a zebra.</think><answer>zebra</answer>';
    assert.equal(ruleVerdict(mk(text, 'What animal is this?')).label, 'supported');
    assert.equal(ruleVerdict(mk(text.replace('<answer>zebra', '<answer>horse'), 'What animal is this?')).label, 'contradicted');
    const vague = '<think>The animal has stripes. The answer should be given as one word.</think><answer>zebra</answer>';
    assert.equal(ruleVerdict(mk(vague, 'What animal is this?')).label, 'unknown');
  });

  it('a statement early in a long reasoning is not the final one', () => {
    const c = `<think>So there are 5 apples at first glance. ${'Let me look at each region of the picture again. '.repeat(10)}</think><answer>4</answer>`;
    assert.equal(ruleVerdict(mk(c, 'How many apples are there?')).label, 'unknown');
  });
});

describe('judge rules: multiple choice', () => {
  it('option letters: "(B) is correct", "option C", sets in any order', () => {
    const c = (s: string, a: string): Rollout => mk(`<think>The red shape has four equal sides and four right angles. ${s}</think><answer>${a}</answer>`, MC_Q);
    assert.deepEqual(rules(ruleVerdict(c('So (B) is correct.', 'B')).rationale), ['final-answer-match']);
    const v = ruleVerdict(c('So (C) is correct.', 'B'));
    assert.equal(v.label, 'contradicted');
    assert.match(v.rationale!, /\(chooses C\) but the answer is "B"/);
    assert.equal(ruleVerdict(c('Therefore, option C.', 'C. triangle')).label, 'supported');
    assert.equal(ruleVerdict(c('Therefore, option C.', '(B)')).label, 'contradicted');
    const multi = (s: string, a: string): Rollout => mk(`<think>Both the circle and the triangle are red here. ${s}</think><answer>${a}</answer>`, `${MC_Q} Select all that apply.`);
    assert.equal(ruleVerdict(multi('The answer is A, C.', 'C, A')).label, 'supported');
    assert.equal(ruleVerdict(multi('The answer is A and C.', 'A')).label, 'contradicted');
  });

  it('mc-answer-absent: the chosen letter never appears in the reasoning', () => {
    const v = ruleVerdict(mk('<think>The red shape has four equal sides, so it is a square.</think><answer>B</answer>', MC_Q));
    assert.equal(v.label, 'unsupported');
    assert.deepEqual(rules(v.rationale), ['mc-answer-absent']);
    assert.match(v.rationale!, /the chosen option B never appears in the reasoning/);
    const present = ruleVerdict(mk('<think>The red shape has four equal sides, so it is a square, which is B.</think><answer>B</answer>', MC_Q));
    assert.notEqual(present.label, 'unsupported');
    const lower = ruleVerdict(mk('<think>The red shape has four equal sides; that matches option b here.</think><answer>B</answer>', MC_Q));
    assert.ok(!rules(lower.rationale).includes('mc-answer-absent'));
    const partial = ruleVerdict(mk('<think>The circle (A) is clearly red; the others look grey to me.</think><answer>A, C</answer>', `${MC_Q} Select all that apply.`));
    assert.deepEqual(rules(partial.rationale), ['mc-answer-absent']);
    assert.match(partial.rationale!, /the chosen option C never appears/);
    // an empty reasoning is reported once, not also as an absent letter
    assert.deepEqual(rules(ruleVerdict(mk('<think></think><answer>B</answer>', MC_Q)).rationale), ['empty-reasoning']);
  });

  it('a letter answer without a multiple-choice question is not checked for absence', () => {
    const v = ruleVerdict(mk('<think>The red shape has four equal sides, so it is a square.</think><answer>B</answer>', 'What is this?'));
    assert.ok(!rules(v.rationale).includes('mc-answer-absent'));
  });
});

describe('judge rules: boxes', () => {
  const dog = (thinkBoxes: number[][], answerBoxes: number[][]): Rollout =>
    mk(
      `<think>I look for the dog in the picture. ${thinkBoxes.map((b) => `Candidate: ${box(b, 'dog')}.`).join(' ')} The dog is the brown animal.</think><answer>[${answerBoxes.map((b) => box(b, 'dog')).join(', ')}]</answer>`,
      REF_Q,
    );

  it('parts come from the box parser', () => {
    const r = dog([B1], [B1]);
    assert.deepEqual(r.predicted.map((b) => b.part), ['think', 'answer']);
  });

  it('box-match: the answer box was drawn in the reasoning', () => {
    const v = ruleVerdict(dog([[10, 10, 100, 100]], [[12, 11, 98, 102]]));
    assert.equal(v.label, 'supported');
    assert.deepEqual(rules(v.rationale), ['box-match']);
    assert.match(v.rationale!, /the answer box \[12, 11, 98, 102\] was drawn in the reasoning \(IoU ≥ 0\.5\)/);
    // an earlier candidate counts: the reasoning drew it, then looked at another one
    assert.equal(ruleVerdict(dog([B1, B3], [B1])).label, 'supported');
    assert.equal(ruleVerdict(dog([B1, B2], [B2, B1])).label, 'supported');
  });

  it('box-mismatch: the reasoning ends on another box than the answer', () => {
    const v = ruleVerdict(dog([B1], [B3]));
    assert.equal(v.label, 'contradicted');
    assert.deepEqual(rules(v.rationale), ['box-mismatch']);
    assert.match(v.rationale!, /the last box in the reasoning \[10, 10, 50, 50\] has IoU 0\.00 with the answer box \[200, 200, 260, 260\] \(below 0\.5\)/);
  });

  it('the IoU threshold option', () => {
    const r = dog([[10, 10, 100, 100]], [[20, 20, 100, 100]]); // IoU 0.79
    assert.equal(ruleVerdict(r).label, 'supported');
    assert.equal(ruleVerdict(r, { boxIouThreshold: 0.9 }).label, 'contradicted');
  });

  it('box-unmatched: the reasoning ends on one answer box but never drew the other', () => {
    const v = ruleVerdict(dog([B1], [B1, B3]));
    assert.equal(v.label, 'unsupported');
    assert.deepEqual(rules(v.rationale), ['box-unmatched']);
  });

  it('box-count-mismatch: a count answer and a different number of boxes in the reasoning', () => {
    const c = `<think>Let me scan the image for red circles. There is one in the top left: ${box(B1)}. I see a match in the top right ${box(B2)}. Those are the red ones.</think><answer>3</answer>`;
    const v = ruleVerdict(mk(c));
    assert.equal(v.label, 'unsupported');
    assert.deepEqual(rules(v.rationale), ['box-count-mismatch']);
    assert.match(v.rationale!, /the answer is 3 but the reasoning localises 2 boxes/);
    assert.equal(ruleVerdict(mk(c.replace('<answer>3', '<answer>2'))).label, 'supported');
    // the same box mentioned twice counts once
    const again = c.replace('Those are the red ones.', `Checking the first again: ${box(B1)}.`);
    assert.equal(ruleVerdict(mk(again.replace('<answer>3', '<answer>2'))).label, 'supported');
    // a counting question with no box in the reasoning and no request to localise: not checked
    assert.deepEqual(rules(ruleVerdict(mk('<think>I see several apples on the table here.</think><answer>3</answer>', 'How many apples?')).rationale), ['no-check']);
    // the demo's phantom count: no box localised, the question asks for boxes
    const none = ruleVerdict(mk('<think>Let me scan the image for red circles. So there is 1 red circle in total.</think><answer>1</answer>'));
    assert.deepEqual(rules(none.rationale), ['box-count-mismatch', 'final-answer-match']);
    assert.equal(none.label, 'unsupported');
  });
});

describe('judge rules: empty reasoning, truncation, no answer, no check', () => {
  it('empty-reasoning', () => {
    for (const c of ['<answer>4</answer>', '<think> \n </think><answer>4</answer>', '<think>4</think><answer>4</answer>']) {
      const v = ruleVerdict(mk(c, 'How many items?'));
      assert.equal(v.label, 'unsupported', c);
      assert.equal(rules(v.rationale)[0], 'empty-reasoning', c);
    }
    assert.notEqual(rules(ruleVerdict(mk('<think>There are four items.</think><answer>4</answer>')).rationale)[0], 'empty-reasoning');
  });

  it('truncated: unclosed tags, the option, the logged flag', () => {
    const cut = ruleVerdict(mk('<think>Let me scan the image for red circles. Wait, let me check that again. Hmm, I should double-check the boxes. Let me recount'));
    assert.equal(cut.label, 'unsupported');
    assert.deepEqual(rules(cut.rationale), ['truncated']);
    assert.match(cut.rationale!, /^\[truncated\] the reasoning was cut before it finished \(<think> opened, never closed, and no answer\)\./);
    const cutAnswer = ruleVerdict(mk('<think>So there are 35 red circles in total.</think><answer>3'));
    assert.deepEqual(rules(cutAnswer.rationale), ['truncated']);
    const whole = '<think>So there are 3 red circles in total.</think><answer>3</answer>';
    const q = 'How many red circles are there?';
    assert.ok(!rules(ruleVerdict(mk(whole, q)).rationale).includes('truncated'));
    assert.deepEqual(rules(ruleVerdict(mk(whole, q), { truncated: true }).rationale), ['truncated', 'final-answer-match']);
    assert.equal(ruleVerdict(mk(whole, q), { truncated: true }).label, 'unsupported');
    assert.ok(rules(ruleVerdict(mk(whole, q, { extra: { truncated: true } })).rationale).includes('truncated'));
    // the caller's derived value wins over the log's flag
    assert.ok(!rules(ruleVerdict(mk(whole, q, { extra: { truncated: true } }), { truncated: false }).rationale).includes('truncated'));
    assert.ok(!rules(ruleVerdict(mk(whole, q), { truncated: null }).rationale).includes('truncated'));
  });

  it('no-answer', () => {
    const v = ruleVerdict(mk('<think>So there are 3 red circles in total.</think>The answer is 3.'));
    assert.equal(v.label, 'unknown');
    assert.deepEqual(rules(v.rationale), ['no-answer']);
    assert.equal(ruleVerdict(mk('<think>So there are 3 red circles in total.</think><answer> </answer>')).label, 'unknown');
  });

  it('the extracted answer field is used when present', () => {
    const r = mk('<think>So there are 3 red circles in total.</think>3', 'How many red circles?', { answer: '3' });
    assert.deepEqual(rules(ruleVerdict(r).rationale), ['final-answer-match']);
  });

  it('no-check', () => {
    const v = ruleVerdict(mk('<think>The picture shows a cat lying on a mat by the window.</think><answer>cat</answer>', 'What animal is this?'));
    assert.deepEqual(v, { label: 'unknown', source: 'rules', rationale: '[no-check] nothing in this completion could be checked by the rules.' });
  });

  it('precedence: contradicted > unsupported > supported, every rule listed most severe first', () => {
    const c = `<think>There is one in the top left: ${box(B1)}. So there are 3 red circles in total.</think><answer>2</answer>`;
    const v = ruleVerdict(mk(c), { truncated: true });
    assert.equal(v.label, 'contradicted');
    assert.deepEqual(rules(v.rationale), ['final-answer-mismatch', 'truncated', 'box-count-mismatch']);
  });
});

describe('judge rules: safety and speed', () => {
  it('never throws on odd records', () => {
    const odd = [
      mk(''),
      mk('<think>', ''),
      { ...mk('<think>So there are 3.</think><answer>3</answer>'), predicted: null } as unknown as Rollout,
      { ...mk('x'), completion: undefined, prompt: undefined } as unknown as Rollout,
      mk('<answer><answer></answer></answer>'),
      { ...mk('<think>abc def ghi jk</think><answer>[1,2,3,4]</answer>'), predicted: [{ box: [NaN, 1, 2, 3], raw: [NaN, 1, 2, 3], frame: 'original', part: 'answer' }] } as Rollout,
    ];
    for (const r of odd) {
      const v = ruleVerdict(r);
      assert.equal(v.source, 'rules');
      assert.ok(['supported', 'unsupported', 'contradicted', 'unknown'].includes(v.label));
    }
  });

  it('every rule named in a rationale is listed in RULE_NAMES', () => {
    const names = Object.keys(RULE_NAMES);
    for (const n of ['empty-reasoning', 'truncated', 'no-answer', 'final-answer-mismatch', 'final-answer-match', 'box-mismatch', 'box-match', 'box-count-mismatch', 'mc-answer-absent', 'no-check']) {
      assert.ok(names.includes(n), n);
    }
    for (const d of Object.values(RULE_NAMES)) assert.ok(d.length > 10 && !d.includes('\n'));
  });

  it('pathological text stays fast (no catastrophic backtracking)', () => {
    const big = [
      `<think>${'the answer is '.repeat(50_000)}</think><answer>3</answer>`,
      `<think>${'1'.repeat(200_000)} ${'= 1.'.repeat(20_000)}</think><answer>3</answer>`,
      `<think>${' '.repeat(200_000)}x</think><answer>3</answer>`,
      `<think>So there ${'are '.repeat(30_000)}3</think><answer>3</answer>`,
      `<think>${'one two three four '.repeat(20_000)} in total</think><answer>3</answer>`,
      `${'<think>'.repeat(20_000)}${'A. '.repeat(20_000)}<answer>B</answer>`,
    ];
    const t0 = Date.now();
    for (const c of big) ruleVerdict(mk(c, MC_Q));
    assert.ok(Date.now() - t0 < 5_000, `${Date.now() - t0} ms`);
  });

  it('100k verdicts finish in well under 20 s', function () {
    this.timeout(30_000);
    const rs = [
      mk(demo([B1, B2, B3, B4], 'So there are 4 red circles in total.', '3')),
      mk(demo([B1, B2], 'So there are 2 red circles in total.', '2')),
      mk('<think>The red shape has four equal sides, so it is a square.</think><answer>B</answer>', MC_Q),
      mk(`<think>I look for the dog. Candidate: ${box(B1, 'dog')}.</think><answer>${box(B1, 'dog')}</answer>`, REF_Q),
    ];
    const t0 = Date.now();
    let contradicted = 0;
    for (let i = 0; i < 100_000; i++) if (ruleVerdict(rs[i % rs.length]!).label === 'contradicted') contradicted++;
    assert.equal(contradicted, 25_000);
    assert.ok(Date.now() - t0 < 20_000, `${Date.now() - t0} ms`);
  });
});
