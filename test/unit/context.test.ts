import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { FIXTURES, tempDir } from './helpers';
import {
  contextToOverrides,
  evalArithmetic,
  parseLaunchArgs,
  parseShellScript,
  readRunContext,
  splitShellWords,
} from '../../extension/core/runs/contextReaders';
import {
  describeContext,
  estimatorFromContext,
  formatNumber,
  normaliseFramework,
  rewardWeightsFor,
  type RunContext,
} from '../../extension/core/runs/context';
import type { AdvantageEstimator } from '../../extension/core/formats/log';

const CTX = path.join(FIXTURES, 'context');

function write(root: string, rel: string, text: string): string {
  const f = path.join(root, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
  return f;
}

function lineOf(file: string, needle: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `${needle} not in ${file}`);
  return i + 1;
}

describe('run context: readRunContext', () => {
  it('TRL run: wandb config of the run that names the folder, latest checkpoint processor, launch script', async () => {
    const dir = path.join(CTX, 'trl-run');
    const ctx = await readRunContext(dir);
    const wandb = 'wandb/run-20250601_101500-k3j2h1/files/config.yaml';
    // a newer wandb run of another experiment (num_generations 4) is in the same folder: not used
    assert.deepEqual(ctx.groupSize, { value: 8, source: wandb, assumed: false, line: lineOf(path.join(dir, wandb), 'num_generations:') + 2 });
    assert.equal(ctx.framework?.value, 'trl');
    assert.equal(ctx.maxCompletionLength?.value, 512);
    assert.equal(ctx.modelName?.value, 'Qwen/Qwen2.5-VL-3B-Instruct');
    assert.equal(ctx.modelName?.source, wandb);
    // reward names come from the launch script, the weights from wandb: named by position
    assert.deepEqual(ctx.rewardFuncs?.value, ['iou_reward', 'format_reward_rec']);
    assert.equal(ctx.rewardFuncs?.source, 'train.sh');
    assert.deepEqual(ctx.rewardWeights?.value, { iou_reward: 1, format_reward_rec: 0.5 });
    assert.deepEqual(ctx.advantageEstimator, { value: 'grpo', source: wandb, assumed: false, line: lineOf(path.join(dir, wandb), 'scale_rewards:') + 2 });
    // TRL's `epsilon: 0.2` is the PPO clip, not the std epsilon
    assert.deepEqual(ctx.epsilon, { value: 1e-4, source: 'TRL default', assumed: true });
    // checkpoint-2 (latest) has the newer processor format: size.shortest_edge / longest_edge
    assert.equal(ctx.maxPixels?.value, 1003520);
    assert.equal(ctx.maxPixels?.source, 'checkpoint-2/preprocessor_config.json');
    assert.equal(ctx.minPixels?.value, 3136);
    assert.equal(ctx.minPixels?.assumed, false);
    assert.equal(ctx.lossType?.value, 'bnpo');
    assert.deepEqual(ctx.datasets?.value, ['/cluster/data/refcoco/train.jsonl']);
    assert.equal(ctx.groupSize?.source.includes(path.sep === '/' ? '\\' : '/'), false);
    assert.ok(ctx.filesRead?.includes(wandb));
    assert.ok(!ctx.filesRead?.some((f) => f.includes('zz9y8x')));
    assert.deepEqual(ctx.problems, []);
    assert.equal(ctx.runDir, path.resolve(dir));
  });

  it('VLM-R1 run: shell variables and $((…)) expanded, rollout-lens.json on top, conflicts reported', async () => {
    const dir = path.join(CTX, 'vlm-r1-run');
    const ctx = await readRunContext(dir);
    const script = path.join(dir, 'run_grpo_rec.sh');
    assert.equal(ctx.framework?.value, 'vlm-r1');
    assert.deepEqual(ctx.groupSize, { value: 8, source: 'run_grpo_rec.sh', assumed: false, line: lineOf(script, '--num_generations 8') });
    assert.deepEqual(ctx.rewardFuncs?.value, ['accuracy', 'format']);
    assert.equal(ctx.maxPixels?.value, 28 * 28 * 1280);
    assert.equal(ctx.maxPixels?.line, lineOf(script, '--max_pixels'));
    assert.equal(ctx.maxCompletionLength?.value, 2048);
    assert.equal(ctx.modelName?.value, 'Qwen/Qwen2.5-VL-3B-Instruct');
    // rollout-lens.json: weights by name, paths relative to the run folder
    assert.deepEqual(ctx.rewardWeights, { value: { accuracy: 1, format: 0.5 }, source: 'rollout-lens.json', assumed: false, line: 2 });
    assert.deepEqual(ctx.datasets?.value, [path.join(dir, 'data', 'rec_train.jsonl')]);
    assert.deepEqual(ctx.imageFolders?.value, [path.join(dir, 'images')]);
    assert.equal(ctx.epsilon?.source, 'VLM-R1 default');
    assert.equal(ctx.epsilon?.value, 1e-4);
    // the checkpoint's processor says 12845056; the script's --max_pixels wins and the difference is reported
    assert.equal(ctx.problems?.length, 1);
    assert.equal(ctx.problems?.[0].file, 'checkpoint-200/preprocessor_config.json');
    assert.match(ctx.problems?.[0].message ?? '', /maxPixels 12845056 differs from 1003520 in run_grpo_rec\.sh/);
    assert.ok((ctx.problems?.[0].line ?? 0) > 0);
  });

  it('settings override rollout-lens.json, which overrides files', async () => {
    const dir = path.join(CTX, 'vlm-r1-run');
    const ctx = await readRunContext(dir, {
      overrides: { groupSize: 16, rewardWeights: [2, 1], epsilon: 1e-6 },
      settingsSource: 'setting rolloutLens.runContext',
    });
    assert.deepEqual(ctx.groupSize, { value: 16, source: 'setting rolloutLens.runContext', assumed: false });
    assert.deepEqual(ctx.epsilon, { value: 1e-6, source: 'setting rolloutLens.runContext', assumed: false });
    // positional weights from settings, named by the script's reward functions
    assert.deepEqual(ctx.rewardWeights?.value, { accuracy: 2, format: 1 });
    assert.equal(ctx.datasets?.source, 'rollout-lens.json');
  });

  it('verl .hydra/config.yaml: rollout.n, norm_adv_by_std_in_grpo=false → Dr. GRPO, ${…} interpolation', async () => {
    const dir = path.join(CTX, 'verl-run');
    const ctx = await readRunContext(dir);
    assert.equal(ctx.framework?.value, 'verl');
    assert.deepEqual(ctx.groupSize, { value: 5, source: '.hydra/config.yaml', assumed: false, line: lineOf(path.join(dir, '.hydra/config.yaml'), 'n: 5') });
    assert.equal(ctx.advantageEstimator?.value, 'dr-grpo');
    assert.equal(ctx.advantageEstimator?.assumed, false);
    assert.deepEqual(ctx.epsilon, { value: 1e-6, source: 'verl default', assumed: true });
    assert.equal(ctx.maxCompletionLength?.value, 2048);
    assert.deepEqual(ctx.datasets?.value, ['~/data/geo3k/train.parquet']);
    assert.equal(ctx.imageKey?.value, 'images');
    assert.equal(ctx.modelName?.value, 'Qwen/Qwen2.5-VL-7B-Instruct');
    assert.equal(ctx.minPixels?.assumed, true);
    // the launch script agrees ($HOME vs ~ is the same path): no conflict
    assert.deepEqual(ctx.problems, []);
    assert.ok(ctx.filesRead?.includes('train_grpo_geo3k.sh'));
  });

  it('EasyR1 experiment_config.json: worker.rollout.n, rloo, data pixels', async () => {
    const ctx = await readRunContext(path.join(CTX, 'easyr1-run'));
    assert.equal(ctx.framework?.value, 'easyr1');
    assert.equal(ctx.groupSize?.value, 5);
    assert.equal(ctx.advantageEstimator?.value, 'rloo');
    assert.deepEqual([ctx.minPixels?.value, ctx.maxPixels?.value], [262144, 1048576]);
    assert.equal(ctx.maxPixels?.assumed, false);
    assert.deepEqual(ctx.epsilon, { value: 1e-6, source: 'EasyR1 default', assumed: true });
    assert.equal(ctx.modelName?.value, 'Qwen/Qwen2.5-VL-7B-Instruct');
    assert.deepEqual(ctx.datasets?.value, ['hiyouga/geometry3k@train']);
  });

  it('ms-swift args.json plus a job-profile argv (MAX_PIXELS env prefix); the caller names the framework', async () => {
    const ctx = await readRunContext(path.join(CTX, 'swift-run'), {
      launchCommand: ['MAX_PIXELS=1003520', 'NPROC_PER_NODE=8', 'swift', 'rlhf', '--rlhf_type', 'grpo', '--num_generations', '8'],
      framework: 'ms-swift-jsonl',
    });
    assert.deepEqual(ctx.framework, { value: 'ms-swift', source: 'log format', assumed: false });
    assert.deepEqual(ctx.groupSize?.source, 'args.json');
    assert.deepEqual(ctx.rewardFuncs?.value, ['external_r1v_acc', 'format']);
    assert.deepEqual(ctx.rewardWeights?.value, { external_r1v_acc: 1, format: 0.2 });
    assert.equal(ctx.advantageEstimator?.value, 'dr-grpo'); // scale_rewards: false
    assert.deepEqual(ctx.maxPixels, { value: 1003520, source: 'launch command', assumed: false });
    assert.equal(ctx.maxCompletionLength?.value, 1024);
    assert.deepEqual(ctx.datasets?.value, ['/cluster/data/clevr/clevr_cogen_a_train.jsonl', 'AI-ModelScope/coco#2000']);
    assert.deepEqual(ctx.filesRead, ['args.json']); // args.json of the run; the checkpoint copy is not needed
    assert.deepEqual(ctx.problems, []);
  });

  it('broken files: problems with file and line, never a throw', async () => {
    const dir = path.join(CTX, 'broken-run');
    const ctx = await readRunContext(dir);
    const p = (file: string): Array<{ line: number; message: string }> => (ctx.problems ?? []).filter((x) => x.file === file);
    assert.deepEqual(
      p('rollout-lens.json').map((x) => x.line),
      [lineOf(path.join(dir, 'rollout-lens.json'), 'groupSize'), lineOf(path.join(dir, 'rollout-lens.json'), 'estimator'), lineOf(path.join(dir, 'rollout-lens.json'), 'rewardWeights'), lineOf(path.join(dir, 'rollout-lens.json'), 'imageFolder')],
    );
    assert.match(p('rollout-lens.json')[0].message, /groupSize: expected a positive integer, got "eight"/);
    assert.match(p('rollout-lens.json')[3].message, /imageFolder: unknown key/);
    assert.equal(p('args.json').length, 1);
    assert.match(p('args.json')[0].message, /not valid JSON/);
    assert.equal(p('args.json')[0].line, 3);
    const yamlProblem = p('wandb/run-20250101_000000-bad0001/files/config.yaml');
    assert.equal(yamlProblem.length, 1);
    assert.match(yamlProblem[0].message, /not valid YAML/);
    assert.ok(yamlProblem[0].line >= 7, `YAML error line ${yamlProblem[0].line}`);
    const sh = p('launch.sh');
    assert.deepEqual(sh.map((x) => x.line), [4, 5]);
    assert.match(sh[0].message, /max_completion_length: expected a positive integer, got "lots"/);
    assert.match(sh[1].message, /scale_rewards/);
    // what was valid is still used: rollout-lens.json's epsilon and maxPixels, the script's G
    assert.deepEqual(ctx.epsilon, { value: 1e-4, source: 'rollout-lens.json', assumed: false, line: 3 });
    assert.equal(ctx.maxPixels?.value, 1003520);
    assert.equal(ctx.groupSize?.value, 4);
    assert.equal(ctx.groupSize?.source, 'launch.sh');
  });

  it('an empty or missing folder: only assumptions, and no group size', async () => {
    const empty = tempDir('rl-ctx-empty-');
    const ctx = await readRunContext(empty);
    assert.equal(ctx.groupSize, undefined);
    assert.equal(ctx.framework, undefined);
    assert.deepEqual(ctx.epsilon, { value: 1e-4, source: 'TRL default; framework unknown', assumed: true });
    assert.deepEqual(ctx.advantageEstimator, { value: 'grpo', source: 'GRPO; framework unknown', assumed: true });
    assert.deepEqual([ctx.minPixels?.value, ctx.maxPixels?.value], [3136, 12845056]);
    const verl = await readRunContext(empty, { framework: 'verl-jsonl' });
    assert.equal(verl.epsilon?.value, 1e-6);
    const easy = await readRunContext(path.join(empty, 'does-not-exist'), { framework: 'EasyR1' });
    assert.deepEqual([easy.minPixels?.value, easy.maxPixels?.value, easy.epsilon?.value], [262144, 4194304, 1e-6]);
    assert.deepEqual(easy.problems, []);
  });

  it('a job profile argv: torchrun prefix, VLM-R1 lists split on ":"', async () => {
    const empty = tempDir('rl-ctx-argv-');
    const ctx = await readRunContext(empty, {
      launchCommand: [
        'torchrun', '--nproc_per_node', '8', '--master_port=12345', 'src/open_r1/grpo_jsonl.py',
        '--num_generations', '4', '--reward_funcs', 'accuracy', 'format', '--reward_weights', '1.0', '0.25',
        '--data_file_paths', '/d/a.jsonl:/d/b.jsonl', '--image_folders', '/img/a:/img/b', '--min_pixels', '3136', '--max-pixels', '401408',
        '--scale_rewards', 'batch',
      ],
    });
    assert.equal(ctx.framework?.value, 'vlm-r1');
    assert.deepEqual(ctx.groupSize, { value: 4, source: 'launch command', assumed: false });
    assert.deepEqual(ctx.rewardWeights?.value, { accuracy: 1, format: 0.25 });
    assert.deepEqual(ctx.datasets?.value, ['/d/a.jsonl', '/d/b.jsonl']);
    assert.deepEqual(ctx.imageFolders?.value, ['/img/a', '/img/b']);
    assert.equal(ctx.maxPixels?.value, 401408);
    assert.equal(ctx.advantageEstimator?.value, 'batch');
  });

  it('hydra outputs/<date>/<time>/ (newest), wandb of the parent folder only when it names the run', async () => {
    const root = tempDir('rl-ctx-hydra-');
    const run = path.join(root, 'exp-a');
    write(run, 'outputs/2025-06-01/10-00-00/.hydra/config.yaml', 'actor_rollout_ref:\n  rollout:\n    n: 4\n');
    write(run, 'outputs/2025-06-02/09-30-00/.hydra/config.yaml', 'actor_rollout_ref:\n  rollout:\n    n: 16\nalgorithm:\n  adv_estimator: gae\n');
    write(root, 'wandb/run-20250602_093000-aaaa/files/config.yaml', 'output_dir:\n  value: /x/exp-b\nmax_completion_length:\n  value: 99\n');
    const ctx = await readRunContext(run);
    assert.equal(ctx.groupSize?.value, 16);
    assert.equal(ctx.groupSize?.source, 'outputs/2025-06-02/09-30-00/.hydra/config.yaml');
    assert.equal(ctx.maxCompletionLength, undefined); // the parent's wandb run is another experiment's
    // gae cannot be recomputed from rewards: said so, and GRPO is only assumed
    assert.match(ctx.problems?.[0].message ?? '', /advantage estimator "gae" cannot be recomputed/);
    assert.equal(ctx.problems?.[0].line, 5);
    assert.equal(ctx.advantageEstimator?.assumed, true);
    write(root, 'wandb/run-20250603_000000-bbbb/files/config.yaml', 'output_dir:\n  value: /x/exp-a\nmax_completion_length:\n  value: 77\n');
    const ctx2 = await readRunContext(run);
    assert.deepEqual(ctx2.maxCompletionLength, { value: 77, source: '../wandb/run-20250603_000000-bbbb/files/config.yaml', assumed: false, line: 4 });
  });

  it('loss_type dr_grpo without scale_rewards: Dr. GRPO, assumed, with the reason', async () => {
    const root = tempDir('rl-ctx-dr-');
    write(root, 'args.json', JSON.stringify({ num_generations: 8, loss_type: 'dr_grpo' }, null, 2));
    const ctx = await readRunContext(root);
    assert.equal(ctx.advantageEstimator?.value, 'dr-grpo');
    assert.equal(ctx.advantageEstimator?.assumed, true);
    assert.match(ctx.advantageEstimator?.source ?? '', /loss_type dr_grpo in args\.json/);
  });

  it('contextToOverrides gives a rollout-lens.json the reader accepts back unchanged', async () => {
    const ctx = await readRunContext(path.join(CTX, 'trl-run'));
    const root = tempDir('rl-ctx-round-');
    write(root, 'rollout-lens.json', JSON.stringify(contextToOverrides(ctx), null, 2));
    const back = await readRunContext(root);
    assert.deepEqual(back.problems, []);
    for (const k of ['framework', 'groupSize', 'rewardFuncs', 'rewardWeights', 'advantageEstimator', 'epsilon', 'maxPixels', 'datasets', 'modelName'] as const) {
      assert.deepEqual(back[k]?.value, ctx[k]?.value, k);
      assert.equal(back[k]?.source, 'rollout-lens.json', k);
    }
  });
});

