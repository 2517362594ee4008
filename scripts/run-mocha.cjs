// Runs one mocha tier and writes test-output/results/<name>.json = {tier, passed, failed, skipped, failures, skips}.
// Skipped tests (this.skip(), it.skip, pending) are counted apart: never as passed.
//   node scripts/run-mocha.cjs <name> <timeoutMs> <file>...
const fs = require('fs');
const path = require('path');
const Mocha = require('mocha');
const [name, timeout, ...files] = process.argv.slice(2);
const out = path.join(__dirname, '..', 'test-output', 'results');
fs.mkdirSync(out, { recursive: true });
const result = { tier: name, passed: 0, failed: 0, skipped: 0, failures: [], skips: [] };
const mocha = new Mocha({ ui: 'bdd', timeout: Number(timeout) || 10000, reporter: 'spec', color: process.stdout.isTTY === true });
for (const f of files) mocha.addFile(path.resolve(f));
const runner = mocha.run((failures) => {
  fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(result, null, 2));
  process.exitCode = failures > 0 ? 1 : 0;
});
runner.on('pass', () => result.passed++);
runner.on('pending', (t) => { result.skipped++; result.skips = [...(result.skips || []), t.fullTitle()]; });
runner.on('fail', (t, err) => { result.failed++; result.failures.push(`${t.fullTitle()}: ${err && err.message}`); });
