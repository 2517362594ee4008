// One esbuild script for every bundle (reference: vscode-engineering.md §3):
//   dist/extension.js  cjs/node, `vscode` and `onnxruntime-node` external (native, loaded lazily)
//   dist/cli.js        cjs/node, the `rollout-lens` command line
//   dist/demo.js       cjs/node, the demo workspace generator
//   dist/summaryWorker.js  cjs/node, the worker thread that indexes and summarises large logs
//   dist/demo/fake-trainer.js, dist/demo/fake-eval.js  cjs/node, self-contained: the demo's fake jobs
//   dist/webview/*.js  one esm bundle per webview panel (browser)
// and `tsc` for the unit/e2e test code (out/), which also type-checks everything.
//   node scripts/build.mjs [--watch] [--production] [--no-tsc]
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const runTsc = !process.argv.includes('--no-tsc');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root };
// mainFields: ESM builds first — jsonc-parser's UMD main requires its parts at run time, which a bundle cannot follow
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'onnxruntime-node'], mainFields: ['module', 'main'] };
const targets = [
  { ...node, entryPoints: ['extension/main.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['extension/cli.ts'], outfile: 'dist/cli.js' },
  { ...node, entryPoints: ['extension/demo/generate.ts'], outfile: 'dist/demo.js' },
  // the summary worker thread (extension/core/summaryWorker.ts), loaded from dist/ by the two bundles above
  { ...node, entryPoints: ['extension/core/summaryWorker.ts'], outfile: 'dist/summaryWorker.js' },
  { ...node, entryPoints: ['extension/core/query/textWorker.ts'], outfile: 'dist/textWorker.js' },
  { ...node, entryPoints: ['extension/core/judge/nliWorker.ts'], outfile: 'dist/nliWorker.js' },
  // the job wrapper: started detached (its own session), runs a job in its process group and writes its log and status
  { ...node, entryPoints: ['extension/core/jobs/wrapper.ts'], outfile: 'dist/jobWrapper.js' },
  // the demo's fake trainer and fake eval (test/fixtures/jobs/*.mjs, hyparquet-writer bundled in: they run with plain
  // `node` from a folder without node_modules); extension/demo/jobs.ts copies them into the demo workspace's tools/
  { ...node, sourcemap: false, entryPoints: ['test/fixtures/jobs/fake-trainer.mjs'], outfile: 'dist/demo/fake-trainer.js', banner: { js: '// Fake TRL GRPO trainer (SYNTHETIC, no model): Rollout Lens demo and tests. Source: test/fixtures/jobs/fake-trainer.mjs' } },
  { ...node, sourcemap: false, entryPoints: ['test/fixtures/jobs/fake-eval.mjs'], outfile: 'dist/demo/fake-eval.js', banner: { js: '// Fake checkpoint eval (SYNTHETIC, no model): Rollout Lens demo and tests. Source: test/fixtures/jobs/fake-eval.mjs' } },
  { ...common, platform: 'browser', format: 'esm', target: 'chrome120', entryPoints: ['webview/inspector/main.ts'], outfile: 'dist/webview/inspector.js' },
  { ...common, platform: 'browser', format: 'esm', target: 'chrome120', entryPoints: ['webview/compare/main.ts'], outfile: 'dist/webview/compare.js' },
];

function copyMedia() {
  mkdirSync(path.join(root, 'dist/webview'), { recursive: true });
  copyFileSync(path.join(root, 'media/inspector.css'), path.join(root, 'dist/webview/inspector.css'));
  copyFileSync(path.join(root, 'media/canvas.css'), path.join(root, 'dist/webview/canvas.css'));
  copyFileSync(path.join(root, 'media/panes.css'), path.join(root, 'dist/webview/panes.css'));
  copyFileSync(path.join(root, 'node_modules/uplot/dist/uPlot.min.css'), path.join(root, 'dist/webview/uplot.css'));
  if (existsSync(path.join(root, 'media/compare.css'))) copyFileSync(path.join(root, 'media/compare.css'), path.join(root, 'dist/webview/compare.css'));
}

const t0 = Date.now();
if (watch) {
  for (const t of targets) {
    const ctx = await esbuild.context(t);
    await ctx.watch();
  }
  copyMedia();
  console.log('watching… (types: run `npm run typecheck`)');
} else {
  await Promise.all(targets.filter((t) => existsSync(path.join(root, t.entryPoints[0]))).map((t) => esbuild.build(t)));
  copyMedia();
  if (runTsc) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'webview/tsconfig.json'], { cwd: root, stdio: 'inherit' });
  }
  console.log(`build done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
