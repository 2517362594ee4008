import { strict as assert } from 'assert';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { parse as parseJsonc } from 'jsonc-parser';
import {
  JOB_TEMPLATES,
  VariableError,
  addTaskToTasksJson,
  checkpointStepOf,
  placeholdersIn,
  profileSummary,
  resolveProfile,
  splitCommandLine,
  substitute,
  usedVariables,
  validateProfile,
} from '../../extension/core/jobs/profile';
import type { JobProfile, JobVariables } from '../../extension/core/jobs/types';

const WS = path.resolve(os.tmpdir(), 'rl-ws');
const CKPT = path.join(WS, 'runs', 'a', 'checkpoint-150');

function base(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'rollout-lens', kind: 'train', command: 'python', args: ['train.py'], ...over };
}

function errorsOf(def: unknown): string[] {
  return validateProfile(def).errors;
}

function profile(over: Partial<JobProfile> = {}): JobProfile {
  return { type: 'rollout-lens', kind: 'train', command: 'python', args: ['train.py'], ...over };
}

/** A template's task as VS Code hands it over: without the tasks.json-only fields. */
function definitionOf(task: Record<string, unknown>): Record<string, unknown> {
  const { label: _l, problemMatcher: _p, ...def } = task;
  return def;
}

describe('jobs profile: validateProfile', () => {
  it('accepts a minimal profile and keeps only known fields', () => {
    const r = validateProfile({ ...base(), label: 'x', problemMatcher: [], group: 'build', extra: 1 });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.profile, { type: 'rollout-lens', kind: 'train', command: 'python', args: ['train.py'] });
  });

  it('accepts every field', () => {
    const def = base({
      cwd: '${workspaceFolder}/src',
      env: { A: '1' },
      outputDir: 'runs/x',
      backend: 'slurm',
      slurm: { partition: 'gpu', gpus: 'a100:8', time: '1-00:00:00', account: 'lab', qos: 'high', nodes: 2, cpusPerTask: 16, mem: '64G', jobName: 'j', extra: ['--constraint=a100'], setup: ['module load cuda'] },
      datasets: ['a', 'b'],
      checkpoint: 'runs/x/checkpoint-5',
      dataset: 'a',
    });
    const r = validateProfile(def);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.profile, def);
  });

  it('rejects a non-object', () => {
    for (const d of [null, 'python train.py', [1], 3]) assert.match(errorsOf(d)[0]!, /^the task definition must be an object/);
  });

  it('names the field of each problem', () => {
    const errs = errorsOf({
      type: 'shell',
      kind: 'infer',
      command: '',
      cwd: 3,
      outputDir: '',
      env: { WANDB_MODE: 1, DEBUG_MODE: true, OK: 'x', 'BAD NAME': 'v' },
      backend: 'k8s',
      slurm: { partition: 5, gpus: 'lots', nodes: 0, cpusPerTask: 1.5, extra: '--x', setup: ['ok', 3] },
      datasets: ['a', ''],
    });
    const want = [
      /^type must be "rollout-lens" \(got the string "shell"\)$/,
      /^kind must be "train" or "eval" \(got the string "infer"\)$/,
      /^command must be a non-empty string/,
      /^cwd must be a non-empty string \(got number 3\)$/,
      /^outputDir must be a non-empty string/,
      /^env\.WANDB_MODE must be a string \(got number 1\); write "1"$/,
      /^env\.DEBUG_MODE must be a string \(got boolean true\); write "true"$/,
      /^env\.BAD NAME: "BAD NAME" is not a valid environment variable name$/,
      /^backend must be "local" or "slurm"/,
      /^slurm\.partition must be a non-empty string \(got number 5\)$/,
      /^slurm\.nodes must be a positive integer \(got number 0\)$/,
      /^slurm\.cpusPerTask must be a positive integer/,
      /^slurm\.gpus must be a count or "type:count"/,
      /^slurm\.extra must be an array of strings/,
      /^slurm\.setup\[1\] must be a string \(got number 3\)$/,
      /^datasets\[1\] must be a non-empty string/,
    ];
    assert.equal(errs.length, want.length, errs.join('\n'));
    for (const re of want) assert.ok(errs.some((e) => re.test(e)), `${re} in\n${errs.join('\n')}`);
    assert.equal(validateProfile({ type: 'shell' }).profile, null);
  });

  it('args as one string: says it must be an argument vector and shows the split', () => {
    const errs = errorsOf(base({ args: 'train.py --lr 1e-6 --name "my run"' }));
    assert.deepEqual(errs, ['args must be an argument vector (an array of strings), not one string: write "args": ["train.py","--lr","1e-6","--name","my run"]']);
  });

  it('a command line in command: shows command and args', () => {
    assert.deepEqual(errorsOf({ type: 'rollout-lens', kind: 'train', command: 'python train.py --x 1' }), [
      'command must be one program, not a command line: write "command": "python", "args": ["train.py","--x","1"]',
    ]);
    // A path with spaces is a program.
    assert.deepEqual(errorsOf(base({ command: 'C:\\Program Files\\Python\\python.exe' })), []);
  });

  it('args elements: numbers get a hint, shell operators are explained', () => {
    assert.deepEqual(errorsOf(base({ args: ['train.py', '--n', 8, '|', 'tee', 'log'] })), [
      'args[2] must be a string (got number 8); write "8"',
      'args[3] is "|", but args are passed to the program as they are, not through a shell; for shell syntax use "command": "bash", "args": ["-c", "…"]',
    ]);
    assert.match(errorsOf(base({ args: { a: 1 } }))[0]!, /^args must be an array of strings \(got an object\)$/);
  });

  it('unknown variables and outputDir using itself', () => {
    assert.deepEqual(errorsOf(base({ args: ['train.py', '${ckpt}'], outputDir: '${outputDir}/x', env: { A: '${env:}' } })), [
      'args[1] uses ${ckpt}, which is not a variable Rollout Lens knows (known: ${workspaceFolder}, ${checkpoint}, ${checkpointStep}, ${dataset}, ${outputDir}, ${env:NAME}, ${userHome}, ${pathSeparator})',
      'outputDir uses ${outputDir}, i.e. itself',
      'env.A uses ${env:}, which is not a variable Rollout Lens knows (known: ${workspaceFolder}, ${checkpoint}, ${checkpointStep}, ${dataset}, ${outputDir}, ${env:NAME}, ${userHome}, ${pathSeparator})',
    ]);
  });
});

