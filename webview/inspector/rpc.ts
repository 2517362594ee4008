// The webview side of the inspector protocol: ready handshake, request/reply with ids,
// runtime check of everything that arrives.
import {
  isHostToWebview, type FieldInfo, type InitPayload, type InspectorMethods, type SummaryView, type UpdatePayload, type VerdictsView,
} from '../../extension/protocol/inspector';

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

type Response = { kind: 'response'; id: number; ok: true; result: unknown } | { kind: 'response'; id: number; ok: false; error: string };

/** Request/reply with ids over postMessage, the ready handshake and error notes: what every panel's client shares. */
export class PanelClient<Methods extends { [M in keyof Methods]: { params: unknown; result: unknown } }> {
  readonly api: VsCodeApi = acquireVsCodeApi();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  /** Settle the request a response answers (unknown ids are ignored). */
  protected settle(m: Response): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.error));
  }

  ready(): void {
    this.api.postMessage({ kind: 'ready' });
  }

  request<M extends keyof Methods & string>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as Methods[M]['result']), reject });
      this.api.postMessage({ kind: 'request', id, method, params });
    });
  }

  logError(message: string): void {
    this.api.postMessage({ kind: 'notify', method: 'log', params: { level: 'error', message } });
  }
}

export class InspectorClient extends PanelClient<InspectorMethods> {
  constructor(
    private readonly onInit: (init: InitPayload) => void,
    private readonly onUpdate: (u: UpdatePayload) => void = () => undefined,
    private readonly onSummary: (s: SummaryView) => void = () => undefined,
    private readonly onGoto: (p: { groupIndex: number; completion: number }) => void = () => undefined,
    private readonly onScan: (p: { progress: number; fields: FieldInfo[] }) => void = () => undefined,
    private readonly onVerdicts: (v: VerdictsView) => void = () => undefined,
  ) {
    super();
    window.addEventListener('message', (e: MessageEvent<unknown>) => {
      const m = e.data;
      if (!isHostToWebview(m)) return;
      switch (m.kind) {
        case 'init':
          return this.onInit(m.params);
        case 'update':
          return this.onUpdate(m.params);
        case 'summary':
          return this.onSummary(m.params);
        case 'goto':
          return this.onGoto(m.params);
        case 'scan':
          return this.onScan(m.params);
        case 'verdicts':
          return this.onVerdicts(m.params);
        default:
          return this.settle(m);
      }
    });
  }
}
