// End-to-end: the extension in a real VS Code (code-server CS_VERSION), on the generated demo workspace.
// 1. the extension-host suite (test/e2e/ext) runs in the real extension host and writes its result file;
// 2. a user's path through the UI: command palette → Open Rollout Log… → the inspector webview with the
//    image, boxes and rewards; keyboard navigation; the Runs view in the activity bar. Screenshots are
//    kept under test-output/e2e-<version>/.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { CS_VERSION, OUTPUT, REPO, contextMenu, notification, openWorkbench, openLogFromPalette, runCommand, startDemoWorkbench, webviewFrame, type DemoWorkbench } from './harness';
import { openRolloutLensJsonl } from '../../extension/core/formats/rolloutLensJsonl';

/** A copy of the first group of the demo log with bad input mixed in (lines 3, 5 and 6). */
function writeBrokenLog(ws: string, demoLog: string): void {
  const lines = fs.readFileSync(demoLog, 'utf8').split('\n').slice(0, 8);
  const rec = JSON.parse(lines[0]!);
  rec.prompt.images[0].path = 'no/such/image.png';
  rec.index_in_group = 9;
  const bad = [lines[0], lines[1], '{"step": 1, "group_id": "s1-p0", not json', lines[2], '{"step": 1, "completion": "no group id"}', JSON.stringify(rec), ...lines.slice(3)];
  fs.mkdirSync(path.join(ws, 'bad'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'bad', 'broken.rollouts.jsonl'), bad.join('\n') + '\n');
}