describe('jobs profile: variables', () => {
  it('usedVariables lists every ${…} of the substituted fields', () => {
    const p = profile({
      command: '${workspaceFolder}/run.sh',
      args: ['${checkpoint}', '--x=${env:HF_HOME}'],
      cwd: '${userHome}',
      env: { A: '${outputDir}' },
      outputDir: 'runs/${dataset}',
      slurm: { setup: ['cd ${pathSeparator}'], extra: ['--comment=${checkpointStep}'] },
    });
    assert.deepEqual([...usedVariables(p)].sort(), ['checkpoint', 'checkpointStep', 'dataset', 'env:HF_HOME', 'outputDir', 'pathSeparator', 'userHome', 'workspaceFolder']);
  });

  it('substitute replaces in one pass and never expands a value again', () => {
    const vars: JobVariables = { dataset: '${env:HOME}', checkpoint: '$(rm -rf ~)', env: { HOME: '/home/u', X: '${dataset}' } };
    assert.equal(substitute('${dataset}|${checkpoint}|${env:X}|${env:HOME}', vars), '${env:HOME}|$(rm -rf ~)|${dataset}|/home/u');
    assert.equal(substitute('$HOME ${ and $', vars), '$HOME ${ and $');
    assert.equal(substitute('${userHome}${pathSeparator}${/}', {}), `${os.homedir()}${path.sep}${path.sep}`);
  });

  it('substitute throws a VariableError for missing and unknown variables', () => {
    assert.throws(() => substitute('${checkpoint}', {}), (e: unknown) => e instanceof VariableError && e.message === '${checkpoint} is used, but no checkpoint was chosen');
    assert.throws(() => substitute('${env:NOPE}', { env: {} }), /but the environment variable NOPE is not set/);
    assert.throws(() => substitute('${file}', {}), /\$\{file\} is used, which is not a variable Rollout Lens knows/);
    assert.throws(() => substitute('${checkpointStep}', { checkpoint: '/x/final' }), /the step of the checkpoint final is not known/);
    assert.throws(() => substitute('${dataset}', {}), /no dataset was chosen/);
    assert.throws(() => substitute('${workspaceFolder}', {}), /no workspace folder is open/);
  });

  it('substitution is a plain one-pass replacement (property)', () => {
    const value = fc.string({ unit: fc.constantFrom(...'${}:abc$()`\\ '), maxLength: 16 });
    fc.assert(
      fc.property(value, value, (dataset, checkpoint) => {
        const out = substitute('[${dataset}][${checkpoint}]', { dataset: dataset || 'd', checkpoint: checkpoint || 'c' });
        assert.equal(out, `[${dataset || 'd'}][${checkpoint || 'c'}]`);
      }),
    );
  });

  it('checkpointStepOf', () => {
    assert.equal(checkpointStepOf('/r/checkpoint-150'), 150);
    assert.equal(checkpointStepOf('/r/checkpoint-150/'), 150);
    assert.equal(checkpointStepOf('/r/global_step_40'), 40);
    assert.equal(checkpointStepOf('global_step40'), 40);
    assert.equal(checkpointStepOf('/r/final'), null);
    assert.equal(checkpointStepOf(undefined), null);
  });
});

