// Splits a completion into display segments: which trace part each piece is in (<think>/<answer>),
// whether it is a structural tag, and which predicted box it mentions. Pure; used by the webview.
import type { TracePart } from './model';

export interface Segment {
  text: string;
  part: TracePart;
  tag: boolean;
  /** Index of the predicted box whose mention covers this piece, or null. */
  box: number | null;
}

const TAG = /<\/?(think|answer)>/g;

export function segmentCompletion(text: string, spans: ReadonlyArray<readonly [number, number] | null>): Segment[] {
  // Part of each tag-delimited region, and the tag ranges themselves.
  const cuts = new Set<number>([0, text.length]);
  const tags: Array<{ start: number; end: number; open: boolean; name: TracePart }> = [];
  for (const m of text.matchAll(TAG)) {
    const start = m.index ?? 0;
    tags.push({ start, end: start + m[0].length, open: !m[0].startsWith('</'), name: m[1] as TracePart });
    cuts.add(start);
    cuts.add(start + m[0].length);
  }
  const mentions: Array<{ start: number; end: number; box: number }> = [];
  spans.forEach((s, box) => {
    if (!s) return;
    const start = Math.max(0, Math.min(text.length, s[0]));
    const end = Math.max(start, Math.min(text.length, s[1]));
    if (end > start) {
      mentions.push({ start, end, box });
      cuts.add(start);
      cuts.add(end);
    }
  });
  const points = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  let part: TracePart = 'other';
  let ti = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const a = points[k]!;
    const b = points[k + 1]!;
    if (b <= a) continue;
    let tag = false;
    while (ti < tags.length && tags[ti]!.end <= a) ti++;
    const t = tags[ti];
    if (t && t.start <= a && b <= t.end) {
      tag = true;
      part = t.open ? t.name : part;
    }
    const mention = mentions.find((m) => m.start <= a && b <= m.end);
    const piece: Segment = { text: text.slice(a, b), part, tag, box: mention ? mention.box : null };
    if (t && tag && !t.open && b === t.end) part = 'other';
    const prev = out[out.length - 1];
    if (prev && prev.part === piece.part && prev.tag === piece.tag && prev.box === piece.box) prev.text += piece.text;
    else out.push(piece);
  }
  return out;
}
