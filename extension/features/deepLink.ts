// Links to one completion: `<uriScheme>://rollout-lens.rollout-lens/open?path=<workspace-relative>&group=N&completion=M`.
// The URI handler opens them (after asking: a link may come from anywhere) and "Copy Link to This Sample"
// writes them. Parsing and path checks are in core/runs/sampleLink.ts.
import * as vscode from 'vscode';
import * as path from 'path';
import { LINK_PATH, buildSampleLinkQuery, linkPathFor, parseSampleLinkQuery, resolveLinkPath, type SampleLink } from '../core/runs/sampleLink';
import { workspaceFolderPaths, type InspectorEditorProvider } from './inspector/editor';
import { errorMessage } from './inspector/session';

/** publisher.name of package.json (main.ts sets it from the running extension). */
let extensionId = 'rollout-lens.rollout-lens';
export function setExtensionId(id: string): void {
  extensionId = id;
}

/**
 * A link to completion `completion` of group `groupIndex` of the log at `fsPath` (a file or the folder of a
 * per-step log), or null when it is outside the workspace or its path cannot be put in a link.
 */
export function sampleLinkFor(fsPath: string, groupIndex: number, completion = 0): string | null {
  const rel = linkPathFor(fsPath, workspaceFolderPaths());
  if (rel === null) return null;
  try {
    return `${vscode.env.uriScheme}://${extensionId}${LINK_PATH}?${buildSampleLinkQuery({ path: rel, group: groupIndex, completion })}`;
  } catch {
    return null;
  }
}

export type DeepLinkResult =
  | { ok: true; file: string; link: SampleLink }
  | { ok: false; error: string; cancelled?: boolean };

/** Opens sample links after the user agrees; refuses anything outside the workspace. */
export class SampleLinkHandler implements vscode.UriHandler {
  /** Tests: the outcome of the last link handled. */
  lastResult: DeepLinkResult | undefined;

  constructor(private readonly inspector: InspectorEditorProvider) {}

  handleUri(uri: vscode.Uri): Promise<void> {
    return this.open(uri).then(() => undefined);
  }

  /** What handleUri does, with its outcome: errors are also shown to the user; a refused link never asks. */
  open(uri: vscode.Uri): Promise<DeepLinkResult> {
    return this.handle(uri).then((r) => {
      this.lastResult = r;
      if (!r.ok && !r.cancelled) void vscode.window.showErrorMessage(`Rollout Lens: cannot open this link: ${r.error}.`);
      return r;
    });
  }

  /** Check a link without asking or opening anything: the file it names, or why it is refused. */
  resolve(uri: vscode.Uri): DeepLinkResult {
    if (uri.path !== LINK_PATH) return { ok: false, error: `unknown link "${uri.path.slice(0, 100)}" (links start with ${LINK_PATH}?)` };
    const link = parseSampleLinkQuery(uri.query);
    if ('error' in link) return { ok: false, error: link.error };
    const found = resolveLinkPath(link.path, workspaceFolderPaths());
    if ('error' in found) return { ok: false, error: found.error };
    return { ok: true, file: found.file, link };
  }

  private async handle(uri: vscode.Uri): Promise<DeepLinkResult> {
    const r = this.resolve(uri);
    if (!r.ok) return r;
    const { link, file } = r;
    const answer = await vscode.window.showWarningMessage(
      `Open ${link.path} at group ${link.group + 1}, completion ${link.completion + 1} in Rollout Inspector?`,
      { modal: true, detail: `A link asks to show ${file}.` },
      'Open',
    );
    if (answer !== 'Open') return { ok: false, error: 'not opened', cancelled: true };
    try {
      const session = await this.inspector.openAt(vscode.Uri.file(file), link.group, link.completion);
      if (!session) return { ok: false, error: `${link.path} could not be opened` };
    } catch (e) {
      return { ok: false, error: errorMessage(e) };
    }
    return r;
  }
}

/** Arguments of rolloutLens.copySampleLink: (uri | path, groupIndex, completion) or a group node of the Runs tree. */
function linkArgs(a: unknown, groupIndex: unknown, completion: unknown): { fsPath: string; group: number; completion: number } | null {
  const n = (x: unknown, d: number) => (typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : d);
  if (a instanceof vscode.Uri) return typeof groupIndex === 'number' ? { fsPath: a.fsPath, group: n(groupIndex, -1), completion: n(completion, 0) } : null;
  if (typeof a === 'string') return typeof groupIndex === 'number' ? { fsPath: a, group: n(groupIndex, -1), completion: n(completion, 0) } : null;
  if (typeof a === 'object' && a !== null) {
    const node = a as { kind?: unknown; log?: { target?: unknown }; stats?: { groupIndex?: unknown } };
    if (node.kind === 'group' && typeof node.log?.target === 'string' && typeof node.stats?.groupIndex === 'number') {
      return { fsPath: node.log.target, group: n(node.stats.groupIndex, -1), completion: 0 };
    }
  }
  return null;
}

/** The URI handler and "Copy Link to This Sample". */
export function registerDeepLinks(context: vscode.ExtensionContext, inspector: InspectorEditorProvider): SampleLinkHandler {
  setExtensionId(context.extension.id);
  const handler = new SampleLinkHandler(inspector);
  context.subscriptions.push(
    vscode.window.registerUriHandler(handler),
    vscode.commands.registerCommand('rolloutLens.copySampleLink', async (a?: unknown, groupIndex?: unknown, completion?: unknown) => {
      const args = linkArgs(a, groupIndex, completion);
      if (!args || args.group < 0) {
        void vscode.window.showErrorMessage('Rollout Lens: Copy Link to This Sample needs a log and a group (use it on a group in the Runs view or in the inspector).');
        return undefined;
      }
      const link = sampleLinkFor(args.fsPath, args.group, args.completion);
      if (!link) {
        void vscode.window.showErrorMessage(`Rollout Lens: no link for ${path.basename(args.fsPath)}: it is outside the workspace (or its path holds "%" or "&").`);
        return undefined;
      }
      await vscode.env.clipboard.writeText(link);
      void vscode.window.showInformationMessage(`Rollout Lens: link to group ${args.group + 1}, completion ${args.completion + 1} of ${path.basename(args.fsPath)} copied.`);
      return link;
    }),
  );
  return handler;
}
