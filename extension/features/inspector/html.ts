import * as vscode from 'vscode';
import { randomBytes } from 'crypto';

export interface PanelShell {
  /** The esm bundle in dist/webview. */
  script: string;
  /** Stylesheets in dist/webview, in order. */
  styles: readonly string[];
  title: string;
  /** aria-label of the root. */
  label: string;
  /** Shown until the bundle draws. */
  loading: string;
}

/**
 * A panel's HTML shell: a strict CSP with a fresh nonce per render, no inline script or style, one esm bundle
 * and its stylesheets from the extension's dist/webview folder.
 */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, shell: PanelShell): string {
  const nonce = randomBytes(18).toString('base64');
  const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const uri = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(dist, f));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} blob: data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${shell.styles.map((f) => `<link rel="stylesheet" href="${uri(f)}">`).join('\n')}
<title>${esc(shell.title)}</title>
</head>
<body>
<div id="app" role="application" aria-label="${esc(shell.label)}"><p class="loading">${esc(shell.loading)}</p></div>
<script type="module" nonce="${nonce}" src="${uri(shell.script)}"></script>
</body>
</html>`;
}

/** The inspector: uPlot's, the inspector's, the canvas' and the panes' stylesheets. */
export function inspectorHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  return panelHtml(webview, extensionUri, {
    script: 'inspector.js',
    styles: ['uplot.css', 'inspector.css', 'canvas.css', 'panes.css'],
    title,
    label: 'Rollout Inspector',
    loading: 'Indexing the log…',
  });
}
