// Workspace trust, end to end: a second code-server started with workspace trust on opens the demo
// workspace; the user answers "No, I don't trust the authors" (Restricted Mode). Viewing still works, and
// launching a job — which would run commands from the workspace's tasks.json — is refused with a message
// that says why and how to trust the folder; no job process starts.
import * as assert from 'assert';
import * as path from 'path';
import { spawnSync } from 'child_process';
import type { Page } from 'playwright-core';
import { CS_VERSION, OUTPUT, REPO, openWorkbench, runCommand, startDemoWorkbench, type DemoWorkbench } from './harness';

describe(`workspace trust on (code-server ${CS_VERSION})`, function () {
  this.timeout(180_000);
  let wb: DemoWorkbench;

  before(async () => {
    wb = await startDemoWorkbench({ prefix: 'rl-trust-', trust: true });
  });
  after(async () => {
    await wb?.close();
  });

  it('refuses to launch or evaluate in Restricted Mode, with a clear message, and starts nothing', async () => {
    const page: Page = await wb.browser.newPage({ viewport: { width: 1400, height: 900 } });
    await openWorkbench(page, wb.server.url({ devPath: REPO }));
    // the trust prompt at startup: stay in Restricted Mode
    const no = page.getByRole('button', { name: /No, I don.t trust the authors/i });
    await no.waitFor({ timeout: 60_000 });
    await no.click();
    await page.locator('.statusbar').getByText(/Restricted Mode/i).first().waitFor({ timeout: 30_000 });

    await runCommand(page, 'Rollout Lens: Launch Training…');
    const toast = page.locator('.notification-toast').filter({ hasText: 'disabled in Restricted Mode' }).first();
    await toast.waitFor({ timeout: 30_000 });
    assert.match((await toast.innerText()).replace(/\s+/g, ' '), /jobs run commands from this workspace's files/);
    await page.waitForTimeout(800); // the toast slides in
    await page.screenshot({ path: path.join(OUTPUT, 'jobs-trust-refused.png') });

    await runCommand(page, 'Rollout Lens: Evaluate Checkpoint…');
    await page.waitForTimeout(1500);
    const count = await page.locator('.notification-toast, .notifications-list-container .monaco-list-row').filter({ hasText: 'disabled in Restricted Mode' }).count();
    assert.ok(count >= 1, 'the eval command is refused too');
    const ps = spawnSync('pgrep', ['-f', path.join(wb.workspace, 'tools', 'fake-')], { encoding: 'utf8' });
    assert.strictEqual(ps.stdout.trim(), '', 'no fake trainer or eval process was started');
    await page.close();
  });
});
