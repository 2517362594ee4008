// Comparison → Markdown (paste-ready, like the tables of the papers) and CSV (long format, one line per
// dataset × slice × source × metric). Pure: no `vscode`, no Node, no DOM.
//
// Names of sources, datasets and slice values come from files: in Markdown they are escaped (`|`, backticks,
// `\`, `<`, line breaks), in CSV quoted per RFC 4180 and guarded against formula injection.

import { csvQuote, mdEscape, neutraliseFormula } from '../table/export';
import { NO_SLICE_VALUE, tableLegend } from './compare';
import { METRIC_LABELS, type CellStat, type Comparison, type DeltaStat, type MetricId, type TableRow } from './types';

/** The mark of a value that differs from the first source after Holm's adjustment. */
export const SIGNIFICANT_MARK = '†';

// ---------------------------------------------------------------------------------------------------
// Formatting

/** Metrics shown as percentages (all but length, which is a count of tokens or characters). */
const isPercent = (m: MetricId): boolean => m !== 'length';

/** A metric value as the tables show it: percent with 2 decimals, length with 1 decimal. */
function fmtValue(m: MetricId, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return isPercent(m) ? (v * 100).toFixed(2) : v.toFixed(1);
}

/** A delta (percentage points for percent metrics), always signed. */
function fmtDelta(m: MetricId, v: number): string {
  const s = isPercent(m) ? (v * 100).toFixed(2) : v.toFixed(1);
  return v > 0 || (v === 0 && !s.startsWith('-')) ? `+${s}` : s;
}

function fmtP(p: number): string {
  if (!Number.isFinite(p)) return '—';
  if (p === 0) return '< 1e-300'; // the exact tail underflowed (astronomically small)
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}

/** Shortest round-trip form of a CSV number (no exponent noise for ordinary values); empty when missing. */
function csvNum(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '';
  return String(Number.isInteger(v) ? v : Number(v.toPrecision(12)));
}

function csvText(s: string | null | undefined): string {
  return s === null || s === undefined ? '' : csvQuote(neutraliseFormula(s));
}

/** "accuracy_reward" → "Accuracy Reward", "iou" → "IoU Reward": the header of a ✓/✗ reward column. */
export function rewardLabel(name: string): string {
  const words = name
    .split(/[_\-\s/.]+/)
    .filter((w) => w !== '')
    .map((w) => (w.toLowerCase() === 'iou' ? 'IoU' : w.charAt(0).toUpperCase() + w.slice(1)));
  if (!words.some((w) => w.toLowerCase() === 'reward' || w.toLowerCase() === 'rewards')) words.push('Reward');
  return words.join(' ');
}

/** Text outside table cells (captions, headings, legend): one line, and no HTML tag can start. */
function mdText(s: string): string {
  return s.replace(/\r\n|\r|\n/g, ' ').replace(/<(?=[A-Za-z/!?])/g, '&lt;');
}

function rowLabel(r: Pick<TableRow, 'dataset' | 'slice'>): string {
  return r.slice === null ? r.dataset : `${r.dataset} (${r.slice})`;
}

