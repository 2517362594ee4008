import * as assert from 'assert';
import fc from 'fast-check';
import { isHostToWebview, isWebviewToHost } from '../../extension/protocol/inspector';

describe('inspector protocol: runtime checks at the boundary', () => {
  it('accepts the well-formed webview messages', () => {
    assert.ok(isWebviewToHost({ kind: 'ready' }));
    assert.ok(isWebviewToHost({ kind: 'request', id: 1, method: 'getGroup', params: { groupIndex: 0 } }));
    assert.ok(isWebviewToHost({ kind: 'request', id: 7, method: 'getStepGroup', params: { stepIndex: 3 } }));
    assert.ok(isWebviewToHost({ kind: 'request', id: 2, method: 'revealLine', params: { line: 12 } }));
    assert.ok(isWebviewToHost({ kind: 'notify', method: 'log', params: { level: 'error', message: 'x' } }));
  });

  it('rejects unknown methods, bad ids and bad params', () => {
    assert.ok(!isWebviewToHost({ kind: 'request', id: 1, method: 'deleteLog', params: {} }));
    assert.ok(!isWebviewToHost({ kind: 'request', id: 1, method: 'toString', params: {} }));
    assert.ok(!isWebviewToHost({ kind: 'request', id: -1, method: 'getGroup', params: { groupIndex: 0 } }));
    assert.ok(!isWebviewToHost({ kind: 'request', id: 1, method: 'getGroup', params: { groupIndex: 1.5 } }));
    assert.ok(!isWebviewToHost({ kind: 'request', id: 1, method: 'getGroup', params: { groupIndex: '0' } }));
    assert.ok(!isWebviewToHost({ kind: 'request', id: 1, method: 'getGroup' }));
    assert.ok(!isWebviewToHost({ kind: 'notify', method: 'log', params: { level: 'debug', message: 'x' } }));
    assert.ok(!isWebviewToHost(null));
    assert.ok(!isWebviewToHost([{ kind: 'ready' }]));
  });

  it('checks host messages too', () => {
    assert.ok(isHostToWebview({ kind: 'response', id: 3, ok: true, result: null }));
    assert.ok(isHostToWebview({ kind: 'response', id: 3, ok: false, error: 'boom' }));
    assert.ok(!isHostToWebview({ kind: 'response', id: 3, ok: false }));
    assert.ok(isHostToWebview({ kind: 'init', params: { file: '/a', groups: 2 } }));
    assert.ok(!isHostToWebview({ kind: 'init', params: { file: 3, groups: 2 } }));
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.anything(), (v) => {
      isWebviewToHost(v);
      isHostToWebview(v);
    }));
  });
});
