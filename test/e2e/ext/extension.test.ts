// Runs in the real extension host (code-server): the extension's API, commands, tree and custom editor.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { RolloutLensApi } from '../../../extension/main';

const EXT_ID = 'rollout-lens.rollout-lens';

async function api(): Promise<RolloutLensApi> {
  const ext = vscode.extensions.getExtension<RolloutLensApi>(EXT_ID);
  assert.ok(ext, `extension ${EXT_ID} is not loaded`);
  return ext.activate();
}

function logUri(): vscode.Uri {
  const ws = vscode.workspace.workspaceFolders?.[0];
  assert.ok(ws, 'no workspace folder');
  return vscode.Uri.joinPath(ws.uri, 'runs', 'grpo-demo', 'rollouts', 'train.rollouts.jsonl');
}

function waitFor<T>(event: vscode.Event<T>, pred: (v: T) => boolean, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { d.dispose(); reject(new Error(`timed out waiting for ${what}`)); }, ms);
    const d = event((v) => { if (pred(v)) { clearTimeout(t); d.dispose(); resolve(v); } });
  });
}

describe('Rollout Lens in a real VS Code', () => {
  it('activates and registers its commands', async () => {
    await api();
    const cmds = await vscode.commands.getCommands(true);
    for (const c of ['rolloutLens.openLog', 'rolloutLens.refreshRuns']) assert.ok(cmds.includes(c), `missing command ${c}`);
  });

  it('the Runs tree lists the demo run with its log and checkpoints', async () => {
    const { runs } = await api();
    const roots = await runs.getChildren();
    const run = roots.find((n) => n.kind === 'run' && n.run.name === 'grpo-demo');
    assert.ok(run, `runs found: ${JSON.stringify(roots.map((n) => runs.getTreeItem(n).label))}`);
    const children = await runs.getChildren(run);
    const labels = children.map((n) => String(runs.getTreeItem(n).label));
    assert.ok(labels.includes('train.rollouts.jsonl'), labels.join(', '));
    assert.ok(labels.includes('checkpoint-100') && labels.includes('checkpoint-200'), labels.join(', '));
    const logItem = runs.getTreeItem(children.find((n) => n.kind === 'log')!);
    assert.strictEqual(logItem.command?.command, 'rolloutLens.openLogFromTree');
  });

  it('opening a *.rollouts.jsonl (as the Explorer does) shows the inspector and answers the first group', async () => {
    const { inspector } = await api();
    const created = waitFor(inspector.onDidCreateSession, () => true, 30_000, 'an inspector session');
    await vscode.commands.executeCommand('vscode.open', logUri());
    const session = await created;
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, 'active tab is not a custom editor');
    assert.strictEqual((tab.input as vscode.TabInputCustom).viewType, 'rolloutLens.inspector');
    const group = session.lastGroup ?? await waitFor(session.onDidAnswer, () => true, 30_000, 'the first group');
    assert.strictEqual(group.groupIndex, 0);
    assert.ok(group.rollouts.length >= 2, 'a group has several completions');
    const r = group.rollouts[0]!;
    assert.ok(r.images[0]?.url, 'the image resolves to a webview URL');
    assert.ok(r.gt.length > 0, 'ground-truth boxes present');
    assert.ok(r.rewards.some((x) => x.name === 'accuracy'), 'rewards by name');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a log with bad lines opens anyway: each problem names file and line, the rest is shown', async () => {
    const { inspector } = await api();
    const ws = vscode.workspace.workspaceFolders![0]!.uri;
    const broken = vscode.Uri.joinPath(ws, 'bad', 'broken.rollouts.jsonl');
    const created = waitFor(inspector.onDidCreateSession, () => true, 30_000, 'an inspector session');
    await vscode.commands.executeCommand('vscode.openWith', broken, 'rolloutLens.inspector');
    const session = await created;
    const init = session.lastInit ?? await waitFor(session.onDidInit, () => true, 30_000, 'init');
    const lines = init.issues.map((i) => i.line).sort((a, b) => a - b);
    assert.deepStrictEqual(lines, [3, 5], JSON.stringify(init.issues));
    assert.ok(init.issues.every((i) => i.file === broken.fsPath));
    assert.ok(init.records >= 7, `records: ${init.records}`);
    const group = session.lastGroup ?? await waitFor(session.onDidAnswer, () => true, 30_000, 'the first group');
    assert.ok(group.rollouts.length >= 7);
    const missing = group.rollouts.find((r) => r.line === 6);
    assert.ok(missing, 'the record with a missing image is still shown');
    assert.strictEqual(missing.images[0]!.url, null);
    assert.ok(missing.issues.some((i) => i.line === 6 && /image not found/i.test(i.message)), JSON.stringify(missing.issues));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('never writes to the log it shows', async () => {
    const fs = await import('fs');
    const p = logUri().fsPath;
    const before = fs.statSync(p);
    const { inspector } = await api();
    const created = waitFor(inspector.onDidCreateSession, () => true, 30_000, 'an inspector session');
    await vscode.commands.executeCommand('vscode.openWith', logUri(), 'rolloutLens.inspector');
    const session = await created;
    if (!session.lastGroup) await waitFor(session.onDidAnswer, () => true, 30_000, 'a group');
    const after = fs.statSync(p);
    assert.strictEqual(after.mtimeMs, before.mtimeMs);
    assert.strictEqual(after.size, before.size);
    const siblings = fs.readdirSync(path.dirname(p));
    assert.deepStrictEqual(siblings.filter((f) => !f.endsWith('.rollouts.jsonl')), [], 'no sidecar written next to the log');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the Runs tree lists a run of every framework the demo writes, checked by content', async () => {
    const { runs } = await api();
    runs.refresh();
    const roots = await runs.getChildren();
    const names = roots.filter((n) => n.kind === 'run').map((n) => (n.kind === 'run' ? n.run.name : ''));
    for (const want of ['grpo-demo', 'trl-demo', 'verl-demo', 'vlm-r1-demo', 'ms-swift-demo']) assert.ok(names.includes(want), `runs: ${names.join(', ')}`);
    const trl = roots.find((n) => n.kind === 'run' && n.run.name === 'trl-demo')!;
    const logs = (await runs.getChildren(trl)).filter((n) => n.kind === 'log');
    assert.strictEqual(logs.length, 1, 'the per-step parquet files are one log');
    const item = runs.getTreeItem(logs[0]!);
    assert.match(String(item.label), /^completions\/ \(6 files\)$/);
    assert.match(String(item.description), /TRL completions \(Parquet\)/);
    const vlm = roots.find((n) => n.kind === 'run' && n.run.name === 'vlm-r1-demo')!;
    const vlmLogs = (await runs.getChildren(vlm)).filter((n) => n.kind === 'log').map((n) => String(runs.getTreeItem(n).label));
    assert.deepStrictEqual(vlmLogs, ['debug_log.2026-11-21-10-00-00.txt'], 'the _format.txt companion is read with its main log, not listed');
  });

  async function openTarget(rel: string[]): Promise<{
    init: import('../../../extension/protocol/inspector').InitPayload;
    group: import('../../../extension/protocol/inspector').GroupView;
    session: import('../../../extension/features/inspector/session').InspectorSession;
  }> {
    const { inspector } = await api();
    const ws = vscode.workspace.workspaceFolders![0]!.uri;
    const created = waitFor(inspector.onDidCreateSession, () => true, 30_000, 'an inspector session');
    await vscode.commands.executeCommand('rolloutLens.openInInspector', vscode.Uri.joinPath(ws, ...rel));
    const session = await created;
    const init = session.lastInit ?? await waitFor(session.onDidInit, () => true, 60_000, 'init');
    const group = session.lastGroup ?? await waitFor(session.onDidAnswer, () => true, 60_000, 'the first group');
    return { init, group, session };
  }

  it('a TRL completions folder opens as one log: 8 completions a group, advantages as logged, summary from the worker thread', async () => {
    const { init, group, session } = await openTarget(['runs', 'trl-demo', 'completions']);
    const summary = session.lastSummary?.state === 'done'
      ? session.lastSummary
      : await waitFor(session.onDidSummarize, (v) => v.state !== 'running', 60_000, 'the worker summary');
    assert.strictEqual(summary.state, 'done', JSON.stringify(summary));
    assert.strictEqual(summary.records, 384);
    assert.strictEqual(summary.groups, 48);
    assert.ok(typeof summary.zeroVarianceGroups === 'number');
    assert.deepStrictEqual(summary.rewards!.map((r) => r.name), ['accuracy_reward', 'format_reward', 'iou_reward']);
    assert.strictEqual(init.format, 'trl-parquet');
    assert.strictEqual(init.fileCount, 6);
    assert.deepStrictEqual(init.steps, [4, 8, 12, 16, 20, 24]);
    assert.strictEqual(group.rollouts.length, 8);
    assert.ok(group.rollouts.every((r) => r.advantageSource === 'logged' && r.unit === 'row'));
    assert.deepStrictEqual(group.rollouts[0]!.rewards.map((r) => r.name), ['accuracy_reward', 'format_reward', 'iou_reward']);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a verl rollout_data folder: groups rebuilt from shuffled rows, advantages recomputed and said so, G read from rollout-lens.json', async () => {
    const { init, group } = await openTarget(['runs', 'verl-demo', 'rollout_data']);
    assert.strictEqual(init.format, 'verl-jsonl');
    assert.strictEqual(init.fileCount, 24);
    assert.strictEqual(init.records, 24 * 64);
    assert.strictEqual(group.rollouts.length, 8);
    assert.ok(group.rollouts.every((r) => r.advantageSource === 'recomputed'));
    assert.ok(init.notes.some((n) => /recomputed/i.test(n) && /ε = (1e-6|0.000001)/.test(n)), init.notes.join(' | '));
    const g = init.context.find((c) => c.label === 'G');
    assert.ok(g && g.value === '8' && !g.assumed && /rollout-lens\.json/.test(g.source), JSON.stringify(init.context));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a VLM-R1 debug log: accuracy and format joined per completion, steps as batch ordinals, the image resolved', async () => {
    const { init, group } = await openTarget(['runs', 'vlm-r1-demo', 'log', 'debug_log.2026-11-21-10-00-00.txt']);
    assert.strictEqual(init.format, 'vlm-r1-debug');
    assert.strictEqual(init.records, 24 * 64);
    assert.ok(init.notes.some((n) => /batch ordinals/.test(n)), init.notes.join(' | '));
    assert.strictEqual(group.rollouts.length, 8);
    const r = group.rollouts[0]!;
    assert.deepStrictEqual(r.rewards.map((x) => x.name).sort(), ['accuracy', 'format']);
    assert.ok(r.images[0]?.url, 'the logged absolute image path resolves');
    assert.strictEqual(r.advantageSource, 'recomputed');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});

describe('Runs tree steps and groups, sample links, restored panels', () => {
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri;

  async function demoLogNode(runName: string, file: string) {
    const { runs } = await api();
    const roots = await runs.getChildren();
    const run = roots.find((n) => n.kind === 'run' && n.run.name === runName);
    assert.ok(run, `no run ${runName}`);
    const log = (await runs.getChildren(run)).find((n) => n.kind === 'log' && path.basename(n.log.target) === file);
    assert.ok(log, `no log ${file} in ${runName}`);
    return log;
  }

  it('a log node expands to its steps (counts, mean reward) and a step to its groups', async () => {
    const { runs } = await api();
    runs.refresh();
    const log = await demoLogNode('grpo-demo', 'train.rollouts.jsonl');
    const logItem = runs.getTreeItem(log);
    assert.strictEqual(logItem.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.strictEqual(logItem.command?.command, 'rolloutLens.openLogFromTree', 'a click still opens the log');
    const steps = await runs.getChildren(log);
    assert.strictEqual(steps.length, 24);
    const first = runs.getTreeItem(steps[0]!);
    assert.strictEqual(first.label, 'step 1');
    assert.match(String(first.description), /^8 groups · 64 completions · mean reward -?\d+\.\d\d$/);
    assert.strictEqual(first.contextValue, 'rolloutStep');
    const groups = await runs.getChildren(steps[0]!);
    assert.strictEqual(groups.length, 8);
    const g = runs.getTreeItem(groups[0]!);
    assert.strictEqual(g.label, 's1-p0');
    assert.match(String(g.description), /^8 · mean (-?\d+\.\d\d|—)( · no signal)?$/);
    assert.match(String(g.tooltip), /rewards: /);
    assert.strictEqual(g.contextValue, 'rolloutGroup');
    assert.strictEqual(g.command?.command, 'rolloutLens.openInInspector');
    // VLM-R1 debug logs carry no step: their steps are batch ordinals
    const vlm = await demoLogNode('vlm-r1-demo', 'debug_log.2026-11-21-10-00-00.txt');
    const vlmSteps = await runs.getChildren(vlm);
    assert.match(String(runs.getTreeItem(vlmSteps[0]!).label), /^batch \d+$/);
  });

  it('the newest step of a growing log appears without reopening it', async () => {
    const fs = await import('fs');
    const { runs } = await api();
    const lines = fs.readFileSync(logUri().fsPath, 'utf8').split('\n').filter((l) => l.trim());
    const recs = lines.map((l) => JSON.parse(l) as { step: number });
    const stepsInLog = [...new Set(recs.map((r) => r.step))];
    const pick = (s: number) => lines.filter((_, i) => recs[i]!.step === s).slice(0, 16);
    const dir = path.join(ws().fsPath, 'grow-demo');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'grow.rollouts.jsonl');
    const refreshed = waitFor(runs.onDidChangeTreeData, (n) => n === undefined, 10_000, 'the file watcher').catch(() => undefined);
    fs.writeFileSync(file, pick(stepsInLog[0]!).join('\n') + '\n');
    await refreshed;
    runs.refresh();
    try {
      const log = await demoLogNode('grow-demo', 'grow.rollouts.jsonl');
      assert.strictEqual((await runs.getChildren(log)).length, 1);
      const changed = waitFor(runs.onDidChangeTreeData, (n) => n === log, 10_000, 'the log node to change');
      fs.appendFileSync(file, pick(stepsInLog[1]!).join('\n') + '\n');
      assert.strictEqual(await runs.poll(true), 16);
      await changed;
      const steps = await runs.getChildren(log);
      assert.deepStrictEqual(steps.map((n) => runs.getTreeItem(n).label), [`step ${stepsInLog[0]}`, `step ${stepsInLog[1]}`]);
      assert.match(String(runs.getTreeItem(steps[1]!).description), /^2 groups · 16 completions/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      runs.refresh();
    }
  });

  it('openAt opens the inspector at a given group, for the custom editor and for panels', async () => {
    const { inspector } = await api();
    const atGroup = async (session: import('../../../extension/features/inspector/session').InspectorSession | undefined, gi: number) => {
      assert.ok(session, 'openAt gave no session');
      if (session.lastGroup?.groupIndex !== gi) await waitFor(session.onDidAnswer, (v) => v.groupIndex === gi, 30_000, `group ${gi}`);
    };
    const s1 = await inspector.openAt(logUri(), 5, 2);
    await atGroup(s1, 5);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, 'the custom editor is open');
    // the same editor again, elsewhere
    const s1b = await inspector.openAt(logUri(), 40, 0);
    assert.strictEqual(s1b, s1, 'the open editor is reused');
    await atGroup(s1b, 40);
    const trl = vscode.Uri.joinPath(ws(), 'runs', 'trl-demo', 'completions');
    const s2 = await inspector.openAt(trl, 7, 0);
    await atGroup(s2, 7);
    assert.deepStrictEqual(inspector.sessionsFor(trl.fsPath), [s2]);
    const s3 = await inspector.openAt(trl, 30, 1);
    assert.strictEqual(s3, s2, 'the open panel is reused');
    await atGroup(s3, 30);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the link handler refuses paths outside the workspace', async () => {
    const fs = await import('fs');
    const os = await import('os');
    const { links, sampleLinkFor } = await api();
    const mk = (query: string) => vscode.Uri.from({ scheme: vscode.env.uriScheme, authority: 'rollout-lens.rollout-lens', path: '/open', query });
    const refused = (query: string, re: RegExp) => {
      const r = links.resolve(mk(query));
      assert.ok(!r.ok && re.test(r.error), `${query}: ${JSON.stringify(r)}`);
    };
    refused('path=../outside.rollouts.jsonl&group=0', /"\.\." segment/);
    refused('path=/etc/passwd&group=0', /not relative/);
    refused('path=runs&group=-1', /group must be/);
    // a symlink inside the workspace that leads out of it
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-outside-'));
    const secret = path.join(outside, 'secret.jsonl');
    fs.writeFileSync(secret, '{}\n');
    const link = path.join(ws().fsPath, 'escape-link.jsonl');
    fs.symlinkSync(secret, link);
    try {
      refused('path=escape-link.jsonl&group=0', /outside the workspace/);
      const r = await links.open(mk('path=escape-link.jsonl&group=0'));
      assert.ok(!r.ok && !r.cancelled, 'refused without asking');
      assert.strictEqual(sampleLinkFor(link, 0, 0), null, 'no link to a file that is really outside');
    } finally {
      fs.rmSync(link, { force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
    const ok = links.resolve(mk('path=runs%2Fgrpo-demo%2Frollouts%2Ftrain.rollouts.jsonl&group=3&completion=1'));
    assert.ok(ok.ok && ok.file === logUri().fsPath && ok.link.group === 3 && ok.link.completion === 1, JSON.stringify(ok));
  });

  it('sampleLinkFor builds a link that round-trips through parseSampleLinkQuery', async () => {
    const os = await import('os');
    const { parseSampleLinkQuery } = await import('../../../extension/core/runs/sampleLink');
    const { sampleLinkFor, links } = await api();
    const link = sampleLinkFor(logUri().fsPath, 5, 2);
    assert.ok(link, 'no link for a log in the workspace');
    const u = vscode.Uri.parse(link);
    assert.strictEqual(u.scheme, vscode.env.uriScheme);
    assert.strictEqual(u.authority, 'rollout-lens.rollout-lens');
    assert.strictEqual(u.path, '/open');
    assert.deepStrictEqual(parseSampleLinkQuery(u.query), { path: 'runs/grpo-demo/rollouts/train.rollouts.jsonl', group: 5, completion: 2 });
    const back = links.resolve(u);
    assert.ok(back.ok && back.file === logUri().fsPath, JSON.stringify(back));
    const folder = sampleLinkFor(vscode.Uri.joinPath(ws(), 'runs', 'trl-demo', 'completions').fsPath, 0, 0);
    assert.ok(folder && /path=runs%2Ftrl-demo%2Fcompletions&group=0&completion=0$/.test(folder), String(folder));
    assert.strictEqual(sampleLinkFor(path.join(os.tmpdir(), 'elsewhere.rollouts.jsonl'), 0, 0), null);
    const cmds = await vscode.commands.getCommands(true);
    assert.ok(cmds.includes('rolloutLens.copySampleLink'));
  });

  it('restores an inspector panel from its saved state, and refuses one outside the workspace', async () => {
    const { inspector } = await api();
    const outsidePanel = vscode.window.createWebviewPanel('rolloutLens.inspector', 'restored', vscode.ViewColumn.Active, { enableScripts: true });
    let disposed = false;
    outsidePanel.onDidDispose(() => { disposed = true; });
    await inspector.deserializeWebviewPanel(outsidePanel, { file: '/etc/passwd', groupIndex: 0, completion: 0 });
    assert.ok(disposed, 'a panel for a file outside the workspace is closed');
    const swift = vscode.Uri.joinPath(ws(), 'runs', 'ms-swift-demo', 'completions.jsonl').fsPath;
    const panel = vscode.window.createWebviewPanel('rolloutLens.inspector', 'restored', vscode.ViewColumn.Active, { enableScripts: true });
    const created = waitFor(inspector.onDidCreateSession, () => true, 30_000, 'a restored session');
    await inspector.deserializeWebviewPanel(panel, { file: swift, groupIndex: 2, completion: 0, showGt: true, showPred: true });
    const session = await created;
    assert.deepStrictEqual(inspector.sessionsFor(swift), [session]);
    const init = session.lastInit ?? await waitFor(session.onDidInit, () => true, 60_000, 'init');
    assert.strictEqual(init.file, swift);
    assert.strictEqual(init.format, 'ms-swift-jsonl');
    // reopening the same file reveals the restored panel instead of a second one
    const again = await inspector.openAt(vscode.Uri.file(swift), 1, 0);
    assert.strictEqual(again, session);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
  it('the Runs tree shows evaluated checkpoints with their headline accuracy, and each eval file under them', async () => {
    const { runs } = await api();
    const roots = await runs.getChildren();
    const run = roots.find((n) => n.kind === 'run' && n.run.name === 'grpo-demo');
    assert.ok(run);
    const ckpts = (await runs.getChildren(run)).filter((n) => n.kind === 'checkpoint');
    const items = ckpts.map((n) => runs.getTreeItem(n));
    const labels = items.map((i) => String(i.label));
    for (const l of ['checkpoint-50', 'checkpoint-100', 'checkpoint-150', 'checkpoint-200']) assert.ok(labels.includes(l), labels.join(', '));
    const c200 = ckpts[labels.indexOf('checkpoint-200')]!;
    const item = runs.getTreeItem(c200);
    assert.strictEqual(item.contextValue, 'checkpointEvaluated');
    assert.match(String(item.description), /step 200 · shapes-count \d+\.\d % · shapes-mc \d+\.\d %/);
    const files = (await runs.getChildren(c200)).map((n) => String(runs.getTreeItem(n).label)).sort();
    assert.deepStrictEqual(files, ['shapes-count.eval.jsonl', 'shapes-mc.eval.jsonl']);
    const c50 = ckpts[labels.indexOf('checkpoint-50')]!;
    assert.match(String(runs.getTreeItem(c50).description), /evals only/);
  });

  it('compares two checkpoints: table per dataset and domain, paired tests, flips, a flipped sample side by side, export', async () => {
    const { compare } = await api();
    const run = vscode.Uri.joinPath(ws(), 'runs', 'grpo-demo');
    const panel = await compare.openPaths([vscode.Uri.joinPath(run, 'checkpoint-100').fsPath, vscode.Uri.joinPath(run, 'checkpoint-200').fsPath]);
    assert.ok(panel, 'a comparison panel opened');
    const backend = await panel.ready;
    const init = panel.lastInit!;
    assert.deepStrictEqual(init.sources.map((s) => s.name), ['checkpoint-100', 'checkpoint-200']);
    assert.strictEqual(init.slice, 'domain');
    assert.strictEqual(init.matchedBy, 'id');
    assert.ok(init.curvePoints >= 4, `curve points ${init.curvePoints}`);
    const table = backend.table('domain');
    const row = (ds: string, slice: string | null) => table.rows.find((r) => r.dataset === ds && r.slice === slice);
    for (const ds of ['shapes-count', 'shapes-mc']) for (const sl of [null, 'ID', 'OOD']) assert.ok(row(ds, sl), `row ${ds} ${sl}`);
    const id = row('shapes-count', 'ID')!;
    assert.ok((id.metrics[1].accuracy?.value ?? 0) > (id.metrics[0].accuracy?.value ?? 1), 'checkpoint-200 is better in domain');
    assert.strictEqual(id.deltas[1]?.accuracy?.test, 'mcnemar');
    assert.ok(row('shapes-mc', null)!.metrics[0].f1, 'option-set F1 for the multiple-choice dataset');
    assert.ok(row('shapes-count', null)!.metrics[0].iou, 'IoU for the grounding dataset');
    const flips = table.flips[1]!;
    assert.ok(flips.aOnly > 0 && flips.bOnly > 0, JSON.stringify(flips));
    const list = backend.flips({ against: 1, kind: 'aOnly', dataset: 'shapes-count', offset: 0, limit: 10 });
    assert.ok(list.rows.length > 0);
    const pair = await backend.pair(list.rows[0]!.key, [0, 1]);
    assert.ok(pair.sides[0]!.rollout && pair.sides[1]!.rollout, 'both answers read');
    assert.ok(pair.sides[0]!.rollout.images[0]?.url, 'the image resolves to a webview URL');
    assert.ok(pair.changes.some((c) => /right in checkpoint-100, wrong in checkpoint-200/.test(c)), pair.changes.join(' | '));
    const md = backend.exportText('markdown', 'domain');
    assert.match(md, /\| Method \|/);
    assert.match(md, /shapes-count \(ID\)/);
    const cmds = await vscode.commands.getCommands(true);
    for (const c of ['rolloutLens.compareCheckpoints', 'rolloutLens.compareWithPrevious']) assert.ok(cmds.includes(c), c);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});

describe('Alignment verdicts in the inspector', () => {
  const wsRoot = (): vscode.Uri => vscode.workspace.workspaceFolders![0]!.uri;
  async function openLog(): Promise<import('../../../extension/features/inspector/session').InspectorSession> {
    const { inspector } = await api();
    const created = waitFor(inspector.onDidCreateSession, () => true, 30_000, 'an inspector session');
    await vscode.commands.executeCommand('vscode.open', logUri());
    const session = await created;
    if (!session.lastGroup) await waitFor(session.onDidAnswer, () => true, 30_000, 'the first group');
    if (session.lastScan < 1) await waitFor(session.onDidScan, (p) => p >= 1, 60_000, 'the scan');
    await session.attachJudges();
    return session;
  }

  it('rules at once; the local model from the workspace settings judges in its worker; reopening costs zero inferences', async () => {
    const { judges } = await api();
    fs.rmSync(judges.cacheDir, { recursive: true, force: true });
    let session = await openLog();
    let backend = await session.judgeBackend();
    let view = backend.verdictsView();
    assert.deepStrictEqual(view.sources.map((s) => s.kind), ['rules']);
    assert.ok(view.sources[0]!.contradicted > 10, `rules: ${JSON.stringify(view.sources[0])}`);
    assert.strictEqual(view.judges.onnx, 'tiny-nli', 'the demo settings point at models/tiny-nli');
    const g = backend.group(0);
    assert.ok(g.rollouts.every((r) => r.verdicts.some((v) => v.kind === 'rules')), 'every completion has a rules verdict');

    await vscode.commands.executeCommand('rolloutLens.judgeWithModel');
    assert.ok(judges.lastRun, 'the judge ran');
    assert.strictEqual(judges.lastRun.kind, 'onnx');
    assert.ok(judges.lastRun.inferred > 1000, `inferred ${judges.lastRun.inferred}`);
    view = backend.verdictsView();
    assert.deepStrictEqual(view.sources.map((s) => s.kind), ['onnx', 'rules']);
    const ag = view.agreement.find((a) => a.a === 'onnx' && a.b === 'rules');
    assert.ok(ag && ag.n > 1000 && ag.kappa !== null, JSON.stringify(ag));
    assert.ok(session.lastVerdicts?.last?.message.includes('tiny-nli'), session.lastVerdicts?.last?.message);
    const contradicted = (await backend.answer('query', { filter: 'verdict_onnx == "contradicted"', search: '', sort: null, desc: false, offset: 0, limit: 5 }));
    assert.ok(contradicted.matched > 0, 'verdict_onnx == "contradicted" filters');
    const rec = contradicted.rows[0]!.recordIndex;
    const shown = backend.record(rec).group.rollouts.find((r) => r.recordIndex === rec)!;
    const onnx = shown.verdicts.find((v) => v.kind === 'onnx')!;
    assert.strictEqual(onnx.label, 'contradicted');
    assert.match(onnx.rationale ?? '', /NLI \(tiny-nli\)/);
    const overview = await backend.overview();
    assert.ok(overview.series.some((s) => s.key === 'alignment:onnx' && s.points.length > 10), overview.series.map((s) => s.key).join(', '));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    session = await openLog();
    backend = await session.judgeBackend();
    assert.strictEqual(judges.lastRun.inferred, 0, 'zero inferences on reopening');
    assert.ok(judges.lastRun.cached > 1000, `cached ${judges.lastRun.cached}`);
    assert.deepStrictEqual(backend.verdictsView().sources.map((s) => s.kind), ['onnx', 'rules']);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('imports the synthetic judge file; a bad model folder gives a clear message and the other sources still work', async () => {
    const { judges } = await api();
    const session = await openLog();
    const backend = await session.judgeBackend();
    await vscode.commands.executeCommand('rolloutLens.importVerdicts', vscode.Uri.joinPath(wsRoot(), 'runs', 'grpo-demo', 'judge', 'llm-judge.verdicts.jsonl'));
    const file = backend.verdictsView().sources.find((s) => s.kind === 'file');
    assert.ok(file && file.total > 1000, JSON.stringify(file));
    assert.match(session.lastVerdicts?.last?.message ?? '', /llm-judge\.verdicts\.jsonl: \d+ of \d+ completions matched/);
    await backend.answer('setVerdictSource', { source: 'file' });
    assert.strictEqual(backend.table.verdictChoice, 'file');

    const bad = vscode.Uri.joinPath(wsRoot(), 'models', 'broken-nli');
    fs.mkdirSync(bad.fsPath, { recursive: true });
    for (const f of ['model.onnx', 'config.json']) fs.copyFileSync(path.join(wsRoot().fsPath, 'models', 'tiny-nli', f), path.join(bad.fsPath, f));
    const config = vscode.workspace.getConfiguration('rolloutLens');
    await config.update('judge.modelPath', 'models/broken-nli', vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.commands.executeCommand('rolloutLens.judgeWithModel');
      const last = session.lastVerdicts?.last;
      assert.ok(last?.error, JSON.stringify(last));
      assert.match(last.message, /tokenizer\.json is missing/);
      assert.ok(backend.verdictsView().sources.some((s) => s.kind === 'rules'), 'the rules still show');
    } finally {
      await config.update('judge.modelPath', 'models/tiny-nli', vscode.ConfigurationTarget.Workspace);
      fs.rmSync(bad.fsPath, { recursive: true, force: true });
    }
    void judges;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
