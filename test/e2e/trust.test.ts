// Workspace trust, end to end: a second code-server started with workspace trust on opens the demo
// workspace; the user answers "No, I don't trust the authors" (Restricted Mode). Viewing still works, and
// launching a job — which would run commands from the workspace's tasks.json — is refused with a message
// that says why and how to trust the folder; no job process starts.
import * as assert from 'assert';
import * as path from 'path';
import { spawnSync } from 'child_process';
import type { Page } from 'playwright-core';
import { CS_VERSION, OUTPUT, REPO, notification, openWorkbench, runCommand, startDemoWorkbench, type DemoWorkbench } from './harness';

/**
 * Run `title` from the palette and return the refusal's text (toast or notification center). Tried up to three
 * times: right after start-up a palette Enter can be lost while the extension host is still activating.
 */
async function refusal(page: Page, title: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, title);
    try {
      return await notification(page, 'disabled in Restricted Mode', 20_000);
    } catch (e) {
      if (attempt >= 3) {
        await page.screenshot({ path: path.join(OUTPUT, 'jobs-trust-failed.png') });
        throw e;
      }
      await page.keyboard.press('Escape');
    }
  }
}

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
    // VS Code 1.100 asks at startup (a modal: stay in Restricted Mode); later versions open the folder in
    // Restricted Mode with only the banner. Either way the status bar then says "Restricted Mode".
    const no = page.getByRole('button', { name: /No, I don.t trust the authors/i });
    const restricted = page.locator('.statusbar').getByText(/Restricted Mode/i).first();
    try {
      await Promise.race([no.waitFor({ timeout: 60_000 }), restricted.waitFor({ timeout: 60_000 })]);
    } catch (e) {
      await page.screenshot({ path: path.join(OUTPUT, 'jobs-trust-failed.png') });
      throw e;
    }
    // the modal may come up just after the status bar says Restricted Mode
    if (await no.waitFor({ timeout: 10_000 }).then(() => true, () => false)) await no.click();
    await page.locator('.statusbar').getByText(/Restricted Mode/i).first().waitFor({ timeout: 30_000 });

    // a toast (VS Code 1.100); later versions may only put it in the notification center (the bell's dot)
    const shown = await refusal(page, 'Rollout Lens: Launch Training…');
    assert.match(shown.replace(/\s+/g, ' '), /jobs run commands from this workspace's files/);
    await page.waitForTimeout(800); // the toast slides in
    await page.screenshot({ path: path.join(OUTPUT, 'jobs-trust-refused.png') });
    await page.keyboard.press('Escape');

    await runCommand(page, 'Notifications: Clear All Notifications');
    assert.match(await refusal(page, 'Rollout Lens: Evaluate Checkpoint…'), /disabled in Restricted Mode/, 'the eval command is refused too');
    const ps = spawnSync('pgrep', ['-f', path.join(wb.workspace, 'tools', 'fake-')], { encoding: 'utf8' });
    assert.strictEqual(ps.stdout.trim(), '', 'no fake trainer or eval process was started');
    await page.close();
  });
});
