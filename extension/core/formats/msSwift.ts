// Reader for ms-swift GRPO `log_completions`: `<output_dir>/completions.jsonl`, ONE column-oriented JSON object
// per logging step (swift/rlhf_trainers/grpo_trainer.py):
//   {"step": ["10", …], "prompt": […], "completion": […], "<RewardName>": […], "advantages": […], "solution": […]?, …}
// Lists of equal length; `step` holds strings; rewards are keyed by the reward function / ORM class name;
// `advantages` (plural) is the advantage; `solution` (when the dataset has it) is the reference; other keys
// (num_turns, entropy, …) go to `extra`. The prompt keeps special tokens with image pads collapsed to
// `<|vision_start|>[151655 * 345]<|vision_end|>`: no image path is logged, the pad count goes to extra.
// Indexing streams the file once and parses each line (one line = one step's batch) keeping numbers and
// hashes only; `read(i)` re-reads and parses the record's line (the last parsed line is cached).
// Groups: consecutive blocks of G rows per step (never grouped by prompt text). Pure: no `vscode`.

import * as fs from 'fs';
import * as path from 'path';
import type { LogIssue, SourceRef } from '../model';
import { FormatReader, LogBuilder, ReadOptions, RolloutLog } from './log';
import { GrowableF64, parseJsonLenient, scanLines } from './lineIndex';
import {
  BatchSignature,
  ColumnRole,
  DuplicateBatch,
  RecordFields,
  buildRollout,
  checkGroupsSharePrompt,
  chooseGroupSize,
  columnRole,
  emptySignature,
  estimatorFor,
  finiteOrNull,
  hashText,
  imagePlaceholders,
  isObject,
  kindOfValues,
  makeImageLookup,
  numberFromString,
  parseStep,
  pixelBudget,
  sameBatch,
  show,
} from './recordCommon';

export interface MsSwiftLog extends RolloutLog {
  /** Lines that repeat the previous line's generation batch (counted once). */
  readonly duplicates: readonly DuplicateBatch[];
}

