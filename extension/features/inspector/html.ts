import * as vscode from 'vscode';
import { randomBytes } from 'crypto';

/**
 * The inspector's HTML shell: a strict CSP with a fresh nonce per render, no inline script or
 * style, one esm bundle and its stylesheets (uPlot's, the inspector's, the panes') from the extension's dist/webview folder.
 */
export function inspectorHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const nonce = randomBytes(18).toString('base64');
  const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'inspector.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'inspector.css'));
  const canvasStyle = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'canvas.css'));
  const uplotStyle = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'uplot.css'));
  const panesStyle = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'panes.css'));
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
<link rel="stylesheet" href="${uplotStyle}">
<link rel="stylesheet" href="${style}">
<link rel="stylesheet" href="${canvasStyle}">
<link rel="stylesheet" href="${panesStyle}">
<title>${esc(title)}</title>
</head>
<body>
<div id="app" role="application" aria-label="Rollout Inspector"><p class="loading">Indexing the log…</p></div>
<script type="module" nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