describe('jobs profile: resolveProfile', () => {
  const vars: JobVariables = { workspaceFolder: WS, env: { HF_HOME: '/cache/hf' } };

  it('substitutes every field, outputDir first, paths made absolute', () => {
    const job = resolveProfile(
      profile({
        command: 'torchrun',
        args: ['--nproc_per_node=8', 'src/open_r1/grpo_jsonl.py', '--output_dir', '${outputDir}', '--cache', '${env:HF_HOME}'],
        cwd: 'src/open-r1-multimodal',
        env: { DEBUG_MODE: 'true', LOG_PATH: '${outputDir}/debug_log.txt' },
        outputDir: 'runs/${env:USER_RUN}',
        backend: 'slurm',
        slurm: { partition: 'gpu', setup: ['cd ${workspaceFolder}'], extra: ['--output=${outputDir}/slurm-%j.out'] },
      }),
      { ...vars, env: { ...vars.env, USER_RUN: 'exp1' } },
      'GRPO',
    );
    const out = path.join(WS, 'runs', 'exp1');
    assert.deepEqual(job, {
      kind: 'train',
      backend: 'slurm',
      name: 'GRPO',
      command: 'torchrun',
      args: ['--nproc_per_node=8', 'src/open_r1/grpo_jsonl.py', '--output_dir', out, '--cache', '/cache/hf'],
      cwd: path.join(WS, 'src', 'open-r1-multimodal'),
      env: { DEBUG_MODE: 'true', LOG_PATH: `${out}/debug_log.txt` },
      outputDir: out,
      slurm: { partition: 'gpu', setup: [`cd ${WS}`], extra: [`--output=${out}/slurm-%j.out`] },
    });
  });

  it('defaults: backend local, cwd the workspace folder, no outputDir', () => {
    const job = resolveProfile(profile(), vars, 'x');
    assert.equal(job.backend, 'local');
    assert.equal(job.cwd, WS);
    assert.equal(job.outputDir, null);
    assert.deepEqual(job.env, {});
    assert.equal('slurm' in job, false);
  });

  it('a missing checkpoint names the field and the variable', () => {
    assert.throws(
      () => resolveProfile(profile({ args: ['eval.py', '--a', 'b', '${checkpoint}'] }), vars, 'x'),
      (e: unknown) => e instanceof Error && e.message === 'args[3] uses ${checkpoint}, but no checkpoint was chosen',
    );
    assert.throws(() => resolveProfile(profile({ env: { T: '${env:HF_TOKEN}' } }), vars, 'x'), /^Error: env\.T uses \$\{env:HF_TOKEN\}, but the environment variable HF_TOKEN is not set$/);
    assert.throws(() => resolveProfile(profile({ args: ['${outputDir}'] }), vars, 'x'), /^Error: args\[0\] uses \$\{outputDir\}, but the profile has no outputDir$/);
    assert.throws(() => resolveProfile(profile({ slurm: { setup: ['${nope}'] } }), vars, 'x'), /^Error: slurm\.setup\[0\] uses \$\{nope\}, which is not a variable/);
    assert.throws(() => resolveProfile(profile({ outputDir: 'runs/${outputDir}' }), vars, 'x'), /outputDir uses \$\{outputDir\}, i\.e\. itself/);
  });

  it('needs a workspace folder for relative paths and the default cwd', () => {
    assert.throws(() => resolveProfile(profile(), {}, 'x'), /no working folder: open a workspace folder or set cwd/);
    assert.throws(() => resolveProfile(profile({ cwd: 'src' }), {}, 'x'), /cwd "src" is a relative path, but no workspace folder is open/);
    const abs = path.resolve(os.tmpdir(), 'elsewhere');
    assert.equal(resolveProfile(profile({ cwd: abs }), {}, 'x').cwd, abs);
    assert.equal(resolveProfile(profile({ outputDir: '~/runs/a' }), vars, 'x').outputDir, path.join(os.homedir(), 'runs', 'a'));
  });

  it('eval: checkpoint and dataset defaults, step from the folder name, name with the checkpoint', () => {
    const p = profile({
      kind: 'eval',
      args: ['eval.py', '--checkpoint', '${checkpoint}', '--step', '${checkpointStep}', '--dataset', '${dataset}', '--output', '${checkpoint}/eval/${dataset}.eval.jsonl'],
      datasets: ['refcoco_val', 'refcocog_test'],
      outputDir: '${checkpoint}/eval',
      checkpoint: 'runs/a/checkpoint-150',
    });
    const job = resolveProfile(p, vars, 'Eval');
    assert.deepEqual(job.args, ['eval.py', '--checkpoint', CKPT, '--step', '150', '--dataset', 'refcoco_val', '--output', `${CKPT}/eval/refcoco_val.eval.jsonl`]);
    assert.equal(job.outputDir, path.join(CKPT, 'eval'));
    assert.equal(job.name, 'Eval (checkpoint-150, refcoco_val)');
    // The launch's choices win over the profile's defaults; a dataset value is literal.
    const other = resolveProfile(p, { ...vars, checkpoint: '/abs/global_step_40', dataset: '$(id)' }, 'Eval');
    assert.deepEqual(other.args.slice(0, 6), ['eval.py', '--checkpoint', path.normalize('/abs/global_step_40'), '--step', '40', '--dataset']);
    assert.equal(other.args[6], '$(id)');
    // An explicit step (null) is not overridden by the folder name.
    assert.throws(() => resolveProfile(p, { ...vars, checkpointStep: null }, 'Eval'), /args\[4\] uses \$\{checkpointStep\}, but the step of the checkpoint checkpoint-150 is not known/);
  });

  it('falls back to the launch outputDir when the profile has none', () => {
    const job = resolveProfile(profile({ args: ['--out', '${outputDir}'] }), { ...vars, outputDir: 'runs/b' }, 'x');
    assert.equal(job.outputDir, path.join(WS, 'runs', 'b'));
    assert.deepEqual(job.args, ['--out', path.join(WS, 'runs', 'b')]);
  });
});

