// Reads a run's context (group size, reward functions and weights, estimator, pixels, datasets…) from what
// the run already left on disk: wandb `config.yaml`, ms-swift `args.json`, verl `.hydra/config.yaml`,
// EasyR1 `experiment_config.json`, launch scripts / a job profile's argv, `preprocessor_config.json` of the
// latest checkpoint; then the user's `rollout-lens.json` and settings on top. Every value keeps its source;
// what nothing gave is filled with the framework's default and marked assumed. Never throws: problems
// (bad YAML, wrong types) are collected with file and line. Pure Node (fs, path, yaml); no `vscode`.

import { FRAME_KINDS } from '../geometry/frames';
import * as fs from 'fs';
import * as path from 'path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { parseJsonLenient } from '../formats/lineIndex';
import {
  CONTEXT_KEYS,
  ESTIMATOR_KINDS,
  OVERRIDE_KEYS,
  fillDefaults,
  normaliseFramework,
  type ContextKey,
  type ContextValue,
  type EstimatorKind,
  type FrameworkId,
  type RunContext,
  type RunContextOverrides,
} from './context';

export interface ReadRunContextOptions {
  /** Values from settings (they override every file, rollout-lens.json included). */
  overrides?: Partial<RunContextOverrides>;
  /** How the settings are named in sources ("setting rolloutLens.runContext"). */
  settingsSource?: string;
  /** The argv of the job profile that launched the run (e.g. ["torchrun", "--nproc_per_node", "8", "train.py", "--num_generations", "8"]). */
  launchCommand?: string[];
  /** The framework the caller knows (from the log format: "trl-parquet", "verl", …); beats detection from files. */
  framework?: string;
}

type Problem = { file: string; line: number; message: string };

/** The most bytes read from one config file. */
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const MAX_SCRIPT_BYTES = 256 * 1024;
const MAX_SCRIPTS = 8;
const MAX_WANDB_RUNS = 20;

// ---------------------------------------------------------------------------------------------------------
// Shell words

export interface ShellWord {
  text: string;
  /** 1-based line the word starts on. */
  line: number;
}

export interface ShellCommand {
  /** Words after leading VAR=value assignments, quotes removed, known variables expanded. */
  argv: string[];
  /** 1-based line of each argv word. */
  lines: number[];
  /** Leading VAR=value assignments (`MAX_PIXELS=1003520 swift rlhf …`). */
  env: Record<string, string>;
  line: number;
}

export interface ShellScript {
  commands: ShellCommand[];
  /** Variables assigned in the script with values known here (literal, or built from known variables). */
  vars: Record<string, string>;
  /** Variables exported in the script (`export MAX_PIXELS=…`). */
  exported: Record<string, string>;
}

const ASSIGN_RE = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;

/**
 * Split a shell script into commands of words: single and double quotes, backslash escapes,
 * backslash-newline continuations, comments, `;` `&&` `||` `|` `&` and newlines between commands,
 * redirections dropped. `$VAR` / `${VAR}` / `${VAR:-default}` are expanded when the script assigned
 * VAR earlier (unquoted expansions split on blanks, as bash does); unknown variables and `$(…)` are
 * left as written. `$((…))` of plain integer arithmetic is evaluated.
 */
export function parseShellScript(text: string, env: Record<string, string> = {}): ShellScript {
  const vars: Record<string, string> = { ...env };
  const exported: Record<string, string> = {};
  const commands: ShellCommand[] = [];
  let words: ShellWord[] = [];
  let cur = null as string | null; // current word, null when between words
  let curLine = 1;
  let line = 1;
  let dropNext = false; // next word is a redirection target
  const n = text.length;

  const startWord = (): void => {
    if (cur === null) {
      cur = '';
      curLine = line;
    }
  };
  const endWord = (): void => {
    if (cur !== null) {
      if (dropNext) dropNext = false;
      else words.push({ text: cur, line: curLine });
    }
    cur = null;
  };
  const endCommand = (): void => {
    endWord();
    dropNext = false;
    if (words.length > 0) finishCommand(words);
    words = [];
  };
  const finishCommand = (ws: ShellWord[]): void => {
    let i = 0;
    let isExport = false;
    if (['export', 'declare', 'local', 'readonly', 'typeset'].includes(ws[0].text)) {
      isExport = ws[0].text === 'export';
      i = 1;
      while (i < ws.length && ws[i].text.startsWith('-')) i++;
      for (; i < ws.length; i++) {
        const m = ASSIGN_RE.exec(ws[i].text);
        if (m) {
          vars[m[1]] = m[2];
          if (isExport) exported[m[1]] = m[2];
        } else if (isExport && ws[i].text in vars) exported[ws[i].text] = vars[ws[i].text];
      }
      return;
    }
    const assigns: Record<string, string> = {};
    while (i < ws.length && ASSIGN_RE.test(ws[i].text)) {
      const m = ASSIGN_RE.exec(ws[i].text) as RegExpExecArray;
      assigns[m[1]] = m[2];
      i++;
    }
    if (i === ws.length) {
      Object.assign(vars, assigns); // plain assignments
      return;
    }
    const rest = ws.slice(i);
    commands.push({ argv: rest.map((w) => w.text), lines: rest.map((w) => w.line), env: assigns, line: ws[0].line });
  };

  /** Append an expansion; unquoted values split on blanks. */
  const appendExpansion = (value: string, quoted: boolean): void => {
    // no word splitting in quotes, nor in the value of an assignment (A=$B keeps B's blanks)
    if (quoted || !/\s/.test(value) || (cur !== null && /^[A-Za-z_][A-Za-z0-9_]*=/.test(cur))) {
      startWord();
      cur += value;
      return;
    }
    const parts = value.split(/[ \t\n]+/);
    parts.forEach((p, k) => {
      if (k > 0) endWord();
      if (p.length > 0 || k === 0) {
        if (p.length > 0 || cur !== null) {
          startWord();
          cur += p;
        }
      }
    });
  };

  /** Read a `$…` at i (text[i] === '$'); returns the index after it. */
  const readDollar = (i: number, quoted: boolean): number => {
    const next = text[i + 1];
    if (next === '(' && text[i + 2] === '(') {
      // arithmetic $(( … ))
      const close = text.indexOf('))', i + 3);
      if (close > 0) {
        const expr = text.slice(i + 3, close);
        const v = evalArithmetic(expr.replace(/\$?\{?([A-Za-z_]\w*)\}?/g, (all, name: string) => vars[name] ?? all));
        appendExpansion(v !== null ? String(v) : text.slice(i, close + 2), quoted);
        return close + 2;
      }
    }
    if (next === '(') {
      // command substitution: kept as written
      let depth = 0;
      let j = i + 1;
      for (; j < n; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')' && --depth === 0) break;
        else if (text[j] === '\n') line++;
      }
      startWord();
      cur += text.slice(i, Math.min(j + 1, n));
      return j + 1;
    }
    if (next === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) {
        startWord();
        cur += text.slice(i);
        return n;
      }
      const inner = text.slice(i + 2, close);
      const m = /^([A-Za-z_]\w*)(?:(:?[-=])([\s\S]*))?$/.exec(inner);
      if (m && m[1] in vars && !(m[2]?.startsWith(':') && vars[m[1]] === '')) appendExpansion(vars[m[1]], quoted);
      else if (m && m[2] !== undefined && !/[$`]/.test(m[3] ?? '')) appendExpansion(m[3] ?? '', quoted);
      else {
        startWord();
        cur += text.slice(i, close + 1);
      }
      return close + 1;
    }
    const m = /^[A-Za-z_]\w*/.exec(text.slice(i + 1, i + 200));
    if (m) {
      if (m[0] in vars) appendExpansion(vars[m[0]], quoted);
      else {
        startWord();
        cur += '$' + m[0];
      }
      return i + 1 + m[0].length;
    }
    startWord();
    cur += '$';
    return i + 1;
  };

  let i = 0;
  while (i < n) {
    const c = text[i];
    if (c === '\\') {
      if (text[i + 1] === '\n') {
        line++;
        i += 2;
        continue;
      }
      if (text[i + 1] === '\r' && text[i + 2] === '\n') {
        line++;
        i += 3;
        continue;
      }
      startWord();
      if (i + 1 < n) cur += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '\n') {
      endCommand();
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      i++;
      continue;
    }
    if (c === '#' && cur === null) {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === ';' || c === '|' || c === '&') {
      if (c === '&' && text[i + 1] === '>') {
        // &> file
        endWord();
        i += text[i + 2] === '>' ? 3 : 2;
        dropNext = true;
        continue;
      }
      endCommand();
      i += (c === '|' || c === '&') && text[i + 1] === c ? 2 : 1;
      continue;
    }
    if (c === '>' || c === '<') {
      // redirection: an fd number just before it is part of it
      if (cur !== null && /^\d+$/.test(cur)) cur = null;
      else endWord();
      let j = i + 1;
      if (text[j] === '>' || text[j] === '<') j++;
      if (text[j] === '&') {
        j++;
        while (j < n && /[\d-]/.test(text[j])) j++;
        i = j;
        continue;
      }
      i = j;
      dropNext = true;
      continue;
    }
    if (c === "'") {
      startWord();
      const close = text.indexOf("'", i + 1);
      const end = close < 0 ? n : close;
      const s = text.slice(i + 1, end);
      line += countNewlines(s);
      cur += s;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      startWord();
      let j = i + 1;
      while (j < n && text[j] !== '"') {
        const d = text[j];
        if (d === '\\' && j + 1 < n) {
          const e = text[j + 1];
          if (e === '\n') {
            line++;
            j += 2;
            continue;
          }
          cur += '"\\$`'.includes(e) ? e : d + e;
          j += 2;
          continue;
        }
        if (d === '$') {
          j = readDollar(j, true);
          continue;
        }
        if (d === '\n') line++;
        cur += d;
        j++;
      }
      i = j + 1;
      continue;
    }
    if (c === '`') {
      startWord();
      const close = text.indexOf('`', i + 1);
      const end = close < 0 ? n : close;
      const s = text.slice(i, end + 1);
      line += countNewlines(s);
      cur += s;
      i = end + 1;
      continue;
    }
    if (c === '$') {
      i = readDollar(i, false);
      continue;
    }
    startWord();
    cur += c;
    i++;
  }
  endCommand();
  return { commands, vars, exported };
}

