// Jobs in the demo workspace: a fake trainer and a fake eval to launch from the editor, and the two job profiles
// (tasks of type `rollout-lens`, see extension/core/jobs/types.ts) that run them:
//
//   tools/fake-trainer.js   a small fake TRL GRPO run (test/fixtures/jobs/fake-trainer.mjs, bundled with
//                           hyparquet-writer by scripts/build.mjs into dist/demo/): writes runs/fake-grpo/
//                           completions/completions_NNNNN.parquet and checkpoint-N/ while it runs
//   tools/fake-eval.js      a fake eval of one checkpoint (test/fixtures/jobs/fake-eval.mjs): writes
//                           <checkpoint>/eval/<dataset>.eval.jsonl
//   .vscode/tasks.json      "Fake GRPO training (demo)" and "Fake eval (demo)"; tasks of other labels already in
//                           the file are kept (settings.json, written by judges.ts, is not touched)
//
// Both tools are SYNTHETIC (no model, no GPU) and need only `node`. The bundles are found in dist/demo/ of the
// extension folder (the one whose package.json is named rollout-lens, walking up from this module: dist/ in the
// bundled generator, out/extension/demo/ under the tests).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';

export const DEMO_TRAIN_TASK = 'Fake GRPO training (demo)';
export const DEMO_EVAL_TASK = 'Fake eval (demo)';
export const DEMO_JOB_TOOLS = ['fake-trainer.js', 'fake-eval.js'] as const;

export interface DemoJobs {
  /** `<root>/.vscode/tasks.json` (absolute). */
  tasksFile: string;
  /** `<root>/tools/fake-trainer.js` (absolute). */
  trainer: string;
  /** `<root>/tools/fake-eval.js` (absolute). */
  evaluator: string;
}

/** The demo's job profiles, as written into tasks.json. */
export function demoJobProfiles(): Array<Record<string, unknown>> {
  return [
    {
      label: DEMO_TRAIN_TASK,
      type: 'rollout-lens',
      kind: 'train',
      command: 'node',
      args: ['${workspaceFolder}/tools/fake-trainer.js', '--output_dir', '${workspaceFolder}/runs/fake-grpo', '--steps', '30', '--step_seconds', '2', '--workers', '3'],
      cwd: '${workspaceFolder}',
      outputDir: '${workspaceFolder}/runs/fake-grpo',
      env: { WANDB_MODE: 'offline' },
      problemMatcher: [],
    },
    {
      label: DEMO_EVAL_TASK,
      type: 'rollout-lens',
      kind: 'eval',
      command: 'node',
      args: ['${workspaceFolder}/tools/fake-eval.js', '--checkpoint', '${checkpoint}', '--dataset', '${dataset}'],
      cwd: '${workspaceFolder}',
      datasets: ['shapes-count', 'shapes-mc'],
      outputDir: '${checkpoint}/eval',
      problemMatcher: [],
    },
  ];
}

const TASKS_HEADER = [
  '// Rollout Lens job profiles: tasks of type "rollout-lens" run a training or eval job from the editor',
  '// (Terminal → Run Task…). `kind` is train or eval; `command` + `args` are an argument vector (never a',
  '// shell string); `outputDir` is watched while the job runs. Eval profiles may use ${checkpoint} and',
  '// ${dataset} (offered from `datasets`). Both tools here are SYNTHETIC demo jobs. tasks.json is JSONC.',
].join('\n');

/** The folder of the extension (its package.json is named rollout-lens), walking up from `start`. */
export function extensionRoot(start: string = __dirname): string | null {
  let d = path.resolve(start);
  for (;;) {
    const pkg = path.join(d, 'package.json');
    try {
      if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'rollout-lens') return d;
    } catch {
      /* no package.json here, or not JSON: keep walking */
    }
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/** Copies the fake trainer and eval into `<root>/tools/` and writes the job profiles into `<root>/.vscode/tasks.json`. */
export function writeDemoJobs(root: string): DemoJobs {
  const ext = extensionRoot();
  if (ext === null) throw new Error('demo jobs: the Rollout Lens folder (package.json named rollout-lens) was not found above ' + __dirname);
  const bundles = path.join(ext, 'dist', 'demo');
  const missing = DEMO_JOB_TOOLS.filter((f) => !fs.existsSync(path.join(bundles, f)));
  if (missing.length) throw new Error(`demo jobs: ${missing.map((f) => path.join(bundles, f)).join(', ')} missing: run node scripts/build.mjs`);
  const tools = path.join(root, 'tools');
  fs.mkdirSync(tools, { recursive: true });
  for (const f of DEMO_JOB_TOOLS) fs.copyFileSync(path.join(bundles, f), path.join(tools, f));

  const vscodeDir = path.join(root, '.vscode');
  fs.mkdirSync(vscodeDir, { recursive: true });
  const tasksFile = path.join(vscodeDir, 'tasks.json');
  const ours = demoJobProfiles();
  const labels = new Set(ours.map((t) => t.label));
  let kept: unknown[] = [];
  let version = '2.0.0';
  if (fs.existsSync(tasksFile)) {
    const old = parse(fs.readFileSync(tasksFile, 'utf8'), [], { allowTrailingComma: true }) as unknown;
    if (old && typeof old === 'object' && !Array.isArray(old)) {
      const o = old as { version?: unknown; tasks?: unknown };
      if (typeof o.version === 'string') version = o.version;
      if (Array.isArray(o.tasks)) kept = o.tasks.filter((t) => !(t && typeof t === 'object' && labels.has((t as { label?: unknown }).label)));
    }
  }
  const tasks = { version, tasks: [...kept, ...ours] };
  fs.writeFileSync(tasksFile, `${TASKS_HEADER}\n${JSON.stringify(tasks, null, 2)}\n`);
  return { tasksFile, trainer: path.join(tools, DEMO_JOB_TOOLS[0]), evaluator: path.join(tools, DEMO_JOB_TOOLS[1]) };
}