describe('jobs profile: templates', () => {
  it('has the six templates with unique ids', () => {
    assert.deepEqual(JOB_TEMPLATES.map((t) => t.id), ['trl-grpo', 'vlm-r1-grpo', 'verl-grpo', 'swift-grpo', 'eval-checkpoint', 'vlm-r1-grpo-slurm']);
    for (const t of JOB_TEMPLATES) {
      assert.ok(t.label && t.description && t.framework);
      assert.equal(t.task.type, 'rollout-lens');
      assert.deepEqual(t.task.problemMatcher, []);
      assert.equal(typeof t.task.label, 'string');
    }
  });

  for (const t of JOB_TEMPLATES) {
    it(`${t.id}: validates, resolves, and marks what to edit`, () => {
      const { profile: p, errors } = validateProfile(definitionOf(t.task));
      assert.deepEqual(errors, []);
      assert.ok(p);
      const job = resolveProfile(p, { workspaceFolder: WS, checkpoint: CKPT, env: {} }, t.task.label as string);
      assert.ok(path.isAbsolute(job.cwd));
      assert.ok(job.outputDir && path.isAbsolute(job.outputDir));
      assert.ok(!job.args.some((a) => a.includes('${')), job.args.join(' '));
      if (t.id !== 'eval-checkpoint') assert.ok(placeholdersIn(p).length > 0, 'has <your-…> placeholders');
      assert.doesNotMatch(JSON.stringify(t.task), /\/home\/|\/Users\/|C:\\\\/);
    });
  }

  it('turn on the rollout logs each framework needs (formats.md)', () => {
    const get = (id: string) => resolveProfile(validateProfile(definitionOf(JOB_TEMPLATES.find((t) => t.id === id)!.task)).profile!, { workspaceFolder: WS, checkpoint: CKPT, env: {} }, id);
    const pair = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

    const trl = get('trl-grpo');
    assert.deepEqual([trl.command, ...trl.args.slice(0, 2)], ['accelerate', 'launch', 'train_grpo.py']);
    assert.equal(pair(trl.args, '--log_completions'), 'true');
    assert.equal(pair(trl.args, '--output_dir'), trl.outputDir);
    assert.equal(pair(trl.args, '--num_generations'), '8');
    assert.equal(pair(trl.args, '--model_name_or_path'), 'Qwen/Qwen2.5-VL-3B-Instruct');

    const r1 = get('vlm-r1-grpo');
    assert.equal(r1.command, 'torchrun');
    assert.ok(r1.args.includes('--nproc_per_node=8') && r1.args.includes('src/open_r1/grpo_jsonl.py'));
    assert.equal(r1.env.DEBUG_MODE, 'true');
    assert.equal(r1.env.LOG_PATH, `${r1.outputDir}/debug_log.txt`);
    assert.equal(r1.cwd, path.join(WS, 'src', 'open-r1-multimodal'));

    const verl = get('verl-grpo');
    assert.deepEqual([verl.command, ...verl.args.slice(0, 3)], ['python3', '-m', 'verl.trainer.main_ppo', 'algorithm.adv_estimator=grpo']);
    assert.ok(verl.args.includes(`trainer.rollout_data_dir=${verl.outputDir}/rollouts`));
    assert.ok(verl.args.includes(`trainer.default_local_dir=${verl.outputDir}/checkpoints`));

    const swift = get('swift-grpo');
    assert.deepEqual([swift.command, ...swift.args.slice(0, 3)], ['swift', 'rlhf', '--rlhf_type', 'grpo']);
    assert.equal(pair(swift.args, '--log_completions'), 'true');
    assert.equal(pair(swift.args, '--add_version'), 'false');
    assert.equal(pair(swift.args, '--output_dir'), swift.outputDir);

    const ev = get('eval-checkpoint');
    assert.equal(ev.kind, 'eval');
    assert.deepEqual(ev.args, ['eval.py', '--checkpoint', CKPT, '--dataset', 'refcoco_val', '--output', `${CKPT}/eval/refcoco_val.eval.jsonl`]);

    const slurm = get('vlm-r1-grpo-slurm');
    assert.equal(slurm.backend, 'slurm');
    assert.deepEqual(slurm.args, r1.args);
    assert.equal(slurm.slurm?.gpus, 8);
    assert.deepEqual(placeholdersIn(validateProfile(definitionOf(JOB_TEMPLATES[5]!.task)).profile!).filter((s) => s.startsWith('slurm')), [
      'slurm.setup[0]: <your-venv>',
      'slurm.partition: <your-partition>',
      'slurm.account: <your-account>',
    ]);
  });

  it('the eval template needs a checkpoint', () => {
    const p = validateProfile(definitionOf(JOB_TEMPLATES.find((t) => t.id === 'eval-checkpoint')!.task)).profile!;
    assert.throws(() => resolveProfile(p, { workspaceFolder: WS }, 'Eval'), /^Error: outputDir uses \$\{checkpoint\}, but no checkpoint was chosen$/);
  });
});