/** The words of a shell text (all commands joined), for quick use. */
export function splitShellWords(text: string): string[] {
  return parseShellScript(text).commands.flatMap((c) => [...Object.entries(c.env).map(([k, v]) => `${k}=${v}`), ...c.argv]);
}

function countNewlines(s: string): number {
  let k = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) k++;
  return k;
}

/** Integer arithmetic of a `$((…))` body with + - * / % and parentheses; null when it has anything else. */
export function evalArithmetic(expr: string): number | null {
  const toks = expr.match(/\d+|[-+*/%()]|\S/g) ?? [];
  let p = 0;
  const bad = { bad: true };
  const primary = (): number => {
    const t = toks[p++];
    if (t === undefined) throw bad;
    if (t === '(') {
      const v = sum();
      if (toks[p++] !== ')') throw bad;
      return v;
    }
    if (t === '-') return -primary();
    if (t === '+') return primary();
    if (/^\d+$/.test(t)) return Number(t);
    throw bad;
  };
  const product = (): number => {
    let v = primary();
    while (toks[p] === '*' || toks[p] === '/' || toks[p] === '%') {
      const op = toks[p++];
      const r = primary();
      if (op === '*') v *= r;
      else if (r === 0) throw bad;
      else v = op === '/' ? Math.trunc(v / r) : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (toks[p] === '+' || toks[p] === '-') v = toks[p++] === '+' ? v + product() : v - product();
    return v;
  };
  try {
    const v = sum();
    return p === toks.length && Number.isSafeInteger(v) ? v : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// argv

export interface LaunchArgs {
  /** `--name value…` / `--name=value` options; names with '-' turned into '_' ("--dataset-name" → dataset_name). A flag with no value holds []. */
  options: Map<string, { values: string[]; index: number }>;
  /** Hydra / OmegaConf `a.b.c=value` overrides (verl, EasyR1), leading '+' / '~' dropped. */
  dotted: Map<string, { value: string; index: number }>;
  /** Leading `VAR=value` words. */
  env: Record<string, string>;
  /** The script or module run (`src/open_r1/grpo_jsonl.py`, `verl.trainer.main_ppo`, `swift rlhf`…), when seen. */
  program: string[];
}

/** Parse a launch command's argv (torchrun / accelerate / deepspeed / python -m prefixes included). */
export function parseLaunchArgs(argv: readonly string[]): LaunchArgs {
  const options = new Map<string, { values: string[]; index: number }>();
  const dotted = new Map<string, { value: string; index: number }>();
  const env: Record<string, string> = {};
  const program: string[] = [];
  let i = 0;
  while (i < argv.length && ASSIGN_RE.test(argv[i])) {
    const m = ASSIGN_RE.exec(argv[i]) as RegExpExecArray;
    env[m[1]] = m[2];
    i++;
  }
  const isOption = (w: string): boolean => /^--?[A-Za-z_]/.test(w);
  for (; i < argv.length; i++) {
    const w = argv[i];
    if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=');
      const name = (eq > 0 ? w.slice(2, eq) : w.slice(2)).replace(/-/g, '_');
      if (eq > 0) {
        options.set(name, { values: [w.slice(eq + 1)], index: i });
        continue;
      }
      const values: string[] = [];
      let j = i + 1;
      while (j < argv.length && !isOption(argv[j]) && !(isDotted(argv[j]) && values.length > 0)) {
        // launcher options (torchrun --nproc_per_node 8 train.py): the script ends them
        if (program.length === 0 && values.length > 0 && /\.py$/.test(argv[j])) break;
        values.push(argv[j]);
        j++;
      }
      options.set(name, { values, index: i });
      i = j - 1;
      continue;
    }
    if (w === '-m' && i + 1 < argv.length) {
      program.push(argv[i + 1]);
      i++;
      continue;
    }
    if (isDotted(w)) {
      const eq = w.indexOf('=');
      dotted.set(w.slice(0, eq).replace(/^[+~]+/, ''), { value: w.slice(eq + 1), index: i });
      continue;
    }
    if (/\.py$/.test(w) || /^(swift|trl|llamafactory-cli)$/.test(path.basename(w))) program.push(w);
    else if (program.length > 0 && program.length < 3 && /^[a-z][a-z_-]*$/.test(w) && /^(swift|trl)$/.test(path.basename(program[0]))) program.push(w);
  }
  return { options, dotted, env, program };
}

function isDotted(w: string): boolean {
  return /^[+~]{0,2}[A-Za-z_][\w]*(?:\.[\w]+)*=/.test(w) && !w.startsWith('-');
}

// ---------------------------------------------------------------------------------------------------------
// Config sources: one uniform view (dotted path → value + line) over YAML / JSON / argv.

interface Found {
  value: unknown;
  line: number;
}

type SourceKind = 'overrides' | 'wandb' | 'swift-args' | 'hydra' | 'easyr1' | 'launch' | 'script' | 'preprocessor' | 'model-config';

interface ConfigSource {
  kind: SourceKind;
  /** As shown in sources: relative to the run folder, or "rollout-lens.json", or a setting's name. */
  name: string;
  get(dotted: string): Found | undefined;
  /** Extra evidence for framework detection (argv program, file kind). */
  framework?: FrameworkId;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A parsed document (YAML, or JSON read through the YAML parser for line numbers). */
class DocSource implements ConfigSource {
  framework?: FrameworkId;
  private doc: Document.Parsed | null = null;
  private lc: LineCounter | null = null;
  constructor(
    readonly kind: SourceKind,
    readonly name: string,
    private readonly data: Record<string, unknown>,
    private readonly text: string,
    /** wandb config.yaml: top-level values wrapped as {desc, value}. */
    private readonly wandb = false,
    parsed?: { doc: Document.Parsed; lc: LineCounter },
  ) {
    if (parsed) {
      this.doc = parsed.doc;
      this.lc = parsed.lc;
    }
  }

  private segments(dotted: string): string[] {
    return dotted.split('.');
  }

  private raw(segs: string[]): unknown {
    let v: unknown = this.data;
    for (let k = 0; k < segs.length; k++) {
      if (!isObj(v)) return undefined;
      v = v[segs[k]];
      if (k === 0 && this.wandb && isObj(v) && 'value' in v) v = v.value;
    }
    return v;
  }

  get(dotted: string, depth = 0): Found | undefined {
    const segs = this.segments(dotted);
    let v = this.raw(segs);
    if (v === undefined) return undefined;
    // OmegaConf interpolation to another key of the same config: ${data.max_response_length}
    if (typeof v === 'string' && depth < 5) {
      const m = /^\$\{([A-Za-z_][\w.]*)\}$/.exec(v.trim());
      if (m) {
        const target = this.get(m[1], depth + 1);
        if (!target) return undefined;
        v = target.value;
      } else if (/^\$\{[^}]*\}$/.test(v.trim())) return undefined; // ${oc.env:…} and friends: unknown here
    }
    return { value: v, line: this.lineOf(segs) };
  }

  lineOf(segs: string[]): number {
    if (!this.doc) {
      try {
        const lc = new LineCounter();
        this.doc = parseDocument(this.text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
        this.lc = lc;
      } catch {
        return 0;
      }
    }
    const doc = this.doc;
    const lc = this.lc as LineCounter;
    const tries = this.wandb ? [[segs[0], 'value', ...segs.slice(1)], segs] : [segs];
    for (const t of tries) {
      const node = doc.getIn(t, true) as { range?: [number, number, number] } | undefined;
      if (node && Array.isArray(node.range)) return lc.linePos(node.range[0]).line;
    }
    // fall back to the key's own line
    const parentPath = segs.slice(0, -1);
    const parent = (parentPath.length ? doc.getIn(parentPath, true) : doc.contents) as { items?: Array<{ key?: { value?: unknown; range?: number[] } }> } | null;
    const item = parent?.items?.find((it) => it.key?.value === segs[segs.length - 1]);
    if (item?.key?.range) return lc.linePos(item.key.range[0]).line;
    return 0;
  }
}

/** argv (a job profile's or a script's command). */
class ArgvSource implements ConfigSource {
  framework?: FrameworkId;
  constructor(
    readonly kind: SourceKind,
    readonly name: string,
    private readonly args: LaunchArgs,
    private readonly lines: number[] | null,
    private readonly extraEnv: Record<string, string> = {},
  ) {
    this.framework = detectFromArgs(args);
  }
  get(dotted: string): Found | undefined {
    const lineAt = (index: number): number => (this.lines ? (this.lines[index] ?? 0) : 0);
    if (dotted.startsWith('env.')) {
      const k = dotted.slice(4);
      const v = this.args.env[k] ?? this.extraEnv[k];
      return v === undefined ? undefined : { value: v, line: this.lines && k in this.args.env ? lineAt(0) : 0 };
    }
    const o = this.args.options.get(dotted);
    if (o) {
      const value = o.values.length === 0 ? true : o.values.length === 1 ? o.values[0] : o.values;
      return { value, line: lineAt(o.index) };
    }
    const d = this.args.dotted.get(dotted);
    if (d) return { value: d.value, line: lineAt(d.index) };
    return undefined;
  }
}

/** Plain values (rollout-lens.json, settings) already checked. */
class OverrideSource implements ConfigSource {
  readonly kind: SourceKind = 'overrides';
  constructor(
    readonly name: string,
    private readonly values: Map<ContextKey, Found>,
  ) {}
  get(): Found | undefined {
    return undefined;
  }
  field(key: ContextKey): Found | undefined {
    return this.values.get(key);
  }
}

function detectFromArgs(a: LaunchArgs): FrameworkId | undefined {
  const prog = a.program.join(' ');
  if (/verl\.trainer\.main_ppo|verl\/trainer\/main_ppo/.test(prog)) return 'verl';
  if (/verl\.trainer\.main\b/.test(prog) && a.dotted.has('config')) return 'easyr1';
  if (/verl\.trainer/.test(prog)) return a.dotted.has('actor_rollout_ref.rollout.n') || [...a.dotted.keys()].some((k) => k.startsWith('actor_rollout_ref.')) ? 'verl' : 'easyr1';
  if (/(^|\/)swift( |$)|swift\/cli/.test(prog)) return 'ms-swift';
  if (/open_r1|grpo_jsonl|grpo_rec|r1-v|virft/.test(prog) || a.options.has('data_file_paths') || a.options.has('image_folders') || a.options.has('is_reward_customized_from_vlm_module')) return 'vlm-r1';
  if (/(^|\/)trl( |$)/.test(prog) || /grpo/.test(prog)) return 'trl';
  if (a.options.has('num_generations')) return 'trl';
  return undefined;
}

function detectFromConfig(kind: SourceKind, data: Record<string, unknown>, wandb: boolean): FrameworkId | undefined {
  const has = (k: string): boolean => k in data;
  if (kind === 'swift-args') return has('rlhf_type') || has('model_type') || has('template') || has('train_type') ? 'ms-swift' : undefined;
  if (kind === 'hydra') return has('worker') ? 'easyr1' : 'verl';
  if (kind === 'easyr1') return 'easyr1';
  if (kind === 'wandb' || wandb) {
    if (has('actor_rollout_ref')) return 'verl';
    if (has('worker') && has('algorithm')) return 'easyr1';
    if (has('rlhf_type') || has('train_type')) return 'ms-swift';
    if (has('data_file_paths') || has('image_folders') || has('is_reward_customized_from_vlm_module') || has('freeze_vision_modules')) return 'vlm-r1';
    if (has('num_generations')) return 'trl';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Fields: which config keys give which context value, and how they are checked.

/** A conversion failure (its message names what was expected). */
class ConvError {
  constructor(readonly message: string) {}
}
type Conv<T> = (v: unknown) => T | ConvError;
const fail = (message: string): ConvError => new ConvError(message);

const showVal = (v: unknown): string => {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 57) + '…' : s;
};

const posInt: Conv<number> = (v) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 ? n : fail(`expected a positive integer, got ${showVal(v)}`);
};

const posNum: Conv<number> = (v) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : fail(`expected a positive number, got ${showVal(v)}`);
};

/** Lists from configs and argv: arrays, several argv words, "a:b" (VLM-R1), "[a, b]" (hydra), "a,b". */
function listOf(sep: RegExp): Conv<string[]> {
  return (v) => {
    let items: unknown[];
    if (Array.isArray(v)) items = v.flatMap((x) => (typeof x === 'string' && sep.test(x) && !x.startsWith('[') ? x.split(sep) : [x]));
    else if (typeof v === 'string') {
      const s = v.trim();
      if (s.startsWith('[') && s.endsWith(']')) {
        items = s
          .slice(1, -1)
          .split(',')
          .map((x) => x.trim().replace(/^(['"])([\s\S]*)\1$/, '$2'));
      } else items = s.split(sep);
    } else return fail(`expected a list of strings, got ${showVal(v)}`);
    const out: string[] = [];
    for (const x of items) {
      if (typeof x !== 'string') return fail(`expected a list of strings, got ${showVal(v)}`);
      const t = x.trim();
      if (t !== '') out.push(t);
    }
    return out.length > 0 ? out : fail(`expected a non-empty list, got ${showVal(v)}`);
  };
}

const nameList = listOf(/[\s,]+/);
const pathList = listOf(/:/);
const pathListComma = listOf(/,/);

const str: Conv<string> = (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : fail(`expected a string, got ${showVal(v)}`));

const datasetList: Conv<string[]> = (v) => {
  const r = Array.isArray(v) ? pathListComma(v) : typeof v === 'string' && v.includes(':') && !/^[a-z]+:\/\//i.test(v) && !v.trim().startsWith('[') ? pathList(v) : pathListComma(v);
  if (r instanceof ConvError) return r;
  const kept = r.filter((x) => !/^(this_is_not_used|none|null)$/i.test(x));
  return kept.length > 0 ? kept : fail(`no dataset named (${showVal(v)})`);
};

const weightList: Conv<Record<string, number>> = (v) => {
  if (isObj(v)) {
    const out: Record<string, number> = {};
    for (const [k, w] of Object.entries(v)) {
      const n = typeof w === 'number' ? w : Number(w);
      if (!Number.isFinite(n)) return fail(`reward weight ${k} must be a number, got ${showVal(w)}`);
      out[k] = n;
    }
    return out;
  }
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter((x) => x !== '') : null;
  if (!items || items.length === 0) return fail(`expected a list of numbers, got ${showVal(v)}`);
  const out: Record<string, number> = {};
  for (let k = 0; k < items.length; k++) {
    const n = typeof items[k] === 'number' ? (items[k] as number) : typeof items[k] === 'string' ? Number(items[k]) : NaN;
    if (!Number.isFinite(n)) return fail(`expected a list of numbers, got ${showVal(v)}`);
    out[String(k)] = n;
  }
  return out;
};

interface FieldSpec {
  key: ContextKey;
  paths: string[];
  conv: Conv<unknown>;
  /** Source kinds this field is read from (default: all but preprocessor / model-config). */
  kinds?: SourceKind[];
}

const CONFIG_KINDS: SourceKind[] = ['wandb', 'swift-args', 'hydra', 'easyr1', 'launch', 'script'];

const FIELDS: FieldSpec[] = [
  { key: 'groupSize', paths: ['num_generations', 'actor_rollout_ref.rollout.n', 'worker.rollout.n'], conv: posInt },
  { key: 'rewardFuncs', paths: ['reward_funcs'], conv: nameList },
  { key: 'rewardWeights', paths: ['reward_weights'], conv: weightList },
  {
    key: 'minPixels',
    paths: ['min_pixels', 'data.min_pixels', 'env.MIN_PIXELS'],
    conv: posInt,
    kinds: [...CONFIG_KINDS],
  },
  {
    key: 'maxPixels',
    paths: ['max_pixels', 'data.max_pixels', 'env.MAX_PIXELS'],
    conv: posInt,
    kinds: [...CONFIG_KINDS],
  },
  { key: 'minPixels', paths: ['min_pixels', 'size.shortest_edge'], conv: posInt, kinds: ['preprocessor'] },
  { key: 'maxPixels', paths: ['max_pixels', 'size.longest_edge'], conv: posInt, kinds: ['preprocessor'] },
  {
    key: 'maxCompletionLength',
    paths: ['max_completion_length', 'data.max_response_length', 'actor_rollout_ref.rollout.response_length', 'max_response_length'],
    conv: posInt,
  },
  {
    key: 'modelName',
    paths: ['model_name_or_path', 'model', 'actor_rollout_ref.model.path', 'worker.actor.model.model_path', 'model_id'],
    conv: str,
  },
  { key: 'modelName', paths: ['_name_or_path', 'base_model_name_or_path'], conv: str, kinds: ['model-config', 'wandb'] },
  { key: 'datasets', paths: ['data_file_paths', 'dataset_name', 'dataset', 'data.train_files', 'train_files', 'dataset_path'], conv: datasetList },
  { key: 'imageFolders', paths: ['image_folders', 'image_root', 'image_folder', 'image_dir', 'data.image_dir'], conv: pathList },
  { key: 'imageKey', paths: ['data.image_key'], conv: str },
  { key: 'lossType', paths: ['loss_type'], conv: str },
];

interface Extracted {
  values: Map<ContextKey, Found>;
}

function truthy(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(s)) return true;
    if (['false', '0', 'no'].includes(s)) return false;
  }
  if (v === 1 || v === 0) return v === 1;
  return undefined;
}

/** The advantage estimator a config names (TRL / ms-swift scale_rewards, verl / EasyR1 adv_estimator…). */
function estimatorOf(src: ConfigSource, problem: (line: number, message: string) => void): Found | undefined {
  const adv = src.get('algorithm.adv_estimator') ?? src.get('advantage_estimator');
  let kind: EstimatorKind | undefined;
  let line = 0;
  if (adv) {
    line = adv.line;
    const name = typeof adv.value === 'string' ? adv.value.trim().toLowerCase() : '';
    if (name === 'grpo' || name === 'grpo_passk' || name === 'gpg') {
      const norm = src.get('algorithm.norm_adv_by_std_in_grpo');
      kind = norm && truthy(norm.value) === false ? 'dr-grpo' : 'grpo';
      if (norm && truthy(norm.value) === false) line = norm.line;
    } else if (name === 'dr_grpo' || name === 'dr-grpo') kind = 'dr-grpo';
    else if (name === 'rloo' || name === 'rloo_vectorized') kind = 'rloo';
    else if (name === 'reinforce_plus_plus_baseline') kind = 'batch';
    else {
      problem(adv.line, `advantage estimator ${showVal(adv.value)} cannot be recomputed from rewards alone (Rollout Lens knows grpo, dr-grpo, rloo, batch); advantages shown as recomputed are only a guide`);
      return undefined;
    }
  }
  const scale = src.get('scale_rewards');
  if (scale && (kind === undefined || kind === 'grpo')) {
    const s = typeof scale.value === 'string' ? scale.value.trim().toLowerCase() : scale.value;
    const t = truthy(s);
    if (s === 'group' || t === true) kind = 'grpo';
    else if (s === 'batch') kind = 'batch';
    else if (s === 'none' || t === false) kind = 'dr-grpo';
    else {
      problem(scale.line, `scale_rewards: expected "group", "batch", "none" or a boolean, got ${showVal(scale.value)}`);
      return kind ? { value: kind, line } : undefined;
    }
    line = scale.line;
  }
  return kind ? { value: kind, line } : undefined;
}

function extract(src: ConfigSource, problems: Problem[]): Extracted {
  const values = new Map<ContextKey, Found>();
  if (src instanceof OverrideSource) {
    for (const k of CONTEXT_KEYS) {
      const f = src.field(k);
      if (f) values.set(k, f);
    }
    return { values };
  }
  const problem = (line: number, message: string): void => void problems.push({ file: src.name, line, message });
  for (const spec of FIELDS) {
    const kinds = spec.kinds ?? CONFIG_KINDS;
    if (!kinds.includes(src.kind) || values.has(spec.key)) continue;
    for (const p of spec.paths) {
      const f = src.get(p);
      if (!f || f.value === null || f.value === undefined) continue;
      const r = spec.conv(f.value);
      if (r instanceof ConvError) {
        problem(f.line, `${p}: ${r.message}`);
        continue;
      }
      values.set(spec.key, { value: r, line: f.line });
      break;
    }
  }
  if (CONFIG_KINDS.includes(src.kind)) {
    const est = estimatorOf(src, problem);
    if (est) values.set('advantageEstimator', est);
  }
  // weights given as a list: name them when this source names the functions too
  const w = values.get('rewardWeights');
  const f = values.get('rewardFuncs');
  if (w && f) {
    const named = nameWeights(w.value as Record<string, number>, f.value as string[]);
    if (typeof named === 'string') problem(w.line, named);
    else w.value = named;
  }
  if (src.framework) values.set('framework', { value: src.framework, line: 0 });
  return { values };
}

/** {"0": 1, "1": 0.5} + ["accuracy", "format"] → {accuracy: 1, format: 0.5}. */
function nameWeights(w: Record<string, number>, names: string[]): Record<string, number> | string {
  const keys = Object.keys(w);
  if (!keys.every((k) => /^\d+$/.test(k))) return w;
  if (keys.length !== names.length) return `reward_weights has ${keys.length} values but there are ${names.length} reward functions (${names.join(', ')})`;
  const out: Record<string, number> = {};
  names.forEach((n, k) => (out[n] = w[String(k)]));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// rollout-lens.json and settings

/** Check user overrides (rollout-lens.json or settings) into per-key values; problems for wrong types and unknown keys. */
export function checkOverrides(
  raw: unknown,
  name: string,
  problems: Problem[],
  opts: { lineOf?: (key: string) => number; baseDir?: string } = {},
): Map<ContextKey, Found> {
  const out = new Map<ContextKey, Found>();
  const lineOf = opts.lineOf ?? (() => 0);
  if (raw === null || raw === undefined) return out;
  if (!isObj(raw)) {
    problems.push({ file: name, line: 1, message: `expected an object with keys ${OVERRIDE_KEYS.join(', ')}, got ${showVal(raw)}` });
    return out;
  }
  const bad = (k: string, msg: string): void => void problems.push({ file: name, line: lineOf(k), message: `${k}: ${msg}` });
  const set = (key: ContextKey, k: string, value: unknown): void => void out.set(key, { value, line: lineOf(k) });
  const resolvePaths = (xs: string[]): string[] => (opts.baseDir ? xs.map((x) => (path.isAbsolute(x) || x.includes('${') ? x : path.resolve(opts.baseDir as string, x))) : xs);
  const take = (key: ContextKey, k: string, r: unknown, map?: (x: never) => unknown): void => {
    if (r instanceof ConvError) bad(k, r.message);
    else set(key, k, map ? map(r as never) : r);
  };
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || v === null) continue;
    switch (k) {
      case 'framework': {
        const fw = typeof v === 'string' ? normaliseFramework(v) : undefined;
        take('framework', k, fw ?? fail(`expected one of trl, vlm-r1, verl, easyr1, ms-swift, got ${showVal(v)}`));
        break;
      }
      case 'groupSize':
      case 'minPixels':
      case 'maxPixels':
      case 'maxCompletionLength':
        take(k, k, typeof v === 'number' ? posInt(v) : fail(`expected a positive integer, got ${showVal(v)}`));
        break;
      case 'epsilon':
        take('epsilon', k, typeof v === 'number' ? posNum(v) : fail(`expected a positive number, got ${showVal(v)}`));
        break;
      case 'estimator':
      case 'advantageEstimator': {
        const s = typeof v === 'string' ? v.trim().toLowerCase().replace(/_/g, '-') : '';
        take('advantageEstimator', k, (ESTIMATOR_KINDS as readonly string[]).includes(s) ? s : fail(`expected one of ${ESTIMATOR_KINDS.join(', ')}, got ${showVal(v)}`));
        break;
      }
      case 'rewardFuncs':
        take('rewardFuncs', k, Array.isArray(v) || typeof v === 'string' ? nameList(v) : fail(`expected a list of names, got ${showVal(v)}`));
        break;
      case 'rewardWeights':
        take('rewardWeights', k, isObj(v) || Array.isArray(v) ? weightList(v) : fail(`expected {name: weight} or a list of numbers, got ${showVal(v)}`));
        break;
      case 'datasets':
      case 'imageFolders':
        take(k, k, Array.isArray(v) || typeof v === 'string' ? pathList(v) : fail(`expected a list of paths, got ${showVal(v)}`), resolvePaths);
        break;
      case 'imageKey':
      case 'modelName':
      case 'lossType':
        take(k, k, str(v));
        break;
      case 'boxFrame':
        take('boxFrame', k, typeof v === 'string' && (FRAME_KINDS as readonly string[]).includes(v) ? v : fail(`expected one of ${FRAME_KINDS.join(', ')}, got ${showVal(v)}`));
        break;
      default:
        if (k.startsWith('$') || k.startsWith('//') || k === 'comment') break; // $schema, comments
        bad(k, `unknown key (expected one of ${OVERRIDE_KEYS.join(', ')})`);
    }
  }
  const w = out.get('rewardWeights');
  const f = out.get('rewardFuncs');
  if (w && f) {
    const named = nameWeights(w.value as Record<string, number>, f.value as string[]);
    if (typeof named === 'string') problems.push({ file: name, line: w.line, message: named });
    else w.value = named;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Files

interface FileText {
  abs: string;
  rel: string;
  text: string;
}

function readText(abs: string, runDir: string, problems: Problem[], limit = MAX_CONFIG_BYTES): FileText | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    return null;
  }
  const rel = relName(abs, runDir);
  if (!st.isFile()) return null;
  if (st.size > limit) {
    problems.push({ file: rel, line: 0, message: `skipped: ${st.size} bytes is more than the ${limit} read for a config file` });
    return null;
  }
  try {
    return { abs, rel, text: fs.readFileSync(abs, 'utf8').replace(/^\uFEFF/, '') };
  } catch (e) {
    problems.push({ file: rel, line: 0, message: `cannot read: ${(e as Error).message}` });
    return null;
  }
}

function relName(abs: string, runDir: string): string {
  const r = path.relative(runDir, abs);
  return (r === '' ? path.basename(abs) : r).split(path.sep).join('/');
}

function listDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isDirLike(dir: string, e: fs.Dirent): boolean {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  try {
    return fs.statSync(path.join(dir, e.name)).isDirectory();
  } catch {
    return false;
  }
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** JSON with Python's NaN / Infinity tolerated; errors with their line. */
function parseJsonFile(f: FileText, problems: Problem[]): Record<string, unknown> | null {
  try {
    const v = parseJsonLenient(f.text).value;
    if (!isObj(v)) {
      problems.push({ file: f.rel, line: 1, message: `expected a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}` });
      return null;
    }
    return v;
  } catch (e) {
    const msg = (e as Error).message;
    const lm = /line (\d+)/.exec(msg);
    const pm = /position (\d+)/.exec(msg);
    const line = lm ? Number(lm[1]) : pm ? lineAt(f.text, Number(pm[1])) : 0;
    problems.push({ file: f.rel, line, message: `not valid JSON: ${msg}` });
    return null;
  }
}

function parseYamlFile(f: FileText, problems: Problem[]): { data: Record<string, unknown>; doc: Document.Parsed; lc: LineCounter } | null {
  const lc = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(f.text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
  } catch (e) {
    problems.push({ file: f.rel, line: 0, message: `not valid YAML: ${(e as Error).message}` });
    return null;
  }
  if (doc.errors.length > 0) {
    for (const err of doc.errors.slice(0, 5)) {
      const line = err.linePos?.[0]?.line ?? lc.linePos(err.pos[0]).line;
      problems.push({ file: f.rel, line, message: `not valid YAML: ${err.message.split('\n')[0]}` });
    }
    return null;
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    problems.push({ file: f.rel, line: 0, message: `cannot read YAML: ${(e as Error).message}` });
    return null;
  }
  if (!isObj(data)) {
    if (data !== null && data !== undefined) problems.push({ file: f.rel, line: 1, message: 'expected a YAML mapping at the top' });
    return null;
  }
  return { data, doc, lc };
}

function latestByNumber(dir: string, re: RegExp): string | null {
  let best: { n: number; name: string } | null = null;
  for (const e of listDir(dir)) {
    const m = re.exec(e.name);
    if (!m || !isDirLike(dir, e)) continue;
    const n = Number(m[1]);
    if (!best || n > best.n) best = { n, name: e.name };
  }
  return best ? path.join(dir, best.name) : null;
}

/** wandb run folders (newest first), `latest-run` first. */
function wandbConfigFiles(base: string): string[] {
  const wdir = path.join(base, 'wandb');
  const entries = listDir(wdir);
  if (entries.length === 0) return [];
  const runs = entries
    .filter((e) => /^(offline-)?run-/.test(e.name) && isDirLike(wdir, e))
    .map((e) => e.name)
    .sort((a, b) => runStamp(b).localeCompare(runStamp(a)))
    .slice(0, MAX_WANDB_RUNS);
  const out = runs.map((r) => path.join(wdir, r, 'files', 'config.yaml'));
  // latest-run is a link to one of them (read once, under its real name); alone it still counts
  if (entries.some((e) => e.name === 'latest-run')) out.push(path.join(wdir, 'latest-run', 'files', 'config.yaml'));
  return out;
}

function runStamp(name: string): string {
  return name.replace(/^offline-/, '');
}

/** `outputs/<date>/<time>/.hydra/config.yaml`, newest first (a few). */
function hydraOutputs(base: string): string[] {
  const out: string[] = [];
  const odir = path.join(base, 'outputs');
  const dates = listDir(odir)
    .filter((e) => isDirLike(odir, e))
    .map((e) => e.name)
    .sort()
    .reverse()
    .slice(0, 5);
  for (const d of dates) {
    const ddir = path.join(odir, d);
    const times = listDir(ddir)
      .filter((e) => isDirLike(ddir, e))
      .map((e) => e.name)
      .sort()
      .reverse()
      .slice(0, 5);
    for (const t of times) out.push(path.join(ddir, t, '.hydra', 'config.yaml'));
  }
  return out;
}

/** Does a config name this run (output_dir / run_name / experiment name ending in the run folder's name)? */
function namesRun(src: ConfigSource, runDir: string): boolean | undefined {
  const base = path.basename(runDir);
  let seen = false;
  for (const k of ['output_dir', 'run_name', 'trainer.experiment_name', 'trainer.save_checkpoint_path', 'trainer.default_local_dir', 'logging_dir']) {
    const f = src.get(k);
    if (!f || typeof f.value !== 'string') continue;
    seen = true;
    const v = f.value.replace(/[\\/]+$/, '');
    if (v === base || path.posix.basename(v) === base || v.endsWith('/' + base) || v.split(/[\\/]/).includes(base)) return true;
  }
  return seen ? false : undefined;
}

async function collectSources(runDir: string, opts: ReadRunContextOptions, problems: Problem[], filesRead: string[]): Promise<ConfigSource[]> {
  const sources: ConfigSource[] = [];
  const parent = path.dirname(runDir);
  const bases = parent !== runDir ? [runDir, parent] : [runDir];
  const seen = new Set<string>();
  const take = (abs: string, limit?: number): FileText | null => {
    const key = path.resolve(abs);
    if (seen.has(key)) return null;
    const f = readText(abs, runDir, problems, limit);
    if (f) {
      seen.add(key);
      filesRead.push(f.rel);
    }
    return f;
  };

  const latestCkpt = latestByNumber(runDir, /^checkpoint-(\d+)$/);
  const latestGlobal = latestByNumber(runDir, /^global_step_?(\d+)$/);

  // 1. config dumps the trainer wrote: ms-swift args.json, EasyR1 experiment_config.json, verl/EasyR1 hydra, wandb
  for (const abs of [path.join(runDir, 'args.json'), ...(latestCkpt ? [path.join(latestCkpt, 'args.json')] : [])]) {
    const f = take(abs);
    if (!f) continue;
    const data = parseJsonFile(f, problems);
    if (!data) continue;
    const s = new DocSource('swift-args', f.rel, data, f.text);
    s.framework = detectFromConfig('swift-args', data, false);
    sources.push(s);
    break;
  }
  {
    const f = take(path.join(runDir, 'experiment_config.json'));
    const data = f ? parseJsonFile(f, problems) : null;
    if (f && data) {
      const s = new DocSource('easyr1', f.rel, data, f.text);
      s.framework = 'easyr1';
      sources.push(s);
    }
  }
  for (const base of bases) {
    const candidates = [path.join(base, '.hydra', 'config.yaml'), ...(base === runDir ? hydraOutputs(base) : [])];
    let found = false;
    for (const abs of candidates) {
      if (!fs.existsSync(abs)) continue;
      const f = take(abs);
      if (!f) continue;
      const y = parseYamlFile(f, problems);
      if (!y) continue;
      const s = new DocSource('hydra', f.rel, y.data, f.text, false, y);
      s.framework = detectFromConfig('hydra', y.data, false);
      if (base !== runDir && namesRun(s, runDir) === false) continue; // another experiment's config
      sources.push(s);
      found = true;
      break;
    }
    if (found) break;
  }
  for (const base of bases) {
    const files = wandbConfigFiles(base);
    if (files.length === 0) continue;
    const parsed: DocSource[] = [];
    for (const abs of files) {
      if (!fs.existsSync(abs)) continue;
      const real = safeRealpath(abs);
      if (seen.has(real)) continue;
      const f = readText(abs, runDir, problems);
      if (!f) continue;
      seen.add(real);
      const y = parseYamlFile(f, problems);
      if (!y) {
        filesRead.push(f.rel);
        continue;
      }
      const s = new DocSource('wandb', f.rel, y.data, f.text, true, y);
      s.framework = detectFromConfig('wandb', y.data, true);
      parsed.push(s);
    }
    // prefer the run that names this folder; in the parent folder only such a run is used
    const match = parsed.find((s) => namesRun(s, runDir) === true);
    const pick = match ?? (base === runDir ? parsed[0] : undefined);
    if (pick) {
      filesRead.push(pick.name);
      sources.push(pick);
      break;
    } else if (parsed.length > 0 && base !== runDir) {
      // other experiments' wandb runs: not used
    }
  }

  // 2. the job profile's launch command
  if (opts.launchCommand && opts.launchCommand.length > 0) {
    sources.push(new ArgvSource('launch', 'launch command', parseLaunchArgs(opts.launchCommand), null));
  }

  // 3. launch scripts in the run folder
  const scripts = listDir(runDir)
    .filter((e) => !isDirLike(runDir, e) && /\.(sh|bash|slurm|sbatch)$/i.test(e.name))
    .map((e) => e.name)
    .sort()
    .slice(0, MAX_SCRIPTS);
  const scriptSources: Array<{ src: ArgvSource; score: number }> = [];
  for (const name of scripts) {
    const f = take(path.join(runDir, name), MAX_SCRIPT_BYTES);
    if (!f) continue;
    const sh = parseShellScript(f.text);
    let best: { src: ArgvSource; score: number } | null = null;
    for (const cmd of sh.commands) {
      if (!looksLikeLaunch(cmd.argv)) continue;
      const args = parseLaunchArgs([...Object.entries(cmd.env).map(([k, v]) => `${k}=${v}`), ...cmd.argv]);
      const envCount = Object.keys(cmd.env).length;
      const lines = [...new Array<number>(envCount).fill(cmd.line), ...cmd.lines];
      const src = new ArgvSource('script', f.rel, args, lines, sh.exported);
      const score = FIELDS.filter((fs_) => fs_.paths.some((p) => src.get(p) !== undefined)).length + (src.framework ? 1 : 0);
      if (!best || score >= best.score) best = { src, score };
    }
    if (best && best.score > 0) scriptSources.push(best);
  }
  scriptSources.sort((a, b) => b.score - a.score);
  sources.push(...scriptSources.map((s) => s.src));

  // 4. the processor and model config saved with the latest checkpoint (pixels, model)
  const ckptDirs = [latestCkpt, latestGlobal && path.join(latestGlobal, 'actor', 'huggingface'), runDir].filter((d): d is string => !!d);
  for (const dir of ckptDirs) {
    const f = take(path.join(dir, 'preprocessor_config.json'));
    if (!f) continue;
    const data = parseJsonFile(f, problems);
    if (!data) continue;
    const qwenLike =
      /qwen|glm4v|glm/i.test(String(data.image_processor_type ?? '') + String(data.processor_class ?? '')) || 'min_pixels' in data || 'max_pixels' in data;
    if (!qwenLike) {
      problems.push({ file: f.rel, line: 0, message: `image processor ${showVal(data.image_processor_type ?? 'unknown')} is not Qwen2-VL style; its sizes are not read as min/max pixels` });
      continue;
    }
    sources.push(new DocSource('preprocessor', f.rel, data, f.text));
    break;
  }
  for (const dir of ckptDirs) {
    for (const name of ['config.json', 'adapter_config.json']) {
      const abs = path.join(dir, name);
      if (!fs.existsSync(abs)) continue;
      const f = take(abs, 1024 * 1024);
      if (!f) continue;
      const data = parseJsonFile(f, problems);
      if (data) sources.push(new DocSource('model-config', f.rel, data, f.text));
    }
  }
  return sources;
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function looksLikeLaunch(argv: string[]): boolean {
  const prog = path.basename(argv[0] ?? '');
  const launcher = /^(torchrun|accelerate|deepspeed|python\d?(\.\d+)?|swift|trl|srun|mpirun|llamafactory-cli|ray|uv|conda)$/.test(prog);
  const hasOpts = argv.some((w) => /^--[A-Za-z]/.test(w) || isDotted(w));
  return (launcher || argv.some((w) => /\.py$/.test(w))) && hasOpts;
}

// ---------------------------------------------------------------------------------------------------------
// Merge

/** Equal values (paths compared with $HOME / ${HOME} written as ~, trailing slashes dropped). */
function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) => (typeof x === 'string' ? x.replace(/^(\$HOME|\$\{HOME\})(?=\/|$)/, '~').replace(/(.)\/+$/, '$1') : x));
  return norm(a) === norm(b);
}

/**
 * Read the run context of `runDir`. Order (first that gives a value wins): settings (`opts.overrides`),
 * `rollout-lens.json` in the run folder, then the files: ms-swift `args.json`, EasyR1
 * `experiment_config.json`, `.hydra/config.yaml` (also `outputs/<date>/<time>/.hydra/`), wandb
 * `config.yaml` (the run that names this folder, else the newest), the job profile's argv, `*.sh` launch
 * scripts of the run folder, `preprocessor_config.json` and `config.json` of the latest checkpoint.
 * The parent folder is searched for `.hydra/` and `wandb/` too. What none gives is filled with the
 * framework's defaults (assumed); the group size is never assumed.
 */
export async function readRunContext(runDir: string, opts: ReadRunContextOptions = {}): Promise<RunContext> {
  const dir = path.resolve(runDir);
  const problems: Problem[] = [];
  const filesRead: string[] = [];
  const ctx: RunContext = { runDir: dir, filesRead, problems };

  const ordered: Array<{ src: ConfigSource; ex: Extracted; override: boolean }> = [];
  // settings
  if (opts.overrides && Object.keys(opts.overrides).length > 0) {
    const name = opts.settingsSource ?? 'settings';
    const vals = checkOverrides(opts.overrides, name, problems);
    const src = new OverrideSource(name, vals);
    ordered.push({ src, ex: extract(src, problems), override: true });
  }
  // rollout-lens.json
  {
    const abs = path.join(dir, 'rollout-lens.json');
    const f = fs.existsSync(abs) ? readText(abs, dir, problems) : null;
    if (f) {
      filesRead.push(f.rel);
      const data = parseJsonFile(f, problems);
      if (data) {
        let doc: Document.Parsed | null = null;
        let lc: LineCounter | null = null;
        const lineOf = (key: string): number => {
          if (!doc) {
            lc = new LineCounter();
            doc = parseDocument(f.text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
          }
          const item = (doc.contents as { items?: Array<{ key?: { value?: unknown; range?: number[] } }> } | null)?.items?.find((it) => it.key?.value === key);
          return item?.key?.range && lc ? lc.linePos(item.key.range[0]).line : 0;
        };
        const vals = checkOverrides(data, 'rollout-lens.json', problems, { lineOf, baseDir: dir });
        const src = new OverrideSource('rollout-lens.json', vals);
        ordered.push({ src, ex: extract(src, problems), override: true });
      }
    }
  }
  // the caller's framework (from the log format)
  const callerFw = normaliseFramework(opts.framework);
  // files
  let fileSources: ConfigSource[] = [];
  try {
    fileSources = await collectSources(dir, opts, problems, filesRead);
  } catch (e) {
    problems.push({ file: '.', line: 0, message: `reading the run folder failed: ${(e as Error).message}` });
  }
  for (const src of fileSources) ordered.push({ src, ex: extract(src, problems), override: false });

  for (const key of CONTEXT_KEYS) {
    let chosen: { found: Found; src: ConfigSource; override: boolean } | null = null;
    for (const o of ordered) {
      const f = o.ex.values.get(key);
      if (!f) continue;
      if (key === 'framework' && !o.override && callerFw) break;
      if (!chosen) {
        chosen = { found: f, src: o.src, override: o.override };
        continue;
      }
      // conflicts between files (not with the user's own overrides)
      if (!chosen.override && !o.override && key !== 'framework' && !sameValue(chosen.found.value, f.value)) {
        problems.push({
          file: o.src.name,
          line: f.line,
          message: `${key} ${showVal(f.value)} differs from ${showVal(chosen.found.value)} in ${chosen.src.name}; using ${chosen.src.name}`,
        });
      }
    }
    if (key === 'framework' && callerFw && (!chosen || !chosen.override)) {
      ctx.framework = { value: callerFw, source: 'log format', assumed: false };
      continue;
    }
    if (!chosen) continue;
    const cv: ContextValue<unknown> = { value: chosen.found.value, source: chosen.src.name, assumed: false };
    if (chosen.found.line > 0) cv.line = chosen.found.line;
    (ctx as Record<string, unknown>)[key] = cv;
  }

  // weights by position, named by functions from another source
  if (ctx.rewardWeights && ctx.rewardFuncs) {
    const named = nameWeights(ctx.rewardWeights.value, ctx.rewardFuncs.value);
    if (typeof named === 'string') problems.push({ file: ctx.rewardWeights.source, line: ctx.rewardWeights.line ?? 0, message: named });
    else ctx.rewardWeights.value = named;
  }
  // Dr. GRPO named only by loss_type
  if (!ctx.advantageEstimator && ctx.lossType && /^dr[_-]?grpo$/i.test(ctx.lossType.value)) {
    ctx.advantageEstimator = {
      value: 'dr-grpo',
      source: `loss_type dr_grpo in ${ctx.lossType.source} (Dr. GRPO runs also set scale_rewards false; no scale_rewards found)`,
      assumed: true,
    };
  }
  fillDefaults(ctx);
  return ctx;
}

/** The context as plain values, e.g. to write a `rollout-lens.json` the user then edits. */
export function contextToOverrides(ctx: RunContext): RunContextOverrides {
  const o: RunContextOverrides = {};
  if (ctx.framework) o.framework = ctx.framework.value;
  if (ctx.groupSize) o.groupSize = ctx.groupSize.value;
  if (ctx.rewardFuncs) o.rewardFuncs = [...ctx.rewardFuncs.value];
  if (ctx.rewardWeights) o.rewardWeights = { ...ctx.rewardWeights.value };
  if (ctx.advantageEstimator) o.estimator = ctx.advantageEstimator.value;
  if (ctx.epsilon) o.epsilon = ctx.epsilon.value;
  if (ctx.minPixels) o.minPixels = ctx.minPixels.value;
  if (ctx.maxPixels) o.maxPixels = ctx.maxPixels.value;
  if (ctx.datasets) o.datasets = [...ctx.datasets.value];
  if (ctx.imageFolders) o.imageFolders = [...ctx.imageFolders.value];
  if (ctx.imageKey) o.imageKey = ctx.imageKey.value;
  if (ctx.maxCompletionLength) o.maxCompletionLength = ctx.maxCompletionLength.value;
  if (ctx.boxFrame) o.boxFrame = ctx.boxFrame.value;
  if (ctx.modelName) o.modelName = ctx.modelName.value;
  if (ctx.lossType) o.lossType = ctx.lossType.value;
  return o;
}
