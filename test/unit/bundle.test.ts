// The bundles load: a module the bundler could not follow (a UMD main that requires its parts at run time)
// only fails when the bundle is required, which otherwise first shows as a failed activation in VS Code.
import { strict as assert } from 'assert';
import * as path from 'path';
import Module = require('module');

const DIST = path.resolve(__dirname, '../../../dist');

/** A stand-in for the `vscode` module: any property is a callable, constructible no-op. */
function vscodeStub(): unknown {
  const fn: ProxyHandler<() => void> = { get: () => new Proxy(() => undefined, fn), construct: () => ({}), apply: () => undefined };
  return new Proxy({}, { get: () => new Proxy(() => undefined, fn) });
}

describe('bundles', () => {
  it('dist/extension.js loads and exports activate/deactivate', () => {
    const m = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
    const orig = m._load;
    m._load = function (request: string, ...rest: unknown[]) {
      return request === 'vscode' ? vscodeStub() : orig.call(this, request, ...rest);
    };
    try {
      const ext = require(path.join(DIST, 'extension.js')) as { activate?: unknown; deactivate?: unknown };
      assert.equal(typeof ext.activate, 'function');
      assert.equal(typeof ext.deactivate, 'function');
    } finally {
      m._load = orig;
    }
  });

  it('dist/cli.js, the workers and the job wrapper find every module they require', () => {
    // each runs as it would with no arguments (usage, or no parent thread); only a missing module fails here
    for (const f of ['cli.js', 'summaryWorker.js', 'textWorker.js', 'nliWorker.js', 'jobWrapper.js']) {
      const r = require('child_process').spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(path.join(DIST, f))}) } catch (e) { if (/Cannot find module/.test(e.message)) { console.error(e.message); process.exit(9) } }`], { encoding: 'utf8', timeout: 20000 });
      assert.notEqual(r.status, 9, `${f}: ${r.stderr}`);
    }
  });
});
