// SampleCanvas: one <canvas> per prompt image with the completion's ground-truth and predicted boxes drawn
// over it, coloured by how they match at an IoU threshold the user drags (TP / FP / FN), dashed when the box
// was written in the reasoning. Zoom (wheel, +/-), pan (drag, arrows), reset (double-click, 0); hover reports
// the box under the pointer; `light()` highlights a box the caller points at (a mention in the reasoning).
//
// Strict webview CSP: no inline script or style attributes in markup; element.style set from script is fine.
// Every string from a log (paths, labels) reaches the DOM through textContent, and the canvas via fillText.
//
// Coordinates: a box is in original-image pixels (BoxView.box). The image's coordinate space is its logged
// size (ImageView.width/height) when known, else the decoded size, else 1000×1000 (a placeholder is drawn).
// Screen (CSS px) = image px · fit · zoom + pan, where `fit` scales the image to the container width.
//
// EXIF orientation: Chromium applies it to every decoded image (drawImage, ImageBitmap, whatever the CSS
// image-orientation), but the model saw the pixels as stored (PIL does not rotate), and the boxes refer to
// those. So for ImageView.orientation 2–8 the drawing undoes the browser's orientation (see ORIENT).
import type { BoxView, ImageView } from '../../extension/protocol/inspector';
import { matchBoxes, type MatchResult } from '../../extension/core/geometry/matching';
import { iou } from '../../extension/core/geometry/iou';
import { el } from './dom';

export type CanvasBoxSet = 'gt' | 'pred';

export interface SampleCanvasCallbacks {
  /**
   * The pointer is over box `index` of `set` (in BoxView arrays of the sample), or `(set, null)`: no box of
   * that set is hovered any more (pointer left the box or the canvas). When the pointer moves from a box of
   * one set to a box of the other, `(old set, null)` comes first.
   */
  onHoverBox(set: CanvasBoxSet, index: number | null): void;
  /** The user moved the IoU threshold slider (not called for setThreshold / show). */
  onThreshold?(t: number): void;
}

export interface CanvasSample {
  images: ImageView[];
  gt: BoxView[];
  pred: BoxView[];
}

export interface CanvasOptions {
  showGt: boolean;
  showPred: boolean;
  threshold: number;
}

export interface CanvasCounts {
  tp: number;
  fp: number;
  fn: number;
  threshold: number;
}

/** toPng's rejection when the image came from another origin without CORS (a tainted canvas). */
export const EXPORT_TAINTED_MESSAGE = 'This image cannot be exported (cross-origin); the boxes can be copied as text instead.';

export const THRESHOLD_MIN = 0.05;
export const THRESHOLD_MAX = 0.95;
export const THRESHOLD_STEP = 0.05;
const ZOOM_MIN = 1;
const ZOOM_MAX = 64;
/** Screen pixels within which a box edge counts as hovered. */
const HIT_TOLERANCE = 4;
/** Coordinate space when neither the log nor the file gives a size. */
const UNKNOWN_SIZE = 1000;

/**
 * For EXIF orientation o, the affine map [a, b, c, d, e, f] (canvas setTransform order) from the browser's
 * oriented image to stored pixels, in units of the stored size (e, f multiply W and H of the stored image):
 * stored x = a·x + c·y + e·W, stored y = b·x + d·y + f·H. 5–8 swap width and height.
 */
const ORIENT: Record<number, [number, number, number, number, number, number]> = {
  2: [-1, 0, 0, 1, 1, 0],
  3: [-1, 0, 0, -1, 1, 1],
  4: [1, 0, 0, -1, 0, 1],
  5: [0, 1, 1, 0, 0, 0],
  6: [0, -1, 1, 0, 0, 1],
  7: [0, -1, -1, 0, 1, 1],
  8: [0, 1, -1, 0, 1, 0],
};

function orientationOf(v: ImageView): number {
  return v.orientation !== null && ORIENT[v.orientation] ? v.orientation : 1;
}

/** The stored (unrotated) size of a decoded image whose EXIF orientation the browser applied. */
function storedSize(img: HTMLImageElement, orientation: number): [number, number] {
  return orientation >= 5 ? [img.naturalHeight, img.naturalWidth] : [img.naturalWidth, img.naturalHeight];
}

/** Draw a decoded image as stored (undoing EXIF orientation) into the rectangle x, y, w, h. */
function drawStored(ctx: CanvasRenderingContext2D, img: HTMLImageElement, orientation: number, x: number, y: number, w: number, h: number): void {
  const m = ORIENT[orientation];
  if (!m) {
    ctx.drawImage(img, x, y, w, h);
    return;
  }
  const [sw, sh] = storedSize(img, orientation);
  ctx.translate(x, y);
  ctx.scale(w / sw, h / sh);
  ctx.transform(m[0], m[1], m[2], m[3], m[4] * sw, m[5] * sh);
  ctx.drawImage(img, 0, 0, img.naturalWidth, img.naturalHeight);
}

type Status = 'gt' | 'tp' | 'fp' | 'fn';
type Colours = Record<Status, string> & { dark: boolean; font: string; placeholder: string };

const FALLBACK: Record<Status, string> = { gt: '#89d185', tp: '#3794ff', fp: '#f14c4c', fn: '#d18616' };
const THEME_VAR: Record<Status, string> = {
  gt: '--vscode-charts-green',
  tp: '--vscode-charts-blue',
  fp: '--vscode-charts-red',
  fn: '--vscode-charts-orange',
};
const STATUS_WORDS: Record<Status, string> = {
  gt: 'matched',
  tp: 'true positive',
  fp: 'false positive',
  fn: 'false negative (missed)',
};

// ------------------------------------------------------------------------------------------------
// Decoded images, shared by every SampleCanvas of the page and kept across `show` calls (the completions
// of a group share their prompt image): url → settled load. Least recently used entries go first.