export const msSwiftReader: FormatReader = {
  id: 'ms-swift-jsonl',
  sniff(file, head) {
    let text = head.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const start = text.search(/\S/);
    if (start < 0 || text[start] !== '{') return false;
    const nl = text.indexOf('\n', start);
    const first = nl < 0 ? text.slice(start) : text.slice(start, nl);
    if (!/"step"\s*:\s*\[\s*("|\d|\])/.test(first)) return false;
    if (/"completion"\s*:\s*\[/.test(first)) return true;
    // a long first line cut off inside the prompt list: trust the name
    return /(^|[\\/])completions\.jsonl$/i.test(file) && /"prompt"\s*:\s*\[/.test(first);
  },
  async open(files, opts) {
    if (files.length !== 1) throw new Error(`an ms-swift completions.jsonl log is one file; got ${files.length}`);
    return openMsSwift(files[0], opts);
  },
};

/** One parsed line: the lists, how many rows they give, and what was off. */
export interface MsSwiftBatch {
  /** Rows read: the length of the shortest list. */
  count: number;
  /** Every list-valued key, in the line's order. */
  columns: Record<string, unknown[]>;
  /** Role of each list key. */
  roles: Record<string, ColumnRole>;
  /** Problems with the line (unequal lists, non-list values…), read anyway. */
  problems: string[];
  /** NaN / Infinity tokens were read as null. */
  replacedNonFinite: boolean;
}

/** Parse one line of completions.jsonl. Never throws: an unusable line gives `{ error }`. */
export function parseMsSwiftLine(text: string, rewardFuncs?: readonly string[]): MsSwiftBatch | { error: string } {
  let value: unknown;
  let replacedNonFinite = false;
  try {
    const p = parseJsonLenient(text);
    value = p.value;
    replacedNonFinite = p.replacedNonFinite;
  } catch (e) {
    return { error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!isObject(value)) return { error: `not a JSON object (got ${Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value})` };
  const problems: string[] = [];
  const columns: Record<string, unknown[]> = {};
  const roles: Record<string, ColumnRole> = {};
  for (const [k, v] of Object.entries(value)) {
    if (Array.isArray(v)) columns[k] = v;
    else problems.push(`${k} is ${show(v)}, not a list: ignored`);
  }
  if (!columns.completion) return { error: 'no completion list: not an ms-swift completions line' };
  const lengths = Object.entries(columns).map(([k, v]) => [k, v.length] as const);
  const count = Math.min(...lengths.map(([, n]) => n));
  if (lengths.some(([, n]) => n !== count)) {
    problems.push(`lists of unequal length (${lengths.map(([k, n]) => `${k} ${n}`).join(', ')}): read up to the shortest (${count})`);
  }
  for (const [k, v] of Object.entries(columns)) {
    roles[k] = columnRole(k, kindOfValues(v.slice(0, count)), { advantageKeys: ['advantages', 'advantage'], rewardFuncs });
  }
  return { count, columns, roles, problems, replacedNonFinite };
}

function rewardOf(v: unknown, role: ColumnRole): number | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return finiteOrNull(v);
  if (role === 'reward-strings' && typeof v === 'string') {
    const n = numberFromString(v);
    return n === undefined ? undefined : Number.isFinite(n) ? n : null;
  }
  return undefined;
}

export async function openMsSwift(file: string, opts: ReadOptions & { target?: string } = {}): Promise<MsSwiftLog> {
  const builder = new LogBuilder(opts.maxIssues ?? 1000);
  const context = opts.context ?? null;
  const rewardFuncs = context?.rewardFuncs?.value;
  builder.addFile(file);
  const issue = (line: number, message: string, severity: LogIssue['severity'] = 'warning'): void => builder.issue({ file, line, message, severity });
  // per kept line
  const lineStart = new GrowableF64(256, 0);
  const lineEnd = new GrowableF64(256, 0);
  const lineNo = new GrowableF64(256, 0);
  // per record
  const recLine = new GrowableF64(1024, 0);
  const recPos = new GrowableF64(1024, 0);
  const steps = new GrowableF64(1024);
  const advantages = new GrowableF64(1024);
  const promptHash = new GrowableF64(1024);
  const duplicates: DuplicateBatch[] = [];
  let prev: { sig: BatchSignature; line: number } | null = null;
  let lastStep = NaN;

  const { bytes } = await scanLines(
    file,
    (buf, s, e, line, offset) => {
      const parsed = parseMsSwiftLine(buf.toString('utf8', s, e), rewardFuncs);
      if ('error' in parsed) {
        issue(line, parsed.error, 'error');
        return;
      }
      for (const p of parsed.problems) issue(line, p);
      if (parsed.replacedNonFinite) issue(line, 'NaN/Infinity in the line read as null');
      const cols = parsed.columns;
      const roleKeys = (role: ColumnRole): string[] => Object.keys(cols).filter((k) => parsed.roles[k] === role);
      const rewardKeys = [...roleKeys('reward'), ...roleKeys('reward-strings')];
      for (const k of roleKeys('reward-strings')) issue(line, `reward ${k} holds strings, not numbers: values that parse as numbers are used`);
      const advKey = roleKeys('advantage')[0];
      const stepKey = cols.step ? 'step' : undefined;
      if (!stepKey) issue(line, 'no step list: the step of the previous line is used');
      if (!advKey && parsed.count > 0) issue(line, 'no advantages list: advantages are recomputed from the rewards');
      const sig = emptySignature();
      const rows: Array<{ step: number; adv: number; rewards: Record<string, number | null>; prompt: number }> = [];
      let badSteps = 0;
      let badRewards = 0;
      for (let k = 0; k < parsed.count; k++) {
        let step = stepKey ? parseStep(cols.step[k]) : NaN;
        if (Number.isNaN(step)) {
          if (stepKey && badSteps++ === 0) issue(line, `step ${show(cols.step[k])} is not an integer ≥ 0: using ${Number.isNaN(lastStep) ? 0 : lastStep}`);
          step = Number.isNaN(lastStep) ? 0 : lastStep;
        }
        lastStep = step;
        const rewards: Record<string, number | null> = {};
        for (const rk of rewardKeys) {
          const v = rewardOf(cols[rk][k], parsed.roles[rk]);
          if (v === undefined && badRewards++ === 0) issue(line, `reward ${rk}[${k}] = ${show(cols[rk][k])} is not a number (read as missing)`);
          rewards[rk] = v ?? null;
        }
        const advV = advKey ? finiteOrNull(cols[advKey][k]) : null;
        const adv = advV === null ? NaN : advV;
        const ph = hashText(cols.prompt?.[k]);
        sig.prompt.push(ph);
        sig.completion.push(hashText(cols.completion[k]));
        sig.advantage.push(adv);
        rows.push({ step, adv, rewards, prompt: ph });
      }
      if (prev && sameBatch(prev.sig, sig)) {
        duplicates.push({ file, line, duplicateOf: file, duplicateOfLine: prev.line, rows: rows.length });
        issue(line, `line ${line} repeats the generation batch of line ${prev.line}; counted once (${rows.length} rows skipped)`);
        return;
      }
      if (rows.length > 0) prev = { sig, line };
      const ord = lineStart.length;
      lineStart.push(offset);
      lineEnd.push(offset + (e - s));
      lineNo.push(line);
      rows.forEach((r, k) => {
        builder.add({ file: 0, line, step: r.step, advantage: r.adv, rewards: r.rewards });
        recLine.push(ord);
        recPos.push(k);
        steps.push(r.step);
        advantages.push(r.adv);
        promptHash.push(r.prompt);
      });
    },
    { chunkSize: opts.chunkSize, onProgress: opts.onProgress },
  );

  const n = steps.length;
  advantages.extendTo(n);
  const stepArr = steps.toArray();
  const hashArr = promptHash.toArray();
  const startArr = lineStart.toArray();
  const endArr = lineEnd.toArray();
  const recLineArr = recLine.toArray();
  const recPosArr = recPos.toArray();
  const choice = chooseGroupSize(context, stepArr, advantages.toArray(), hashArr);
  const pixels = pixelBudget(context);
  const lookupImage = makeImageLookup({ logDir: path.dirname(path.resolve(file)) }, opts);

  let fd: number | null = null;
  let cache: { ord: number; batch: MsSwiftBatch } | null = null;
  const readBatch = (ord: number): MsSwiftBatch => {
    if (cache && cache.ord === ord) return cache.batch;
    if (fd === null) fd = fs.openSync(file, 'r');
    const len = endArr[ord] - startArr[ord];
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const r = fs.readSync(fd, buf, got, len - got, startArr[ord] + got);
      if (r === 0) break;
      got += r;
    }
    if (got < len) throw new Error('the file is shorter than when it was indexed (was it truncated or rewritten?)');
    const parsed = parseMsSwiftLine(buf.toString('utf8'), rewardFuncs);
    if ('error' in parsed) throw new Error(`${parsed.error} (the line changed since it was indexed)`);
    cache = { ord, batch: parsed };
    return parsed;
  };

  const log = builder.finish({
    format: 'ms-swift-jsonl',
    file: opts.target ?? file,
    stepKind: 'step',
    grouping: 'blocks',
    ...choice,
    estimator: estimatorFor(context, 'ms-swift'),
    weights: context?.rewardWeights?.value,
    context,
    bytes,
    read(i, source: SourceRef) {
      const fail = (message: string): { rollout: null; issues: LogIssue[] } => ({ rollout: null, issues: [{ file, line: source.line, message, severity: 'error' }] });
      let batch: MsSwiftBatch;
      try {
        batch = readBatch(recLineArr[i]);
      } catch (e) {
        return fail(`cannot read the line: ${e instanceof Error ? e.message : String(e)}`);
      }
      const k = recPosArr[i];
      if (k >= batch.count) return fail(`the line holds ${batch.count} rows now, not ${k + 1} (was it rewritten?)`);
      const { fields, problems } = batchFields(batch, k);
      const out = buildRollout(fields, { source, lookupImage, imageRoots: opts.imageRoots ?? [], pixels });
      const pre: LogIssue[] = problems.map((message) => ({ file, line: source.line, message, severity: 'warning' }));
      return { rollout: out.rollout, issues: [...pre, ...out.issues] };
    },
    close() {
      cache = null;
      if (fd !== null) {
        try {
          fs.closeSync(fd);
        } catch {
          /* already closed */
        }
        fd = null;
      }
    },
  });
  const mixed = checkGroupsSharePrompt(log.groups, hashArr, log.sourceOf, log.grouping.groupSize);
  if (mixed) {
    log.issues.push(mixed);
    log.issues.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  }
  return Object.assign(log, { duplicates }) as MsSwiftLog;
}

/** Row k of a parsed line, split by role. */
export function batchFields(batch: MsSwiftBatch, k: number): { fields: RecordFields; problems: string[] } {
  const problems: string[] = [];
  const fields: RecordFields = { prompt: '', images: [], completion: '', rewards: {}, advantage: null, extra: { index_in_line: k } };
  for (const [key, list] of Object.entries(batch.columns)) {
    const v = list[k];
    const role = batch.roles[key];
    switch (role) {
      case 'step':
        break;
      case 'prompt':
        if (typeof v === 'string') fields.prompt = v;
        else if (v !== null && v !== undefined) {
          fields.prompt = show(v);
          problems.push(`prompt[${k}] is ${show(v)}, not a string`);
        }
        break;
      case 'completion':
        if (typeof v === 'string') fields.completion = v;
        else problems.push(`completion[${k}] is ${show(v)}, not a string`);
        break;
      case 'advantage':
        fields.advantage = finiteOrNull(v);
        break;
      case 'total':
        fields.reward = finiteOrNull(v);
        break;
      case 'reward':
      case 'reward-strings': {
        const n = rewardOf(v, role);
        if (n === undefined) problems.push(`reward ${key}[${k}] = ${show(v)} is not a number (read as missing)`);
        fields.rewards[key] = n ?? null;
        break;
      }
      case 'reference':
        if (v !== null && v !== undefined) fields.reference = v;
        break;
      case 'image':
      case 'extra':
        if (v !== undefined) fields.extra[key] = v;
        break;
    }
  }
  const ph = imagePlaceholders(fields.prompt);
  if (ph.images > 0) fields.extra.image_pad_tokens = ph.tokens.map((t) => (Number.isNaN(t) ? null : t));
  return { fields, problems };
}
