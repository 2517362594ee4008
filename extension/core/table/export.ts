// Export of the sample list and of one group as CSV (RFC 4180) or Markdown. Pure: no `vscode`, no Node.
//
// Everything read from a log is data, never markup or a formula:
// - CSV: cells are quoted when they hold a comma, quote, CR or LF (quotes doubled). A text cell from the log
//   that begins with `=`, `+`, `-`, `@` (or a tab / CR, which some spreadsheets strip before evaluating) gets a
//   leading `'` so that a spreadsheet shows it as text instead of running it as a formula (CSV injection).
//   Numbers we format ourselves are written as numbers (a negative advantage stays -0.5).
// - Markdown: `|` and backticks are escaped, `\` too, and line breaks become spaces (a cell is one line);
//   `<` is written as `&lt;` so that tags in completions (<think>, <answer>, <img …>) show as text.

import type { GroupView, RolloutView, SampleRow } from '../../protocol/inspector';

// ---------------------------------------------------------------------------------------------------
// Cells

/** A cell: a number we formatted, or a string from the log. */
type Cell = { num: number | null } | { text: string | null } | { bool: boolean | null };

const num = (v: number | null | undefined): Cell => ({ num: v === undefined || v === null || !Number.isFinite(v) ? null : v });
const text = (v: string | null | undefined): Cell => ({ text: v ?? null });
const bool = (v: boolean | null | undefined): Cell => ({ bool: v ?? null });

/** Shortest round-trip form, without exponent noise for ordinary values. */
function fmtNum(v: number): string {
  return String(Number.isInteger(v) ? v : Number(v.toPrecision(12)));
}

/** Prefix a text cell that a spreadsheet would evaluate as a formula. */
export function neutraliseFormula(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** RFC 4180: quote when needed, double the quotes. */
export function csvQuote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvCell(c: Cell): string {
  if ('num' in c) return c.num === null ? '' : fmtNum(c.num);
  if ('bool' in c) return c.bool === null ? '' : c.bool ? 'true' : 'false';
  return c.text === null ? '' : csvQuote(neutraliseFormula(c.text));
}

/** One Markdown table cell: escaped, on one line. */
export function mdEscape(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/`/g, '\\`')
    .replace(/</g, '&lt;')
    .replace(/\r\n|\r|\n/g, ' ');
}

/** Whitespace collapsed, cut at `max` characters with "…". */
export function collapse(s: string, max = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  return t.slice(0, max).trimEnd() + '…';
}

function mdCell(c: Cell): string {
  if ('num' in c) return c.num === null ? '' : fmtNum(Number(c.num.toFixed(4)));
  if ('bool' in c) return c.bool === null ? '' : c.bool ? 'yes' : 'no';
  return c.text === null ? '' : mdEscape(c.text);
}

function toCsv(header: string[], rows: Cell[][]): string {
  const lines = [header.map((h) => csvQuote(neutraliseFormula(h))).join(',')];
  for (const r of rows) lines.push(r.map(csvCell).join(','));
  return lines.join('\r\n') + '\r\n';
}

function toMarkdown(header: string[], rows: Cell[][]): string {
  const lines = [`| ${header.map(mdEscape).join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map(mdCell).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------
// The sample list

function listTable(rows: readonly SampleRow[], rewardNames: readonly string[]): { header: string[]; cells: Cell[][] } {
  const header = ['record', 'step', 'group', 'index', 'reward', ...rewardNames, 'advantage', 'iou', 'length', 'truncated', 'mismatch', 'zero_std', 'verdict'];
  const cells = rows.map((r) => [
    num(r.recordIndex),
    num(r.step),
    num(r.groupIndex),
    num(r.indexInGroup),
    num(r.reward),
    ...rewardNames.map((n) => num(r.rewards[n])),
    num(r.advantage),
    num(r.iou),
    num(r.length),
    bool(r.truncated),
    bool(r.mismatch),
    bool(r.zeroStd),
    text(r.verdict),
  ]);
  return { header, cells };
}

/** The filtered sample list as CSV (RFC 4180, CRLF line ends, header row; reward columns by their logged names). */
export function rowsToCsv(rows: readonly SampleRow[], rewardNames: readonly string[]): string {
  const t = listTable(rows, rewardNames);
  return toCsv(t.header, t.cells);
}

/** The filtered sample list as a Markdown table. */
export function rowsToMarkdown(rows: readonly SampleRow[], rewardNames: readonly string[]): string {
  const t = listTable(rows, rewardNames);
  return toMarkdown(t.header, t.cells);
}

// ---------------------------------------------------------------------------------------------------
// One group

/** Mean over the GT boxes of their best IoU with a prediction (the `iou` of the sample table); null without GT. */
export function rolloutIou(r: RolloutView): number | null {
  if (!r.gt.length) return null;
  return r.gt.reduce((s, b) => s + b.iou, 0) / r.gt.length;
}

function groupTable(group: GroupView, full: boolean): { header: string[]; cells: Cell[][] } {
  const names: string[] = [];
  for (const r of group.rollouts) for (const w of r.rewards) if (!names.includes(w.name)) names.push(w.name);
  const header = ['index', 'reward', ...names, 'advantage', 'correct', 'iou', 'length', 'truncated', 'answer', 'completion'];
  const cells = group.rollouts.map((r) => [
    num(r.indexInGroup),
    num(r.reward),
    ...names.map((n) => num(r.rewards.find((w) => w.name === n)?.value ?? null)),
    num(r.advantage),
    bool(r.correct),
    num(rolloutIou(r)),
    num(r.length),
    bool(r.truncated),
    text(r.answer),
    text(full ? r.completion : collapse(r.completion)),
  ]);
  return { header, cells };
}

/** One group as CSV: one row per completion, with the full completion text. */
export function groupToCsv(group: GroupView): string {
  const t = groupTable(group, true);
  return toCsv(t.header, t.cells);
}

/** One group as Markdown: a heading line, then a table (completions collapsed to one line and cut at 300 characters). */
export function groupToMarkdown(group: GroupView): string {
  const t = groupTable(group, false);
  const facts = [`step ${group.step}`, `group ${mdEscape(group.groupId)} (${group.groupIndex + 1} of ${group.groupCount})`, `${group.rollouts.length} completions`];
  if (group.zeroVariance) facts.push(`zero reward variance${group.zeroVarianceKind ? ` (${group.zeroVarianceKind})` : ''}`);
  const first = group.rollouts[0];
  const lines = [`### ${facts.join(' · ')}`, ''];
  if (first) {
    lines.push(`Prompt: ${mdEscape(collapse(first.promptText))}`, '');
    if (first.referenceAnswer !== null) lines.push(`Reference answer: ${mdEscape(collapse(first.referenceAnswer))}`, '');
  }
  return lines.join('\n') + toMarkdown(t.header, t.cells);
}