interface Loaded {
  img: HTMLImageElement;
  /** Loaded with crossOrigin='anonymous' (CORS-approved, or same origin): exportable. */
  cors: boolean;
}

const CACHE_LIMIT = 32;
const imageCache = new Map<string, Promise<Loaded | null>>();
const settled = new Map<string, Loaded | null>();

function decodeImage(url: string, cors: boolean): Promise<HTMLImageElement | null> {
  const img = new Image();
  if (cors) img.crossOrigin = 'anonymous';
  img.decoding = 'async';
  img.src = url;
  return img.decode().then(
    () => img,
    () => null,
  );
}

/**
 * Load and decode an image once per URL. In VS Code the webview's images come from a different origin
 * (webview resource URLs), so the first try asks for CORS (`crossOrigin = 'anonymous'`): when the server
 * allows it, the pixels stay readable and toPng can export them. When that load fails (no CORS headers),
 * the image is loaded again without it: it still displays, but a canvas it is drawn on is tainted and
 * cannot be exported (toPng then rejects with EXPORT_TAINTED_MESSAGE).
 */
function loadImage(url: string): Promise<Loaded | null> {
  const hit = imageCache.get(url);
  if (hit) {
    imageCache.delete(url);
    imageCache.set(url, hit);
    return hit;
  }
  const p = (async (): Promise<Loaded | null> => {
    const withCors = await decodeImage(url, true);
    if (withCors) return { img: withCors, cors: true };
    const plain = await decodeImage(url, false);
    return plain ? { img: plain, cors: false } : null;
  })();
  imageCache.set(url, p);
  void p.then((v) => {
    if (imageCache.get(url) === p) settled.set(url, v);
  });
  while (imageCache.size > CACHE_LIMIT) {
    const oldest = imageCache.keys().next().value as string;
    imageCache.delete(oldest);
    settled.delete(oldest);
  }
  return p;
}

// ------------------------------------------------------------------------------------------------

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function clampThreshold(t: number): number {
  return Number.isFinite(t) ? clamp(t, THRESHOLD_MIN, THRESHOLD_MAX) : 0.5;
}

interface Rect {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

function rectOf(b: BoxView): Rect | null {
  const [a, c, d, e] = b.box;
  if (![a, c, d, e].every((v) => Number.isFinite(v))) return null;
  return { x1: Math.min(a, d), y1: Math.min(c, e), x2: Math.max(a, d), y2: Math.max(c, e) };
}

/** Screen mapping: screen = image · s + o (per axis). `font` and `line` in screen pixels. */
interface Mapping {
  s: number;
  ox: number;
  oy: number;
  font: number;
  line: number;
  /** Visible area in screen pixels (labels are kept inside). */
  w: number;
  h: number;
}

interface Pane {
  view: ImageView;
  index: number;
  fig: HTMLElement;
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  caption: HTMLElement;
  srList: HTMLUListElement;
  /** Coordinate space of the boxes (logged size, else decoded, else UNKNOWN_SIZE). */
  W: number;
  H: number;
  /** undefined while loading, null when missing or failed. */
  loaded: Loaded | null | undefined;
  gt: number[];
  pred: number[];
  zoom: number;
  panX: number;
  panY: number;
  cssW: number;
  cssH: number;
  dpr: number;
  dirty: boolean;
  /** A frame with the final content (image or placeholder) was drawn since the last show. */
  complete: boolean;
}

/**
 * The image view of one completion. Construct once per container; `show` for each completion.
 * See the file header for coordinates and the callbacks' contract.
 */
export class SampleCanvas {
  /** Milliseconds from the last `show` call to the first complete frame (image or placeholder, and boxes). */
  lastRenderMs = 0;

  private readonly root: HTMLElement;
  private readonly range: HTMLInputElement;
  private readonly rangeValue: HTMLOutputElement;
  private readonly status: HTMLElement;
  private readonly imagesEl: HTMLElement;
  private panes: Pane[] = [];
  private sample: CanvasSample = { images: [], gt: [], pred: [] };
  private showGt = true;
  private showPred = true;
  private threshold = 0.5;
  private gtStatus: Status[] = [];
  private predStatus: Status[] = [];
  /** The pair's IoU when matched, else the box's best IoU. */
  private predIou: number[] = [];
  private gtIou: number[] = [];
  /** Best IoU with any box of the other set on the same image (computed once per show). */
  private bestPred: number[] = [];
  private bestGt: number[] = [];
  private tally = { tp: 0, fp: 0, fn: 0 };
  private lit: { set: CanvasBoxSet; index: number } | null = null;
  private hover: { set: CanvasBoxSet; index: number } | null = null;
  private colours: Colours;
  private raf = 0;
  private width = 0;
  private showStart = 0;
  private readonly textWidths = new Map<string, number>();
  private readonly resizeObserver: ResizeObserver;
  private readonly themeObserver: MutationObserver;
  private disposed = false;
  private drag: { pane: Pane; id: number; x: number; y: number; panX: number; panY: number } | null = null;

