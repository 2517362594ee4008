// The built-in consistency rules: a cheap verdict on whether a completion's reasoning supports its final
// answer, computed for every row of a log during the background scan. Pure: no `vscode`.
//
// Each rule that fires adds one sentence `[rule-name] …` to the rationale; the label is the most severe
// label among the rules that fired (contradicted > unsupported > supported > unknown), and the rationale
// lists them most severe first. Nothing fired → `unknown` with `[no-check] …`.
//
// Deliberately conservative (a false "contradicted" costs more than a missed one): the final statement is
// looked for in the last 3 sentences only; counts ("there are N", "I count N", "could not find any") are
// compared only for counting questions (or an empty prompt); a free-text answer is compared only with an
// explicit "the answer is X" / "final answer: X"; answers holding boxes are left to the box rules. The box
// count is checked when the question asks to count and the reasoning drew boxes (or the question asks for
// boxes); a box drawn again (IoU ≥ 0.9 with an earlier one) counts once.
//
// Speed and safety: the final-statement rule only reads the last FINAL_TAIL_CHARS characters of the
// reasoning, split into sentences of at most MAX_SENTENCE_CHARS; every regular expression is linear or
// bounded (no nested quantifiers over the same characters); `ruleVerdict` never throws (any exception
// gives `unknown`).

import type { Box, BoxCoords, Rollout, Verdict, VerdictLabel } from '../model';
import { answerOf, reasoningOf } from './items';
import { looksMultipleChoice } from '../compare/samples';
import { parseOptionSet } from '../compare/metrics';
import { iou } from '../geometry/iou';
import { loggedTruncated, tagTruncation } from '../table/truncationSignals';
import { numericMatch, pyParseFloat } from '../rewards/accuracyRewards';

export const RULES_SOURCE = 'rules';

/** The rules and what each checks (one line each, in the order they are evaluated). */
export const RULE_NAMES: Readonly<Record<string, string>> = {
  'empty-reasoning': 'unsupported: there is no reasoning (nothing, or only a few characters, before the answer).',
  truncated: 'unsupported: the completion was cut (logged flag, or an <answer> / <think> opened and never closed).',
  'no-answer': 'unknown: there is no final answer (<answer> missing or empty).',
  'final-answer-mismatch':
    'contradicted: the answer stated at the end of the reasoning ("the answer is X", "so there are N …", "I count N", "(B) is correct", "therefore … = X") differs from the <answer> (numbers compared numerically, number words one…twenty included; option letters as sets; yes/no; text normalised).',
  'final-answer-match': 'supported: the answer stated at the end of the reasoning equals the <answer>.',
  'box-mismatch':
    'contradicted: the last box drawn in the reasoning overlaps no box of the answer (IoU below the threshold, 0.5 by default) and some answer box appears nowhere in the reasoning.',
  'box-unmatched': 'unsupported: the reasoning ends on an answer box, but other answer boxes appear nowhere in the reasoning.',
  'box-match': 'supported: every box of the answer was drawn in the reasoning (IoU at or above the threshold).',
  'box-count-mismatch': 'unsupported: the answer is a count N but the reasoning localises M ≠ N distinct boxes.',
  'box-count-match': 'supported: the answer is a count N and the reasoning localises exactly N distinct boxes.',
  'mc-answer-absent': 'unsupported: a multiple-choice question whose chosen option letter(s) never appear in the reasoning.',
  'no-check': 'unknown: none of the rules above could be applied to this completion.',
};

export interface RuleOptions {
  /** IoU at or above which two boxes are the same box (default 0.5). */
  boxIouThreshold?: number;
  /**
   * Whether the completion is known to be truncated (the table's derived value). true: truncated; false / null:
   * only the tags decide; undefined: the log's own flag (extra.truncated …) and the tags decide.
   */
  truncated?: boolean | null;
}

