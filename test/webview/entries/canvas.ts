// Test entry for SampleCanvas (webview/inspector/canvasView.ts), bundled by test/webview/canvasView.test.ts
// with esbuild and loaded in Chromium under the webview CSP. It mounts the class in #app and exposes a
// small test API on window.__canvas.
/// <reference lib="dom" />
import { SampleCanvas, type CanvasOptions, type CanvasSample } from '../../../webview/inspector/canvasView';

interface Api {
  hovers: Array<[string, number | null]>;
  thresholds: number[];
  mount(width: number): void;
  show(s: CanvasSample, o: CanvasOptions): number;
  setToggles(gt: boolean, pred: boolean): void;
  setThreshold(t: number): void;
  light(set: 'gt' | 'pred', i: number | null): void;
  counts(): ReturnType<SampleCanvas['counts']>;
  toPng(i?: number): Promise<string>;
  lastRenderMs(): number;
  /** RGBA of canvas `img` at CSS pixel (x, y), read from its backing store. */
  pixel(img: number, x: number, y: number): number[];
  /** A cheap hash of every pixel of canvas `img`. */
  hash(img: number): string;
  /** Resolves after the next animation frame has run (redraws are scheduled with rAF). */
  frame(): Promise<void>;
  dispose(): void;
}

let view: SampleCanvas | undefined;
const canvases = () => Array.from(document.querySelectorAll<HTMLCanvasElement>('canvas.rlc-canvas'));
const api: Api = {
  hovers: [],
  thresholds: [],
  mount(width) {
    const app = document.getElementById('app')!;
    app.style.width = `${width}px`;
    view = new SampleCanvas(app, {
      onHoverBox: (set, i) => api.hovers.push([set, i]),
      onThreshold: (t) => api.thresholds.push(t),
    });
  },
  show: (s, o) => {
    view!.show(s, o);
    return view!.lastRenderMs;
  },
  setToggles: (g, p) => view!.setToggles(g, p),
  setThreshold: (t) => view!.setThreshold(t),
  light: (set, i) => view!.light(set, i),
  counts: () => view!.counts(),
  toPng: (i) => view!.toPng(i),
  lastRenderMs: () => view!.lastRenderMs,
  pixel(img, x, y) {
    const c = canvases()[img]!;
    const k = c.width / c.getBoundingClientRect().width;
    return Array.from(c.getContext('2d')!.getImageData(Math.floor(x * k), Math.floor(y * k), 1, 1).data);
  },
  hash(img) {
    const c = canvases()[img]!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i += 7) h = Math.imul(h ^ d[i]!, 16777619);
    return `${c.width}x${c.height}:${(h >>> 0).toString(16)}`;
  },
  frame: () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
  dispose: () => view?.dispose(),
};
(window as unknown as { __canvas: Api }).__canvas = api;