  constructor(
    container: HTMLElement,
    private readonly cb: SampleCanvasCallbacks,
  ) {
    this.root = el('div', 'rlc');
    const bar = el('div', 'rlc-toolbar');
    const label = el('label', 'rlc-threshold');
    label.append(el('span', 'rlc-threshold-name', 'IoU ≥'));
    this.range = el('input', 'rlc-range', undefined, {
      type: 'range',
      min: String(THRESHOLD_MIN),
      max: String(THRESHOLD_MAX),
      step: String(THRESHOLD_STEP),
      value: '0.5',
      'aria-label': 'IoU threshold for matching predicted to ground-truth boxes',
      title: 'IoU threshold: a predicted box matches a ground-truth box at IoU ≥ this (greedy matching)',
    });
    this.rangeValue = el('output', 'rlc-range-value', '0.50');
    label.append(this.range, this.rangeValue);
    this.status = el('span', 'rlc-counts', '', { role: 'status', 'aria-live': 'polite' });
    bar.append(label, this.status);

    const legend = el('div', 'rlc-legend', undefined, { 'aria-label': 'Legend' });
    const key = (cls: string, text: string, tip: string) => {
      const k = el('span', `rlc-key ${cls}`, undefined, { title: tip });
      k.append(el('span', 'rlc-swatch', undefined, { 'aria-hidden': 'true' }), el('span', 'rlc-key-text', text));
      return k;
    };
    legend.append(
      key('rlc-key-gt', 'GT', 'ground-truth box matched by a prediction'),
      key('rlc-key-tp', 'TP', 'true positive: predicted box matched to a ground-truth box'),
      key('rlc-key-fp', 'FP', 'false positive: predicted box with no ground-truth match'),
      key('rlc-key-fn', 'FN', 'false negative: ground-truth box no prediction matched'),
      key('rlc-key-solid', 'answer', 'solid outline: box written in the answer (and ground truth)'),
      key('rlc-key-dashed', 'reasoning', 'dashed outline: box written while reasoning (<think>)'),
    );
    this.imagesEl = el('div', 'rlc-images');
    this.root.append(bar, legend, this.imagesEl);
    container.append(this.root);

    this.range.addEventListener('input', () => {
      const t = clampThreshold(Number(this.range.value));
      this.applyThreshold(t);
      this.cb.onThreshold?.(t);
    });

    this.colours = this.readColours();
    this.resizeObserver = new ResizeObserver((entries) => {
      const w = entries[entries.length - 1]?.contentRect.width ?? 0;
      if (w > 0 && Math.abs(w - this.width) >= 0.5) {
        this.width = w;
        // drawn at once: resizing cleared the canvas, and a frame later would flash it empty
        for (const p of this.panes) if (this.layout(p)) this.draw(p);
      }
    });
    this.resizeObserver.observe(this.imagesEl);
    // VS Code changes the theme variables on <html style> and the theme class on <body>.
    this.themeObserver = new MutationObserver(() => {
      this.colours = this.readColours();
      this.textWidths.clear();
      for (const p of this.panes) this.schedule(p);
    });
    this.themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    if (document.body) this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    this.renderCounts();
  }

  // ---------------- public API ----------------

  show(s: CanvasSample, o: CanvasOptions): void {
    if (this.disposed) return;
    this.showStart = performance.now();
    this.sample = s;
    this.showGt = o.showGt;
    this.showPred = o.showPred;
    this.threshold = clampThreshold(o.threshold);
    this.range.value = String(this.threshold);
    this.rangeValue.textContent = this.threshold.toFixed(2);
    this.lit = null;
    this.hover = null; // the boxes changed: nothing is hovered until the pointer moves
    for (const p of this.panes) {
      p.canvas.removeAttribute('title');
      p.canvas.classList.remove('rlc-over-box');
    }
    if (this.width <= 0) this.width = this.imagesEl.clientWidth;

    const views = s.images.length ? s.images : s.gt.length + s.pred.length ? [{ path: '(no image in this prompt)', url: null, width: null, height: null, orientation: null }] : [];
    this.syncPanes(views);
    if (views.length === 0) this.imagesEl.replaceChildren(el('p', 'rlc-empty', 'This completion has no image.'));
    const last = Math.max(0, this.panes.length - 1);
    const where = (b: BoxView) => clamp(Math.floor(b.imageIndex ?? 0), 0, last);
    for (const p of this.panes) {
      p.gt = [];
      p.pred = [];
    }
    if (this.panes.length) {
      s.gt.forEach((b, i) => this.panes[where(b)]!.gt.push(i));
      s.pred.forEach((b, i) => this.panes[where(b)]!.pred.push(i));
    }
    this.bestPred = s.pred.map(() => 0);
    this.bestGt = s.gt.map(() => 0);
    for (const p of this.panes) {
      for (const i of p.pred) {
        for (const j of p.gt) {
          const v = iou(s.pred[i]!.box, s.gt[j]!.box);
          if (v > this.bestPred[i]!) this.bestPred[i] = v;
          if (v > this.bestGt[j]!) this.bestGt[j] = v;
        }
      }
    }
    this.match();
    this.renderCounts();
    let pending = 0;
    for (const p of this.panes) {
      this.describe(p);
      p.complete = false;
      if (p.loaded === undefined) pending++;
      this.layout(p);
      this.draw(p);
    }
    if (pending === 0) this.lastRenderMs = performance.now() - this.showStart;
  }

  setToggles(showGt: boolean, showPred: boolean): void {
    if (showGt === this.showGt && showPred === this.showPred) return;
    this.showGt = showGt;
    this.showPred = showPred;
    if (this.hover && !this.visible(this.hover.set)) this.setHover(null);
    for (const p of this.panes) this.schedule(p);
  }

  /** Set the threshold from outside (the slider follows; onThreshold is not called). */
  setThreshold(t: number): void {
    this.applyThreshold(clampThreshold(t));
  }

  /** Highlight one box (thicker outline, 20 % fill), or none with index null. */
  light(set: CanvasBoxSet, index: number | null): void {
    const before = this.lit;
    if (index === null) {
      if (!before || before.set !== set) return;
      this.lit = null;
    } else {
      if (before && before.set === set && before.index === index) return;
      this.lit = { set, index };
    }
    if (before) this.schedulePaneOf(before.set, before.index);
    if (this.lit) this.schedulePaneOf(this.lit.set, this.lit.index);
  }

  counts(): CanvasCounts {
    return { ...this.tally, threshold: this.threshold };
  }