function mdRow(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

// ---------------------------------------------------------------------------------------------------
// Markdown

interface Column {
  label: string;
  row: TableRow;
}

/**
 * The columns of the wide table: per dataset its all-samples row; with a slice field, its slice rows too — or
 * only the slice row, labelled "<dataset> (<value>)", when the dataset has a single named slice value (the two
 * rows then hold the same prompts: "DrivingVQA (OOD)").
 */
function wideColumns(c: Comparison): Column[] {
  const out: Column[] = [];
  c.rows.forEach((r, i) => {
    if (r.slice !== null) return;
    const slices: TableRow[] = [];
    for (let j = i + 1; j < c.rows.length && c.rows[j]!.slice !== null; j++) slices.push(c.rows[j]!);
    if (slices.length === 1 && slices[0]!.slice !== NO_SLICE_VALUE) out.push({ label: rowLabel(slices[0]!), row: slices[0]! });
    else {
      out.push({ label: r.dataset, row: r });
      if (slices.length > 1) for (const s of slices) out.push({ label: rowLabel(s), row: s });
    }
  });
  return out;
}

/** The reward names of the ✓/✗ columns, in order of first appearance; empty when no source lists rewards. */
function rewardColumns(c: Comparison): string[] {
  const names: string[] = [];
  for (const s of c.sources) for (const r of s.rewards ?? []) if (!names.includes(r)) names.push(r);
  return names;
}

function headlineMetric(c: Comparison, wanted: MetricId | undefined): MetricId | null {
  if (wanted !== undefined) return wanted;
  if (c.metrics.includes('accuracy')) return 'accuracy';
  return c.metrics[0] ?? null;
}

/** "50" when every source has the same n in the cell, else "48–50". */
function nRange(stats: ReadonlyArray<CellStat | undefined>): string {
  const ns = stats.filter((s): s is CellStat => s !== undefined && s.n > 0).map((s) => s.n);
  if (!ns.length) return '0';
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

function wideTable(c: Comparison, columns: readonly Column[], metric: MetricId): string[] {
  const rewards = rewardColumns(c);
  const header = ['Method', ...rewards.map(rewardLabel), ...columns.map((col) => col.label)].map(mdEscape);
  const align = ['---', ...rewards.map(() => ':---:'), ...columns.map(() => '---:')];

  // Best per column, on the values as displayed (ties are all bold, as in the papers); none for length.
  const best = columns.map((col) => {
    if (!isPercent(metric)) return null;
    const shown = col.row.metrics.map((m) => fmtValue(metric, m[metric]?.value)).filter((s) => s !== '—');
    return shown.length >= 2 ? Math.max(...shown.map(Number)) : null;
  });

  const lines = [mdRow(header), mdRow(align)];
  c.sources.forEach((src, i) => {
    const marks = rewards.map((r) => (src.rewards === undefined ? '—' : src.rewards.includes(r) ? '✓' : '✗'));
    const values = columns.map((col, k) => {
      const shown = fmtValue(metric, col.row.metrics[i]?.[metric]?.value);
      const bold = shown !== '—' && best[k] !== null && Number(shown) === best[k];
      const sig = i > 0 && col.row.deltas[i]?.[metric]?.significant ? SIGNIFICANT_MARK : '';
      return `${bold ? `**${shown}**` : shown}${sig}`;
    });
    lines.push(mdRow([mdEscape(src.name), ...marks, ...values]));
  });

  const first = c.sources[0]?.name ?? '';
  const ns = columns.map((col) => `${col.label} ${nRange(col.row.metrics.map((m) => m[metric]))}`).join(', ');
  const unit = isPercent(metric) ? ' (%)' : '';
  const caption =
    `${METRIC_LABELS[metric]}${unit} per source; n (prompts) per column: ${ns}. ` +
    `${SIGNIFICANT_MARK} differs from ${first} (Holm-adjusted p < ${c.alpha}).` +
    (isPercent(metric) ? ' Best per column in bold.' : '');
  lines.push('', mdText(caption));
  return lines;
}

function deltaCells(m: MetricId, d: DeltaStat | undefined): string[] {
  if (!d) return ['', '', '', '', '', ''];
  const ci = `[${fmtDelta(m, d.ci[0])}, ${fmtDelta(m, d.ci[1])}]`;
  return [`${fmtDelta(m, d.delta)}${d.significant ? SIGNIFICANT_MARK : ''}`, ci, String(d.n), fmtP(d.p), fmtP(d.pAdjusted), d.test === 'mcnemar' ? 'McNemar' : 'bootstrap'];
}

function longTable(c: Comparison, col: Column): string[] {
  const r = col.row;
  const first = c.sources[0]?.name ?? '';
  const header = ['Method', 'Metric', 'Value', 'n', 'Answers', `Δ vs ${first}`, '95 % CI', 'Paired', 'p', 'p (Holm)', 'Test'].map(mdEscape);
  const lines = [`**${mdText(col.label)}**`, '', mdRow(header), mdRow(['---', '---', '---:', '---:', '---:', '---:', '---', '---:', '---:', '---:', '---'])];
  // metrics no source has in this cell (IoU on a multiple-choice dataset) are left out of its table
  const present = c.metrics.filter((m) => c.sources.some((_, i) => (r.metrics[i]?.[m]?.n ?? 0) > 0));
  c.sources.forEach((src, i) => {
    for (const m of present) {
      const st = r.metrics[i]?.[m];
      lines.push(
        mdRow([
          mdEscape(src.name),
          METRIC_LABELS[m] + (isPercent(m) ? ' (%)' : ''),
          fmtValue(m, st?.value),
          String(st?.n ?? 0),
          String(st?.answers ?? 0),
          ...deltaCells(m, i > 0 ? r.deltas[i]?.[m] : undefined),
        ]),
      );
    }
  });
  return lines;
}

/**
 * The comparison as Markdown: a wide table like the papers' (one line per source, ✓/✗ reward columns when a
 * source lists its rewards, one column per dataset / slice value with the headline metric — `opts.metric`,
 * default accuracy when present, else the first metric — best per column in bold and † where the difference to
 * the first source is significant after Holm), its caption, then per column of the wide table a long table with
 * every metric per source and the delta against the first (interval, paired n, p, Holm-adjusted p, test), then
 * the legend. The CSV has every row, including the dataset rows the wide table folds into a single slice.
 */
export function comparisonMarkdown(c: Comparison, opts: { metric?: MetricId } = {}): string {
  const metric = headlineMetric(c, opts.metric);
  const columns = wideColumns(c);
  const out: string[] = [];
  if (metric !== null) out.push(...wideTable(c, columns, metric), '');
  for (const col of columns) out.push(...longTable(c, col), '');
  for (const line of tableLegend(c)) out.push(`- ${mdText(line)}`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------
// CSV

export const COMPARISON_CSV_HEADER = [
  'dataset',
  'slice',
  'source',
  'step',
  'metric',
  'value',
  'n',
  'answers',
  'delta',
  'ci_low',
  'ci_high',
  'p',
  'p_adjusted',
  'test',
  'significant',
] as const;

/**
 * The comparison as CSV (RFC 4180, CRLF line ends, header row): one line per row (dataset, slice value — empty
 * for the dataset's all-samples row), source and metric. Values are plain decimals (0.5, not 50 %); the delta
 * columns are empty for the first source and where no prompt is paired.
 */
export function comparisonCsv(c: Comparison): string {
  const lines = [COMPARISON_CSV_HEADER.join(',')];
  for (const r of c.rows) {
    c.sources.forEach((src, i) => {
      for (const m of c.metrics) {
        const st = r.metrics[i]?.[m];
        const d = i > 0 ? r.deltas[i]?.[m] : undefined;
        lines.push(
          [
            csvText(r.dataset),
            csvText(r.slice),
            csvText(src.name),
            csvNum(src.step),
            m,
            csvNum(st?.value),
            csvNum(st?.n ?? 0),
            csvNum(st?.answers ?? 0),
            csvNum(d?.delta),
            csvNum(d?.ci[0]),
            csvNum(d?.ci[1]),
            csvNum(d?.p),
            csvNum(d?.pAdjusted),
            d ? d.test : '',
            d ? String(d.significant) : '',
          ].join(','),
        );
      }
    });
  }
  return lines.join('\r\n') + '\r\n';
}
