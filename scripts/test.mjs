// `npm test`: builds, then runs every tier and ends with one line "N passed, N failed".
//   unit     mocha on extension/core in plain Node (out/test/unit)
//   slurm    the Slurm backend on a throwaway single-node cluster (scripts/slurm-cluster.sh); skipped where
//            the slurm-wlm and munge packages cannot be had
//   webview  the panel bundle in Debian Chromium via playwright-core (out/test/webview)
//   e2e      real VS Code: code-server 4.100.3 (Node 20) and 4.139.1 (Node 24 from npm), plus the
//            packaged linux-x64 .vsix installed into code-server
// Options: --only unit|slurm|webview|e2e  ·  E2E_VERSIONS="4.100.3 4.139.1" (default both)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = (() => { const i = process.argv.indexOf('--only'); return i > 0 ? process.argv[i + 1] : null; })();
const versions = (process.env.E2E_VERSIONS || '4.100.3 4.139.1').split(/\s+/).filter(Boolean);
const results = path.join(root, 'test-output', 'results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const timings = [];
function step(name, cmd, args, env = {}) {
  const t0 = Date.now();
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const s = (Date.now() - t0) / 1000;
  timings.push([name, s]);
  console.log(`=== ${name}: ${s.toFixed(1)} s (exit ${r.status}) ===`);
  return r.status === 0;
}
const listTests = (dir) => existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(dir, f)) : [];
const mocha = (tier, timeout, files, env) => files.length ? step(tier, process.execPath, [path.join(root, 'scripts/run-mocha.cjs'), tier, String(timeout), ...files], env) : true;

let extraFailures = 0;
if (!step('build', process.execPath, [path.join(root, 'scripts/build.mjs')])) {
  console.log('build failed');
  extraFailures++;
} else {
  if (!only || only === 'unit') mocha('unit', 20000, listTests(path.join(root, 'out/test/unit')));
  if (!only || only === 'slurm') mocha('slurm', 180000, listTests(path.join(root, 'out/test/slurm')));
  if (!only || only === 'webview') mocha('webview', 60000, listTests(path.join(root, 'out/test/webview')));
  if (!only || only === 'e2e') {
    const pkg = step('package linux-x64 vsix', process.execPath, [path.join(root, 'scripts/package.mjs'), '--target', 'linux-x64']);
    if (!pkg) extraFailures++;
    for (const v of versions) {
      const setup = step(`install code-server ${v}`, 'bash', [path.join(root, 'scripts/setup-code-server.sh'), v]);
      if (!setup) { extraFailures++; continue; }
      mocha(`e2e-${v}`, 180000, listTests(path.join(root, 'out/test/e2e')), { CS_VERSION: v });
    }
  }
}

let passed = 0, failed = extraFailures, skipped = 0;
const failures = [];
const skips = [];
for (const f of readdirSync(results).filter((f) => f.endsWith('.json')).sort()) {
  const r = JSON.parse(readFileSync(path.join(results, f), 'utf8'));
  passed += r.passed; failed += r.failed; skipped += r.skipped || 0;
  failures.push(...r.failures.map((x) => `[${r.tier}] ${x}`));
  skips.push(...(r.skips || []).map((x) => `[${r.tier}] ${x}`));
}
console.log('\nTier timings:');
for (const [name, s] of timings) console.log(`  ${name.padEnd(28)} ${s.toFixed(1).padStart(7)} s`);
if (failures.length) { console.log('\nFailures:'); for (const f of failures) console.log('  ' + f); }
if (extraFailures) console.log(`\n${extraFailures} step(s) failed outside the test tiers (build, packaging or install) and count as failures.`);
if (skipped) { console.log(`\n${skipped} skipped (not counted as passed):`); for (const x of skips) console.log('  ' + x); }
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
