import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectFile, findLogs, openPath } from '../../extension/core/formats/all';
import { LogBuilder, inferGroupSize, recomputeAdvantages, type LogGroup } from '../../extension/core/formats/log';
import { logNotes } from '../../extension/core/logNotes';
import { discoverRuns, DEFAULT_RUN_GLOBS, runDirOf } from '../../extension/core/runs/discover';
import { summarizeSpecs } from '../../extension/core/summary';
import { main } from '../../extension/cli';
import { FIXTURES, tempDir } from './helpers';

const FW = path.join(FIXTURES, 'frameworks');

/** A workspace with one run per framework, laid out as each framework writes it. */
function mixedWorkspace(): string {
  const ws = tempDir();
  const put = (from: string, to: string): void => {
    fs.mkdirSync(path.dirname(path.join(ws, to)), { recursive: true });
    fs.copyFileSync(path.join(FW, from), path.join(ws, to));
  };
  put('vlm-r1__debug_log.2025-06-21-14-00-00.txt', 'runs/rec/log/debug_log.2025-06-21-14-00-00.txt');
  put('vlm-r1__debug_log.2025-06-21-14-00-00_format.txt', 'runs/rec/log/debug_log.2025-06-21-14-00-00_format.txt');
  for (const s of ['00010', '00011', '00012']) put(`trl-run/completions/completions_${s}.parquet`, `runs/trl/completions/completions_${s}.parquet`);
  put('ms-swift__completions.jsonl', 'runs/swift/completions.jsonl');
  put('easyr1__generations.log', 'runs/easy/generations.log');
  put('trl__wandb_media_table_completions.table.json', 'runs/old-trl/wandb/run-20250101_000000-abc/files/media/table/completions_10_aa.table.json');
  put('r1-v__eval_logs__counting_results_superclevr_grpo100.head4.json', 'evals/counting_results_superclevr_grpo100.json');
  put('jakhongir0103-vlm-r1__results_vsr_grpo-baseline__generated_responses.head3.json', 'evals/vsr/generated_responses.json');
  fs.copyFileSync(path.join(FIXTURES, 'rollout-lens', 'run.rollouts.jsonl'), path.join(ws, 'runs', 'run.rollouts.jsonl'));
  // things that are not logs
  fs.mkdirSync(path.join(ws, 'runs', 'trl', 'checkpoint-2'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'runs', 'trl', 'checkpoint-2', 'trainer_state.json'), '{"log_history": []}');
  fs.writeFileSync(path.join(ws, 'runs', 'notes.txt'), 'just notes\n');
  fs.writeFileSync(path.join(ws, 'runs', 'other.jsonl'), '{"a": 1}\n');
  return ws;
}

