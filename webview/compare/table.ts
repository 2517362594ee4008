// The comparison table: one row per dataset (bold) followed by its slice rows (indented), and for each shown
// metric a group of columns, one per source: the value with its prompt count, and for every source after the
// first its difference from the first (A) with the paired test (title: 95 % CI, p, Holm), marked when
// significant and muted when not. Above it the flip counts of each source against A; below it the legend.
// Every string from a log goes into the DOM as text (textContent), never as HTML.
import type { CompareInit, FlipKind, MetricId, TableRow, TableView } from '../../extension/protocol/compare';
import type { CellStat, DeltaStat } from '../../extension/core/compare/types';
import { el } from '../inspector/dom';
import { cellTitle, deltaTitle, fmtDelta, fmtValue, letter, METRIC_LABELS, metricHeading, metricKind } from './format';

export interface TableCallbacks {
  /** A flip count was clicked: open the Flips tab on that bucket of source `against` vs A. */
  openFlips(against: number, kind: FlipKind): void;
}

export const FLIP_KINDS: FlipKind[] = ['aOnly', 'bOnly', 'both', 'neither'];

/** Short label of a flip bucket for source letters a (the first) and b. */
export function flipLabel(kind: FlipKind, a = 'A', b = 'B'): string {
  switch (kind) {
    case 'aOnly':
      return `✓ ${a} → ✗ ${b}`;
    case 'bOnly':
      return `✗ ${a} → ✓ ${b}`;
    case 'both':
      return 'both ✓';
    default:
      return 'both ✗';
  }
}

/** The bucket in words, for titles and empty lists. */
export function flipWords(kind: FlipKind, a: string, b: string): string {
  switch (kind) {
    case 'aOnly':
      return `right in ${a}, wrong in ${b}`;
    case 'bOnly':
      return `wrong in ${a}, right in ${b}`;
    case 'both':
      return `right in both ${a} and ${b}`;
    default:
      return `wrong in both ${a} and ${b}`;
  }
}

function flipSummary(init: CompareInit, t: TableView, cb: TableCallbacks): HTMLElement | null {
  const box = el('div', 'cmp-flipsum', undefined, { 'data-testid': 'cmp-flipsum' });
  let any = false;
  t.flips.forEach((f, i) => {
    if (i === 0 || !f) return;
    any = true;
    const a = init.sources[0]!.name;
    const b = init.sources[i]?.name ?? `source ${i}`;
    const line = el('div', 'cmp-flipline', undefined, { 'data-source': String(i) });
    line.append(el('span', 'cmp-flipline-name', `A → ${letter(i)}`, { title: `${a} → ${b}` }), el('span', 'cmp-flipline-src', b));
    const counts = { aOnly: f.aOnly, bOnly: f.bOnly, both: f.both, neither: f.neither };
    for (const k of FLIP_KINDS) {
      const btn = el('button', `cmp-flipbtn cmp-flip-${k}`, undefined, {
        'data-source': String(i),
        'data-kind': k,
        title: `${counts[k]} prompts ${flipWords(k, a, b)}: open them in the Flips tab`,
      });
      btn.append(el('span', 'cmp-flipbtn-label', k === 'aOnly' ? '✓→✗' : k === 'bOnly' ? '✗→✓' : k === 'both' ? 'both ✓' : 'both ✗'), el('span', 'cmp-flipbtn-count', String(counts[k])));
      btn.addEventListener('click', () => cb.openFlips(i, k));
      line.append(btn);
    }
    const net = f.bOnly - f.aOnly;
    line.append(el('span', 'cmp-flip-net ' + (net > 0 ? 'pos' : net < 0 ? 'neg' : ''), `net ${net > 0 ? '+' : net < 0 ? '−' : '±'}${Math.abs(net)}`, { title: `${letter(i)} fixes ${f.bOnly} and breaks ${f.aOnly} prompts that A got right` }));
    box.append(line);
  });
  return any ? box : null;
}

function valueCell(init: CompareInit, m: MetricId, si: number, c: CellStat | undefined, d: DeltaStat | undefined, groupStart: boolean): HTMLTableCellElement {
  const td = el('td', 'cmp-cell' + (groupStart ? ' cmp-group-start' : '') + (si === 0 ? ' cmp-baseline' : ''), undefined, {
    'data-metric': m,
    'data-source': String(si),
  });
  const name = init.sources[si]?.name ?? `source ${si}`;
  const box = el('div', 'cmp-cellbox');
  const v = el('span', 'cmp-val', c ? fmtValue(m, c.value) : '—');
  if (c) v.title = cellTitle(m, c, name);
  else v.title = `${name} has no ${METRIC_LABELS[m]} here`;
  box.append(v);
  if (si > 0) {
    if (d) {
      const good = metricKind(m) !== 'length';
      const dir = d.delta > 0 ? 'pos' : d.delta < 0 ? 'neg' : 'zero';
      const ds = el('span', `cmp-delta ${d.significant ? 'sig' : 'ns'} ${good ? dir : 'neutral'}`, fmtDelta(m, d.delta), {
        title: deltaTitle(m, d, init.sources[0]!.name, name, init.alpha),
        'data-significant': String(d.significant),
      });
      if (d.significant) ds.append(el('span', 'cmp-mark', '*', { 'aria-label': 'significant' }));
      box.append(ds);
    } else box.append(el('span', 'cmp-delta none', '', { title: 'no paired prompts to compare with A' }));
  }
  box.append(el('span', 'cmp-n', c ? `n ${c.n.toLocaleString('en-US')}` : ''));
  td.append(box);
  return td;
}