describe('jobs profile: addTaskToTasksJson', () => {
  const task = { label: 'GRPO (TRL): train', type: 'rollout-lens', kind: 'train', command: 'python', args: ['a.py'], problemMatcher: [] };

  it('creates tasks.json when there is none', () => {
    for (const text of [null, '', '  \n']) {
      const r = addTaskToTasksJson(text, task);
      assert.equal(r.label, 'GRPO (TRL): train');
      assert.deepEqual(JSON.parse(r.text), { version: '2.0.0', tasks: [task] });
      assert.match(r.text, /^\{\n {2}"version": "2.0.0",\n {2}"tasks": \[\n {4}\{\n {6}"label": "GRPO \(TRL\): train",/);
    }
  });

  it('appends, keeping comments and formatting, and numbers duplicate labels', () => {
    const text = [
      '// See https://go.microsoft.com/fwlink/?LinkId=733558',
      '{',
      '  "version": "2.0.0",',
      '  /* my tasks */',
      '  "tasks": [',
      '    {',
      '      "label": "build", // keep me',
      '      "type": "shell",',
      '      "command": "make"',
      '    },',
      '    { "label": "GRPO (TRL): train", "type": "rollout-lens", "kind": "train", "command": "x" },',
      '    { "label": "GRPO (TRL): train (2)", "type": "rollout-lens", "kind": "train", "command": "x" },',
      '  ],',
      '}',
      '',
    ].join('\n');
    const r = addTaskToTasksJson(text, task);
    assert.equal(r.label, 'GRPO (TRL): train (3)');
    assert.ok(r.text.startsWith(text.slice(0, text.indexOf('"command": "make"'))));
    for (const c of ['// See https://go.microsoft.com/fwlink/?LinkId=733558', '/* my tasks */', '// keep me']) assert.ok(r.text.includes(c), c);
    const parsed = parseJsonc(r.text, [], { allowTrailingComma: true }) as { tasks: Array<Record<string, unknown>> };
    assert.equal(parsed.tasks.length, 4);
    assert.deepEqual(parsed.tasks[3], { ...task, label: 'GRPO (TRL): train (3)' });
    // The input task is not changed.
    assert.equal(task.label, 'GRPO (TRL): train');
    // Once more.
    assert.equal(addTaskToTasksJson(r.text, task).label, 'GRPO (TRL): train (4)');
  });

  it('adds a tasks array when the file has none; keeps CRLF and a BOM', () => {
    const r = addTaskToTasksJson('\uFEFF{\r\n  "version": "2.0.0"\r\n}\r\n', task);
    assert.ok(r.text.startsWith('\uFEFF{\r\n  "version": "2.0.0",'));
    assert.doesNotMatch(r.text.replace(/\r\n/g, ''), /\n/);
    assert.deepEqual(JSON.parse(r.text.slice(1)), { version: '2.0.0', tasks: [task] });
  });

  it('an empty tasks array', () => {
    const r = addTaskToTasksJson('{ "version": "2.0.0", "tasks": [] }', { type: 'rollout-lens' });
    assert.equal(r.label, 'Rollout Lens job');
    assert.deepEqual(JSON.parse(r.text).tasks, [{ label: 'Rollout Lens job', type: 'rollout-lens' }]);
  });

  it('refuses text it cannot edit safely, saying why', () => {
    assert.throws(() => addTaskToTasksJson('{ "tasks": [ { "label": "a" }', task), /^Error: tasks\.json is not valid JSON with comments \(\w+ at line 1, column \d+\); fix it first, nothing was changed$/);
    assert.throws(() => addTaskToTasksJson('{\n  "tasks": [,]\n}', task), /not valid JSON with comments \(ValueExpected at line 2, column 13\)/);
    assert.throws(() => addTaskToTasksJson('{ "version": "2.0.0", "tasks": {} }', task), /"tasks" in tasks\.json is not an array \(it is an object\); nothing was changed/);
    assert.throws(() => addTaskToTasksJson('{ "tasks": "x" }', task), /is not an array \(it is a string\)/);
    assert.throws(() => addTaskToTasksJson('[]', task), /does not hold an object at the top level/);
  });

  it('the new label is never one already used (property)', () => {
    const label = fc.constantFrom<string>('a', 'a (2)', 'a (3)', 'b', 'a (2) (2)');
    fc.assert(
      fc.property(fc.array(label, { maxLength: 8 }), (labels) => {
        const text = JSON.stringify({ version: '2.0.0', tasks: labels.map((l) => ({ label: l })) }, null, 2);
        const r = addTaskToTasksJson(text, { label: 'a', type: 'rollout-lens' });
        assert.ok(!labels.includes(r.label));
        assert.match(r.label, /^a(?: \(\d+\))?$/);
        const tasks = JSON.parse(r.text).tasks as Array<{ label: string }>;
        assert.equal(tasks.length, labels.length + 1);
        assert.equal(tasks[tasks.length - 1]!.label, r.label);
      }),
    );
  });

  it('every template can be added', () => {
    let text: string | null = null;
    for (const t of JOB_TEMPLATES) text = addTaskToTasksJson(text, t.task).text;
    const tasks = JSON.parse(text!).tasks as Array<Record<string, unknown>>;
    assert.deepEqual(tasks.map((t) => t.label), JOB_TEMPLATES.map((t) => t.task.label));
  });
});

describe('jobs profile: profileSummary', () => {
  it('one line, secrets redacted', () => {
    const job = resolveProfile(
      profile({
        args: ['train.py', '--hub_token', 'hf_abcdefghijklmnopqrstuvwxyz0123456789', '--note', 'a\nb', '--pw', 'pa55word!'],
        env: { HF_TOKEN: 'hf_abcdefghijklmnopqrstuvwxyz0123456789', MY_PASSWORD: 'pa55word!', DEBUG_MODE: 'true' },
        outputDir: 'runs/a b',
      }),
      { workspaceFolder: WS },
      'x',
    );
    const s = profileSummary(job);
    assert.doesNotMatch(s, /\n/);
    assert.doesNotMatch(s, /hf_abc|pa55word/);
    assert.equal(
      s,
      `[train · local] python train.py --hub_token *** --note 'a\\nb' --pw *** · cwd ${WS} · env HF_TOKEN=*** MY_PASSWORD=*** DEBUG_MODE=true · output '${path.join(WS, 'runs', 'a b')}'`,
    );
  });

  it('shows the main sbatch options of a Slurm job', () => {
    const job = resolveProfile(profile({ backend: 'slurm', slurm: { partition: 'gpu', gpus: 8, time: '24:00:00' } }), { workspaceFolder: WS }, 'x');
    assert.match(profileSummary(job), / · slurm partition=gpu gpus=8 time=24:00:00$/);
  });

  it('splitCommandLine honours quotes and backslashes', () => {
    assert.deepEqual(splitCommandLine(`a "b c" 'd e' f\\ g "h\\"i" ''`), ['a', 'b c', 'd e', 'f g', 'h"i', '']);
  });
});