describe('format registry', () => {
  let ws: string;
  before(() => (ws = mixedWorkspace()));
  after(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('recognises each framework file by content', () => {
    const f = (rel: string) => detectFile(path.join(ws, rel));
    assert.equal(f('runs/rec/log/debug_log.2025-06-21-14-00-00.txt'), 'vlm-r1-debug');
    assert.equal(f('runs/trl/completions/completions_00010.parquet'), 'trl-parquet');
    assert.equal(f('runs/swift/completions.jsonl'), 'ms-swift-jsonl');
    assert.equal(f('runs/easy/generations.log'), 'easyr1-generations');
    assert.equal(f('evals/counting_results_superclevr_grpo100.json'), 'r1v-eval-json');
    assert.equal(f('evals/vsr/generated_responses.json'), 'generated-responses-json');
    assert.equal(f('runs/run.rollouts.jsonl'), 'rollout-lens-jsonl');
    assert.equal(f('runs/notes.txt'), null);
    assert.equal(f('runs/other.jsonl'), null);
    // a renamed file is still recognised by content
    const renamed = path.join(ws, 'renamed.data');
    fs.copyFileSync(path.join(ws, 'runs/swift/completions.jsonl'), renamed);
    assert.equal(detectFile(renamed), 'ms-swift-jsonl');
    fs.rmSync(renamed);
  });

  it('finds every log in a folder: per-step files as one log, companions with their main log, configs skipped', async () => {
    const { specs, errors } = await findLogs([ws]);
    assert.deepEqual(errors, []);
    const rel = specs.map((s) => [s.format, path.relative(ws, s.target).split(path.sep).join('/'), s.files.length]);
    assert.deepEqual(
      rel.sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      [
        ['r1v-eval-json', 'evals/counting_results_superclevr_grpo100.json', 1],
        ['generated-responses-json', 'evals/vsr/generated_responses.json', 1],
        ['easyr1-generations', 'runs/easy/generations.log', 1],
        ['trl-wandb-table', 'runs/old-trl/wandb/run-20250101_000000-abc/files/media/table', 1],
        ['vlm-r1-debug', 'runs/rec/log/debug_log.2025-06-21-14-00-00.txt', 1],
        ['rollout-lens-jsonl', 'runs/run.rollouts.jsonl', 1],
        ['ms-swift-jsonl', 'runs/swift/completions.jsonl', 1],
        ['trl-parquet', 'runs/trl/completions', 3],
      ].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    );
    const trl = specs.find((s) => s.format === 'trl-parquet')!;
    assert.deepEqual(trl.files.map((f) => path.basename(f)), ['completions_00010.parquet', 'completions_00011.parquet', 'completions_00012.parquet']);
  });

  it('reports a path that does not exist and a folder with no logs', async () => {
    const empty = tempDir();
    const { specs, errors } = await findLogs([path.join(ws, 'nope'), empty]);
    assert.equal(specs.length, 0);
    assert.deepEqual(errors.map((e) => e.message.split(' (')[0]), ['no such file or folder', 'no rollout logs in this folder']);
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('summarises a folder of mixed formats, each log with how it was read', async () => {
    const { specs } = await findLogs([ws]);
    const s = await summarizeSpecs(specs);
    assert.equal(s.format, 'mixed');
    const byFormat = Object.fromEntries(s.logs.map((l) => [l.format, l]));
    assert.equal(byFormat['vlm-r1-debug']!.stepKind, 'batch-ordinal');
    assert.equal(byFormat['vlm-r1-debug']!.advantage.source, 'recomputed');
    assert.equal(byFormat['trl-parquet']!.advantage.source, 'logged');
    assert.equal(byFormat['ms-swift-jsonl']!.records, 4);
    assert.equal(byFormat['vlm-r1-debug']!.records, 4);
    assert.ok(s.errors.every((e) => e.file.length > 0));
  });

  it('the CLI reads every format of a folder; show numbers records across per-step files', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) };
    assert.equal(await main(['summary', ws, '--json'], io), 0);
    const s = JSON.parse(out.join(''));
    assert.equal(s.logs.length, 8);
    out.length = 0;
    assert.equal(await main(['show', path.join(ws, 'runs', 'trl', 'completions'), '--record', '9', '--json'], io), 0);
    const shown = JSON.parse(out.join(''));
    assert.equal(shown.format, 'trl-parquet');
    assert.equal(shown.unit, 'row');
    assert.equal(path.basename(shown.file), 'completions_00012.parquet', 'the step-11 file repeats step 10 and is counted once');
  });

  it('groups runs of every framework for the Runs view with the default globs', async () => {
    const runs = await discoverRuns(ws, DEFAULT_RUN_GLOBS);
    const names = runs.map((r) => r.name).sort();
    // evals/ holds eval outputs of the workspace itself: the run is the workspace folder
    assert.deepEqual(names, ['easy', path.basename(ws), 'old-trl', 'rec', 'runs', 'swift', 'trl', 'vsr'].sort());
    assert.equal(runDirOf(path.join(ws, 'runs/old-trl/wandb/run-1/files/media/table'), true), path.join(ws, 'runs/old-trl'));
  });

  it('openPath opens a single-log folder and refuses a folder with several logs, naming them', async () => {
    const log = await openPath(path.join(ws, 'runs', 'trl', 'completions'));
    assert.equal(log.format, 'trl-parquet');
    log.close();
    await assert.rejects(openPath(ws), /holds 8 logs/);
  });
});

