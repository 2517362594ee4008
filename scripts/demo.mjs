// `npm run demo`: installs what is missing, generates the demo workspace, starts a real VS Code
// (code-server 4.100.3 on 127.0.0.1, no auth) with Rollout Lens loaded on it, and prints the URL.
//   npm run demo [-- --port 8080] [--out DIR] [--no-serve] [--seed N]
// Only the loopback interface is used; stop with Ctrl+C.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt; };
if (argv.includes('--help')) {
  console.log('npm run demo [-- --port 8080] [--out DIR] [--no-serve] [--seed N]');
  process.exit(0);
}
const port = Number(opt('--port', '8080'));
const out = path.resolve(opt('--out', path.join(root, 'demo-workspace')));
const serve = !argv.includes('--no-serve');
const seed = opt('--seed', undefined);
const run = (cmd, args, o = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...o });

// 1. dependencies and build
if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
  console.log('Installing npm dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
console.log('Building…');
run(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--no-tsc']);

// 2. the demo workspace
const require = createRequire(import.meta.url);
const { generateDemoWorkspace } = require(path.join(root, 'dist', 'demo.js'));
// Only ever replace a previous demo workspace, never someone's folder.
if (existsSync(out) && readdirSync(out).length > 0) {
  const readme = path.join(out, 'README.md');
  if (!existsSync(readme) || !readFileSync(readme, 'utf8').startsWith('# Rollout Lens demo workspace')) {
    console.error(`${out} exists and is not a Rollout Lens demo workspace: choose another folder with --out`);
    process.exit(2);
  }
  rmSync(out, { recursive: true, force: true });
}
const res = generateDemoWorkspace(out, seed !== undefined ? { seed: Number(seed) } : {});
console.log(`Demo workspace (synthetic data): ${out}\n  ${res.records} completions in ${path.relative(out, res.logFile)}, ${res.images} images`);
if (res.evals) console.log('  eval outputs of checkpoints 50, 100, 150 and 200 in runs/grpo-demo/eval/ (compare them from the Runs view)');
if (!serve) process.exit(0);

// 3. a real VS Code
console.log('Preparing code-server 4.100.3 (first time: about a minute)…');
const csDir = execFileSync('bash', [path.join(root, 'scripts', 'setup-code-server.sh'), '4.100.3'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
const entry = path.join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const state = path.join(root, '.tools', 'demo-state');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const extDir = path.join(state, 'extensions', `${pkg.publisher}.${pkg.name}-${pkg.version}`);
rmSync(path.join(state, 'extensions'), { recursive: true, force: true });
mkdirSync(path.join(extDir, 'node_modules'), { recursive: true });
for (const f of ['package.json', 'README.md', 'LICENSE', 'dist', 'media', 'schema']) if (existsSync(path.join(root, f))) cpSync(path.join(root, f), path.join(extDir, f), { recursive: true });
for (const m of ['onnxruntime-node', 'onnxruntime-common']) symlinkSync(path.join(root, 'node_modules', m), path.join(extDir, 'node_modules', m), 'dir');
const user = path.join(state, 'data', 'User');
mkdirSync(user, { recursive: true });
if (!existsSync(path.join(user, 'settings.json'))) {
  writeFileSync(path.join(user, 'settings.json'), JSON.stringify({
    'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'update.mode': 'none',
    'workbench.startupEditor': 'none', 'chat.disableAIFeatures': true, 'security.workspace.trust.enabled': false,
  }, null, 2));
}
writeFileSync(path.join(state, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
const x = path.join(state, 'xdg');
const child = spawn(process.execPath, [entry, '--config', path.join(state, 'config.yaml'), '--user-data-dir', path.join(state, 'data'),
  '--extensions-dir', path.join(state, 'extensions'), '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
  '--disable-update-check', '--disable-workspace-trust', out], {
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, XDG_CONFIG_HOME: path.join(x, 'config'), XDG_DATA_HOME: path.join(x, 'data'), XDG_CACHE_HOME: path.join(x, 'cache') },
});
let log = '';
child.stdout.on('data', (d) => { log += d; });
child.stderr.on('data', (d) => { log += d; });
child.on('exit', (code) => { console.error(`code-server exited (${code})\n${log.slice(-3000)}`); process.exit(code ?? 1); });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { child.kill('SIGTERM'); process.exit(0); });
const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(out)}`;
for (let i = 0; i < 300; i++) {
  try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* starting */ }
  await new Promise((r) => setTimeout(r, 200));
}
console.log(`\nRollout Lens demo is running in a real VS Code:\n\n  ${url}\n\nOpen it in a browser (on a remote machine, forward port ${port} first). In the activity bar, open "Rollout Lens"\nand click train.rollouts.jsonl, or run "Rollout Lens: Open Rollout Log…" from the command palette; select two\ncheckpoints there and choose "Compare Checkpoints…" from the context menu. Ctrl+C stops it.`);
