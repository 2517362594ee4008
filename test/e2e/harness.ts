// End-to-end harness: a real VS Code (code-server, version as a parameter) started on 127.0.0.1 with
// isolated state, driven by Debian Chromium through playwright-core.
import { spawn, execFileSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { chromium, type Browser, type Page, type FrameLocator } from 'playwright-core';
import { generateDemoWorkspace } from '../../extension/demo/generate';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const CS_VERSION = process.env.CS_VERSION || '4.100.3';
export const OUTPUT = path.join(REPO, 'test-output', `e2e-${CS_VERSION}`);

export function chromiumPath(): string {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (p && fs.existsSync(p)) return p;
  throw new Error('Chromium not found: install the Debian package `chromium` (the CI script does)');
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}

/** Install (once; cached under .tools/) the code-server version and return its entry and node binary. */
export function ensureCodeServer(version = CS_VERSION): { entry: string; node: string; dir: string } {
  const dir = execFileSync('bash', [path.join(REPO, 'scripts', 'setup-code-server.sh'), version], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim().split('\n').pop()!;
  const nodeBin = fs.readFileSync(path.join(dir, 'node-bin'), 'utf8').trim();
  return { entry: path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'), node: nodeBin === 'node' ? process.execPath : nodeBin, dir };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface ServerOptions {
  workspace: string;
  /** Extensions folder (for an installed .vsix); a fresh empty one by default. */
  extensionsDir?: string;
  env?: Record<string, string>;
  settings?: Record<string, unknown>;
  /** Workspace trust on (the default here is off, so that tests run in a trusted window): the folder opens in Restricted Mode until trusted. */
  trust?: boolean;
}

export class CodeServer {
  private proc: ChildProcess | undefined;
  readonly state: string;
  port = 0;
  log = '';

  constructor(readonly cs: { entry: string; node: string }, readonly opts: ServerOptions) {
    this.state = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cs-'));
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  remote(p: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${p}`;
  }

  private baseArgs(): string[] {
    const ext = this.opts.extensionsDir ?? path.join(this.state, 'exts');
    fs.mkdirSync(ext, { recursive: true });
    return ['--user-data-dir', path.join(this.state, 'data'), '--extensions-dir', ext, '--config', path.join(this.state, 'config.yaml')];
  }

  private env(): NodeJS.ProcessEnv {
    const x = path.join(this.state, 'xdg');
    return {
      ...process.env,
      XDG_CONFIG_HOME: path.join(x, 'config'), XDG_DATA_HOME: path.join(x, 'data'), XDG_CACHE_HOME: path.join(x, 'cache'), XDG_STATE_HOME: path.join(x, 'state'),
      ...this.opts.env,
    };
  }

  installExtension(vsix: string): string {
    fs.writeFileSync(path.join(this.state, 'config.yaml'), 'auth: none\ncert: false\n');
    return execFileSync(this.cs.node, [this.cs.entry, ...this.baseArgs(), '--install-extension', vsix], { env: this.env(), encoding: 'utf8' });
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const user = path.join(this.state, 'data', 'User');
    fs.mkdirSync(user, { recursive: true });
    fs.writeFileSync(path.join(user, 'settings.json'), JSON.stringify({
      'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'update.mode': 'none',
      'workbench.startupEditor': 'none', 'chat.disableAIFeatures': true, 'security.workspace.trust.enabled': this.opts.trust === true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden', 'workbench.tips.enabled': false, 'git.enabled': false,
      'workbench.colorTheme': 'Default Dark Modern',
      ...this.opts.settings,
    }, null, 2));
    fs.writeFileSync(path.join(this.state, 'config.yaml'), `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
    const args = [this.cs.entry, ...this.baseArgs(), '--auth', 'none', '--bind-addr', `127.0.0.1:${this.port}`,
      '--disable-telemetry', '--disable-update-check', ...(this.opts.trust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override'];
    // VS Code ≥ 1.10x built workbenches honour ?payload= only with the smoke-test driver enabled.
    if (!CS_VERSION.startsWith('4.100.')) args.push('--vscode-option', 'enable-smoke-test-driver');
    args.push(this.opts.workspace);
    this.proc = spawn(this.cs.node, args, { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout?.on('data', (d: Buffer) => { this.log += d.toString(); });
    this.proc.stderr?.on('data', (d: Buffer) => { this.log += d.toString(); });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`code-server exited (${this.proc.exitCode}):\n${this.log}`);
      try {
        const r = await fetch(`${this.base}/healthz`);
        if (r.ok) return;
      } catch { /* not yet */ }
      if (Date.now() > deadline) throw new Error(`code-server did not answer on ${this.base}:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** URL of the workbench on `folder`, optionally loading the extension from a folder and running tests in its host. */
  url(opts: { devPath?: string; testsPath?: string } = {}): string {
    const payload: string[][] = [['skipWelcome', 'true']];
    if (opts.devPath) payload.push(['extensionDevelopmentPath', this.remote(opts.devPath)]);
    if (opts.testsPath) payload.push(['extensionTestsPath', this.remote(opts.testsPath)]);
    return `${this.base}/?folder=${encodeURIComponent(this.opts.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  }

  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) {
      const p = this.proc;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGTERM');
        setTimeout(() => { p.kill('SIGKILL'); resolve(); }, 5000);
      });
    }
    fs.rmSync(this.state, { recursive: true, force: true });
  }
}

export async function openWorkbench(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  await page.locator('.statusbar').waitFor({ timeout: 60_000 });
}

/** Run a command from the palette; retries while the extension host is still starting. */
export async function runCommand(page: Page, title: string, attempts = 40): Promise<void> {
  for (let i = 1; i <= attempts; i++) {
    await page.keyboard.press('Escape').catch(() => undefined);
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('>' + title);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 2000 });
      await page.keyboard.press('Enter');
      return;
    } catch {
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
  throw new Error(`command "${title}" never appeared in the command palette`);
}

/**
 * The text of a notification containing `text`: its toast (VS Code 1.100), else its row in the notification
 * center (later versions may show no toast, only the bell's dot); the center is hidden again afterwards.
 */
export async function notification(page: Page, text: string, timeoutMs = 30_000): Promise<string> {
  const toast = page.locator('.notification-toast').filter({ hasText: text }).first();
  if (await toast.waitFor({ timeout: Math.min(timeoutMs, 10_000) }).then(() => true, () => false)) return toast.innerText();
  await runCommand(page, 'Notifications: Show Notifications');
  const row = page.locator('.notifications-center .monaco-list-row').filter({ hasText: text }).first();
  await row.waitFor({ timeout: Math.max(5_000, timeoutMs - 10_000) });
  const shown = await row.innerText();
  await page.keyboard.press('Escape'); // hides the center (its Hide command is not offered in the palette)
  return shown;
}

/** Right-click `row` and choose the context-menu item containing `label` (clicked again if the menu was still settling). */
export async function contextMenu(page: Page, row: ReturnType<Page['locator']>, label: string): Promise<void> {
  await row.click({ button: 'right' });
  const item = page.locator('.context-view .action-menu-item', { hasText: label }).first();
  await item.waitFor({ timeout: 15_000 });
  await item.hover();
  await page.waitForTimeout(150);
  await item.click();
  const closed = await item.waitFor({ state: 'hidden', timeout: 3000 }).then(() => true, () => false);
  if (!closed) await item.click();
}

/** The extension's HTML inside a webview: outer iframe.webview → inner iframe#active-frame. */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
}

export function ensureDir(p: string): string {
  fs.mkdirSync(p, { recursive: true });
  return p;
}

/** Command palette → "Rollout Lens: Open Rollout Log…" → pick `fileName` → the inspector showing its first completion. */
export async function openLogFromPalette(page: Page, fileName: string): Promise<FrameLocator> {
  await runCommand(page, 'Rollout Lens: Open Rollout Log…');
  const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first();
  await pick.waitFor({ timeout: 30_000 });
  await pick.click();
  const wv = webviewFrame(page);
  await wv.locator('#position').filter({ hasText: 'completion 1/' }).waitFor({ timeout: 60_000 });
  await wv.locator('canvas.rlc-canvas[data-state="image"]').first().waitFor({ timeout: 30_000 });
  return wv;
}

export interface DemoWorkbench {
  workspace: string;
  logFile: string;
  server: CodeServer;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * A fresh demo workspace in os.tmpdir(), code-server CS_VERSION started on it (with `vsix` installed
 * first when given) and a browser: what every end-to-end suite starts from. `prepare` may add files
 * to the workspace before the server starts.
 */
export async function startDemoWorkbench(opts: {
  prefix: string;
  env?: Record<string, string>;
  vsix?: string;
  prepare?: (workspace: string, logFile: string) => void;
  trust?: boolean;
}): Promise<DemoWorkbench> {
  ensureDir(OUTPUT);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
  const { logFile } = generateDemoWorkspace(workspace);
  opts.prepare?.(workspace, logFile);
  const server = new CodeServer(ensureCodeServer(), { workspace, ...(opts.env ? { env: opts.env } : {}), ...(opts.trust ? { trust: true } : {}) });
  if (opts.vsix) {
    const out = server.installExtension(opts.vsix);
    if (!/successfully installed/i.test(out)) throw new Error(`installing ${opts.vsix} failed:\n${out}`);
  }
  await server.start();
  const browser = await launchBrowser();
  return {
    workspace, logFile, server, browser,
    async close() {
      await browser.close();
      await server.stop();
      fs.rmSync(workspace, { recursive: true, force: true });
    },
  };
}