describe('run context: display and estimator', () => {
  const ctx: RunContext = {
    groupSize: { value: 8, source: 'wandb/run-1/files/config.yaml', assumed: false, line: 12 },
    epsilon: { value: 1e-4, source: 'TRL default', assumed: true },
    maxPixels: { value: 1003520, source: 'run.sh', assumed: false },
    rewardWeights: { value: { accuracy: 1, format: 0.5 }, source: 'rollout-lens.json', assumed: false },
    advantageEstimator: { value: 'grpo', source: 'TRL default', assumed: true },
  };

  it('describeContext: one line per value, read vs assumed', () => {
    const lines = describeContext(ctx);
    assert.deepEqual(lines.map((l) => l.key), ['groupSize', 'rewardWeights', 'advantageEstimator', 'epsilon', 'maxPixels']);
    assert.equal(lines[0].text, 'G = 8 — read from wandb/run-1/files/config.yaml:12');
    assert.equal(lines[3].text, 'ε = 1e-4 — assumed (TRL default)');
    assert.equal(lines[1].value, 'accuracy × 1, format × 0.5');
    assert.equal(lines[4].value, '1003520 (1280·28²)');
    assert.equal(lines[3].assumed, true);
    assert.deepEqual(describeContext(null), []);
  });

  it('estimatorFromContext: read values win, assumed ones yield to the reader’s framework default', () => {
    const verlDefault: AdvantageEstimator = { kind: 'grpo', epsilon: 1e-6, source: 'verl default', assumed: true };
    assert.deepEqual(estimatorFromContext(ctx, verlDefault), verlDefault);
    assert.deepEqual(estimatorFromContext(null, verlDefault), verlDefault);
    const read: RunContext = {
      advantageEstimator: { value: 'dr-grpo', source: 'args.json', assumed: false, line: 7 },
      epsilon: { value: 1e-4, source: 'TRL default', assumed: true },
    };
    const e = estimatorFromContext(read, { kind: 'grpo', epsilon: 1e-4, source: 'TRL default', assumed: true });
    assert.equal(e.kind, 'dr-grpo');
    assert.equal(e.epsilon, 1e-4);
    assert.equal(e.assumed, true);
    assert.match(e.source, /dr-grpo from args\.json:7; ε = 1e-4 assumed \(TRL default\)/);
    const both: RunContext = {
      advantageEstimator: { value: 'batch', source: 'config.yaml', assumed: false },
      epsilon: { value: 1e-5, source: 'rollout-lens.json', assumed: false },
    };
    const b = estimatorFromContext(both, verlDefault);
    assert.deepEqual([b.kind, b.epsilon, b.assumed], ['batch', 1e-5, false]);
  });

  it('rewardWeightsFor: exact, loose ("accuracy" ↔ accuracy_reward / MathAccuracy), positional', () => {
    assert.deepEqual(rewardWeightsFor(ctx, ['accuracy_reward', 'format_reward', 'iou']), { accuracy_reward: 1, format_reward: 0.5 });
    assert.deepEqual(rewardWeightsFor(ctx, ['MathAccuracy', 'Format']), { MathAccuracy: 1, Format: 0.5 });
    const positional: RunContext = { rewardWeights: { value: { '0': 1, '1': 0.25 }, source: 'x', assumed: false } };
    assert.deepEqual(rewardWeightsFor(positional, ['iou_reward', 'format_reward_rec']), { iou_reward: 1, format_reward_rec: 0.25 });
    // VLM-R1: functions "accuracy format" log as iou_reward / format_reward_rec: same positions
    const vlm: RunContext = { rewardFuncs: { value: ['accuracy', 'format'], source: 's', assumed: false }, rewardWeights: { value: { accuracy: 2, format: 1 }, source: 'x', assumed: false } };
    assert.deepEqual(rewardWeightsFor(vlm, ['iou_reward', 'format_reward_rec']), { iou_reward: 2, format_reward_rec: 1 });
    assert.deepEqual(rewardWeightsFor(undefined, ['a']), {});
  });

  it('formatNumber and normaliseFramework', () => {
    assert.deepEqual([1e-4, 1e-6, 0.5, 12845056, 2.5e-5, 0.25].map(formatNumber), ['1e-4', '1e-6', '0.5', '12845056', '2.5e-5', '0.25']);
    assert.deepEqual(
      ['trl-parquet', 'trl-wandb-table', 'verl-jsonl', 'ms-swift-jsonl', 'vlm-r1-debug', 'easyr1-generations', 'R1-V', 'Visual-RFT', 'rollout-lens-jsonl'].map(normaliseFramework),
      ['trl', 'trl', 'verl', 'ms-swift', 'vlm-r1', 'easyr1', 'vlm-r1', 'vlm-r1', undefined],
    );
  });
});

