// Job profiles: the `rollout-lens` task definitions users keep in tasks.json. Validation with errors that
// name the field, variable substitution, ready-made templates for the GRPO frameworks of
// reference/formats.md §1–4, and appending a template to tasks.json without touching the rest of it.
// No `vscode` import (Node's `path` and `os` only).
//
// Variables, in command, args, cwd, env values, outputDir, slurm.setup and slurm.extra:
//   ${workspaceFolder}  ${checkpoint}  ${checkpointStep}  ${dataset}  ${outputDir}  ${env:NAME}
//   ${userHome}  ${pathSeparator} (also ${/})
// * One pass: a substituted value is never expanded again, so a dataset named `$(rm -rf ~)` or
//   `${env:HOME}` stays literal (and, the job being an argument vector, no shell sees it either).
// * An unknown variable, or one with no value at launch, throws an Error naming the field and the
//   variable: `args[3] uses ${checkpoint}, but no checkpoint was chosen`.
// * There is no escape for a literal `${name}`; text like `$HOME` or `${` without a closing brace is
//   left as it is.
// * ${outputDir} is the profile's outputDir, substituted first (it may use the other variables, not
//   itself) and made absolute; a profile without one falls back to the launch's JobVariables.outputDir.
// * Relative cwd, outputDir and checkpoint paths (and `~/…`) are resolved against the workspace folder
//   (the home folder); cwd defaults to the workspace folder. `command` is left as written (PATH lookup).
// * profile.checkpoint / profile.dataset are defaults for ${checkpoint} / ${dataset} (then datasets[0]);
//   ${checkpointStep} defaults to the step in the checkpoint's folder name (checkpoint-150,
//   global_step_150). Dataset values are literal (no variables, no path resolution).
// * env holds only the profile's own variables; the caller merges process.env.
//
// Validation ignores keys it does not know (tasks.json tasks also carry label, problemMatcher, group…).