describe('LogBuilder', () => {
  const build = (rewards: number[], steps: number[], opts: Partial<Parameters<LogBuilder['finish']>[0]> = {}, adv?: number[]) => {
    const b = new LogBuilder();
    const f = b.addFile('x.jsonl');
    rewards.forEach((r, i) => b.add({ file: f, line: i + 1, step: steps[i]!, rewards: { acc: r }, advantage: adv?.[i] ?? NaN }));
    return b.finish({
      format: 'ms-swift-jsonl',
      file: 'x.jsonl',
      stepKind: 'step',
      grouping: 'blocks',
      bytes: 0,
      read: () => ({ rollout: null, issues: [] }),
      ...opts,
    });
  };

  it('cuts blocks of G per step, flags short groups, recomputes GRPO advantages with unbiased std + ε', () => {
    const log = build([1, 0, 1, 1, 0, 0, 1], [1, 1, 1, 1, 2, 2, 2], {
      groupSize: 4,
      groupSizeSource: 'args.json',
      estimator: { kind: 'grpo', epsilon: 1e-4, source: 'TRL default', assumed: true },
    });
    assert.deepEqual(log.groups.map((g) => g.records), [[0, 1, 2, 3], [4, 5, 6]]);
    assert.equal(log.grouping.irregular, 1);
    assert.match(log.issues[0]!.message, /holds 3 completions, expected G = 4/);
    const mean = 0.75;
    const std = Math.sqrt(((1 - mean) ** 2 * 3 + mean ** 2) / 3);
    assert.ok(Math.abs(log.columns!.advantage[1]! - (0 - mean) / (std + 1e-4)) < 1e-12);
    assert.equal(log.advantage.source, 'recomputed');
    assert.match(log.advantage.assumptions!, /ε = 0.0001 \(assumed: TRL default\)/);
    assert.ok(logNotes(log).some((n) => /recomputed/.test(n)));
  });

  it('infers G from logged advantages that sum to zero per block, and says it was assumed', () => {
    const steps = Float64Array.from([1, 1, 1, 1, 1, 1]);
    assert.equal(inferGroupSize(steps, Float64Array.from([1, -1, 0, 0.5, -1, 0.5])), 3);
    assert.equal(inferGroupSize(steps, Float64Array.from([1, 2, 3, 4, 5, 6])), null);
    const log = build([1, 0, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1], {}, [1, -1, 0, 0.5, -1, 0.5]);
    assert.equal(log.grouping.groupSize, 3);
    assert.equal(log.grouping.groupSizeAssumed, true);
    assert.equal(log.advantage.source, 'logged');
  });

  it('Dr. GRPO, RLOO and batch-std estimators', () => {
    const groups: LogGroup[] = [{ step: 1, groupId: '0', records: [0, 1, 2] }, { step: 1, groupId: '1', records: [3, 4, 5] }];
    const reward = Float64Array.from([1, 0, 2, 3, 3, 3]);
    const adv = new Float64Array(6);
    recomputeAdvantages(groups, reward, adv, { kind: 'dr-grpo', epsilon: 0, source: '', assumed: false });
    assert.deepEqual([...adv], [0, -1, 1, 0, 0, 0]);
    recomputeAdvantages(groups, reward, adv, { kind: 'rloo', epsilon: 0, source: '', assumed: false });
    assert.deepEqual([...adv.slice(0, 3)], [1 - 1, 0 - 1.5, 2 - 0.5]);
    recomputeAdvantages(groups, reward, adv, { kind: 'batch', epsilon: 0, source: '', assumed: false });
    const all = [1, 0, 2, 3, 3, 3];
    const m = all.reduce((a, b) => a + b) / 6;
    const sd = Math.sqrt(all.reduce((a, b) => a + (b - m) ** 2, 0) / 5);
    assert.ok(Math.abs(adv[1]! - (0 - 1) / sd) < 1e-12);
  });

  it("totalNeeds 'all': a missing reward makes the total and the group's advantages unknown", () => {
    const b = new LogBuilder();
    const f = b.addFile('x');
    b.add({ file: f, line: 1, step: 1, groupKey: 'a', rewards: { acc: 1, fmt: 1 } });
    b.add({ file: f, line: 2, step: 1, groupKey: 'a', rewards: { acc: null, fmt: 1 } });
    const log = b.finish({
      format: 'vlm-r1-debug', file: 'x', stepKind: 'batch-ordinal', grouping: 'key', bytes: 0, totalNeeds: 'all',
      estimator: { kind: 'grpo', epsilon: 1e-4, source: '', assumed: true }, read: () => ({ rollout: null, issues: [] }),
    });
    assert.equal(log.columns!.reward[0], 2);
    assert.ok(Number.isNaN(log.columns!.reward[1]!));
    assert.ok(Number.isNaN(log.columns!.advantage[0]!));
  });
});
