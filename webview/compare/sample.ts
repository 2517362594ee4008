// The Sample tab: one prompt as answered by A and by the other source, side by side. Above, what changed
// (PairView.changes); per side its answer, correctness and scores, the image with the ground-truth boxes and
// that side's predicted boxes (SampleCanvas from the inspector, the IoU threshold kept in step on both), and
// below the two traces with their <think> / <answer> parts. A side the source did not evaluate says so.
// Every string from a log goes into the DOM as text (textContent), never as HTML.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { CompareInit, MetricId, PairSide, PairView } from '../../extension/protocol/compare';
import type { RolloutView } from '../../extension/protocol/inspector';
import { segmentCompletion } from '../../extension/core/segments';
import { SampleCanvas } from '../inspector/canvasView';
import { el } from '../inspector/dom';
import { lightMention, segmentNode } from '../inspector/trace';
import { fmtValueUnit, letter, METRIC_LABELS } from './format';

export interface SampleCallbacks {
  prev(): void;
  next(): void;
  back(): void;
  reveal(file: string, line: number): void;
  onThreshold(t: number): void;
  onToggles(showGt: boolean, showPred: boolean): void;
}

interface Side {
  root: HTMLElement;
  head: HTMLElement;
  info: HTMLElement;
  canvasHost: HTMLElement;
  missing: HTMLElement;
  trace: HTMLElement;
  canvas: SampleCanvas;
}

type Check = HTMLElement & { checked: boolean };

export class SamplePane {
  private readonly root: HTMLElement;
  private readonly nav: HTMLElement;
  private readonly pos: HTMLElement;
  private readonly title: HTMLElement;
  private readonly where: HTMLElement;
  private readonly status: HTMLElement;
  private readonly changes: HTMLElement;
  private readonly body: HTMLElement;
  private readonly sides: Side[] = [];
  private readonly gtBox: Check;
  private readonly predBox: Check;
  private showGt = true;
  private showPred = true;
  private threshold: number;
  private pair: PairView | null = null;

  constructor(container: HTMLElement, private readonly init: CompareInit, threshold: number, private readonly cb: SampleCallbacks) {
    this.threshold = threshold;
    this.root = el('div', 'cmp-sample');
    const head = el('div', 'cmp-sample-head');
    this.nav = el('div', 'cmp-sample-nav');
    const button = (cls: string, label: string, tip: string, fn: () => void) => {
      const b = el('vscode-button', cls, label, { title: tip, secondary: '' });
      b.addEventListener('click', fn);
      return b;
    };
    this.pos = el('span', 'cmp-sample-pos', '', { 'aria-live': 'polite' });
    this.nav.append(
      button('cmp-back', '← List', 'Back to the flip list (Esc)', () => this.cb.back()),
      button('cmp-prev', '◀', 'Previous sample of the list (k)', () => this.cb.prev()),
      this.pos,
      button('cmp-next', '▶', 'Next sample of the list (j)', () => this.cb.next()),
    );
    const toggles = el('span', 'cmp-toggles');
    const cb2 = (cls: string, label: string, fn: () => void) => {
      const c = el('vscode-checkbox', cls, undefined, { label, checked: '' }) as Check;
      c.addEventListener('change', fn);
      return c;
    };
    this.gtBox = cb2('legend-gt cmp-toggle-gt', 'Ground truth (t)', () => this.setToggles(this.gtBox.checked, this.showPred));
    this.predBox = cb2('legend-pred cmp-toggle-pred', 'Predicted (p)', () => this.setToggles(this.showGt, this.predBox.checked));
    toggles.append(this.gtBox, this.predBox);
    this.nav.append(toggles);
    this.title = el('h3', 'cmp-question', '');
    this.where = el('div', 'cmp-where', '');
    head.append(this.nav, this.title, this.where);
    this.status = el('div', 'cmp-sample-status', '', { role: 'status' });
    this.changes = el('ul', 'cmp-changes', undefined, { 'aria-label': 'What changed from A' });
    this.body = el('div', 'cmp-sides');
    for (let k = 0; k < 2; k++) this.sides.push(this.makeSide());
    this.root.append(head, this.status, this.changes, this.body);
    container.append(this.root);
    this.showEmpty('Open a prompt from the Flips tab (Enter) to see both answers side by side.');
  }

  private makeSide(): Side {
    const root = el('section', 'cmp-side', undefined, { 'data-source': '' });
    const headEl = el('div', 'cmp-side-head');
    const info = el('div', 'cmp-side-info');
    const canvasHost = el('div', 'cmp-side-canvas');
    const missing = el('p', 'cmp-missing', '');
    missing.hidden = true;
    const trace = el('pre', 'completion cmp-trace', '', { tabindex: '0' });
    root.append(headEl, info, canvasHost, trace);
    canvasHost.after(missing);
    this.body.append(root);
    const side: Side = {
      root, head: headEl, info, canvasHost, missing, trace,
      canvas: new SampleCanvas(canvasHost, {
        onHoverBox: (set, index) => lightMention(side.trace, set, index),
        onThreshold: (t) => {
          this.threshold = t;
          for (const o of this.sides) if (o !== side) o.canvas.setThreshold(t);
          this.cb.onThreshold(t);
        },
      }),
    };
    return side;
  }