import * as os from 'os';
import * as path from 'path';
import { applyEdits, findNodeAtLocation, modify, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
import type { JobBackendKind, JobKind, JobProfile, JobVariables, ResolvedJob, SlurmOptions } from './types';
import { commandLine, quoteArg, redactArgs, redactEnv, redactText } from './quote';

export const PROFILE_TYPE = 'rollout-lens';

/** The variables profiles may use (`env:NAME` stands for any environment variable). */
export const KNOWN_VARIABLES: readonly string[] = [
  'workspaceFolder',
  'checkpoint',
  'checkpointStep',
  'dataset',
  'outputDir',
  'env:NAME',
  'userHome',
  'pathSeparator',
];

const VAR_RE = /\$\{([^{}]{0,200})\}/g;

// ---------------------------------------------------------------------------------------------------------
// Substitution

/** A variable that cannot be substituted; `describe(field)` gives the message with the field named. */
export class VariableError extends Error {
  constructor(
    /** As written: `${checkpoint}`. */
    readonly variable: string,
    /** `but no checkpoint was chosen` / `which is not a variable Rollout Lens knows (…)`. */
    readonly reason: string,
  ) {
    super(`${variable} is used, ${reason}`);
    this.name = 'VariableError';
  }

  describe(field: string): string {
    return `${field} uses ${this.variable}, ${this.reason}`;
  }
}

function knownList(): string {
  return KNOWN_VARIABLES.map((v) => '${' + v + '}').join(', ');
}

function isKnownName(name: string): boolean {
  if (name.startsWith('env:')) return /^env:[A-Za-z_][A-Za-z0-9_.-]{0,200}$/.test(name);
  return name === '/' || (KNOWN_VARIABLES.includes(name) && name !== 'env:NAME');
}

function valueOf(name: string, vars: JobVariables): string {
  const written = '${' + name + '}';
  if (!isKnownName(name)) {
    throw new VariableError(written, `which is not a variable Rollout Lens knows (known: ${knownList()})`);
  }
  if (name.startsWith('env:')) {
    const key = name.slice(4);
    const v = vars.env?.[key];
    if (v === undefined) throw new VariableError(written, `but the environment variable ${key} is not set`);
    return v;
  }
  switch (name) {
    case 'workspaceFolder':
      if (!vars.workspaceFolder) throw new VariableError(written, 'but no workspace folder is open');
      return vars.workspaceFolder;
    case 'checkpoint':
      if (!vars.checkpoint) throw new VariableError(written, 'but no checkpoint was chosen');
      return vars.checkpoint;
    case 'checkpointStep':
      if (vars.checkpointStep === undefined || vars.checkpointStep === null || !Number.isFinite(vars.checkpointStep)) {
        throw new VariableError(
          written,
          vars.checkpoint
            ? `but the step of the checkpoint ${path.basename(vars.checkpoint)} is not known (name it checkpoint-N or global_step_N)`
            : 'but no checkpoint was chosen',
        );
      }
      return String(vars.checkpointStep);
    case 'dataset':
      if (vars.dataset === undefined || vars.dataset === '') throw new VariableError(written, 'but no dataset was chosen');
      return vars.dataset;
    case 'outputDir':
      if (!vars.outputDir) throw new VariableError(written, 'but the profile has no outputDir');
      return vars.outputDir;
    case 'userHome':
      return os.homedir();
    default:
      return path.sep; // pathSeparator, `/`
  }
}

/** `text` with every `${…}` replaced, in one pass. Throws a VariableError for an unknown or missing one. */
export function substitute(text: string, vars: JobVariables): string {
  return text.replace(VAR_RE, (_whole, name: string) => valueOf(name, vars));
}

/** The names inside `${…}` in `text` (`checkpoint`, `env:HOME`). */
function variablesIn(text: string): string[] {
  return [...text.matchAll(VAR_RE)].map((m) => m[1]!);
}

/** Each substitutable string of a profile with its field name. */
function stringFields(p: Partial<JobProfile>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (typeof p.command === 'string') out.push(['command', p.command]);
  if (Array.isArray(p.args)) p.args.forEach((a, i) => typeof a === 'string' && out.push([`args[${i}]`, a]));
  if (typeof p.cwd === 'string') out.push(['cwd', p.cwd]);
  if (typeof p.outputDir === 'string') out.push(['outputDir', p.outputDir]);
  if (p.env && typeof p.env === 'object' && !Array.isArray(p.env)) {
    for (const [k, v] of Object.entries(p.env)) if (typeof v === 'string') out.push([`env.${k}`, v]);
  }
  if (p.slurm && typeof p.slurm === 'object') {
    for (const key of ['setup', 'extra'] as const) {
      const list = p.slurm[key];
      if (Array.isArray(list)) list.forEach((s, i) => typeof s === 'string' && out.push([`slurm.${key}[${i}]`, s]));
    }
  }
  return out;
}

/** Which `${…}` variables the profile uses (`checkpoint`, `env:HF_TOKEN`, …). */
export function usedVariables(profile: JobProfile): Set<string> {
  const used = new Set<string>();
  for (const [, text] of stringFields(profile)) for (const v of variablesIn(text)) used.add(v);
  return used;
}

/** The step in a checkpoint folder's name: `checkpoint-150`, `global_step_150`, `global_step150` → 150. */
export function checkpointStepOf(checkpoint: string | undefined): number | null {
  if (!checkpoint) return null;
  const base = path.basename(checkpoint.replace(/[\\/]+$/, ''));
  const m = /(?:checkpoint|global_step|step|iter)[-_]?(\d{1,12})$/i.exec(base);
  return m ? Number(m[1]) : null;
}

function withField<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof VariableError) throw new Error(e.describe(field));
    throw e;
  }
}

/** A path made absolute: `~/x` against the home folder, a relative one against the workspace folder. */
function absolutePath(p: string, field: string, workspaceFolder: string | undefined): string {
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(1));
  if (path.isAbsolute(p)) return path.normalize(p);
  if (!workspaceFolder) throw new Error(`${field} "${p}" is a relative path, but no workspace folder is open`);
  return path.resolve(workspaceFolder, p);
}

/**
 * The profile with every variable substituted: what is run. `name` is the task's label; for an eval with a
 * checkpoint, ` (checkpoint-N, dataset)` is appended. Throws an Error naming the field for an unknown or
 * missing variable, or a relative path with no workspace folder.
 */
