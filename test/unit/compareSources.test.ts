import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import '../../extension/core/formats/all';
import {
  checkpointEvals,
  checkpointRewards,
  compileStepPattern,
  discoverEvals,
  loadSource,
  resolveSources,
  runFolderOf,
  stepOfFolderName,
} from '../../extension/core/compare/sources';
import { FIXTURES, rec, tempDir, writeLines } from './helpers';

const RUN = path.join(FIXTURES, 'compare', 'run');
const rel = (p: string): string => path.relative(RUN, p).split(path.sep).join('/');

/** One line of the eval JSONL format. */
function evalLine(id: string, correct: boolean, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { sample_id: id, prompt: `question ${id}`, completion: `<think>t</think><answer>${id}</answer>`, correct, ...more };
}

/** One line of a verl validation dump. */
function verlLine(i: number, acc: number, step: number): Record<string, unknown> {
  return { input: `user\nQuestion ${i}?\nassistant\n`, output: `<think>t</think><answer>${i}</answer>`, gts: String(i), score: acc, step, acc, reward: acc };
}

describe('compare sources: eval discovery and linking', () => {
  it('finds every eval of the fixture run, inside checkpoint folders too, linked by folder or name', async () => {
    const evals = await discoverEvals(RUN);
    assert.deepEqual(
      evals.map((e) => [rel(e.path), e.format, e.dataset, e.step, e.linkedBy]),
      [
        ['eval/checkpoint-50/ds-a.eval.jsonl', 'eval-jsonl', 'ds-a', 50, 'folder'],
        ['eval/checkpoint-100/ds-a.eval.jsonl', 'eval-jsonl', 'ds-a', 100, 'folder'],
        ['eval/checkpoint-100/ds-b.eval.jsonl', 'eval-jsonl', 'ds-b', 100, 'folder'],
        ['eval/checkpoint-100/superclevr_results.json', 'r1v-eval-json', 'superclevr', 100, 'folder'],
        ['eval/checkpoint-200/ds-a.eval.jsonl', 'eval-jsonl', 'ds-a', 200, 'folder'],
        ['eval/checkpoint-200/ds-b.eval.jsonl', 'eval-jsonl', 'ds-b', 200, 'folder'],
        ['eval/checkpoint-200/superclevr_results.json', 'r1v-eval-json', 'superclevr', 200, 'folder'],
        ['logs/rec_results_refcoco_run_300.json', 'r1v-eval-json', 'refcoco', 300, 'name'],
      ],
    );
  });

  it('groups evals by checkpoint: the run folder of the step when there is one, else an eval-only checkpoint', async () => {
    const groups = checkpointEvals(RUN, await discoverEvals(RUN));
    assert.deepEqual(
      groups.map((g) => [g.step, g.dir === null ? null : rel(g.dir), g.evals.length]),
      [
        [50, null, 1],
        [100, 'checkpoint-100', 3],
        [200, 'checkpoint-200', 3],
        [300, null, 1],
      ],
    );
  });

  describe('in a temp run', () => {
    let dir: string;
    let run: string;
    before(() => {
      dir = tempDir('rl-compare-');
      run = path.join(dir, 'run');
      writeLines(path.join(run, 'evals', 'mathvista_step_300.eval.jsonl'), [evalLine('1', true)]);
      writeLines(path.join(run, 'evals', 'mmbench.eval.jsonl'), [evalLine('1', true, { checkpoint: '/data/outputs/run/checkpoint-400' }), evalLine('2', false)]);
      writeLines(path.join(run, 'evals', 'loose.eval.jsonl'), [evalLine('1', false)]);
      writeLines(path.join(run, 'evals', 'chartqa-s700.eval.jsonl'), [evalLine('1', true)]);
      writeLines(path.join(run, 'evals', 'global_step600', 'docvqa.eval.jsonl'), [evalLine('1', true)]);
      writeLines(path.join(run, 'validation_data', '12.jsonl'), [verlLine(1, 1, 12), verlLine(2, 0, 12), verlLine(2, 1, 12)]);
      writeLines(path.join(run, 'rollout_data', '5.jsonl'), [verlLine(1, 1, 5)]);
      writeLines(path.join(run, 'node_modules', 'x', 'y.eval.jsonl'), [evalLine('1', true)]);
      writeLines(path.join(run, 'checkpoint-500', 'eval_results.json'), ['{"eval_loss": 1.5, "epoch": 1}']);
      writeLines(path.join(run, 'train.rollouts.jsonl'), [rec(0, 'g', 0)]);
      fs.mkdirSync(path.join(run, 'checkpoint-999'), { recursive: true });
      fs.writeFileSync(path.join(run, 'checkpoint-999', 'config.json'), '{}');
      fs.writeFileSync(
        path.join(run, 'checkpoint-500', 'trainer_state.json'),
        JSON.stringify({ log_history: [{ step: 1, 'rewards/iou_reward': 0.5, 'rewards/format_reward_rec': 1, 'rewards/iou_reward/std': 0.1, reward: 1.5 }] }, null, 2),
      );
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('links by folder, by name (step pattern, verl <N>.jsonl), by the first record, or not at all', async () => {
      const evals = await discoverEvals(run);
      const got = Object.fromEntries(evals.map((e) => [path.relative(run, e.path).split(path.sep).join('/'), [e.format, e.step, e.linkedBy]]));
      assert.deepEqual(got, {
        'evals/chartqa-s700.eval.jsonl': ['eval-jsonl', null, null],
        'evals/global_step600/docvqa.eval.jsonl': ['eval-jsonl', 600, 'folder'],
        'evals/loose.eval.jsonl': ['eval-jsonl', null, null],
        'evals/mathvista_step_300.eval.jsonl': ['eval-jsonl', 300, 'name'],
        'evals/mmbench.eval.jsonl': ['eval-jsonl', 400, 'record'],
        'validation_data/12.jsonl': ['verl-jsonl', 12, 'name'],
      });
      // a user pattern (one capture group) for other names
      const custom = await discoverEvals(run, { stepPattern: String.raw`-s(\d+)` });
      assert.equal(custom.find((e) => e.path.endsWith('chartqa-s700.eval.jsonl'))!.step, 700);
      // user globs replace the defaults
      const only = await discoverEvals(run, { globs: ['evals/*.eval.jsonl'] });
      assert.equal(only.length, 4);
    });

    it('the step pattern must be a regex with a capture group', () => {
      assert.throws(() => compileStepPattern('step'), /capture group/);
      assert.throws(() => compileStepPattern('step(\\d+'), /not a regular expression/);
      assert.ok(compileStepPattern('ep(\\d+)').test('ep3'));
    });

    it('checkpointRewards: rewards/<name>/mean or rewards/<name> keys of trainer_state.json', () => {
      assert.deepEqual(checkpointRewards(RUN, 100), ['accuracy_reward', 'format_reward']);
      assert.deepEqual(checkpointRewards(RUN, null), ['accuracy_reward', 'format_reward']);
      assert.deepEqual(checkpointRewards(run, 12), ['iou_reward', 'format_reward_rec'], 'VLM-R1 keys, std left out');
      assert.equal(checkpointRewards(path.join(run, 'evals'), null), null);
      assert.equal(checkpointRewards(path.join(dir, 'nope'), 1), null);
    });

    it('resolves a run with unlinked evals only to those, and reports arguments without evals', async () => {
      const loose = path.join(dir, 'loose-run');
      writeLines(path.join(loose, 'a.eval.jsonl'), [evalLine('1', true)]);
      fs.mkdirSync(path.join(dir, 'empty'), { recursive: true });
      const { sources, errors } = await resolveSources([loose, path.join(run, 'checkpoint-999'), path.join(dir, 'empty'), path.join(run, 'train.rollouts.jsonl'), path.join(RUN, 'checkpoint-100', 'trainer_state.json')]);
      assert.deepEqual(
        sources.map((s) => [s.name, s.kind, s.step, s.evalFiles.map((f) => path.basename(f))]),
        [['loose-run', 'run', null, ['a.eval.jsonl']]],
      );
      assert.equal(errors.length, 4);
      assert.match(errors[0]!, /checkpoint-999: no eval files linked to checkpoint-999: looked for \*\.eval\.jsonl, \*results\*\.json, generated_responses\.json, validation_data\*\/\[0-9\]\*\.jsonl/);
      assert.ok(errors[0]!.includes(` in ${run} `), errors[0]);
      assert.match(errors[1]!, /empty: no eval files in this run: looked for \*\.eval\.jsonl/);
      assert.match(errors[2]!, /train\.rollouts\.jsonl: a Rollout Lens JSONL log, not an eval output/);
      assert.match(errors[3]!, /trainer_state\.json: not an eval file: format not recognised/);
    });

    it('loads a verl validation dump as an eval: accuracy from its acc reward, samples matched by question', async () => {
      const { sources } = await resolveSources([path.join(run, 'validation_data', '12.jsonl')]);
      assert.deepEqual(sources.map((s) => [s.name, s.kind, s.step]), [['12', 'eval-file', 12]]);
      const l = await loadSource(sources[0]!);
      assert.deepEqual(l.samples.map((s) => s.scores.accuracy), [1, 0, 1]);
      assert.equal(l.samples[0]!.dataset, 'validation_data');
      assert.match(l.samples[0]!.key, /^validation_data:q:[0-9a-f]{16}$/);
      assert.equal(l.samples[1]!.key, l.samples[2]!.key, 'two answers to one prompt: one key (mean@N)');
    });
  });
});

describe('compare sources: resolveSources on the fixture run', () => {
  it('resolves each kind of argument', async () => {
    const { sources, errors } = await resolveSources(['checkpoint-100', 'eval/checkpoint-50', '.', 'eval/checkpoint-200/ds-b.eval.jsonl'], { cwd: RUN });
    assert.deepEqual(errors, []);
    assert.deepEqual(
      sources.map((s) => [s.name, s.kind, s.step, s.evalFiles.map(rel), s.rewards]),
      [
        ['checkpoint-100', 'checkpoint', 100, ['eval/checkpoint-100/ds-a.eval.jsonl', 'eval/checkpoint-100/ds-b.eval.jsonl', 'eval/checkpoint-100/superclevr_results.json'], ['accuracy_reward', 'format_reward']],
        ['checkpoint-50', 'step', 50, ['eval/checkpoint-50/ds-a.eval.jsonl'], ['accuracy_reward', 'format_reward']],
        ['run@checkpoint-300', 'run', 300, ['logs/rec_results_refcoco_run_300.json'], ['accuracy_reward', 'format_reward']],
        ['ds-b', 'eval-file', 200, ['eval/checkpoint-200/ds-b.eval.jsonl'], ['accuracy_reward', 'format_reward']],
      ],
    );
    assert.equal(sources[0]!.path, path.join(RUN, 'checkpoint-100'));
  });

  it('a step folder of evals only and the checkpoint folder of the same step give the same evals', async () => {
    const { sources } = await resolveSources([path.join(RUN, 'eval', 'checkpoint-200'), path.join(RUN, 'checkpoint-200')]);
    assert.deepEqual(sources.map((s) => s.kind), ['step', 'checkpoint']);
    assert.deepEqual(sources[0]!.evalFiles, sources[1]!.evalFiles);
    assert.deepEqual(sources.map((s) => s.name), ['eval/checkpoint-200', 'run/checkpoint-200'], 'equal names: prefixed with the parent folder');
  });

  it('two eval files of the same name are told apart by their folder', async () => {
    const { sources } = await resolveSources(['eval/checkpoint-100/ds-a.eval.jsonl', 'eval/checkpoint-200/ds-a.eval.jsonl'], { cwd: RUN });
    assert.deepEqual(sources.map((s) => [s.name, s.step]), [['checkpoint-100/ds-a', 100], ['checkpoint-200/ds-a', 200]]);
  });

  it('names what is missing', async () => {
    const { sources, errors } = await resolveSources(['nope', 'checkpoint-100'], { cwd: RUN });
    assert.equal(sources.length, 1);
    assert.deepEqual(errors, ['nope: no such file or folder']);
  });
});

describe('compare sources: loadSource', () => {
  it('reads every answer; a bad line is skipped and named with file:line, the rest still read', async () => {
    const { sources } = await resolveSources(['eval/checkpoint-200'], { cwd: RUN });
    const l = await loadSource(sources[0]!);
    const bad = path.join(RUN, 'eval', 'checkpoint-200', 'ds-a.eval.jsonl');
    const errs = l.issues.filter((i) => i.severity === 'error');
    assert.deepEqual(errs.map((i) => [i.file, i.line]), [[bad, 3]]);
    assert.match(errs[0]!.message, /not valid JSON/);
    assert.ok(l.issues.some((i) => i.line === 0 && /3 answers repeat a sample_id .*mean@N/.test(i.message)), 'mean@N noted once, not per line');
    assert.equal(l.samples.length, 5 + 6 + 3);
    const dsA = l.samples.filter((s) => s.dataset === 'ds-a');
    assert.deepEqual(dsA.map((s) => [s.key, s.line, s.scores.accuracy]), [
      ['ds-a:a1', 1, 1],
      ['ds-a:a2', 2, 1],
      ['ds-a:a3', 4, 0],
      ['ds-a:a4', 5, 1],
      ['ds-a:a6', 6, 1],
    ]);
    assert.deepEqual(dsA.map((s) => s.scores.f1), [1, 1, 0, 1, 1]);
    assert.deepEqual(dsA[0]!.slice, { category: 'colour', dataset: 'ds-a' });
    assert.equal(dsA[0]!.log, bad);
    assert.deepEqual(l.samples.filter((s) => s.dataset === 'ds-b').map((s) => [s.key, s.scores.iou, s.scores.length]), [
      ['ds-b:b1', 1, 20], ['ds-b:b1', 1, 20], ['ds-b:b2', 1, 20], ['ds-b:b2', 0, 30], ['ds-b:b3', 0, 30], ['ds-b:b3', 1, 20],
    ]);
    const sc = l.samples.filter((s) => s.dataset === 'superclevr');
    assert.deepEqual(sc.map((s) => s.scores.accuracy), [1, 0, 1]);
    assert.ok(sc.every((s) => s.sampleId === null && /^superclevr:q:[0-9a-f]{16}$/.test(s.key)));
  });

  it('VLM-R1 rec_results: IoU from the file, correctness as logged', async () => {
    const { sources } = await resolveSources(['logs/rec_results_refcoco_run_300.json'], { cwd: RUN });
    const l = await loadSource(sources[0]!);
    assert.deepEqual(l.samples.map((s) => [s.dataset, s.scores.accuracy, s.scores.iou, s.scores.iou50]), [
      ['refcoco', 1, 1, 1],
      ['refcoco', 0, 0, 0],
    ]);
  });

  it('throws, naming the file, only when an eval file cannot be opened at all', async () => {
    const dir = tempDir('rl-compare-');
    try {
      const gone = path.join(dir, 'gone.eval.jsonl');
      await assert.rejects(loadSource({ name: 'x', kind: 'eval-file', path: gone, step: null, evalFiles: [gone] }), (e: Error) => e.message.startsWith(`${gone}: cannot read`));
      const good = path.join(RUN, 'eval', 'checkpoint-50', 'ds-a.eval.jsonl');
      const l = await loadSource({ name: 'x', kind: 'step', path: dir, step: 50, evalFiles: [good, gone] });
      assert.equal(l.samples.length, 4);
      assert.deepEqual(l.issues.map((i) => [i.file, i.line, i.severity]), [[gone, 0, 'error']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compare sources: step folders and run folders', () => {
  it('stepOfFolderName and runFolderOf', () => {
    assert.deepEqual(['checkpoint-100', 'global_step_200', 'global_step200', 'step-3', 'step_4', 'steps_5', 'ckpt-6', 'iter_7', 'eval', 'checkpoint-x', 'step_4_old'].map(stepOfFolderName), [100, 200, 200, 3, 4, 5, 6, 7, null, null, null]);
    const r = path.join(path.sep, 'r', 'run1');
    assert.equal(runFolderOf(path.join(r, 'eval', 'checkpoint-100')), r);
    assert.equal(runFolderOf(path.join(r, 'checkpoint-100', 'eval')), r);
    assert.equal(runFolderOf(path.join(r, 'checkpoint-100')), r);
    assert.equal(runFolderOf(path.join(r, 'analysis')), path.join(r, 'analysis'));
  });
});