/** Only this many characters at the end of the reasoning are read for the final statement. */
export const FINAL_TAIL_CHARS = 2000;
/** Reasoning shorter than this (trimmed) counts as empty. */
export const MIN_REASONING_CHARS = 8;
/** Sentences at the end of the reasoning searched for a final statement. */
const FINAL_SENTENCES = 3;
const MAX_SENTENCE_CHARS = 400;
/** Think boxes with at least this IoU with an earlier one are the same box mentioned again (box counts). */
const DUPLICATE_IOU = 0.9;
/** Relative tolerance of numeric comparisons. */
const NUM_TOL = 1e-6;

const SEVERITY: Record<VerdictLabel, number> = { contradicted: 0, unsupported: 1, supported: 2, unknown: 3 };

interface Fired {
  rule: string;
  label: VerdictLabel;
  text: string;
}

/** The rules' verdict on one completion. Never throws. */
export function ruleVerdict(r: Rollout, opts: RuleOptions = {}): Verdict {
  try {
    return combine(runRules(r, opts));
  } catch (e) {
    return { label: 'unknown', source: RULES_SOURCE, rationale: `[no-check] the rules failed on this completion (${e instanceof Error ? e.message : String(e)}).` };
  }
}

function combine(fired: Fired[]): Verdict {
  if (fired.length === 0) {
    return { label: 'unknown', source: RULES_SOURCE, rationale: '[no-check] nothing in this completion could be checked by the rules.' };
  }
  const sorted = fired.map((f, i) => ({ f, i })).sort((a, b) => SEVERITY[a.f.label] - SEVERITY[b.f.label] || a.i - b.i);
  return {
    label: sorted[0]!.f.label,
    source: RULES_SOURCE,
    rationale: sorted.map(({ f }) => `[${f.rule}] ${f.text}`).join(' '),
  };
}