export function resolveProfile(profile: JobProfile, vars: JobVariables, name: string): ResolvedJob {
  const ws = vars.workspaceFolder || undefined;
  const rawCheckpoint = vars.checkpoint || profile.checkpoint || undefined;
  const checkpoint = rawCheckpoint ? absolutePath(rawCheckpoint, 'checkpoint', ws) : undefined;
  const checkpointStep = vars.checkpointStep !== undefined ? vars.checkpointStep : checkpointStepOf(checkpoint);
  const dataset = vars.dataset ?? profile.dataset ?? profile.datasets?.[0];
  const base: JobVariables = {
    ...(ws !== undefined ? { workspaceFolder: ws } : {}),
    ...(checkpoint !== undefined ? { checkpoint } : {}),
    checkpointStep,
    ...(dataset !== undefined ? { dataset } : {}),
    ...(vars.env ? { env: vars.env } : {}),
  };

  let outputDir: string | null = null;
  if (profile.outputDir) {
    if (variablesIn(profile.outputDir).includes('outputDir')) throw new Error('outputDir uses ${outputDir}, i.e. itself');
    const text = withField('outputDir', () => substitute(profile.outputDir!, base));
    outputDir = absolutePath(text, 'outputDir', ws);
  } else if (vars.outputDir) {
    outputDir = absolutePath(vars.outputDir, 'outputDir', ws);
  }
  const full: JobVariables = { ...base, ...(outputDir !== null ? { outputDir } : {}) };
  const sub = (field: string, text: string): string => withField(field, () => substitute(text, full));

  const command = sub('command', profile.command);
  const args = (profile.args ?? []).map((a, i) => sub(`args[${i}]`, a));
  let cwd: string;
  if (profile.cwd) cwd = absolutePath(sub('cwd', profile.cwd), 'cwd', ws);
  else if (ws) cwd = ws;
  else throw new Error('the job has no working folder: open a workspace folder or set cwd');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(profile.env ?? {})) env[k] = sub(`env.${k}`, v);

  let slurm: SlurmOptions | undefined;
  if (profile.slurm) {
    slurm = { ...profile.slurm };
    if (profile.slurm.setup) slurm.setup = profile.slurm.setup.map((s, i) => sub(`slurm.setup[${i}]`, s));
    if (profile.slurm.extra) slurm.extra = profile.slurm.extra.map((s, i) => sub(`slurm.extra[${i}]`, s));
  }

  let jobName = name;
  if (profile.kind === 'eval' && checkpoint) {
    jobName += ` (${path.basename(checkpoint)}${dataset ? `, ${dataset}` : ''})`;
  }
  return {
    kind: profile.kind,
    backend: profile.backend ?? 'local',
    name: jobName,
    command,
    args,
    cwd,
    env,
    outputDir,
    ...(slurm ? { slurm } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Validation

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** A shell-like split of a command string, for the suggestion in an error (quotes honoured, no expansion). */
export function splitCommandLine(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length && /["\\$`]/.test(text[i + 1]!)) cur += text[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

function suggestion(words: string[]): string {
  const s = JSON.stringify(words);
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

const SHELL_OPERATORS = new Set(['|', '||', '&&', ';', '>', '>>', '<', '2>', '2>&1', '&>', '&', '|&']);
const SLURM_STRINGS = ['partition', 'time', 'account', 'qos', 'mem', 'jobName'] as const;
const SLURM_INTEGERS = ['nodes', 'cpusPerTask'] as const;

/**
 * Checks a task definition. Returns the profile (known fields only) when there are no errors, else null
 * and one message per problem, each naming its field.
 */
export function validateProfile(def: unknown): { profile: JobProfile | null; errors: string[] } {
  const errors: string[] = [];
  if (def === null || typeof def !== 'object' || Array.isArray(def)) {
    return { profile: null, errors: [`the task definition must be an object (got ${describeValue(def)})`] };
  }
  const d = def as Record<string, unknown>;

  if (d.type !== PROFILE_TYPE) errors.push(`type must be "${PROFILE_TYPE}" (got ${describeValue(d.type)})`);
  if (d.kind !== 'train' && d.kind !== 'eval') errors.push(`kind must be "train" or "eval" (got ${describeValue(d.kind)})`);

  if (typeof d.command !== 'string' || d.command.trim() === '') {
    errors.push(`command must be a non-empty string: the program to run (got ${describeValue(d.command)})`);
  } else if (/\s/.test(d.command.trim()) && !/[\\/]/.test(d.command)) {
    const words = splitCommandLine(d.command);
    const more = Array.isArray(d.args) ? d.args.filter((a): a is string => typeof a === 'string') : [];
    errors.push(
      `command must be one program, not a command line: write "command": ${JSON.stringify(words[0] ?? '')}, "args": ${suggestion([...words.slice(1), ...more])}`,
    );
  }

  if (d.args !== undefined) {
    if (typeof d.args === 'string') {
      errors.push(
        `args must be an argument vector (an array of strings), not one string: write "args": ${suggestion(splitCommandLine(d.args))}`,
      );
    } else if (!Array.isArray(d.args)) {
      errors.push(`args must be an array of strings (got ${describeValue(d.args)})`);
    } else {
      d.args.forEach((a, i) => {
        if (typeof a !== 'string') {
          const hint = typeof a === 'number' || typeof a === 'boolean' ? `; write "${String(a)}"` : '';
          errors.push(`args[${i}] must be a string (got ${describeValue(a)})${hint}`);
        } else if (SHELL_OPERATORS.has(a.trim())) {
          errors.push(
            `args[${i}] is "${a.trim()}", but args are passed to the program as they are, not through a shell; for shell syntax use "command": "bash", "args": ["-c", "…"]`,
          );
        }
      });
    }
  }

  for (const key of ['cwd', 'outputDir', 'checkpoint', 'dataset'] as const) {
    const v = d[key];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '')) {
      errors.push(`${key} must be a non-empty string (got ${describeValue(v)})`);
    }
  }

  if (d.env !== undefined) {
    if (d.env === null || typeof d.env !== 'object' || Array.isArray(d.env)) {
      errors.push(`env must be an object of strings (got ${describeValue(d.env)})`);
    } else {
      for (const [k, v] of Object.entries(d.env as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          const hint = typeof v === 'number' || typeof v === 'boolean' ? `; write "${String(v)}"` : '';
          errors.push(`env.${k} must be a string (got ${describeValue(v)})${hint}`);
        }
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) errors.push(`env.${k}: "${k}" is not a valid environment variable name`);
      }
    }
  }

  if (d.backend !== undefined && d.backend !== 'local' && d.backend !== 'slurm') {
    errors.push(`backend must be "local" or "slurm" (got ${describeValue(d.backend)})`);
  }

  if (d.slurm !== undefined) {
    if (d.slurm === null || typeof d.slurm !== 'object' || Array.isArray(d.slurm)) {
      errors.push(`slurm must be an object (got ${describeValue(d.slurm)})`);
    } else {
      const s = d.slurm as Record<string, unknown>;
      for (const key of SLURM_STRINGS) {
        if (s[key] !== undefined && (typeof s[key] !== 'string' || (s[key] as string).trim() === '')) {
          errors.push(`slurm.${key} must be a non-empty string (got ${describeValue(s[key])})`);
        }
      }
      for (const key of SLURM_INTEGERS) {
        const v = s[key];
        if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v > 0)) {
          errors.push(`slurm.${key} must be a positive integer (got ${describeValue(v)})`);
        }
      }
      const g = s.gpus;
      if (g !== undefined && !(typeof g === 'number' && Number.isInteger(g) && g >= 0) && !(typeof g === 'string' && /^(?:[A-Za-z0-9_.-]{1,40}:)?\d{1,4}$/.test(g))) {
        errors.push(`slurm.gpus must be a count or "type:count", e.g. 8 or "a100:8" (got ${describeValue(g)})`);
      }
      for (const key of ['extra', 'setup'] as const) {
        const v = s[key];
        if (v === undefined) continue;
        if (!Array.isArray(v)) errors.push(`slurm.${key} must be an array of strings (got ${describeValue(v)})`);
        else v.forEach((x, i) => typeof x !== 'string' && errors.push(`slurm.${key}[${i}] must be a string (got ${describeValue(x)})`));
      }
    }
  }

  if (d.datasets !== undefined) {
    if (!Array.isArray(d.datasets)) errors.push(`datasets must be an array of strings (got ${describeValue(d.datasets)})`);
    else {
      d.datasets.forEach((x, i) => {
        if (typeof x !== 'string' || x.trim() === '') errors.push(`datasets[${i}] must be a non-empty string (got ${describeValue(x)})`);
      });
    }
  }

  // Variables.
  for (const [field, text] of stringFields(d as Partial<JobProfile>)) {
    for (const name of variablesIn(text)) {
      if (!isKnownName(name)) {
        errors.push(`${field} uses \${${name}}, which is not a variable Rollout Lens knows (known: ${knownList()})`);
      } else if (field === 'outputDir' && name === 'outputDir') {
        errors.push('outputDir uses ${outputDir}, i.e. itself');
      }
    }
  }

  if (errors.length) return { profile: null, errors };

  const profile: JobProfile = { type: PROFILE_TYPE, kind: d.kind as JobKind, command: d.command as string };
  if (d.args !== undefined) profile.args = [...(d.args as string[])];
  for (const key of ['cwd', 'outputDir', 'checkpoint', 'dataset'] as const) {
    if (typeof d[key] === 'string') profile[key] = d[key] as string;
  }
  if (d.env !== undefined) profile.env = { ...(d.env as Record<string, string>) };
  if (d.backend !== undefined) profile.backend = d.backend as JobBackendKind;
  if (d.slurm !== undefined) {
    const s = d.slurm as SlurmOptions;
    const slurm: SlurmOptions = {};
    for (const key of SLURM_STRINGS) if (s[key] !== undefined) slurm[key] = s[key];
    for (const key of SLURM_INTEGERS) if (s[key] !== undefined) slurm[key] = s[key];
    if (s.gpus !== undefined) slurm.gpus = s.gpus;
    if (s.extra !== undefined) slurm.extra = [...s.extra];
    if (s.setup !== undefined) slurm.setup = [...s.setup];
    profile.slurm = slurm;
  }
  if (d.datasets !== undefined) profile.datasets = [...(d.datasets as string[])];
  return { profile, errors: [] };
}