describe(`workbench e2e (code-server ${CS_VERSION})`, function () {
  this.timeout(180_000);
  let wb: DemoWorkbench;
  const resultFile = path.join(os.tmpdir(), `rl-ext-result-${process.pid}.json`);

  // a throwaway single-node Slurm cluster for the extension host's Slurm tests (skipped there when it cannot start)
  const slurmDir = path.join(os.tmpdir(), `rl-e2e-slurm-${process.pid}`);
  let slurmConf: string | undefined;

  before(async () => {
    const cluster = spawnSync('bash', [path.join(REPO, 'scripts', 'slurm-cluster.sh'), 'start', slurmDir], { encoding: 'utf8', timeout: 400_000 });
    if (cluster.status === 0) slurmConf = path.join(slurmDir, 'slurm.conf');
    else console.log(`    (no Slurm cluster for the extension-host tests: ${(cluster.stdout + cluster.stderr).trim().split('\n').pop()})`);
    wb = await startDemoWorkbench({
      prefix: 'rl-ws-',
      env: { ROLLOUT_LENS_TEST_RESULT: resultFile, ...(slurmConf ? { SLURM_CONF: slurmConf } : {}) },
      prepare: writeBrokenLog,
    });
  });

  after(async () => {
    await wb?.close();
    fs.rmSync(resultFile, { force: true });
    if (fs.existsSync(slurmDir)) {
      spawnSync('bash', [path.join(REPO, 'scripts', 'slurm-cluster.sh'), 'stop', slurmDir], { encoding: 'utf8', timeout: 120_000 });
      fs.rmSync(slurmDir, { recursive: true, force: true });
    }
  });

  async function newPage(): Promise<Page> {
    const page = await wb.browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => console.log('    [pageerror]', e.message.slice(0, 300)));
    return page;
  }

  it('runs the extension-host suite in the real extension host', async () => {
    fs.rmSync(resultFile, { force: true });
    const page = await newPage();
    let exitCode: number | undefined;
    await page.exposeFunction('codeAutomationExit', (code: number) => { exitCode = code; });
    await page.exposeFunction('codeAutomationLog', () => undefined);
    await openWorkbench(page, wb.server.url({ devPath: REPO, testsPath: path.join(REPO, 'out', 'test', 'e2e', 'ext', 'index.js') }));
    const deadline = Date.now() + 150_000;
    let result: { passed: number; failed: number; failures: string[]; done: boolean } | undefined;
    while (Date.now() < deadline) {
      if (fs.existsSync(resultFile)) {
        try {
          result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
        } catch {
          // caught mid-write: read it again on the next tick
        }
        if (result?.done) break;
      }
      await page.waitForTimeout(500);
    }
    await page.screenshot({ path: path.join(OUTPUT, 'extension-host.png') });
    await page.close();
    assert.ok(result, 'the extension-host suite never wrote its result file');
    fs.mkdirSync(path.join(REPO, 'test-output', 'results'), { recursive: true });
    fs.writeFileSync(path.join(REPO, 'test-output', 'results', `e2e-extension-host-${CS_VERSION}.json`), JSON.stringify({ ...result, tier: `e2e-extension-host-${CS_VERSION}` }));
    assert.ok(result.done, `the extension-host suite did not finish (exit code ${exitCode}); so far ${JSON.stringify(result)}`);
    assert.deepStrictEqual(result.failures, []);
    assert.ok(result.passed >= 5, `only ${result.passed} extension-host tests passed`);
  });

  it('opens the demo log from the command palette and shows image, boxes, completion and rewards', async () => {
    const log2 = await openRolloutLensJsonl(wb.logFile);
    const g0 = log2.groups[0]!;

    const page = await newPage();
    await openWorkbench(page, wb.server.url({ devPath: REPO }));
    const wv = await openLogFromPalette(page, 'train.rollouts.jsonl');
    // the first completion shown is the group's highest advantage
    const shown = [...g0.records].map((ri) => log2.read(ri).rollout!).sort((a, b) => (b.advantage ?? -Infinity) - (a.advantage ?? -Infinity) || a.indexInGroup - b.indexInGroup);
    const first = shown[0]!;
    await wv.locator('canvas.rlc-canvas[data-state="image"]').first().waitFor({ timeout: 30_000 });
    assert.strictEqual(await wv.locator('.rlc-item[data-set="gt"]').count(), first.reference.boxes.length, 'ground-truth boxes drawn');
    assert.strictEqual(await wv.locator('.rlc-item[data-set="pred"]').count(), first.predicted.length, 'predicted boxes drawn');
    assert.ok(first.reference.boxes.length > 0);
    for (const [name, value] of Object.entries(first.rewards)) {
      const chip = wv.locator(`.reward-chip[data-reward="${name}"] .chip-value`);
      assert.strictEqual(await chip.textContent(), value === null ? '—' : value.toFixed(2), `reward ${name}`);
    }
    assert.strictEqual(await wv.locator('#reward-total .chip-value').textContent(), first.reward!.toFixed(2));
    const text = await wv.locator('#completion').textContent();
    assert.strictEqual(text, first.completion, 'the completion is shown verbatim, as text');
    assert.strictEqual(await wv.locator('.mention').count() >= first.predicted.length, true, 'box mentions highlighted');
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(OUTPUT, 'inspector.png') });

    // keyboard: next completion (j), next group (J), next step (])
    await wv.locator('#completion').click();
    await page.keyboard.press('j');
    await wv.locator('#position').filter({ hasText: 'completion 2/' }).waitFor({ timeout: 10_000 });
    assert.strictEqual(await wv.locator('.rlc-item[data-set="pred"]').count(), shown[1]!.predicted.length);
    await page.keyboard.press('J');
    await wv.locator('#position').filter({ hasText: `group 2/${log2.groups.length}` }).waitFor({ timeout: 10_000 });
    await page.keyboard.press(']');
    await wv.locator('#position').filter({ hasText: `(2/${log2.steps.length})` }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('[');
    await wv.locator('#position').filter({ hasText: `(1/${log2.steps.length})` }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(OUTPUT, 'inspector-navigated.png') });
    await page.close();
    log2.close();
  });

  it("walks a researcher's path: curve → step → group → box mention → IoU threshold → filter", async () => {
    const log = await openRolloutLensJsonl(wb.logFile, { columns: true });
    const page = await newPage();
    await openWorkbench(page, wb.server.url({ devPath: REPO }));
    const wv = await openLogFromPalette(page, 'train.rollouts.jsonl');
    await wv.locator('canvas.rlc-canvas[data-state="image"]').first().waitFor({ timeout: 30_000 });
    // 1. the run overview: curves from the rollouts and trainer_state.json
    await wv.locator('#completion').click();
    await page.keyboard.press('1');
    await wv.locator('#view-overview .uplot').first().waitFor({ timeout: 30_000 });
    assert.ok((await wv.locator('#view-overview .ov-card').count()) >= 4, 'a chart per series');
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(OUTPUT, 'path-1-overview.png') });
    // 2. click a point on the reward curve: the Inspect view opens at that step
    const over = (await wv.locator('#view-overview .ov-card[data-key="reward"] .u-over').first().boundingBox())!;
    await page.mouse.click(over.x + over.width * 0.75, over.y + over.height / 2);
    await wv.locator('#view-inspect:not([hidden])').waitFor({ timeout: 10_000 });
    const pos = (await wv.locator('#position').textContent()) ?? '';
    const step = Number(/step (\d+)/.exec(pos)?.[1]);
    assert.ok(step > log.steps[0]!, `jumped past the first step (${pos})`);
    await page.screenshot({ path: path.join(OUTPUT, 'path-2-step.png') });
    // 3. the group's completions side by side, sorted by advantage
    const advs = await wv.locator('.card .card-adv').allTextContents();
    const nums = advs.map((a) => Number(a.replace(/^A\s*/, '').replace('−', '-')));
    for (let i = 1; i < nums.length; i++) if (Number.isFinite(nums[i]) && Number.isFinite(nums[i - 1])) assert.ok(nums[i]! <= nums[i - 1]! + 1e-9, `cards sorted by advantage: ${advs}`);
    // 4. hover a box mention: its box lights on the image (the canvas redraws it: pixels change)
    const mention = wv.locator('.mention[data-box]').first();
    if ((await mention.count()) === 0) await page.keyboard.press('j');
    await wv.locator('.mention[data-box]').first().waitFor({ timeout: 10_000 });
    const canvas = wv.locator('canvas.rlc-canvas').first();
    const before = await canvas.screenshot();
    await wv.locator('.mention[data-box]').first().hover();
    await page.waitForTimeout(200);
    const after = await canvas.screenshot();
    assert.ok(!before.equals(after), 'hovering a mention lights its box on the canvas');
    assert.ok(await wv.locator('.mention.lit').count(), 'the mention itself is lit');
    await page.screenshot({ path: path.join(OUTPUT, 'path-3-hover.png') });
    // 5. drag the IoU threshold: the TP / FP counts follow
    const counts = wv.locator('.rlc-counts');
    const setT = async (t: number) => {
      await wv.locator('.rlc-range').evaluate((e, v) => {
        (e as HTMLInputElement).value = String(v);
        e.dispatchEvent(new Event('input', { bubbles: true }));
      }, t);
      return (await counts.textContent()) ?? '';
    };
    let changed = false;
    for (let k = 0; k < 8 && !changed; k++) {
      const lo = await setT(0.05);
      const hi = await setT(0.95);
      changed = /TP (\d+)/.exec(lo)?.[1] !== /TP (\d+)/.exec(hi)?.[1];
      if (!changed) {
        await page.keyboard.press('j');
        await page.waitForTimeout(150);
      }
    }
    assert.ok(changed, 'TP count changes with the threshold on some completion of the group');
    await setT(0.5);
    await page.screenshot({ path: path.join(OUTPUT, 'path-4-threshold.png') });
    // 6. filter the sample list: iou < 0.3
    await wv.locator('#completion').click();
    await page.keyboard.press('/');
    const input = wv.locator('.sl-filter');
    await input.fill('iou < 0.3');
    await input.press('Enter');
    await wv.locator('.sl-row[data-record]').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    const status = ((await wv.locator('.sl-status').textContent()) ?? '').replace(/[\s,\u202f\u00a0]/g, '');
    const m = /^(\d+)of(\d+)/.exec(status);
    assert.ok(m, `status ${status}`);
    assert.strictEqual(Number(m[2]), log.recordCount);
    assert.ok(Number(m[1]) > 0 && Number(m[1]) < log.recordCount, status);
    await page.screenshot({ path: path.join(OUTPUT, 'path-5-filter.png') });
    // 7. open the worst row in the Inspect view
    await wv.locator('.sl-row[data-record]').first().dblclick();
    await wv.locator('#view-inspect:not([hidden])').waitFor({ timeout: 10_000 });
    await page.close();
    log.close();
  });

  it('judges the demo log with the local model from the Verdicts card: rules at once, model verdicts, agreement, badges', async () => {
    const page = await newPage();
    await openWorkbench(page, wb.server.url({ devPath: REPO }));
    const wv = await openLogFromPalette(page, 'train.rollouts.jsonl');
    await wv.locator('canvas.rlc-canvas[data-state="image"]').first().waitFor({ timeout: 30_000 });
    await wv.locator('#completion').click();
    await page.keyboard.press('1');
    const card = wv.locator('.verdicts-card');
    await card.waitFor({ timeout: 30_000 });
    await card.locator('.verdict-counts tr[data-kind="rules"]').waitFor({ timeout: 60_000 });
    const run = card.locator('.judge-run[data-kind="onnx"]');
    assert.strictEqual(await run.isDisabled(), false, 'the demo settings configure the local model');
    await run.click();
    await card.locator('.verdict-counts tr[data-kind="onnx"]').waitFor({ timeout: 90_000 });
    await card.locator('.verdict-agreement[data-a="onnx"][data-b="rules"] .kappa').waitFor({ timeout: 30_000 });
    const kappa = (await card.locator('.verdict-agreement[data-a="onnx"][data-b="rules"] .kappa').first().textContent()) ?? '';
    assert.match(kappa, /-?\d\.\d\d/, `κ shown: ${kappa}`);
    await wv.locator('#view-overview .ov-card[data-key^="alignment"]').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(600);
    await page.screenshot({ path: path.join(OUTPUT, 'verdicts-1-card.png') });
    // the Inspect view: a badge on every judged completion, one chip per source
    await page.keyboard.press('2');
    await wv.locator('#view-inspect:not([hidden])').waitFor({ timeout: 10_000 });
    await wv.locator('#verdict').first().waitFor({ timeout: 30_000 });
    const kinds = await wv.locator('[data-kind]').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-kind')))]);
    assert.ok(kinds.includes('onnx') && kinds.includes('rules'), `sources shown: ${kinds.join(', ')}`);
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(OUTPUT, 'verdicts-2-sample.png') });
    await page.close();
  });

  it('lists the demo run in the Rollout Lens view and opens its log from the tree', async () => {
    const page = await newPage();
    await openWorkbench(page, wb.server.url({ devPath: REPO }));
    const tab = page.locator('.activitybar .action-item a[aria-label^="Rollout Lens"]').first();
    await tab.waitFor({ timeout: 60_000 });
    await tab.click();
    const run = page.locator('.monaco-list-row', { hasText: 'grpo-demo' }).first();
    await run.waitFor({ timeout: 60_000 });
    const item = page.locator('.monaco-list-row', { hasText: 'train.rollouts.jsonl' }).first();
    await item.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(OUTPUT, 'runs-view.png') });
    await item.click();
    const wv = webviewFrame(page);
    await wv.locator('#position').filter({ hasText: 'completion 1/' }).waitFor({ timeout: 60_000 });
    await wv.locator('.rlc-item').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(OUTPUT, 'runs-view-opened.png') });
    await page.close();
  });

  it('compares two checkpoints from the Runs tree and opens a flipped sample side by side', async () => {
    const page = await newPage();
    await openWorkbench(page, wb.server.url({ devPath: REPO }));
    const tab = page.locator('.activitybar .action-item a[aria-label^="Rollout Lens"]').first();
    await tab.waitFor({ timeout: 60_000 });
    await tab.click();
    const row = (label: string) => page.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();
    const c100 = row('checkpoint-100');
    const c200 = row('checkpoint-200');
    await c200.waitFor({ timeout: 60_000 });
    await page.locator('.monaco-list-row', { hasText: 'shapes-count' }).first().waitFor({ state: 'attached', timeout: 1000 }).catch(() => undefined);
    await page.screenshot({ path: path.join(OUTPUT, 'compare-0-tree.png') });
    // select both checkpoints and choose "Compare Checkpoints…" from the context menu
    await c100.click();
    await c200.click({ modifiers: ['Control'] });
    await contextMenu(page, c200, 'Compare Checkpoints');
    const wv = webviewFrame(page);
    try {
      await wv.locator('.cmp-table .cmp-row').first().waitFor({ timeout: 90_000 });
    } catch (e) {
      await page.screenshot({ path: path.join(OUTPUT, 'compare-failed.png') });
      const text = await wv.locator('body').textContent({ timeout: 2000 }).catch(() => '(no webview)');
      throw new Error(`the comparison table never showed; the panel says: ${String(text).slice(0, 600)}\n${String(e)}`);
    }
    await wv.locator('.cmp-row[data-dataset="shapes-count"][data-slice="ID"]').waitFor({ timeout: 30_000 });
    assert.ok(await wv.locator('.cmp-row[data-dataset="shapes-mc"][data-slice="OOD"]').count(), 'a row per dataset and domain');
    const chips = (await wv.locator('.cmp-source').allTextContents()).join(' | ');
    assert.match(chips, /checkpoint-100.*\|.*checkpoint-200/, 'the earlier checkpoint is the baseline A');
    const id = (await wv.locator('.cmp-row[data-dataset="shapes-count"][data-slice="ID"] .cmp-cell[data-metric="accuracy"][data-source="1"]').textContent()) ?? '';
    assert.match(id, /\+\d+\.\d\*/, `checkpoint-200's in-domain gain is marked significant: ${id}`);
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(OUTPUT, 'compare-1-table.png') });
    // the flips: right in checkpoint-100, wrong in checkpoint-200; open the first side by side
    await wv.locator('.cmp-tab[data-tab="flips"]').click();
    const flip = wv.locator('.cmp-flip[data-key]').first();
    await flip.waitFor({ timeout: 30_000 });
    await flip.click();
    await page.keyboard.press('Enter');
    await wv.locator('.cmp-side[data-source="0"] canvas.rlc-canvas[data-state="image"]').waitFor({ timeout: 30_000 });
    await wv.locator('.cmp-side[data-source="1"] canvas.rlc-canvas[data-state="image"]').waitFor({ timeout: 30_000 });
    assert.ok(await wv.locator('.cmp-change').count(), 'what changed between the two answers is listed');
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(OUTPUT, 'compare-2-sample.png') });
    // curves across the four evaluated checkpoints
    await wv.locator('.cmp-tab[data-tab="curves"]').click();
    await wv.locator('.cmp-curve[data-metric="accuracy"] .uplot').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(OUTPUT, 'compare-3-curves.png') });
    await page.close();
  });

  it('opens a VLM-R1 debug log and a verl folder from the Runs view, with what was assumed shown', async () => {
    const page = await newPage();
    await openWorkbench(page, wb.server.url({ devPath: REPO }));
    const tab = page.locator('.activitybar .action-item a[aria-label^="Rollout Lens"]').first();
    await tab.waitFor({ timeout: 60_000 });
    await tab.click();
    const item = page.locator('.monaco-list-row', { hasText: 'debug_log.2026-11-21-10-00-00.txt' }).first();
    await item.waitFor({ timeout: 60_000 });
    await item.click();
    const wv = webviewFrame(page);
    await wv.locator('#position').filter({ hasText: 'completion 1/8' }).waitFor({ timeout: 60_000 });
    assert.match((await wv.locator('#meta').textContent()) ?? '', /VLM-R1 family debug log/);
    await wv.locator('canvas.rlc-canvas[data-state="image"]').first().waitFor({ timeout: 30_000 });
    assert.ok((await wv.locator('.rlc-item[data-set="pred"]').count()) > 0, 'boxes from the logged completion are drawn on the resolved image');
    assert.ok(await wv.locator('.reward-chip[data-reward="format"]').count(), 'the format reward joined from _format.txt');
    await wv.locator('#log-notes summary').click();
    assert.match((await wv.locator('#log-notes').textContent()) ?? '', /batch ordinals/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(OUTPUT, 'vlm-r1-debug-log.png') });

    // verl logs no images: the run's rollout-lens.json names the dataset, and prompts are joined back to it
    await runCommand(page, 'View: Close All Editors');
    const verl = page.locator('.monaco-list-row', { hasText: 'rollout_data/ (24 files)' }).first();
    await verl.waitFor({ timeout: 30_000 });
    await verl.click();
    const wv2 = webviewFrame(page);
    await wv2.locator('#position').filter({ hasText: 'completion 1/8' }).waitFor({ timeout: 60_000 });
    assert.match((await wv2.locator('#meta').textContent()) ?? '', /verl rollout dump · 1536 completions/);
    await wv2.locator('canvas.rlc-canvas[data-state="image"]').first().waitFor({ timeout: 30_000 });
    assert.ok(await wv2.locator('.reward-chip[data-reward="score"]').count(), 'verl score shown as a reward');
    await wv2.locator('#log-notes summary').click();
    assert.match((await wv2.locator('#log-notes').textContent()) ?? '', /recomputed/);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(OUTPUT, 'verl-folder.png') });
    await page.close();
  });
  it('launches the fake trainer from the palette, watches rollouts arrive, survives a reload, stops it, and evaluates a checkpoint from the tree', async () => {
    const page = await newPage();
    await openWorkbench(page, wb.server.url({ devPath: REPO }));
    const outDir = path.join(wb.workspace, 'runs', 'fake-grpo');
    fs.rmSync(outDir, { recursive: true, force: true });
    await runCommand(page, 'Rollout Lens: Launch Training…');
    // the status bar: the job and its progress, parsed from the trainer's tqdm bar
    const item = page.locator('.statusbar-item', { hasText: 'Fake GRPO training' }).first();
    await item.waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: /step [2-9]\/30/ }).first().waitFor({ timeout: 60_000 });
    // the task's terminal shows the output
    await page.locator('.terminal-wrapper, .terminal').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(OUTPUT, 'jobs-1-statusbar.png') });

    // the run's completions folder, opened in the inspector, following the newest step
    await runCommand(page, 'Rollout Lens: Open Rollout Log…');
    const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'completions' }).first();
    await pick.waitFor({ timeout: 30_000 });
    await pick.click();
    const wv = webviewFrame(page);
    await wv.locator('#position').filter({ hasText: 'completion 1/' }).waitFor({ timeout: 60_000 });
    await wv.locator('#follow').click();
    await wv.locator('#follow[aria-pressed="true"]').waitFor({ timeout: 5000 });
    const stepOf = async () => Number(/step (\d+)/.exec((await wv.locator('#position').textContent()) ?? '')?.[1] ?? NaN);
    await page.waitForTimeout(500);
    const s0 = await stepOf();
    const deadline = Date.now() + 45_000;
    let s1 = s0;
    while (Date.now() < deadline && !(s1 > s0)) {
      await page.waitForTimeout(1000);
      s1 = await stepOf();
    }
    assert.ok(s1 > s0, `following the newest step: step ${s0} → ${s1}`);
    await page.screenshot({ path: path.join(OUTPUT, 'jobs-2-rollouts-arriving.png') });

    // a window reload: the job keeps running and is found again
    const reloaded = page.waitForEvent('load', { timeout: 90_000 });
    await runCommand(page, 'Developer: Reload Window');
    await reloaded;
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await page.locator('.statusbar-item', { hasText: 'Fake GRPO training' }).first().waitFor({ timeout: 90_000 });
    await page.waitForTimeout(1000);
    await page.screenshot({ path: path.join(OUTPUT, 'jobs-3-after-reload.png') });
    const running = spawnSync('pgrep', ['-f', outDir], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    assert.ok(running.length >= 3, `the trainer and its workers still run after the reload: ${running.join(' ')}`);

    // Stop Job: the status bar item goes, no process of the job is left
    await runCommand(page, 'Rollout Lens: Stop Job');
    await page.locator('.statusbar-item', { hasText: 'Fake GRPO training' }).first().waitFor({ state: 'hidden', timeout: 60_000 });
    assert.match(await notification(page, 'was stopped'), /Fake GRPO training \(demo\)" was stopped/);
    const left = spawnSync('pgrep', ['-f', outDir], { encoding: 'utf8' }).stdout.trim();
    assert.strictEqual(left, '', 'no process of the job is left');

    // Evaluate Checkpoint… from the checkpoint's context menu in the Runs tree
    const tab = page.locator('.activitybar .action-item a[aria-label^="Rollout Lens"]').first();
    await tab.click();
    await runCommand(page, 'Rollout Lens: Refresh Runs');
    const ckpt = page.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: /^checkpoint-2$/ }) }).first();
    await ckpt.waitFor({ timeout: 60_000 });
    await contextMenu(page, ckpt, 'Evaluate Checkpoint');
    const ds = page.locator('.quick-input-list .monaco-list-row', { hasText: 'shapes-mc' }).first();
    await ds.waitFor({ timeout: 30_000 });
    await ds.click();
    const evalFile = path.join(outDir, 'checkpoint-2', 'eval', 'shapes-mc.eval.jsonl');
    for (let i = 0; i < 90 && !fs.existsSync(evalFile); i++) await page.waitForTimeout(1000);
    assert.match(await notification(page, 'completed'), /Fake eval \(demo\) \(checkpoint-2, shapes-mc\)" completed/);
    await page.locator('.monaco-list-row', { hasText: 'shapes-mc.eval.jsonl' }).first().waitFor({ state: 'attached', timeout: 30_000 }).catch(() => undefined);
    await page.screenshot({ path: path.join(OUTPUT, 'jobs-4-eval-done.png') });
    assert.ok(fs.existsSync(path.join(outDir, 'checkpoint-2', 'eval', 'shapes-mc.eval.jsonl')), 'the eval wrote its results next to the checkpoint');
    await page.close();
  });
});