  setToggles(showGt: boolean, showPred: boolean, notify = true): void {
    this.showGt = showGt;
    this.showPred = showPred;
    this.gtBox.checked = showGt;
    this.predBox.checked = showPred;
    for (const s of this.sides) s.canvas.setToggles(showGt, showPred);
    if (notify) this.cb.onToggles(showGt, showPred);
  }

  toggle(set: 'gt' | 'pred'): void {
    if (set === 'gt') this.setToggles(!this.showGt, this.showPred);
    else this.setToggles(this.showGt, !this.showPred);
  }

  /** Position text: "3 of 42 · ✓ A → ✗ B". */
  setPosition(text: string, hasPrev: boolean, hasNext: boolean): void {
    this.pos.textContent = text;
    this.nav.querySelector('.cmp-prev')?.toggleAttribute('disabled', !hasPrev);
    this.nav.querySelector('.cmp-next')?.toggleAttribute('disabled', !hasNext);
  }

  showLoading(): void {
    this.status.className = 'cmp-sample-status';
    this.status.textContent = 'loading…';
  }

  showError(message: string): void {
    this.status.className = 'cmp-sample-status cmp-error';
    this.status.textContent = message;
  }

  showEmpty(message: string): void {
    this.pair = null;
    this.title.textContent = '';
    this.where.textContent = '';
    this.changes.replaceChildren();
    this.body.hidden = true;
    this.status.className = 'cmp-sample-status cmp-empty';
    this.status.textContent = message;
  }

  get current(): PairView | null {
    return this.pair;
  }

  show(p: PairView): void {
    this.pair = p;
    this.status.className = 'cmp-sample-status';
    this.status.textContent = '';
    this.body.hidden = false;
    this.title.textContent = p.question;
    this.title.title = p.question;
    this.where.textContent = `${p.dataset} · ${p.key}`;
    this.changes.replaceChildren();
    if (p.changes.length === 0) this.changes.append(el('li', 'cmp-change cmp-nochange', 'no change in answer, boxes or scores'));
    for (const c of p.changes) this.changes.append(el('li', 'cmp-change', c));
    p.sides.slice(0, 2).forEach((s, k) => this.showSide(this.sides[k]!, s));
  }

  private showSide(side: Side, s: PairSide): void {
    side.root.setAttribute('data-source', String(s.source));
    side.root.classList.toggle('cmp-side-baseline', s.source === 0);
    const r = s.rollout;
    side.head.replaceChildren();
    const name = el('span', 'cmp-side-name');
    name.append(el('span', 'cmp-letter', letter(s.source)), el('span', 'cmp-side-srcname', s.name, { title: this.init.sources[s.source]?.path ?? s.name }));
    side.head.append(name);
    if (r) {
      side.head.append(el('span', 'badge ' + (r.correct === true ? 'ok' : r.correct === false ? 'bad' : ''), r.correct === true ? '✓ right' : r.correct === false ? '✗ wrong' : 'not scored'));
      const open = el('vscode-button', 'cmp-reveal', 'Open in log', { secondary: '', title: `${r.file}:${r.line}` });
      open.addEventListener('click', () => this.cb.reveal(r.file, r.line));
      side.head.append(open);
    }
    side.info.replaceChildren();
    if (!r) {
      side.missing.hidden = false;
      side.missing.textContent = `not evaluated by ${s.name}`;
      side.canvasHost.hidden = true;
      side.trace.hidden = true;
      side.trace.replaceChildren();
      side.canvas.show({ images: [], gt: [], pred: [] }, { showGt: this.showGt, showPred: this.showPred, threshold: this.threshold });
      return;
    }
    side.missing.hidden = true;
    side.canvasHost.hidden = false;
    side.trace.hidden = false;
    const rows = el('div', 'answers cmp-side-answers');
    const row = (label: string, value: string | null, cls: string) => {
      const d = el('div', 'answer-row');
      d.append(el('span', 'answer-name', label), el('code', `answer-value ${cls}`, value ?? '—'));
      return d;
    };
    rows.append(row('answer', r.answer, 'cmp-answer'), row('reference', r.referenceAnswer, 'cmp-reference'));
    if (s.answers > 1) rows.append(row('answers', `${s.answers} (scores are the mean over them; the first is shown)`, 'cmp-nanswers'));
    side.info.append(rows);
    const scores = el('div', 'cmp-scores');
    for (const [m, v] of Object.entries(s.scores) as Array<[MetricId, number | null]>) {
      const chip = el('span', 'chip cmp-score', undefined, { 'data-metric': m });
      chip.append(el('span', 'chip-name', METRIC_LABELS[m] ?? m), el('span', 'chip-value', fmtValueUnit(m, v)));
      scores.append(chip);
    }
    if (scores.childElementCount) side.info.append(scores);
    side.canvas.show({ images: r.images, gt: r.gt, pred: r.pred }, { showGt: this.showGt, showPred: this.showPred, threshold: this.threshold });
    this.renderTrace(side, r);
  }

  private renderTrace(side: Side, r: RolloutView): void {
    const pre = side.trace;
    pre.replaceChildren();
    for (const seg of segmentCompletion(r.completion, r.pred.map((b) => b.span))) pre.append(segmentNode(seg, (box) => side.canvas.light('pred', box)));
    if (!r.completion) pre.append(el('span', 'muted', '(empty completion)'));
  }

  dispose(): void {
    for (const s of this.sides) s.canvas.dispose();
    this.root.remove();
  }
}