  /**
   * The image with its boxes and labels at the image's natural resolution, as a PNG data URL. Rejects with
   * EXPORT_TAINTED_MESSAGE when the image came from another origin without CORS (see loadImage): the
   * browser then forbids reading the canvas back.
   */
  async toPng(imageIndex = 0): Promise<string> {
    const p = this.panes[imageIndex];
    if (!p) throw new RangeError(`no image ${imageIndex + 1} in this sample (${this.panes.length})`);
    const loaded = p.view.url ? await loadImage(p.view.url) : null;
    const [nw, nh] = loaded ? storedSize(loaded.img, orientationOf(p.view)) : [Math.round(p.W), Math.round(p.H)];
    const c = document.createElement('canvas');
    c.width = Math.max(1, nw);
    c.height = Math.max(1, nh);
    const ctx = c.getContext('2d');
    if (!ctx) throw new Error('could not create a canvas to export');
    const s = nw / p.W;
    const big = Math.max(nw, nh);
    const font = clamp(Math.round(big / 70), 12, 64);
    this.paint(ctx, p, loaded ?? null, { s, ox: 0, oy: 0, font, line: Math.max(2, Math.round(big / 400)), w: nw, h: nh }, nh / p.H, false);
    try {
      return c.toDataURL('image/png');
    } catch {
      // SecurityError: the canvas is tainted by a cross-origin image loaded without CORS.
      throw new Error(EXPORT_TAINTED_MESSAGE);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.resizeObserver.disconnect();
    this.themeObserver.disconnect();
    this.root.remove();
    this.panes = [];
  }

  // ---------------- matching ----------------

  private match(): void {
    const s = this.sample;
    this.gtStatus = s.gt.map(() => 'fn');
    this.predStatus = s.pred.map(() => 'fp');
    this.predIou = this.bestPred.slice();
    this.gtIou = this.bestGt.slice();
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const p of this.panes) {
      const m: MatchResult = matchBoxes(
        p.pred.map((i) => s.pred[i]!.box),
        p.gt.map((j) => s.gt[j]!.box),
        { threshold: this.threshold, method: 'greedy' },
      );
      for (const pr of m.pairs) {
        const i = p.pred[pr.pred]!;
        const j = p.gt[pr.gt]!;
        this.predStatus[i] = 'tp';
        this.gtStatus[j] = 'gt';
        this.predIou[i] = pr.iou;
        this.gtIou[j] = pr.iou;
      }
      tp += m.tp;
      fp += m.fp;
      fn += m.fn;
    }
    this.tally = { tp, fp, fn };
  }

  private applyThreshold(t: number): void {
    this.threshold = t;
    if (Number(this.range.value) !== t) this.range.value = String(t);
    this.rangeValue.textContent = t.toFixed(2);
    const before = this.panes.map((p) => this.signature(p));
    this.match();
    this.renderCounts();
    this.panes.forEach((p, k) => {
      if (this.signature(p) === before[k]) return; // nothing of this image changed colour
      this.describe(p);
      this.schedule(p);
    });
  }

  private signature(p: Pane): string {
    return p.gt.map((j) => this.gtStatus[j]).join('') + '|' + p.pred.map((i) => this.predStatus[i] + (this.predIou[i] ?? 0).toFixed(2)).join('');
  }

  private renderCounts(): void {
    const { tp, fp, fn } = this.tally;
    this.status.textContent = `TP ${tp} · FP ${fp} · FN ${fn} at IoU ≥ ${this.threshold.toFixed(2)}`;
  }

  // ---------------- panes (one per image) ----------------

  private syncPanes(views: ImageView[]): void {
    const reuse = this.panes.length === views.length && this.panes.every((p) => p.fig.parentElement === this.imagesEl);
    if (!reuse) {
      this.panes = views.map((v, i) => this.createPane(v, i));
      this.imagesEl.replaceChildren(...this.panes.map((p) => p.fig));
    }
    views.forEach((v, i) => {
      const p = this.panes[i]!;
      const same = reuse && p.view.url === v.url && p.view.path === v.path && p.view.width === v.width && p.view.height === v.height;
      p.view = v;
      p.index = i;
      if (same && p.loaded !== undefined) return; // same image: keep its zoom and pan
      p.zoom = 1;
      p.panX = 0;
      p.panY = 0;
      this.attachImage(p);
    });
  }

  private createPane(view: ImageView, index: number): Pane {
    const fig = el('figure', 'rlc-figure');
    const canvas = el('canvas', 'rlc-canvas', undefined, { role: 'img', tabindex: '0' });
    const caption = el('figcaption', 'rlc-caption');
    const srList = el('ul', 'rlc-sr');
    fig.append(canvas, caption, srList);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2D context unavailable');
    const p: Pane = {
      view, index, fig, canvas, ctx, caption, srList, W: UNKNOWN_SIZE, H: UNKNOWN_SIZE, loaded: undefined, gt: [], pred: [],
      zoom: 1, panX: 0, panY: 0, cssW: 0, cssH: 0, dpr: 1, dirty: false, complete: false,
    };
    this.wire(p);
    return p;
  }

  private attachImage(p: Pane): void {
    const v = p.view;
    const url = v.url;
    p.W = v.width && v.width > 0 ? v.width : UNKNOWN_SIZE;
    p.H = v.height && v.height > 0 ? v.height : UNKNOWN_SIZE;
    if (!url) {
      p.loaded = null;
      this.caption(p);
      return;
    }
    if (settled.has(url)) {
      p.loaded = settled.get(url)!;
      this.adoptSize(p);
      this.caption(p);
      return;
    }
    p.loaded = undefined;
    this.caption(p);
    void loadImage(url).then((l) => {
      if (this.disposed || p.view.url !== url || p.loaded !== undefined) return;
      p.loaded = l;
      this.adoptSize(p);
      this.caption(p);
      this.layout(p);
      this.draw(p);
      if (this.panes.every((q) => q.loaded !== undefined)) this.lastRenderMs = performance.now() - this.showStart;
    });
  }

  /** Without a logged size, boxes are in the decoded image's pixels. */
  private adoptSize(p: Pane): void {
    if (!p.loaded) return;
    if (!(p.view.width && p.view.width > 0 && p.view.height && p.view.height > 0)) {
      const [w, h] = storedSize(p.loaded.img, orientationOf(p.view));
      p.W = w || UNKNOWN_SIZE;
      p.H = h || UNKNOWN_SIZE;
    }
  }

