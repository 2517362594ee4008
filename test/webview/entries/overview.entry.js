// Test entry for the run overview (bundled by test/webview/overview.test.ts with esbuild): mounts an
// OverviewPane in #app and records its callbacks in window.__calls. Plain JS so that the Node-side
// tsconfig (no DOM lib) does not type-check it; overview.ts itself is checked by webview/tsconfig.json.
import { OverviewPane } from '../../../webview/inspector/overview';

const calls = [];
const pane = new OverviewPane(document.getElementById('app'), {
  onStep: (step) => calls.push(['step', step]),
  onRequestStats: (step) => calls.push(['stats', step]),
});
window.__calls = calls;
window.__pane = pane;
window.__ready = true;
