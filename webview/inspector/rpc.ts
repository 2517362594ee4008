// The webview side of the inspector protocol: ready handshake, request/reply with ids,
// runtime check of everything that arrives.
import {
  isHostToWebview, type FieldInfo, type InitPayload, type InspectorMethods, type MethodName, type SummaryView, type UpdatePayload, type WebviewToHost,
} from '../../extension/protocol/inspector';

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export class InspectorClient {
  readonly api: VsCodeApi = acquireVsCodeApi();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(
    private readonly onInit: (init: InitPayload) => void,
    private readonly onUpdate: (u: UpdatePayload) => void = () => undefined,
    private readonly onSummary: (s: SummaryView) => void = () => undefined,
    private readonly onGoto: (p: { groupIndex: number; completion: number }) => void = () => undefined,
    private readonly onScan: (p: { progress: number; fields: FieldInfo[] }) => void = () => undefined,
  ) {
    window.addEventListener('message', (e: MessageEvent<unknown>) => {
      const m = e.data;
      if (!isHostToWebview(m)) return;
      if (m.kind === 'init') {
        this.onInit(m.params);
        return;
      }
      if (m.kind === 'update') {
        this.onUpdate(m.params);
        return;
      }
      if (m.kind === 'summary') {
        this.onSummary(m.params);
        return;
      }
      if (m.kind === 'goto') {
        this.onGoto(m.params);
        return;
      }
      if (m.kind === 'scan') {
        this.onScan(m.params);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
  }

  private send(m: WebviewToHost): void {
    this.api.postMessage(m);
  }

  ready(): void {
    this.send({ kind: 'ready' });
  }

  request<M extends MethodName>(method: M, params: InspectorMethods[M]['params']): Promise<InspectorMethods[M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as InspectorMethods[M]['result']), reject });
      this.send({ kind: 'request', id, method, params } as WebviewToHost);
    });
  }

  logError(message: string): void {
    this.send({ kind: 'notify', method: 'log', params: { level: 'error', message } });
  }
}