  private caption(p: Pane): void {
    const v = p.view;
    const parts: HTMLElement[] = [];
    if (p.loaded === null) {
      parts.push(el('span', 'rlc-missing', `Image not found: ${v.path}`, { title: v.url ? 'the file could not be loaded' : 'the logged path was not found on this machine' }));
      parts.push(el('span', 'rlc-size', `placeholder ${Math.round(p.W)}×${Math.round(p.H)}${v.width && v.height ? '' : ' (size unknown)'}`));
    } else {
      parts.push(el('span', 'rlc-path', v.path, { title: v.path }));
      if (p.loaded) {
        const [nw, nh] = storedSize(p.loaded.img, orientationOf(p.view));
        parts.push(el('span', 'rlc-size', `${nw}×${nh}`));
        if (v.width && v.height && (nw !== v.width || nh !== v.height)) {
          parts.push(el('span', 'rlc-flag', `file is ${nw}×${nh}, log says ${v.width}×${v.height}: boxes use the logged size`));
        }
      } else if (v.width && v.height) parts.push(el('span', 'rlc-size', `${v.width}×${v.height}`));
    }
    if (v.orientation !== null && v.orientation !== 1) {
      parts.push(el('span', 'rlc-flag rlc-orientation', `EXIF orientation ${v.orientation}: shown as stored (as the model saw it), not rotated`));
    }
    p.caption.replaceChildren(...parts);
    p.canvas.setAttribute('data-state', p.loaded === undefined ? 'loading' : p.loaded ? 'image' : 'missing');
  }

  /** Canvas size for the container width (aspect kept, height capped); true when it changed. */
  private layout(p: Pane): boolean {
    const avail = this.width > 0 ? this.width : Math.min(p.W, 800);
    const maxH = Math.max(240, (window.innerHeight || 800) * 0.85);
    let cssW = Math.max(1, Math.floor(avail));
    let cssH = Math.max(1, Math.round((cssW * p.H) / p.W));
    if (cssH > maxH) {
      cssH = Math.floor(maxH);
      cssW = Math.max(1, Math.round((cssH * p.W) / p.H));
    }
    const dpr = window.devicePixelRatio || 1;
    if (cssW === p.cssW && cssH === p.cssH && dpr === p.dpr) return false;
    // keep the point at the centre of the view where it was
    if (p.cssW > 0 && p.zoom > 1) {
      const k = cssW / p.cssW;
      p.panX *= k;
      p.panY *= k;
    }
    p.cssW = cssW;
    p.cssH = cssH;
    p.dpr = dpr;
    p.canvas.width = Math.round(cssW * dpr);
    p.canvas.height = Math.round(cssH * dpr);
    p.canvas.style.width = `${cssW}px`;
    p.canvas.style.height = `${cssH}px`;
    this.clampPan(p);
    return true;
  }

  /** Image px → CSS px scale at zoom 1. */
  private fit(p: Pane): number {
    return p.cssW / p.W;
  }

  private clampPan(p: Pane): void {
    p.panX = clamp(p.panX, p.cssW - p.cssW * p.zoom, 0);
    p.panY = clamp(p.panY, p.cssH - p.cssH * p.zoom, 0);
  }

  private visible(set: CanvasBoxSet): boolean {
    return set === 'gt' ? this.showGt : this.showPred;
  }

