// Runs one mocha tier and writes test-output/results/<name>.json = {tier, passed, failed, failures}.
//   node scripts/run-mocha.cjs <name> <timeoutMs> <file>...
const fs = require('fs');
const path = require('path');
const Mocha = require('mocha');
const [name, timeout, ...files] = process.argv.slice(2);
const out = path.join(__dirname, '..', 'test-output', 'results');
fs.mkdirSync(out, { recursive: true });
const result = { tier: name, passed: 0, failed: 0, failures: [] };
const mocha = new Mocha({ ui: 'bdd', timeout: Number(timeout) || 10000, reporter: 'spec', color: process.stdout.isTTY === true });
for (const f of files) mocha.addFile(path.resolve(f));
const runner = mocha.run((failures) => {
  fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(result, null, 2));
  process.exitCode = failures > 0 ? 1 : 0;
});
runner.on('pass', () => result.passed++);
runner.on('fail', (t, err) => { result.failed++; result.failures.push(`${t.fullTitle()}: ${err && err.message}`); });