describe('run context: shell words and argv', () => {
  it('quotes, escapes, continuations, comments, redirections, variables', () => {
    const text = [
      '#!/bin/bash',
      'A="x y"   # a comment',
      "B='$A literal'",
      'export C=${A}/z',
      'python train.py --a "$A" --b $A --c \'$A\' --d ${C} \\',
      '   --e ${UNSET} --f ${UNSET:-dflt} --g "a\\"b" --h $(date +%F) >> "$LOG" 2>&1',
      'echo done; echo "two" && echo three | tee x.txt',
    ].join('\n');
    const sh = parseShellScript(text);
    assert.deepEqual(sh.vars, { A: 'x y', B: '$A literal', C: 'x y/z' });
    assert.deepEqual(sh.exported, { C: 'x y/z' });
    assert.deepEqual(sh.commands[0].argv, [
      'python', 'train.py', '--a', 'x y', '--b', 'x', 'y', '--c', '$A', '--d', 'x', 'y/z',
      '--e', '${UNSET}', '--f', 'dflt', '--g', 'a"b', '--h', '$(date +%F)',
    ]);
    assert.equal(sh.commands[0].line, 5);
    assert.equal(sh.commands[0].lines[sh.commands[0].argv.indexOf('--e')], 6);
    assert.deepEqual(sh.commands.slice(1).map((c) => c.argv), [['echo', 'done'], ['echo', 'two'], ['echo', 'three'], ['tee', 'x.txt']]);
    assert.deepEqual(splitShellWords('CUDA_VISIBLE_DEVICES=0,1 torchrun x.py'), ['CUDA_VISIBLE_DEVICES=0,1', 'torchrun', 'x.py']);
  });

  it('$((…)) arithmetic', () => {
    assert.equal(evalArithmetic('28*28*1280'), 1003520);
    assert.equal(evalArithmetic(' (2 + 3) * 4 - 10 / 3 '), 17);
    assert.equal(evalArithmetic('2 ** 3'), null);
    assert.equal(evalArithmetic('x*2'), null);
    assert.deepEqual(splitShellWords('N=16384\necho $((N*28*28))'), ['echo', '12845056']);
  });

  it('property: single- and double-quoted words come back as written', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 6 }), (words) => {
        const single = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
        assert.deepEqual(splitShellWords(`cmd ${single}`), ['cmd', ...words]);
        const dbl = words.map((w) => `"${w.replace(/[\\"$`]/g, (c) => '\\' + c)}"`).join(' \\\n  ');
        assert.deepEqual(splitShellWords(`cmd ${dbl}`), ['cmd', ...words]);
      }),
      { numRuns: 200 },
    );
  });

  it('parseLaunchArgs: launcher prefix, --k=v, dashes, flags, hydra overrides, env', () => {
    const a = parseLaunchArgs([
      'MAX_PIXELS=1003520', 'accelerate', 'launch', '--num_processes', '8', 'train.py', '--dataset-name', 'd', '--bf16',
      '--reward_funcs', 'a', 'b', '--lr=1e-6', '--neg', '-1', 'trainer.n_gpus=8', '+extra.key=v',
    ]);
    assert.deepEqual(a.env, { MAX_PIXELS: '1003520' });
    assert.deepEqual(a.program, ['train.py']);
    assert.deepEqual(a.options.get('num_processes')?.values, ['8']);
    assert.deepEqual(a.options.get('dataset_name')?.values, ['d']);
    assert.deepEqual(a.options.get('bf16')?.values, []);
    assert.deepEqual(a.options.get('reward_funcs')?.values, ['a', 'b']);
    assert.deepEqual(a.options.get('lr')?.values, ['1e-6']);
    assert.deepEqual(a.options.get('neg')?.values, ['-1']);
    assert.equal(a.dotted.get('trainer.n_gpus')?.value, '8');
    assert.equal(a.dotted.get('extra.key')?.value, 'v');
    const v = parseLaunchArgs(['python3', '-m', 'verl.trainer.main_ppo', 'actor_rollout_ref.rollout.n=5', "data.train_files=['a.parquet','b.parquet']"]);
    assert.deepEqual(v.program, ['verl.trainer.main_ppo']);
    assert.equal(v.dotted.get('actor_rollout_ref.rollout.n')?.value, '5');
  });
});