  private schedule(p: Pane): void {
    p.dirty = true;
    if (this.raf || this.disposed) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      for (const q of this.panes) if (q.dirty) this.draw(q);
    });
  }

  private schedulePaneOf(set: CanvasBoxSet, index: number): void {
    const p = this.panes.find((q) => (set === 'gt' ? q.gt : q.pred).includes(index));
    if (p) this.schedule(p);
  }

  // ---------------- drawing ----------------

  private draw(p: Pane): void {
    p.dirty = false;
    if (this.disposed) return;
    if ((window.devicePixelRatio || 1) !== p.dpr) this.layout(p);
    const ctx = p.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, p.canvas.width, p.canvas.height);
    ctx.setTransform(p.dpr, 0, 0, p.dpr, 0, 0);
    const s = this.fit(p) * p.zoom;
    this.paint(ctx, p, p.loaded ?? null, { s, ox: p.panX, oy: p.panY, font: 11, line: 2, w: p.cssW, h: p.cssH }, s, true);
    if (p.loaded !== undefined) p.complete = true;
  }

  /**
   * The image (or a placeholder) and the visible boxes with their labels, through mapping `m` (`sy`: the
   * vertical scale, which differs from m.s only in an export whose file size disagrees with the logged one).
   * `highlights`: draw the lit and hovered boxes highlighted (not in an export).
   */
  private paint(ctx: CanvasRenderingContext2D, p: Pane, loaded: Loaded | null, m: Mapping, sy: number, highlights: boolean): void {
    const { s, ox, oy } = m;
    const iw = p.W * s;
    const ih = p.H * sy;
    ctx.save();
    if (loaded) {
      ctx.imageSmoothingEnabled = s < 4; // zoomed far in: show the pixels the model saw
      ctx.imageSmoothingQuality = 'high';
      drawStored(ctx, loaded.img, orientationOf(p.view), ox, oy, iw, ih);
    } else {
      this.placeholder(ctx, ox, oy, iw, ih, p.loaded === undefined);
    }
    ctx.restore();

    const c = this.colours;
    const sample = this.sample;
    const placed: Array<[number, number, number, number]> = [];
    type Item = { set: CanvasBoxSet; i: number; b: BoxView; status: Status; r: Rect; hi: boolean };
    const items: Item[] = [];
    const isHi = (set: CanvasBoxSet, i: number) =>
      highlights && ((this.lit !== null && this.lit.set === set && this.lit.index === i) || (this.hover !== null && this.hover.set === set && this.hover.index === i));
    if (this.showGt) {
      for (const j of p.gt) {
        const r = rectOf(sample.gt[j]!);
        if (r) items.push({ set: 'gt', i: j, b: sample.gt[j]!, status: this.gtStatus[j] ?? 'fn', r, hi: isHi('gt', j) });
      }
    }
    if (this.showPred) {
      for (const i of p.pred) {
        const r = rectOf(sample.pred[i]!);
        if (r) items.push({ set: 'pred', i, b: sample.pred[i]!, status: this.predStatus[i] ?? 'fp', r, hi: isHi('pred', i) });
      }
    }
    // highlighted last, on top
    items.sort((a, b) => Number(a.hi) - Number(b.hi));

    ctx.save();
    ctx.beginPath();
    ctx.rect(0, 0, m.w, m.h);
    ctx.clip();
    ctx.lineJoin = 'miter';
    for (const it of items) {
      const x = it.r.x1 * s + ox;
      const y = it.r.y1 * sy + oy;
      const w = (it.r.x2 - it.r.x1) * s;
      const h = (it.r.y2 - it.r.y1) * sy;
      const colour = c[it.status];
      const lw = it.hi ? m.line * 2 : m.line;
      const dash = it.b.part === 'think' ? [lw * 3, lw * 2] : [];
      if (it.hi) {
        ctx.globalAlpha = 0.2;
        ctx.fillStyle = colour;
        ctx.fillRect(x, y, w, h);
        ctx.globalAlpha = 1;
      }
      if (w < 1 && h < 1) {
        // a zero-area box: a ring so the point is visible
        ctx.setLineDash([]);
        ctx.strokeStyle = c.dark ? 'rgba(0,0,0,0.6)' : 'rgba(255,255,255,0.7)';
        ctx.lineWidth = lw + 2;
        ctx.beginPath();
        ctx.arc(x, y, lw * 3, 0, Math.PI * 2);
        ctx.stroke();
        ctx.strokeStyle = colour;
        ctx.lineWidth = lw;
        ctx.stroke();
        continue;
      }
      // a contrasting halo under the outline keeps it visible on any image
      ctx.setLineDash(dash);
      ctx.strokeStyle = c.dark ? 'rgba(0,0,0,0.55)' : 'rgba(255,255,255,0.65)';
      ctx.lineWidth = lw + 2;
      ctx.strokeRect(x, y, w, h);
      ctx.strokeStyle = colour;
      ctx.lineWidth = lw;
      ctx.strokeRect(x, y, w, h);
    }
    ctx.setLineDash([]);
    // labels after every outline, so no outline crosses a label
    ctx.font = `${m.font}px ${c.font}`;
    ctx.textBaseline = 'middle';
    const lh = Math.round(m.font * 1.5);
    const padX = Math.round(m.font * 0.4);
    const labelOrder = [...items].sort((a, b) => Number(b.hi) - Number(a.hi)); // highlighted ones claim space first
    const draws: Array<() => void> = [];
    for (const it of labelOrder) {
      const text = this.labelText(it.set, it.i);
      const tw = this.measure(ctx, text, m.font) + 2 * padX;
      const x1 = it.r.x1 * s + ox;
      const y1 = it.r.y1 * sy + oy;
      const y2 = it.r.y2 * sy + oy;
      const lwid = it.hi ? m.line * 2 : m.line;
      const above = y1 - lwid / 2 - lh;
      const below = y2 + lwid / 2;
      const candidates = it.set === 'gt' ? [below, y2 - lh - lwid, above, y1 + lwid] : [above, y1 + lwid, below, y2 - lh - lwid];
      const lx = clamp(x1 - lwid / 2, 0, Math.max(0, m.w - tw));
      let spot: [number, number, number, number] | null = null;
      for (const cy of candidates) {
        const ly = clamp(cy, 0, Math.max(0, m.h - lh));
        const r: [number, number, number, number] = [lx, ly, lx + tw, ly + lh];
        if (!placed.some((q) => r[0] < q[2] && q[0] < r[2] && r[1] < q[3] && q[1] < r[3])) {
          spot = r;
          break;
        }
      }
      // No free place: skip it unless highlighted (zooming in spreads the boxes and brings labels back).
      if (!spot && it.hi) spot = [lx, clamp(candidates[0]!, 0, Math.max(0, m.h - lh)), lx + tw, clamp(candidates[0]!, 0, Math.max(0, m.h - lh)) + lh];
      if (!spot) continue;
      placed.push(spot);
      const [rx, ry] = spot;
      const colour = c[it.status];
      draws.push(() => {
        ctx.fillStyle = c.dark ? 'rgba(20,20,20,0.86)' : 'rgba(255,255,255,0.9)';
        ctx.fillRect(rx, ry, tw, lh);
        ctx.fillStyle = colour;
        ctx.fillRect(rx, ry, Math.max(2, Math.round(m.font / 5)), lh);
        ctx.fillStyle = c.dark ? '#f0f0f0' : '#1e1e1e';
        ctx.fillText(text, rx + padX, ry + lh / 2 + 0.5);
      });
    }
    // draw lowest-priority first so highlighted labels end on top
    for (let k = draws.length - 1; k >= 0; k--) draws[k]!();
    ctx.restore();
  }

  private placeholder(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, loading: boolean): void {
    const c = this.colours;
    ctx.fillStyle = c.placeholder;
    ctx.fillRect(x, y, w, h);
    if (loading) return;
    // light diagonal hatching: clearly not a photograph
    ctx.save();
    ctx.beginPath();
    ctx.rect(x, y, w, h);
    ctx.clip();
    ctx.strokeStyle = c.dark ? 'rgba(255,255,255,0.06)' : 'rgba(0,0,0,0.06)';
    ctx.lineWidth = 1;
    const step = 24;
    ctx.beginPath();
    for (let d = -h; d < w; d += step) {
      ctx.moveTo(x + d, y + h);
      ctx.lineTo(x + d + h, y);
    }
    ctx.stroke();
    ctx.restore();
  }

  private measure(ctx: CanvasRenderingContext2D, text: string, font: number): number {
    const key = font + '\u0000' + text;
    let w = this.textWidths.get(key);
    if (w === undefined) {
      w = ctx.measureText(text).width;
      if (this.textWidths.size > 4000) this.textWidths.clear();
      this.textWidths.set(key, w);
    }
    return w;
  }

  private labelText(set: CanvasBoxSet, i: number): string {
    const b = set === 'gt' ? this.sample.gt[i]! : this.sample.pred[i]!;
    const flags = b.flags && b.flags.length ? '⚠ ' : '';
    const name = b.label ? ` ${b.label.length > 40 ? b.label.slice(0, 39) + '…' : b.label}` : '';
    if (set === 'gt') return `${flags}GT${name}`;
    const tail = b.flags && b.flags.length ? ` · ${b.flags.join(', ')}` : '';
    return `${flags}pred${name} · IoU ${(this.predIou[i] ?? 0).toFixed(2)}${tail}`;
  }

  private readColours(): Colours {
    const cs = getComputedStyle(this.root.isConnected ? this.root : document.documentElement);
    const v = (name: string) => cs.getPropertyValue(name).trim();
    const out = { ...FALLBACK } as Colours;
    for (const k of Object.keys(THEME_VAR) as Status[]) out[k] = v(THEME_VAR[k]) || FALLBACK[k];
    out.dark = isDark(v('--vscode-editor-background'));
    out.font = v('--vscode-font-family') || 'sans-serif';
    out.placeholder = out.dark ? '#3a3a3a' : '#d8d8d8';
    return out;
  }

  // ---------------- text alternatives ----------------

  private describe(p: Pane): void {
    const s = this.sample;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const i of p.pred) {
      if (this.predStatus[i] === 'tp') tp++;
      else fp++;
    }
    for (const j of p.gt) if (this.gtStatus[j] === 'fn') fn++;
    p.canvas.setAttribute(
      'aria-label',
      `image ${p.index + 1} of ${this.panes.length}, ${p.gt.length} ground-truth and ${p.pred.length} predicted boxes, TP ${tp} FP ${fp} FN ${fn}`,
    );
    const coords = (b: BoxView) => `[${b.box.map((x) => (Number.isFinite(x) ? Math.round(x) : String(x))).join(', ')}]`;
    const items: HTMLElement[] = [];
    for (const j of p.gt) {
      const b = s.gt[j]!;
      const st = this.gtStatus[j]!;
      items.push(el('li', 'rlc-item', `ground truth ${j + 1}${b.label ? ` "${b.label}"` : ''} at ${coords(b)}: ${st === 'gt' ? `matched, IoU ${(this.gtIou[j] ?? 0).toFixed(2)}` : STATUS_WORDS[st]}`, { 'data-set': 'gt', 'data-index': String(j), 'data-status': st }));
    }
    for (const i of p.pred) {
      const b = s.pred[i]!;
      const st = this.predStatus[i]!;
      const where = b.part === 'think' ? 'in the reasoning' : b.part === 'answer' ? 'in the answer' : 'outside answer and reasoning';
      const flags = b.flags && b.flags.length ? `, warning: ${b.flags.join(', ')}` : '';
      items.push(el('li', 'rlc-item', `predicted ${i + 1}${b.label ? ` "${b.label}"` : ''} ${where} at ${coords(b)}: ${STATUS_WORDS[st]}, IoU ${(this.predIou[i] ?? 0).toFixed(2)}${flags}`, { 'data-set': 'pred', 'data-index': String(i), 'data-status': st, 'data-part': b.part ?? 'other' }));
    }
    p.srList.replaceChildren(...items);
  }

  private tooltip(set: CanvasBoxSet, i: number): string {
    const b = set === 'gt' ? this.sample.gt[i]! : this.sample.pred[i]!;
    const st = set === 'gt' ? this.gtStatus[i]! : this.predStatus[i]!;
    const head = this.labelText(set, i) + ` — ${STATUS_WORDS[st]}`;
    const part = set === 'pred' ? (b.part === 'think' ? ', written while reasoning' : b.part === 'answer' ? ', written in the answer' : '') : '';
    const frame = set === 'pred' ? ` (written in ${b.frame}${b.frameAssumed ? ', assumed' : ''}${part})` : '';
    return `${head}\n[${b.box.map((v) => Math.round(v)).join(', ')}] original px${frame}`;
  }

  // ---------------- interaction ----------------

  private wire(p: Pane): void {
    const cv = p.canvas;
    const local = (e: MouseEvent): [number, number] => {
      const r = cv.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    cv.addEventListener(
      'wheel',
      (e) => {
        const unit = e.deltaMode === 1 ? 40 : e.deltaMode === 2 ? 400 : 1;
        const factor = Math.exp(-e.deltaY * unit * 0.002);
        // at the fitted size, a zoom-out gesture scrolls the page (the pane stays scrollable over images)
        if (factor < 1 && p.zoom <= ZOOM_MIN) return;
        e.preventDefault();
        const [x, y] = local(e);
        this.zoomAt(p, x, y, factor);
      },
      { passive: false },
    );
    cv.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      this.drag = { pane: p, id: e.pointerId, x: e.clientX, y: e.clientY, panX: p.panX, panY: p.panY };
      cv.setPointerCapture(e.pointerId);
      cv.classList.add('rlc-dragging');
    });
    cv.addEventListener('pointermove', (e) => {
      const d = this.drag;
      if (d && d.pane === p && d.id === e.pointerId) {
        p.panX = d.panX + (e.clientX - d.x);
        p.panY = d.panY + (e.clientY - d.y);
        this.clampPan(p);
        this.schedule(p);
        return;
      }
      const [x, y] = local(e);
      const hit = this.hitTest(p, x, y);
      this.setHover(hit);
      cv.classList.toggle('rlc-over-box', hit !== null);
    });
    const endDrag = (e: PointerEvent) => {
      if (this.drag && this.drag.id === e.pointerId) {
        this.drag = null;
        cv.classList.remove('rlc-dragging');
        if (cv.hasPointerCapture(e.pointerId)) cv.releasePointerCapture(e.pointerId);
      }
    };
    cv.addEventListener('pointerup', endDrag);
    cv.addEventListener('pointercancel', endDrag);
    cv.addEventListener('pointerleave', () => {
      if (!this.drag) {
        this.setHover(null);
        cv.classList.remove('rlc-over-box');
      }
    });
    cv.addEventListener('dblclick', (e) => {
      e.preventDefault();
      this.resetView(p);
    });
    cv.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const step = e.shiftKey ? 160 : 40;
      let handled = true;
      switch (e.key) {
        case '+':
        case '=':
          this.zoomAt(p, p.cssW / 2, p.cssH / 2, 1.25);
          break;
        case '-':
        case '_':
          this.zoomAt(p, p.cssW / 2, p.cssH / 2, 1 / 1.25);
          break;
        case '0':
          this.resetView(p);
          break;
        case 'ArrowLeft':
          this.panBy(p, step, 0);
          break;
        case 'ArrowRight':
          this.panBy(p, -step, 0);
          break;
        case 'ArrowUp':
          this.panBy(p, 0, step);
          break;
        case 'ArrowDown':
          this.panBy(p, 0, -step);
          break;
        default:
          handled = false;
      }
      if (handled) {
        // the inspector's own keys (←/→ move between completions) must not fire while the canvas has focus
        e.preventDefault();
        e.stopPropagation();
      }
    });
  }

  private zoomAt(p: Pane, x: number, y: number, factor: number): void {
    const z = clamp(p.zoom * factor, ZOOM_MIN, ZOOM_MAX);
    if (z === p.zoom) return;
    const k = z / p.zoom;
    p.panX = x - (x - p.panX) * k;
    p.panY = y - (y - p.panY) * k;
    p.zoom = z;
    this.clampPan(p);
    this.schedule(p);
  }

  private panBy(p: Pane, dx: number, dy: number): void {
    p.panX += dx;
    p.panY += dy;
    this.clampPan(p);
    this.schedule(p);
  }

  private resetView(p: Pane): void {
    p.zoom = 1;
    p.panX = 0;
    p.panY = 0;
    this.schedule(p);
  }

  /** The box under a point (CSS px in the canvas): smallest containing box, else nearest edge within 4 px. */
  private hitTest(p: Pane, x: number, y: number): { set: CanvasBoxSet; index: number } | null {
    const s = this.fit(p) * p.zoom;
    if (!(s > 0)) return null;
    const ix = (x - p.panX) / s;
    const iy = (y - p.panY) / s;
    const tol = HIT_TOLERANCE / s;
    let best: { set: CanvasBoxSet; index: number } | null = null;
    let bestArea = Infinity;
    let near: { set: CanvasBoxSet; index: number } | null = null;
    let nearD = tol;
    const consider = (set: CanvasBoxSet, idx: number[], boxes: BoxView[]) => {
      for (const i of idx) {
        const r = rectOf(boxes[i]!);
        if (!r) continue;
        const inside = ix >= r.x1 && ix <= r.x2 && iy >= r.y1 && iy <= r.y2;
        const area = (r.x2 - r.x1) * (r.y2 - r.y1);
        if (inside && area > 0 && (area < bestArea || (area === bestArea && set === 'pred'))) {
          best = { set, index: i };
          bestArea = area;
        }
        // distance to the outline
        const dx = Math.max(r.x1 - ix, 0, ix - r.x2);
        const dy = Math.max(r.y1 - iy, 0, iy - r.y2);
        const d = inside ? Math.min(ix - r.x1, r.x2 - ix, iy - r.y1, r.y2 - iy) : Math.hypot(dx, dy);
        if (d <= nearD) {
          near = { set, index: i };
          nearD = d;
        }
      }
    };
    if (this.showGt) consider('gt', p.gt, this.sample.gt);
    if (this.showPred) consider('pred', p.pred, this.sample.pred);
    return best ?? near;
  }

  private setHover(h: { set: CanvasBoxSet; index: number } | null): void {
    const old = this.hover;
    if (old === h || (old && h && old.set === h.set && old.index === h.index)) return;
    this.hover = h;
    if (old) this.schedulePaneOf(old.set, old.index);
    if (h) this.schedulePaneOf(h.set, h.index);
    const pane = h ? this.panes.find((q) => (h.set === 'gt' ? q.gt : q.pred).includes(h.index)) : undefined;
    for (const q of this.panes) {
      if (q === pane && h) q.canvas.title = this.tooltip(h.set, h.index);
      else q.canvas.removeAttribute('title');
    }
    if (old && (!h || h.set !== old.set)) this.cb.onHoverBox(old.set, null);
    if (h) this.cb.onHoverBox(h.set, h.index);
  }
}

/** Whether a CSS colour is dark (luminance below the middle); unknown colours count as dark. */
function isDark(colour: string): boolean {
  if (!colour) return !document.body?.classList.contains('vscode-light');
  const c = document.createElement('canvas').getContext('2d');
  if (!c) return true;
  c.fillStyle = '#000';
  c.fillStyle = colour;
  const norm = String(c.fillStyle);
  let r = 0;
  let g = 0;
  let b = 0;
  const hex = /^#([0-9a-f]{6})$/i.exec(norm);
  if (hex) {
    const n = parseInt(hex[1]!, 16);
    r = n >> 16;
    g = (n >> 8) & 255;
    b = n & 255;
  } else {
    const m = /rgba?\(([^)]+)\)/.exec(norm);
    if (!m) return true;
    [r, g, b] = m[1]!.split(',').map((x) => parseFloat(x)) as [number, number, number];
  }
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
}
