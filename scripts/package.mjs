// `npm run package`: one .vsix per platform onnxruntime-node ships binaries for, each holding only
// its own native binaries (the allow-list .vscodeignore + that target's bin/napi-v6/<os>/<arch>).
// vsce runs `vscode:prepublish` (a production build) before each package.
//   node scripts/package.mjs [--target linux-x64]...   → dist-vsix/rollout-lens-<target>-<version>.vsix
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TARGETS = { 'linux-x64': 'linux/x64', 'linux-arm64': 'linux/arm64', 'darwin-arm64': 'darwin/arm64', 'win32-x64': 'win32/x64', 'win32-arm64': 'win32/arm64' };
const asked = process.argv.flatMap((a, i, all) => (a === '--target' ? [all[i + 1]] : []));
const targets = asked.length ? asked : Object.keys(TARGETS);
for (const t of targets) if (!TARGETS[t]) { console.error(`unknown target ${t}; one of ${Object.keys(TARGETS).join(', ')}`); process.exit(2); }

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const base = readFileSync(path.join(root, '.vscodeignore'), 'utf8');
const outDir = path.join(root, 'dist-vsix');
mkdirSync(outDir, { recursive: true });
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
for (const t of targets) {
  const bin = `node_modules/onnxruntime-node/bin/napi-v6/${TARGETS[t]}`;
  if (!existsSync(path.join(root, bin))) throw new Error(`${bin} is missing: run npm ci first`);
  const ignore = path.join(os.tmpdir(), `rollout-lens-${t}-${process.pid}.vscodeignore`);
  writeFileSync(ignore, `${base}\n!${bin}/**\n`);
  const out = path.join(outDir, `rollout-lens-${t}-${pkg.version}.vsix`);
  rmSync(out, { force: true });
  const t0 = Date.now();
  try {
    execFileSync(process.execPath, [vsce, 'package', '--target', t, '--ignoreFile', ignore, '--out', out, '--skip-license', '--allow-missing-repository', '--allow-star-activation', '--no-rewrite-relative-links'], {
      cwd: root, stdio: ['ignore', 'inherit', 'inherit']
    });
  } finally {
    rmSync(ignore, { force: true });
  }
  console.log(`packaged ${path.relative(root, out)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