/**
 * The template placeholders (`<your-dataset>`) still in a profile, as `field: placeholder`, so a launch can
 * say what to edit first.
 */
export function placeholdersIn(profile: JobProfile): string[] {
  const out: string[] = [];
  const fields = stringFields(profile);
  for (const key of ['partition', 'account', 'qos', 'jobName'] as const) {
    const v = profile.slurm?.[key];
    if (typeof v === 'string') fields.push([`slurm.${key}`, v]);
  }
  (profile.datasets ?? []).forEach((x, i) => fields.push([`datasets[${i}]`, x]));
  for (const [field, text] of fields) {
    for (const m of text.matchAll(/<your[-_ ][^<>\s]{1,40}>/gi)) out.push(`${field}: ${m[0]}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Templates

export interface JobTemplate {
  id: string;
  label: string;
  description: string;
  framework: string;
  /** A tasks.json task object. */
  task: Record<string, unknown>;
}

const MODEL = 'Qwen/Qwen2.5-VL-3B-Instruct';

const VLM_R1_ARGS: readonly string[] = [
  '--nproc_per_node=8',
  '--nnodes=1',
  '--node_rank=0',
  '--master_addr=127.0.0.1',
  '--master_port=12349',
  'src/open_r1/grpo_jsonl.py',
  '--deepspeed', 'local_scripts/zero3.json',
  '--output_dir', '${outputDir}',
  '--model_name_or_path', MODEL,
  '--data_file_paths', '<your-data.jsonl>',
  '--image_folders', '<your-image-folder>',
  '--is_reward_customized_from_vlm_module', 'True',
  '--task_type', 'rec',
  '--per_device_train_batch_size', '8',
  '--gradient_accumulation_steps', '2',
  '--gradient_checkpointing', 'true',
  '--logging_steps', '1',
  '--num_train_epochs', '2',
  '--bf16',
  '--attn_implementation', 'flash_attention_2',
  '--run_name', 'vlm-r1-rec',
  '--data_seed', '42',
  '--save_steps', '100',
  '--num_generations', '8',
  '--max_completion_length', '2048',
  '--reward_funcs', 'accuracy', 'format',
  '--beta', '0.04',
  '--report_to', 'none',
  '--dataset-name', 'this_is_not_used',
];

const VLM_R1_ENV = { DEBUG_MODE: 'true', LOG_PATH: '${outputDir}/debug_log.txt' };

/** Ready-made tasks.json entries; `<your-…>` marks what to edit (see placeholdersIn). */
export const JOB_TEMPLATES: readonly JobTemplate[] = [
  {
    id: 'trl-grpo',
    label: 'GRPO with TRL GRPOTrainer',
    framework: 'TRL',
    description:
      'accelerate launch of your TRL script (train_grpo.py, e.g. based on TRL\'s examples/scripts/grpo_vlm.py, parsing GRPOConfig). With --log_completions true, TRL ≥ 0.28 writes <output_dir>/completions/completions_<step>.parquet; older TRL only logs them to wandb (use --report_to wandb with WANDB_MODE=offline).',
    task: {
      label: 'GRPO (TRL): train',
      type: PROFILE_TYPE,
      kind: 'train',
      command: 'accelerate',
      args: [
        'launch', 'train_grpo.py',
        '--model_name_or_path', MODEL,
        '--dataset_name', '<your-dataset>',
        '--output_dir', '${outputDir}',
        '--num_generations', '8',
        '--per_device_train_batch_size', '8',
        '--max_completion_length', '1024',
        '--learning_rate', '1e-6',
        '--bf16', 'true',
        '--logging_steps', '1',
        '--save_steps', '100',
        '--log_completions', 'true',
        '--report_to', 'none',
      ],
      cwd: '${workspaceFolder}',
      outputDir: 'runs/trl-grpo',
      problemMatcher: [],
    },
  },
  {
    id: 'vlm-r1-grpo',
    label: 'GRPO with VLM-R1 (grpo_jsonl.py)',
    framework: 'VLM-R1',
    description:
      'torchrun of VLM-R1\'s src/open_r1/grpo_jsonl.py (run from src/open-r1-multimodal, as run_scripts/run_grpo_rec.sh does). DEBUG_MODE=true and LOG_PATH make the reward functions append every completion to debug_log.txt (and debug_log_format.txt) in the output folder; checkpoint-N folders go there too.',
    task: {
      label: 'GRPO (VLM-R1): train',
      type: PROFILE_TYPE,
      kind: 'train',
      command: 'torchrun',
      args: [...VLM_R1_ARGS],
      cwd: '${workspaceFolder}/src/open-r1-multimodal',
      env: { ...VLM_R1_ENV },
      outputDir: 'runs/vlm-r1-rec',
      problemMatcher: [],
    },
  },
  {
    id: 'verl-grpo',
    label: 'GRPO with verl (main_ppo)',
    framework: 'verl',
    description:
      'python3 -m verl.trainer.main_ppo with algorithm.adv_estimator=grpo. trainer.rollout_data_dir makes verl write <dir>/<step>.jsonl per training step (validation_data_dir the same for validation); checkpoints go to global_step_N under default_local_dir. The "file" logger writes metrics to VERL_FILE_LOGGER_PATH (drop it from trainer.logger on verl versions without it).',
    task: {
      label: 'GRPO (verl): train',
      type: PROFILE_TYPE,
      kind: 'train',
      command: 'python3',
      args: [
        '-m', 'verl.trainer.main_ppo',
        'algorithm.adv_estimator=grpo',
        'data.train_files=<your-data>/train.parquet',
        'data.val_files=<your-data>/test.parquet',
        'data.train_batch_size=512',
        'data.max_prompt_length=1024',
        'data.max_response_length=2048',
        'data.image_key=images',
        `actor_rollout_ref.model.path=${MODEL}`,
        'actor_rollout_ref.actor.optim.lr=1e-6',
        'actor_rollout_ref.actor.ppo_mini_batch_size=128',
        'actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=8',
        'actor_rollout_ref.actor.use_kl_loss=True',
        'actor_rollout_ref.actor.kl_loss_coef=0.01',
        'actor_rollout_ref.rollout.name=vllm',
        'actor_rollout_ref.rollout.n=8',
        'actor_rollout_ref.rollout.tensor_model_parallel_size=1',
        'actor_rollout_ref.rollout.gpu_memory_utilization=0.6',
        'actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=16',
        'actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=16',
        'algorithm.use_kl_in_reward=False',
        'trainer.logger=[console,file]',
        'trainer.project_name=rollout-lens',
        'trainer.experiment_name=verl-grpo',
        'trainer.n_gpus_per_node=8',
        'trainer.nnodes=1',
        'trainer.save_freq=20',
        'trainer.test_freq=5',
        'trainer.total_epochs=15',
        'trainer.rollout_data_dir=${outputDir}/rollouts',
        'trainer.validation_data_dir=${outputDir}/validation',
        'trainer.default_local_dir=${outputDir}/checkpoints',
      ],
      cwd: '${workspaceFolder}',
      env: { VERL_FILE_LOGGER_PATH: '${outputDir}/metrics.jsonl' },
      outputDir: 'runs/verl-grpo',
      problemMatcher: [],
    },
  },
  {
    id: 'swift-grpo',
    label: 'GRPO with ms-swift (swift rlhf)',
    framework: 'ms-swift',
    description:
      'swift rlhf --rlhf_type grpo. With --log_completions true ms-swift appends one line per logging step to <output_dir>/completions.jsonl (--add_version false keeps it out of a v0-<timestamp> subfolder). The built-in accuracy reward is for math answers: add your grounding reward with --external_plugins.',
    task: {
      label: 'GRPO (ms-swift): train',
      type: PROFILE_TYPE,
      kind: 'train',
      command: 'swift',
      args: [
        'rlhf',
        '--rlhf_type', 'grpo',
        '--model', MODEL,
        '--dataset', '<your-dataset>',
        '--reward_funcs', 'accuracy', 'format',
        '--train_type', 'full',
        '--torch_dtype', 'bfloat16',
        '--num_generations', '8',
        '--per_device_train_batch_size', '8',
        '--gradient_accumulation_steps', '2',
        '--max_completion_length', '1024',
        '--learning_rate', '1e-6',
        '--num_train_epochs', '1',
        '--logging_steps', '1',
        '--save_steps', '100',
        '--deepspeed', 'zero3',
        '--log_completions', 'true',
        '--report_to', 'tensorboard',
        '--add_version', 'false',
        '--output_dir', '${outputDir}',
      ],
      cwd: '${workspaceFolder}',
      env: { NPROC_PER_NODE: '8', MAX_PIXELS: '1003520' },
      outputDir: 'runs/swift-grpo',
      problemMatcher: [],
    },
  },
  {
    id: 'eval-checkpoint',
    label: 'Evaluate a checkpoint',
    framework: 'any',
    description:
      'Runs your eval script on the checkpoint and dataset chosen at launch and writes <checkpoint>/eval/<dataset>.eval.jsonl, which the runs tree and Compare Checkpoints pick up.',
    task: {
      label: 'Eval: checkpoint',
      type: PROFILE_TYPE,
      kind: 'eval',
      command: 'python',
      args: [
        'eval.py',
        '--checkpoint', '${checkpoint}',
        '--dataset', '${dataset}',
        '--output', '${checkpoint}/eval/${dataset}.eval.jsonl',
      ],
      cwd: '${workspaceFolder}',
      datasets: ['refcoco_val', 'refcocog_test', '<your-dataset>'],
      outputDir: '${checkpoint}/eval',
      problemMatcher: [],
    },
  },
  {
    id: 'vlm-r1-grpo-slurm',
    label: 'GRPO with VLM-R1 on Slurm',
    framework: 'VLM-R1',
    description:
      'The VLM-R1 template submitted with sbatch (one node, 8 GPUs). Fill in the partition and account; setup lines run in the batch script before torchrun.',
    task: {
      label: 'GRPO (VLM-R1): train on Slurm',
      type: PROFILE_TYPE,
      kind: 'train',
      backend: 'slurm',
      command: 'torchrun',
      args: [...VLM_R1_ARGS],
      cwd: '${workspaceFolder}/src/open-r1-multimodal',
      env: { ...VLM_R1_ENV },
      outputDir: 'runs/vlm-r1-rec',
      slurm: {
        partition: '<your-partition>',
        account: '<your-account>',
        gpus: 8,
        nodes: 1,
        cpusPerTask: 32,
        mem: '256G',
        time: '24:00:00',
        setup: ['source <your-venv>/bin/activate'],
      },
      problemMatcher: [],
    },
  },
];

// ---------------------------------------------------------------------------------------------------------
// tasks.json

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}, column ${col}`;
}

function labelsOf(tasks: JsonNode | undefined): Set<string> {
  const labels = new Set<string>();
  for (const t of tasks?.children ?? []) {
    if (t.type !== 'object') continue;
    const l = findNodeAtLocation(t, ['label']);
    if (l && typeof l.value === 'string') labels.add(l.value);
  }
  return labels;
}

/**
 * tasks.json text with `task` appended to `tasks` (comments and formatting kept). A new file
 * (`{"version": "2.0.0", "tasks": []}`) when `text` is null or blank. A label already in use gets
 * ` (2)`, ` (3)`…. Throws, changing nothing, when the text is not JSON with comments, the top level is not
 * an object, or `tasks` is not an array.
 */
export function addTaskToTasksJson(text: string | null, task: Record<string, unknown>): { text: string; label: string } {
  const bom = text?.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = bom ? text!.slice(1) : text ?? '';
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const src = body.trim() ? body : `{${eol}  "version": "2.0.0",${eol}  "tasks": []${eol}}${eol}`;

  const errors: ParseError[] = [];
  const root = parseTree(src, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length || !root) {
    const e = errors[0];
    const where = e ? ` (${printParseErrorCode(e.error)} at ${lineColumn(src, e.offset)})` : '';
    throw new Error(`tasks.json is not valid JSON with comments${where}; fix it first, nothing was changed`);
  }
  if (root.type !== 'object') throw new Error('tasks.json does not hold an object at the top level; nothing was changed');
  const tasks = findNodeAtLocation(root, ['tasks']);
  if (tasks && tasks.type !== 'array') {
    throw new Error(`"tasks" in tasks.json is not an array (it is ${tasks.type === 'object' ? 'an object' : `a ${tasks.type}`}); nothing was changed`);
  }

  const used = labelsOf(tasks);
  const base = typeof task.label === 'string' && task.label.trim() ? task.label.trim() : 'Rollout Lens job';
  let label = base;
  for (let n = 2; used.has(label); n++) label = `${base} (${n})`;
  const rest: Record<string, unknown> = { ...task };
  delete rest.label;
  const entry = JSON.parse(JSON.stringify({ label, ...rest })) as Record<string, unknown>;

  const formattingOptions = { tabSize: 2, insertSpaces: true, eol };
  const edits = tasks
    ? modify(src, ['tasks', -1], entry, { formattingOptions, isArrayInsertion: true })
    : modify(src, ['tasks'], [entry], { formattingOptions });
  return { text: bom + applyEdits(src, edits), label };
}

// ---------------------------------------------------------------------------------------------------------
// Display

/**
 * One line describing a resolved job, secrets redacted: `[train · local] accelerate launch … · cwd … ·
 * env A=1 HF_TOKEN=*** · output …` (line breaks inside arguments shown as `\n`).
 */
export function profileSummary(job: ResolvedJob): string {
  // Redacted words are shown as a bare `***` (this line is for reading, not for pasting into a shell).
  const words = [commandLine(job.command, [], 'posix'), ...redactArgs(job.args).map((a) => (a === '***' ? a : quoteArg(a, 'posix')))];
  const cmd = redactText(words.join(' '), job.env);
  const parts = [`[${job.kind} · ${job.backend}] ${cmd}`, `cwd ${quoteArg(job.cwd, 'posix')}`];
  const env = Object.entries(redactEnv(job.env));
  if (env.length) {
    parts.push(`env ${env.map(([k, v]) => `${k}=${v === '***' ? v : redactText(quoteArg(v, 'posix'), job.env)}`).join(' ')}`);
  }
  if (job.outputDir) parts.push(`output ${quoteArg(job.outputDir, 'posix')}`);
  if (job.backend === 'slurm' && job.slurm) {
    const s = job.slurm;
    const opts = [
      s.partition && `partition=${s.partition}`,
      s.account && `account=${s.account}`,
      s.gpus !== undefined && `gpus=${s.gpus}`,
      s.nodes !== undefined && `nodes=${s.nodes}`,
      s.time && `time=${s.time}`,
    ].filter(Boolean);
    if (opts.length) parts.push(`slurm ${opts.join(' ')}`);
  }
  return parts.join(' · ').replace(/\r\n|\r|\n/g, '\\n');
}
