// Format rewards of the frameworks Rollout Lens reads, each exactly as its source applies it
// (pattern, `re` function and flags). Pure: no `vscode`.

import { pyFullmatch, pyMatch, pySearch, Trace, type ExplainTrace } from './trace';

/** VLM-R1 `format_reward_rec` (qwen_module / internvl_module): `re.search(pattern, content, re.DOTALL)` → 1.0 / 0.0. */
export const VLMR1_REC_FORMAT = String.raw`<think>.*?</think>\s*<answer>.*?\{.*\[\d+,\s*\d+,\s*\d+,\s*\d+\].*\}.*?</answer>`;
/** R1-V / VLM-R1 `grpo_jsonl.format_reward` (the default): `re.fullmatch(pattern, content, re.DOTALL)` → 1.0 / 0.0. */
export const DEFAULT_FORMAT = String.raw`<think>.*?</think>\s*<answer>.*?</answer>`;
/** Jakhongir0103/multimodal_cot `format_reward`: `re.match(pattern, content, re.DOTALL)` (anchored at the start only) → 0.5 / 0.0. */
export const MULTIMODAL_COT_FORMAT = DEFAULT_FORMAT;
/** EasyR1 `examples/reward_function/r1v.py` `format_reward`: `re.fullmatch(pattern, response, re.DOTALL)` → 1.0 / 0.0. */
export const EASYR1_R1V_FORMAT = DEFAULT_FORMAT;
/** TRL `trl.rewards.think_format_reward`: `re.match(pattern, content, re.DOTALL | re.MULTILINE)` → 1.0 / 0.0. */
export const TRL_THINK_FORMAT = String.raw`^<think>(?!.*<think>)(.*?)</think>.*$`;
/** verl `reward_score/geo3k.py` `format_reward`: `re.fullmatch(pattern, predict_str)` with the pattern compiled DOTALL → 1.0 / 0.0. */
export const VERL_GEO3K_FORMAT = String.raw`<think>.*</think>.*\\boxed\{.*\}.*`;

/** VLM-R1 REC format reward (`format_reward_rec`): think + answer holding `{…[d, d, d, d]…}`, searched anywhere. */
export function formatRewardRec(content: string): ExplainTrace {
  const t = new Trace().add('rule', `re.search(r"${VLMR1_REC_FORMAT}", content, re.DOTALL) (VLM-R1 format_reward_rec)`);
  const m = pySearch(VLMR1_REC_FORMAT, content, true);
  t.add('match', m !== null);
  return t.done(m ? 1 : 0);
}

/** R1-V / VLM-R1 default `format_reward`: the whole completion must be `<think>…</think>` `\s*` `<answer>…</answer>`. */
export function formatRewardDefault(content: string): ExplainTrace {
  const t = new Trace().add('rule', `re.fullmatch(r"${DEFAULT_FORMAT}", content, re.DOTALL) (R1-V / VLM-R1 format_reward)`);
  const ok = pyFullmatch(DEFAULT_FORMAT, content, true);
  t.add('match', ok);
  return t.done(ok ? 1 : 0);
}

/** multimodal_cot `format_reward`: `re.match` (the completion must start with `<think>`; text after `</answer>` is allowed) → 0.5 or 0. */
export function formatRewardMultimodalCot(content: string): ExplainTrace {
  const t = new Trace().add('rule', `re.match(r"${MULTIMODAL_COT_FORMAT}", content, re.DOTALL) → 0.5 (multimodal_cot format_reward)`);
  const ok = pyMatch(MULTIMODAL_COT_FORMAT, content, true);
  t.add('match', ok);
  return t.done(ok ? 0.5 : 0);
}

/**
 * EasyR1 r1v `format_reward`. EasyR1's `compute_score` first rewrites the response with
 * `re.sub(r"\s*(<|>|/)\s*", r"\1", response)` (spaces around tag characters, for Qwen2.5-VL-32B);
 * `normalizeTags` (default true) applies that step too.
 */
export function formatRewardEasyR1(content: string, opts: { normalizeTags?: boolean } = {}): ExplainTrace {
  const t = new Trace();
  let text = content;
  if (opts.normalizeTags !== false) {
    text = content.replace(/[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([<>/])[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*/gu, '$1');
    t.add('response', 're.sub(r"\\s*(<|>|/)\\s*", r"\\1", response) (EasyR1 compute_score)');
  }
  t.add('rule', `re.fullmatch(r"${EASYR1_R1V_FORMAT}", response, re.DOTALL) (EasyR1 r1v format_reward)`);
  const ok = pyFullmatch(EASYR1_R1V_FORMAT, text, true);
  t.add('match', ok);
  return t.done(ok ? 1 : 0);
}

/** TRL `think_format_reward`: starts with `<think>`, exactly one `<think>`, closed by `</think>`. */
export function thinkFormatRewardTrl(content: string): ExplainTrace {
  const t = new Trace().add('rule', `re.match(r"${TRL_THINK_FORMAT}", content, re.DOTALL | re.MULTILINE) (TRL think_format_reward)`);
  // re.match only tries position 0, where `^` holds with or without MULTILINE; `.*$` under DOTALL reaches the end
  const ok = pyMatch(TRL_THINK_FORMAT.slice(1), content, true);
  t.add('match', ok);
  return t.done(ok ? 1 : 0);
}

/** verl geo3k `format_reward`: `<think>…</think>` then `\boxed{…}`, whole string. */
export function formatRewardGeo3k(content: string): ExplainTrace {
  const t = new Trace().add('rule', `re.fullmatch(re.compile(r"${VERL_GEO3K_FORMAT}", re.DOTALL), predict_str) (verl geo3k format_reward)`);
  const ok = pyFullmatch(VERL_GEO3K_FORMAT, content, true);
  t.add('match', ok);
  return t.done(ok ? 1 : 0);
}
