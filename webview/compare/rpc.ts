// The webview side of the compare protocol (extension/protocol/compare.ts): ready handshake, request/reply
// with ids, runtime check of everything that arrives. Same shape as webview/inspector/rpc.ts.
import {
  isCompareHostToWebview, type CompareInit, type CompareMethodName, type CompareMethods, type CompareWebviewToHost,
} from '../../extension/protocol/compare';
import type { VsCodeApi } from '../inspector/rpc';

export type { VsCodeApi };

declare function acquireVsCodeApi(): VsCodeApi;

export interface CompareHandlers {
  onProgress(message: string): void;
  onInit(init: CompareInit): void;
  onFailed(message: string): void;
}

export class CompareClient {
  readonly api: VsCodeApi = acquireVsCodeApi();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(private readonly h: CompareHandlers) {
    window.addEventListener('message', (e: MessageEvent<unknown>) => {
      const m = e.data;
      if (!isCompareHostToWebview(m)) return;
      if (m.kind === 'progress') {
        this.h.onProgress(m.params.message);
        return;
      }
      if (m.kind === 'init') {
        this.h.onInit(m.params);
        return;
      }
      if (m.kind === 'failed') {
        this.h.onFailed(m.params.message);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
  }

  private send(m: CompareWebviewToHost): void {
    this.api.postMessage(m);
  }

  ready(): void {
    this.send({ kind: 'ready' });
  }

  request<M extends CompareMethodName>(method: M, params: CompareMethods[M]['params']): Promise<CompareMethods[M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as CompareMethods[M]['result']), reject });
      this.send({ kind: 'request', id, method, params } as CompareWebviewToHost);
    });
  }

  logError(message: string): void {
    this.send({ kind: 'notify', method: 'log', params: { level: 'error', message } });
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
