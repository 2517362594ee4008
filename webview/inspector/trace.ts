// The reasoning text of a completion as the panels show it: segments styled by part (think / answer) and tag,
// box mentions that light their box on the canvas, and the canvas lighting its mention back.
import type { Segment } from '../../extension/core/segments';
import { el } from './dom';

/**
 * One segment as a node: plain text, or a span (`part-think` / `part-answer`, `tag`, `mention`); hovering a
 * mention lights it and calls `light(box)`, leaving it calls `light(null)`.
 */
export function segmentNode(seg: Segment, light: (box: number | null) => void): Node {
  const cls = [seg.part !== 'other' ? `part-${seg.part}` : '', seg.tag ? 'tag' : '', seg.box !== null ? 'mention' : ''].filter(Boolean).join(' ');
  if (!cls) return document.createTextNode(seg.text);
  const s = el('span', cls, seg.text);
  if (seg.box !== null) {
    const bi = seg.box;
    s.setAttribute('data-box', String(bi));
    s.addEventListener('mouseenter', () => {
      s.classList.add('lit');
      light(bi);
    });
    s.addEventListener('mouseleave', () => {
      s.classList.remove('lit');
      light(null);
    });
  }
  return s;
}

/** Hovering a box on the canvas lights its mention in `container` (predicted boxes only) and scrolls to it. */
export function lightMention(container: ParentNode, set: 'gt' | 'pred', index: number | null): void {
  for (const e of container.querySelectorAll<HTMLElement>('.mention.lit')) e.classList.remove('lit');
  if (set !== 'pred' || index === null) return;
  const m = container.querySelector<HTMLElement>(`.mention[data-box="${index}"]`);
  if (m) {
    m.classList.add('lit');
    m.scrollIntoView({ block: 'nearest' });
  }
}