function runRules(r: Rollout, opts: RuleOptions): Fired[] {
  const fired: Fired[] = [];
  const completion = typeof r.completion === 'string' ? r.completion : '';
  const reasoning = reasoningOf(completion);
  const question = typeof r.prompt?.text === 'string' ? r.prompt.text : '';
  const thr = typeof opts.boxIouThreshold === 'number' && Number.isFinite(opts.boxIouThreshold) ? opts.boxIouThreshold : 0.5;

  // truncated (the tags; the log's own flag only when the caller did not say)
  let why = tagTruncation(completion);
  let truncated = why !== null;
  if (!truncated) {
    if (opts.truncated === true) [truncated, why] = [true, 'marked truncated'];
    else if (opts.truncated === undefined) {
      const logged = loggedTruncated(r.extra);
      if (logged?.value) [truncated, why] = [true, `logged: ${logged.key} = true`];
    }
  }
  if (truncated) fired.push({ rule: 'truncated', label: 'unsupported', text: `the reasoning was cut before it finished (${why ?? 'truncated'}).` });

  // empty-reasoning
  if (reasoning.length < MIN_REASONING_CHARS) {
    fired.push({
      rule: 'empty-reasoning',
      label: 'unsupported',
      text: reasoning.length === 0 ? 'there is no reasoning before the answer.' : `the reasoning is only ${JSON.stringify(reasoning)}.`,
    });
  }

  // no-answer (a cut <answer> is not trusted either)
  const answerCut = why === '<answer> opened and never closed';
  const answer = answerCut ? null : answerOf({ answer: r.answer, completion });
  if (answer === null) {
    if (!truncated) fired.push({ rule: 'no-answer', label: 'unknown', text: 'there is no final answer to check the reasoning against.' });
    return fired;
  }

  const predicted = Array.isArray(r.predicted) ? r.predicted : [];
  const answerBoxes = predicted.filter((b) => b.part === 'answer' && validBox(b.box));
  const thinkBoxes = reasoningBoxes(predicted, completion);
  const kind = answerKind(answer, question, answerBoxes.length > 0);

  // final-answer-mismatch / final-answer-match
  if (kind && reasoning.length >= MIN_REASONING_CHARS) {
    const claims = finalClaims(reasoning);
    const counting = !question.trim() || COUNT_Q_RE.test(question);
    for (const c of claims) {
      const cmp = compareClaim(c, kind, counting);
      if (!cmp) continue;
      const said = clip(c.sentence.trim(), 160);
      if (cmp.match) fired.push({ rule: 'final-answer-match', label: 'supported', text: `the reasoning ends with "${said}", which agrees with the answer ${show(answer)}.` });
      else fired.push({ rule: 'final-answer-mismatch', label: 'contradicted', text: `the reasoning ends with "${said}" (${cmp.claimed}) but the answer is ${show(answer)}.` });
      break;
    }
  }

  // box-mismatch / box-unmatched / box-match
  if (answerBoxes.length > 0 && thinkBoxes.length > 0) {
    const unmatched = answerBoxes.filter((a) => !thinkBoxes.some((t) => iou(t.box, a.box) >= thr));
    if (unmatched.length === 0) {
      fired.push({
        rule: 'box-match',
        label: 'supported',
        text: answerBoxes.length === 1 ? `the answer box ${coords(answerBoxes[0]!.box)} was drawn in the reasoning (IoU ≥ ${thr}).` : `all ${answerBoxes.length} answer boxes were drawn in the reasoning (IoU ≥ ${thr}).`,
      });
    } else {
      const last = thinkBoxes[thinkBoxes.length - 1]!;
      let best = 0;
      let bestBox = answerBoxes[0]!;
      for (const a of answerBoxes) {
        const v = iou(last.box, a.box);
        if (v > best) [best, bestBox] = [v, a];
      }
      if (best < thr) {
        fired.push({
          rule: 'box-mismatch',
          label: 'contradicted',
          text: `the last box in the reasoning ${coords(last.box)} has IoU ${best.toFixed(2)} with the answer box ${coords(bestBox.box)} (below ${thr}).`,
        });
      } else {
        fired.push({
          rule: 'box-unmatched',
          label: 'unsupported',
          text: `${unmatched.length} of ${answerBoxes.length} answer boxes (first ${coords(unmatched[0]!.box)}) appear nowhere in the reasoning.`,
        });
      }
    }
  }

  // box-count-mismatch / box-count-match
  const hasReasoning = reasoning.length >= MIN_REASONING_CHARS;
  if (kind?.kind === 'number' && answerBoxes.length === 0 && hasReasoning) {
    const n = kind.value;
    const q = question.trim();
    const counting = COUNT_Q_RE.test(q);
    const m = distinctCount(thinkBoxes);
    const applies = Number.isInteger(n) && n >= 0 && (q ? counting && (m > 0 || LOCATE_Q_RE.test(q)) : m > 0);
    if (applies) {
      const boxes = `${m} box${m === 1 ? '' : 'es'}`;
      if (m !== n) fired.push({ rule: 'box-count-mismatch', label: 'unsupported', text: `the answer is ${n} but the reasoning localises ${boxes}.` });
      else fired.push({ rule: 'box-count-match', label: 'supported', text: `the answer (${n}) matches the ${boxes} localised in the reasoning.` });
    }
  }

  // mc-answer-absent
  if (kind?.kind === 'options' && kind.mc && kind.letters.length > 0 && hasReasoning) {
    const missing = kind.letters.filter((L) => !letterMentioned(reasoning, L));
    if (missing.length > 0) {
      fired.push({
        rule: 'mc-answer-absent',
        label: 'unsupported',
        text: `the chosen option${missing.length > 1 ? 's' : ''} ${missing.join(', ')} never appear${missing.length > 1 ? '' : 's'} in the reasoning.`,
      });
    }
  }
  return fired;
}

// ---------------------------------------------------------------------------------------------------
// Boxes

