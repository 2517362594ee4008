// The webview side of the compare protocol (extension/protocol/compare.ts): ready handshake, request/reply
// with ids, runtime check of everything that arrives. Same shape as webview/inspector/rpc.ts.
import { isCompareHostToWebview, type CompareInit, type CompareMethods } from '../../extension/protocol/compare';
import { PanelClient, type VsCodeApi } from '../inspector/rpc';

export type { VsCodeApi };

export interface CompareHandlers {
  onProgress(message: string): void;
  onInit(init: CompareInit): void;
  onFailed(message: string): void;
}

export class CompareClient extends PanelClient<CompareMethods> {
  constructor(private readonly h: CompareHandlers) {
    super();
    window.addEventListener('message', (e: MessageEvent<unknown>) => {
      const m = e.data;
      if (!isCompareHostToWebview(m)) return;
      switch (m.kind) {
        case 'progress':
          return this.h.onProgress(m.params.message);
        case 'init':
          return this.h.onInit(m.params);
        case 'failed':
          return this.h.onFailed(m.params.message);
        default:
          return this.settle(m);
      }
    });
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
