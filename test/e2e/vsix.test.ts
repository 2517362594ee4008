// Smoke test of the packaged linux-x64 .vsix (not the development folder): installed into a fresh
// code-server extensions folder, it must open the demo log with its boxes and load its own copy of
// onnxruntime-node's native binary. A file missing from the .vscodeignore allow-list fails here.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CS_VERSION, OUTPUT, REPO, openWorkbench, openLogFromPalette, runCommand, startDemoWorkbench, type DemoWorkbench } from './harness';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string; publisher: string; name: string };
const VSIX = path.join(REPO, 'dist-vsix', `rollout-lens-linux-x64-${pkg.version}.vsix`);

describe(`packaged linux-x64 .vsix in code-server ${CS_VERSION}`, function () {
  this.timeout(180_000);
  let wb: DemoWorkbench;

  before(async function () {
    assert.ok(fs.existsSync(VSIX), `${path.relative(REPO, VSIX)} is missing: run \`npm run package -- --target linux-x64\``);
    wb = await startDemoWorkbench({ prefix: 'rl-vsix-ws-', vsix: VSIX });
  });

  after(async () => {
    await wb?.close();
  });

  it('holds only its own platform binaries', () => {
    const list = execFileSync('python3', ['-m', 'zipfile', '-l', VSIX], { encoding: 'utf8' });
    assert.match(list, /onnxruntime-node\/bin\/napi-v6\/linux\/x64\/onnxruntime_binding\.node/);
    assert.doesNotMatch(list, /napi-v6\/(darwin|win32|linux\/arm64)/);
    assert.doesNotMatch(list, /\.map\b|\/test\/|extension\/(out|scripts)\//, 'no source maps, tests or build scripts');
    for (const f of [
      'extension/dist/extension.js', 'extension/dist/textWorker.js', 'extension/dist/summaryWorker.js', 'extension/dist/nliWorker.js', 'extension/dist/jobWrapper.js', 'extension/dist/webview/inspector.js',
      'extension/dist/webview/inspector.css', 'extension/dist/webview/canvas.css', 'extension/dist/webview/panes.css', 'extension/dist/webview/uplot.css', 'extension/readme.md',
    ]) {
      assert.ok(list.includes(f), `${f} is packaged`);
    }
  });

  it('opens the demo log with boxes, from the installed extension', async () => {
    const page = await wb.browser.newPage({ viewport: { width: 1400, height: 900 } });
    await openWorkbench(page, `${wb.server.base}/?folder=${encodeURIComponent(wb.workspace)}`);
    const wv = await openLogFromPalette(page, 'train.rollouts.jsonl');
    assert.ok((await wv.locator('.rlc-item[data-set="gt"]').count()) > 0, 'GT boxes drawn');
    await page.screenshot({ path: path.join(OUTPUT, 'vsix-inspector.png') });

    // onnxruntime-node from inside the .vsix: the self-test model runs in the extension host
    await runCommand(page, 'Rollout Lens: Check Local Judge Runtime');
    // Newer workbenches may send the message straight to the notification centre (no toast) while a
    // webview has focus: look in both.
    const toast = page.locator('.notifications-toasts, .notifications-center', { hasText: 'local judge runtime' }).first();
    if (!(await toast.waitFor({ timeout: 15_000 }).then(() => true, () => false))) {
      await runCommand(page, 'Notifications: Show Notifications');
      await toast.waitFor({ timeout: 30_000 }).catch(async (e: Error) => {
        await page.screenshot({ path: path.join(OUTPUT, 'vsix-runtime-fail.png') });
        throw e;
      });
    }
    assert.match((await toast.textContent()) ?? '', /onnxruntime-node 1\.30\.0 on linux-x64 \(self-test 1,2,3 → 2,4,6\)/);
    await page.screenshot({ path: path.join(OUTPUT, 'vsix-runtime.png') });
    await page.close();
  });
});
