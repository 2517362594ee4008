// extensionTestsPath module: runs inside the real extension host of code-server. VS Code calls run().
// The remote extension host exits 0 even when run() rejects, so the results are also written to the
// file named by ROLLOUT_LENS_TEST_RESULT (the harness sets it in code-server's environment) and the
// harness reads that file.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

interface Result { tier: string; passed: number; failed: number; skipped: number; failures: string[]; skips: string[]; done: boolean }

export function run(): Promise<void> {
  const out = process.env.ROLLOUT_LENS_TEST_RESULT;
  const result: Result = { tier: 'e2e-extension-host', passed: 0, failed: 0, skipped: 0, failures: [], skips: [], done: false };
  const write = () => { if (out) fs.writeFileSync(out, JSON.stringify(result, null, 2)); };
  write();
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      result.done = true;
      write();
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', () => { result.passed++; write(); });
    // skipped (this.skip()) is counted apart, never as passed
    runner.on('pending', (t) => { result.skipped++; result.skips.push(t.fullTitle()); write(); });
    runner.on('fail', (t, err: Error) => { result.failed++; result.failures.push(`${t.fullTitle()}: ${err.message}`); write(); });
  });
}