function validBox(b: BoxCoords | undefined): boolean {
  return Array.isArray(b) && b.length >= 4 && Number.isFinite(b[0]) && Number.isFinite(b[1]) && Number.isFinite(b[2]) && Number.isFinite(b[3]);
}

/** Boxes of the reasoning: part 'think'; when the completion has no <think>, 'other' boxes before the answer. */
function reasoningBoxes(predicted: readonly Box[], completion: string): Box[] {
  const think = predicted.filter((b) => b.part === 'think' && validBox(b.box));
  if (think.length > 0 || /<think>/i.test(completion)) return think;
  const a = completion.search(/<answer>/i);
  return predicted.filter((b) => b.part === 'other' && validBox(b.box) && (a < 0 || !b.span || b.span[0] < a));
}

/** Think boxes, a box mentioned again (IoU ≥ 0.9 with an earlier one) counted once. */
function distinctCount(boxes: readonly Box[]): number {
  const kept: Box[] = [];
  for (const b of boxes) if (!kept.some((k) => iou(k.box, b.box) >= DUPLICATE_IOU)) kept.push(b);
  return kept.length;
}

function coords(b: BoxCoords): string {
  return `[${b.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(1))).join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------------
// Answers

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20,
};
const NUM_WORD_SRC = Object.keys(NUMBER_WORDS).sort((a, b) => b.length - a.length).join('|');
const NUM_SRC = `(?:[-+]?\\d{1,15}(?:,\\d{3}){0,5}(?:\\.\\d{1,15})?|${NUM_WORD_SRC})`;
/** A number token (digits or a word), global. */
const NUM_TOKEN_RE = new RegExp(`(?<![\\w.])${NUM_SRC}(?![\\w]|\\.\\d)`, 'gi');

type AnswerKind =
  | { kind: 'number'; value: number }
  | { kind: 'options'; letters: string[]; mc: boolean }
  | { kind: 'bool'; value: boolean }
  | { kind: 'text'; norm: string };

const COUNT_Q_RE = /\bhow many\b|\bcount(?:s|ing)?\b|\bnumber of\b|\btotal\b/i;
const LOCATE_Q_RE = /\b(?:locate|localize|localise|bbox|bbox_2d|bounding box(?:es)?|box(?:es)?|coordinates|detect|ground)\b/i;

let lastQuestion = '';
let lastQuestionMc = false;
function isMcQuestion(q: string): boolean {
  if (!q.trim()) return false;
  if (q !== lastQuestion) {
    lastQuestion = q;
    lastQuestionMc = looksMultipleChoice(q);
  }
  return lastQuestionMc;
}

function toNumber(tok: string): number | null {
  const w = NUMBER_WORDS[tok.toLowerCase()];
  if (w !== undefined) return w;
  const v = pyParseFloat(tok.replace(/,/g, ''));
  return v !== null && Number.isFinite(v) ? v : null;
}

function numbersIn(s: string, max = 8): number[] {
  const out: number[] = [];
  NUM_TOKEN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (out.length < max && (m = NUM_TOKEN_RE.exec(s))) {
    const v = toNumber(m[0]);
    if (v !== null) out.push(v);
  }
  NUM_TOKEN_RE.lastIndex = 0;
  return out;
}

function normText(s: string): string {
  return s
    .toLowerCase()
    .replace(/<\/?[a-z][^<>]{0,40}>/g, ' ')
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\b(?:the|a|an)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const BOOL_RE = /^(yes|no|true|false)\b/i;
const LEAD_LETTER_RE = /^\(?([A-J])\)?(?:[.:)]|\s*$|\s+(?=\S))/;

/** What kind of value the final answer is; null when the final-statement rule cannot compare it (boxes, long text). */
function answerKind(answer: string, question: string, hasBoxes: boolean): AnswerKind | null {
  const a = answer.trim().replace(/\.+$/, '').trim();
  if (!a || hasBoxes || /[[{]\s*-?\d/.test(a)) return null;
  const mc = isMcQuestion(question);
  const set = parseOptionSet(a);
  if (set && set.length > 0 && (mc || /^[([]?[A-J][)\]]?$/.test(a) || /^[A-J](?:\s*[,&]\s*[A-J])+$/.test(a))) return { kind: 'options', letters: set, mc };
  if (mc) {
    const m = LEAD_LETTER_RE.exec(a);
    if (m) return { kind: 'options', letters: [m[1]!], mc };
  }
  const b = /^(yes|no|true|false)$/i.exec(a);
  if (b) return { kind: 'bool', value: /^(yes|true)$/i.test(b[1]!) };
  const nums = numbersIn(a, 3);
  if (nums.length === 1 && new RegExp(`^\\$?${NUM_SRC}`, 'i').test(a) && !/[=+*/^\\]/.test(a)) return { kind: 'number', value: nums[0]! };
  if (a.length <= 100) {
    const norm = normText(a);
    if (norm) return { kind: 'text', norm };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// The final statement of the reasoning

type ClaimType = 'explicit' | 'count' | 'none-found' | 'option' | 'equals' | 'weak';

interface Claim {
  type: ClaimType;
  /** explicit claims: "the answer is X" / "final answer: X" (not "should be", not a bare "answer"). */
  strict?: boolean;
  /** The captured value text (what follows "the answer is", the N of "there are N", the letter…). */
  value: string;
  sentence: string;
}

const CONCLUDE_RE = /\b(?:so|thus|therefore|hence|overall|altogether|in total|in all|total|finally|conclude|conclusion)\b/i;
const NEGATION_RE = /\b(?:not|incorrect|wrong|isn't|cannot|can't|eliminate|rule out)\b/i;
const EXPLICIT_RE =
  /\b(?:final answer|correct answer|correct option|correct choice|right answer|best answer|the answer|answer)\s{0,3}(?:is|should be|would be|will be|must be|=|:)\s{0,3}:?\s{0,3}([^\n]{1,200})/gi;
/** After "there is one" / "I see one": not a count when a place or an object follows ("there is one in the corner: {…}"). */
const NOT_PLACE = '(?!\\s{0,3}(?:in|at|on|near|of|by|here|there|more|other|another|such|that|which|to|with|from)\\b)(?!\\s{0,3}[:{[(])';
const COUNT_RES: RegExp[] = [
  new RegExp(`\\bI\\s{1,3}(?:count|counted|found|find|see|can see|identified|have)\\s{1,3}(?:a total of\\s{1,3}|only\\s{1,3}|exactly\\s{1,3})?(${NUM_SRC})\\b${NOT_PLACE}`, 'gi'),
  new RegExp(`\\b(?:a total of|in total,?|altogether,?|in all,?)\\s{1,3}(?:there\\s{1,3}(?:are|is)\\s{1,3})?(${NUM_SRC})\\b`, 'gi'),
  new RegExp(`\\b(${NUM_SRC})\\s{1,3}(?:[\\p{L}-]{1,30}\\s{1,3}){0,4}(?:in total|altogether|in all)\\b`, 'giu'),
  new RegExp(`\\b(?:total|count|number)(?:\\s{1,3}[\\p{L}-]{1,30}){0,4}\\s{1,3}(?:is|=|:)\\s{1,3}(${NUM_SRC})\\b`, 'giu'),
];
const THERE_ARE_RE = new RegExp(`\\bthere\\s{1,3}(?:are|is|were|was)\\s{1,3}(?:a total of\\s{1,3}|only\\s{1,3}|exactly\\s{1,3})?(${NUM_SRC})\\b${NOT_PLACE}`, 'gi');
const NONE_FOUND_RE = /\b(?:could not|couldn't|cannot|can't|did not|didn't|do not|don't)\s{1,3}(?:find|see|locate|detect|spot)\s{1,3}any\b|\bfound no\b|\bthere are no\b/gi;
const OPTION_RES: RegExp[] = [
  /\(([A-J])\)\s{0,3}is\s{1,3}(?:the\s{1,3})?(?:correct|right|answer|best)/g,
  /\b([A-J])\s{1,3}is\s{1,3}(?:the\s{1,3})?(?:correct|right|best)\b/g,
  /\b[Oo]ption\s{0,3}\(?([A-J])\)?(?![A-Za-z])/g,
  /\b(?:[Cc]hoice|[Cc]hoose|[Ss]elect|[Pp]ick)\s{0,3}(?:option\s{0,3})?\(?([A-J])\)?(?![A-Za-z])/g,
];
const EQUALS_RE = /=\s{0,3}([-+]?\d{1,15}(?:,\d{3}){0,5}(?:\.\d{1,15})?)(?![\d.]*\s{0,3}[-+*/^×÷])/g;
const STRICT_EXPLICIT_RE = /^(?:final answer|correct answer|the answer)\s{0,3}(?:is|:)/i;
const WEAK_RE = /^(?:so|thus|therefore|hence)\b,?\s{0,3}([^\n]{1,200})/i;

function lastMatch(re: RegExp, s: string): RegExpExecArray | null {
  re.lastIndex = 0;
  let last: RegExpExecArray | null = null;
  let m: RegExpExecArray | null;
  let guard = 0;
  while ((m = re.exec(s)) && guard++ < 100) {
    last = m;
    if (m[0].length === 0) re.lastIndex++;
  }
  re.lastIndex = 0;
  return last;
}

/** The last sentences of the reasoning (last first), from its final FINAL_TAIL_CHARS characters. */
function lastSentences(reasoning: string, n: number): string[] {
  const tail = reasoning.length > FINAL_TAIL_CHARS ? reasoning.slice(-FINAL_TAIL_CHARS) : reasoning;
  const out: string[] = [];
  let end = tail.length;
  let i = tail.length - 1;
  // Walk back over sentence ends: [.!?。] followed by whitespace, or a newline.
  while (i >= 0 && out.length < n) {
    const c = tail.charCodeAt(i);
    const isNl = c === 10;
    const isEnd = (c === 46 || c === 33 || c === 63 || c === 0x3002) && i + 1 < end && /\s/.test(tail[i + 1]!);
    if (isNl || isEnd) {
      const s = tail.slice(i + 1, end).trim();
      if (s) out.push(s.length > MAX_SENTENCE_CHARS ? s.slice(-MAX_SENTENCE_CHARS) : s);
      end = isNl ? i : i + 1;
    }
    i--;
  }
  if (out.length < n) {
    const s = tail.slice(0, end).trim();
    if (s) out.push(s.length > MAX_SENTENCE_CHARS ? s.slice(-MAX_SENTENCE_CHARS) : s);
  }
  return out;
}

/** Claims of the final sentences, the last sentence first; within a sentence, the strongest pattern's last match. */
function finalClaims(reasoning: string): Claim[] {
  const out: Claim[] = [];
  const sentences = lastSentences(reasoning, FINAL_SENTENCES);
  sentences.forEach((s, idx) => {
    const isLast = idx === 0;
    const concl = CONCLUDE_RE.test(s);
    const negated = NEGATION_RE.test(s);
    const ex = lastMatch(EXPLICIT_RE, s);
    if (ex && !/^\s*(?:in|inside|within|between)\b/i.test(ex[1]!)) {
      out.push({ type: 'explicit', value: cutValue(ex[1]!), sentence: s, strict: STRICT_EXPLICIT_RE.test(ex[0]) });
    }
    if (!negated) {
      for (const re of OPTION_RES) {
        const m = lastMatch(re, s);
        const strong = re === OPTION_RES[0] || re === OPTION_RES[1];
        if (m && (strong || concl || isLast)) {
          out.push({ type: 'option', value: m[1]!, sentence: s });
          break;
        }
      }
    }
    for (const re of COUNT_RES) {
      const m = lastMatch(re, s);
      if (m) {
        out.push({ type: 'count', value: m[1]!, sentence: s });
        break;
      }
    }
    if (concl || isLast) {
      const t = lastMatch(THERE_ARE_RE, s);
      if (t) out.push({ type: 'count', value: t[1]!, sentence: s });
      if (lastMatch(NONE_FOUND_RE, s)) out.push({ type: 'none-found', value: '0', sentence: s });
    }
    if (concl) {
      const e = lastMatch(EQUALS_RE, s);
      if (e) out.push({ type: 'equals', value: e[1]!, sentence: s });
    }
    if (isLast) {
      const w = WEAK_RE.exec(s);
      if (w) out.push({ type: 'weak', value: cutValue(w[1]!), sentence: s });
    }
  });
  return out;
}

/** The value of "the answer is …": up to the end of the clause. */
function cutValue(v: string): string {
  const cut = v.search(/[.;!?](?:\s|$)|,\s{1,3}(?:because|since|as|which|so)\b/);
  return (cut >= 0 ? v.slice(0, cut) : v).trim();
}

/** Compare one claim with the answer; null when this claim says nothing comparable. */
function compareClaim(c: Claim, k: AnswerKind, counting: boolean): { match: boolean; claimed: string } | null {
  switch (k.kind) {
    case 'number': {
      if (c.type === 'option') return null;
      if ((c.type === 'count' || c.type === 'none-found') && !counting) return null;
      const nums = numbersIn(c.value, 3);
      if (nums.length === 0) return null;
      if (c.type === 'weak' && nums.length !== 1) return null;
      if (c.type === 'explicit' && !new RegExp(`^[$(\\s]{0,3}${NUM_SRC}`, 'i').test(c.value)) return null;
      const v = nums[0]!;
      const match = numericMatch(String(v), String(k.value), NUM_TOL) === true;
      return { match, claimed: `states ${fmtNum(v)}` };
    }
    case 'options': {
      let letters: string[] | null = null;
      if (c.type === 'option') letters = [c.value.toUpperCase()];
      else if (c.type === 'explicit' || c.type === 'weak') {
        const set = parseOptionSet(c.value);
        if (set && set.length > 0) letters = set;
        else {
          const m = LEAD_LETTER_RE.exec(c.value.trim());
          if (m) letters = [m[1]!];
        }
      }
      if (!letters) return null;
      const match = letters.length === k.letters.length && letters.every((l) => k.letters.includes(l));
      return { match, claimed: `chooses ${letters.join(', ')}` };
    }
    case 'bool': {
      if (c.type !== 'explicit' && c.type !== 'weak') return null;
      const m = BOOL_RE.exec(c.value.trim());
      if (!m) return null;
      const v = /^(yes|true)$/i.test(m[1]!);
      return { match: v === k.value, claimed: `says ${m[1]!.toLowerCase()}` };
    }
    case 'text': {
      if (c.type !== 'explicit' || !c.strict) return null;
      const n = normText(c.value);
      if (!n || n.length > 120) return null;
      const match = n === k.norm || containsWords(n, k.norm) || containsWords(k.norm, n);
      return { match, claimed: `states ${JSON.stringify(clip(c.value, 60))}` };
    }
  }
}

function containsWords(hay: string, needle: string): boolean {
  return needle.length > 0 && ` ${hay} `.includes(` ${needle} `);
}

/** The letter mentioned as an option: "B", "(B)", "B.", "option b". */
function letterMentioned(reasoning: string, letter: string): boolean {
  if (new RegExp(`(?<![A-Za-z])${letter}(?![A-Za-z])`).test(reasoning)) return true;
  return new RegExp(`\\b(?:option|choice)\\s{0,3}\\(?${letter}(?![A-Za-z])`, 'i').test(reasoning);
}

function fmtNum(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
}

function show(answer: string): string {
  return JSON.stringify(clip(answer, 80));
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