function sliceText(r: TableRow): string {
  return r.slice ?? r.dataset;
}

/**
 * Short column labels for the sources: the names without the prefix they all share ("checkpoint-100",
 * "checkpoint-200" → "100", "200"), the full name when nothing is shared.
 */
export function shortNames(names: string[]): string[] {
  if (names.length < 2) return names;
  let n = 0;
  const first = names[0]!;
  while (n < first.length && names.every((x) => x[n] === first[n])) n++;
  // cut at a separator, keep something of every name
  while (n > 0 && !/[-_/ .:]/.test(first[n - 1]!)) n--;
  if (n < 3 || names.some((x) => x.length - n < 1)) return names;
  return names.map((x) => x.slice(n));
}

/** The table element for `t`, showing `shown` metrics (those the table has, in its order). */
export function renderTable(init: CompareInit, t: TableView, shown: MetricId[], cb: TableCallbacks): HTMLElement {
  const wrap = el('div', 'cmp-table-view');
  const fs = flipSummary(init, t, cb);
  if (fs) wrap.append(fs);
  const metrics = t.metrics.filter((m) => shown.includes(m));
  const S = init.sources.length;
  if (metrics.length === 0) {
    wrap.append(el('p', 'cmp-empty', t.metrics.length ? 'No metric selected: tick one above.' : 'No metric could be computed for these sources.'));
    return wrap;
  }
  if (t.rows.length === 0) {
    wrap.append(el('p', 'cmp-empty', 'No sample is shared by the sources: nothing to put in the table (see the matching line above).'));
  }
  const scroller = el('div', 'cmp-table-scroll');
  const table = el('table', 'cmp-table', undefined, { 'data-testid': 'cmp-table', 'data-slice-field': t.slice ?? '' });
  const thead = el('thead');
  const h1 = el('tr', 'cmp-head-metrics');
  h1.append(el('th', 'cmp-th-name', t.slice ? `Dataset / ${t.slice}` : 'Dataset', { rowspan: '2', scope: 'col' }));
  for (const m of metrics) h1.append(el('th', 'cmp-th-metric cmp-group-start', metricHeading(m), { colspan: String(S), scope: 'colgroup', 'data-metric': m }));
  const h2 = el('tr', 'cmp-head-sources');
  const short = shortNames(init.sources.map((s) => s.name));
  for (const m of metrics) {
    init.sources.forEach((s, i) => {
      const th = el('th', 'cmp-th-source' + (i === 0 ? ' cmp-group-start cmp-baseline' : ''), undefined, {
        scope: 'col',
        'data-metric': m,
        'data-source': String(i),
        title: i === 0 ? `${s.name} (baseline A)` : `${s.name}: value and Δ vs A`,
      });
      th.append(el('span', 'cmp-letter', letter(i)), el('span', 'cmp-th-srcname', short[i] ?? s.name));
      h2.append(th);
    });
  }
  thead.append(h1, h2);
  table.append(thead);
  const tbody = el('tbody');
  for (const r of t.rows) {
    const tr = el('tr', 'cmp-row ' + (r.slice === null ? 'cmp-row-dataset' : 'cmp-row-slice'), undefined, {
      'data-dataset': r.dataset,
      'data-slice': r.slice ?? '',
    });
    const name = el('th', 'cmp-rowname', sliceText(r), { scope: 'row', title: r.slice === null ? `${r.dataset}: every sample` : `${r.dataset}, ${t.slice ?? 'slice'} = ${r.slice}` });
    tr.append(name);
    for (const m of metrics) {
      for (let i = 0; i < S; i++) tr.append(valueCell(init, m, i, r.metrics[i]?.[m], r.deltas[i]?.[m], i === 0));
    }
    tbody.append(tr);
  }
  table.append(tbody);
  if (t.overall.length && t.rows.filter((r) => r.slice === null).length > 1) {
    const tfoot = el('tfoot');
    const tr = el('tr', 'cmp-row cmp-row-overall', undefined, { 'data-dataset': '', 'data-slice': '', 'data-overall': 'true' });
    tr.append(el('th', 'cmp-rowname', 'All datasets', { scope: 'row', title: 'Every matched sample of every dataset (no paired test on this row)' }));
    for (const m of metrics) for (let i = 0; i < S; i++) tr.append(valueCell(init, m, i, t.overall[i]?.[m], undefined, i === 0));
    tfoot.append(tr);
    table.append(tfoot);
  }
  scroller.append(table);
  wrap.append(scroller);
  const legend = el('div', 'cmp-legend', undefined, { 'data-testid': 'cmp-legend' });
  const letters = init.sources.map((s, i) => `${letter(i)} = ${s.name}`).join(' · ');
  legend.append(el('p', 'cmp-legend-line', `${letters}. Δ = difference from A (percentage points for %), over the prompts both have; * = significant after Holm at α = ${init.alpha}, muted = not significant; hover a Δ for its 95 % interval and p.`));
  for (const line of t.legend) legend.append(el('p', 'cmp-legend-line', line));
  wrap.append(legend);
  return wrap;
}
