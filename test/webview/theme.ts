// The dark theme's --vscode-* variables that the webview panes use, as VS Code sets them on the webview's <html>.
export const DARK_THEME = `
  --vscode-foreground:#cccccc; --vscode-editor-background:#1f1f1f; --vscode-font-family:sans-serif; --vscode-font-size:13px;
  --vscode-editor-font-family:monospace; --vscode-editor-font-size:13px; --vscode-descriptionForeground:#9d9d9d;
  --vscode-charts-blue:#3794ff; --vscode-charts-green:#89d185; --vscode-charts-orange:#d18616; --vscode-charts-purple:#b180d7;
  --vscode-charts-red:#f14c4c; --vscode-charts-yellow:#cca700; --vscode-badge-background:#616161; --vscode-badge-foreground:#f8f8f8;
  --vscode-panel-border:#2b2b2b; --vscode-focusBorder:#0078d4; --vscode-errorForeground:#f85149; --vscode-editorWidget-background:#202020;
  --vscode-input-background:#313131; --vscode-input-foreground:#cccccc; --vscode-input-border:#3c3c3c; --vscode-input-placeholderForeground:#989898;
  --vscode-inputValidation-errorBorder:#be1100; --vscode-list-activeSelectionBackground:#04395e; --vscode-list-activeSelectionForeground:#ffffff;
  --vscode-list-inactiveSelectionBackground:#37373d; --vscode-list-hoverBackground:#2a2d2e; --vscode-list-focusOutline:#0078d4;
  --vscode-editorSuggestWidget-background:#202020; --vscode-editorSuggestWidget-border:#454545; --vscode-editorSuggestWidget-foreground:#cccccc;
  --vscode-editorSuggestWidget-selectedBackground:#04395e; --vscode-widget-shadow:rgba(0,0,0,0.36); --vscode-textLink-foreground:#4daafc;
  --vscode-progressBar-background:#0078d4; --vscode-tree-tableOddRowsBackground:rgba(204,204,204,0.04); --vscode-editorWarning-foreground:#cca700;
  --vscode-symbolIcon-fieldForeground:#75beff; --vscode-symbolIcon-keywordForeground:#c586c0; --vscode-debugTokenExpression-string:#ce9178;`;
