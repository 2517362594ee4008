// Verdicts from every source side by side: which one a completion shows (the user's choice), per-source
// counts over a log, the agreement between sources (Cohen's κ and the confusion table) and the alignment
// rate per step. Pure: no `vscode`.
import type { SampleTable } from '../table/sampleTable';
import type { AgreementView, SeriesView, VerdictSourceStats, VerdictView, VerdictsView } from '../../protocol/inspector';
import { agreement } from './agreement';
import { VERDICT_LABELS, chosenSource, type Verdict, type VerdictChoice, type VerdictSourceKind } from './types';

export function verdictView(kind: VerdictSourceKind, v: Verdict): VerdictView {
  return { label: v.label, kind, source: v.source, confidence: v.confidence ?? null, rationale: v.rationale ?? null };
}

/** The verdict a completion shows: the chosen kind's, or with `auto` the first that is not unknown (else the first). */
export function chooseVerdict(list: readonly VerdictView[], choice: VerdictChoice): VerdictView | null {
  const kind = chosenSource(choice, (k) => list.find((v) => v.kind === k)?.label ?? null);
  return kind === null ? null : list.find((v) => v.kind === kind) ?? null;
}

/** Supported / judged (supported + unsupported + contradicted); null when nothing was judged. */
export function alignmentRate(s: Pick<VerdictSourceStats, 'supported' | 'unsupported' | 'contradicted'>): number | null {
  const judged = s.supported + s.unsupported + s.contradicted;
  return judged > 0 ? s.supported / judged : null;
}

export interface VerdictsContext {
  /** Names of the sources in words (`rules` is named by default). */
  names: Partial<Record<VerdictSourceKind, string>>;
  judges: VerdictsView['judges'];
  running: VerdictsView['running'];
  last: VerdictsView['last'];
}

function counts(kind: VerdictSourceKind, name: string, col: ArrayLike<number>, n: number): VerdictSourceStats {
  const c = [0, 0, 0, 0];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = col[i]!;
    if (v < 0) continue;
    c[v]!++;
    total++;
  }
  return { kind, name, total, supported: c[0]!, unsupported: c[1]!, contradicted: c[2]!, unknown: c[3]! };
}

/** The overview's verdicts card: counts per source with data, and the agreement of every pair of them. */
export function verdictsView(table: SampleTable, ctx: VerdictsContext): VerdictsView {
  const n = table.rowCount;
  const kinds = table.verdictSources();
  const sources = kinds.map((k) => counts(k, ctx.names[k] ?? (k === 'rules' ? 'rules' : k), table.verdictColumn(k)!, n));
  const agreementViews: AgreementView[] = [];
  for (let i = 0; i < kinds.length; i++) {
    for (let j = i + 1; j < kinds.length; j++) {
      const r = agreement(table.verdictColumn(kinds[i]!)!, table.verdictColumn(kinds[j]!)!);
      if (r.n === 0) continue;
      agreementViews.push({ a: kinds[i]!, b: kinds[j]!, n: r.n, observed: r.observed, kappa: r.kappa, labels: r.labels, confusion: r.confusion });
    }
  }
  return { choice: table.verdictChoice, sources, agreement: agreementViews, judges: ctx.judges, running: ctx.running, last: ctx.last };
}

/**
 * Alignment rate per step: `alignment` for the chosen source (auto: per completion), `alignment:<kind>` for
 * each source with verdicts. Only steps with at least one judged completion get a point.
 */
export function alignmentSeries(table: SampleTable, names: Partial<Record<VerdictSourceKind, string>> = {}): SeriesView[] {
  const n = table.rowCount;
  const steps = table.numeric('step');
  if (!steps || n === 0) return [];
  const kinds = table.verdictSources();
  if (kinds.length === 0) return [];
  const chosen = table.strings('verdict')?.codes;
  const cols: Array<{ key: string; label: string; col: ArrayLike<number> }> = [];
  if (chosen) cols.push({ key: 'alignment', label: `alignment (${table.verdictChoice === 'auto' ? 'auto' : names[table.verdictChoice] ?? table.verdictChoice})`, col: chosen });
  if (kinds.length > 1 || table.verdictChoice !== 'auto') {
    for (const k of kinds) cols.push({ key: `alignment:${k}`, label: `alignment (${names[k] ?? k})`, col: table.verdictColumn(k)! });
  }
  const SUP = VERDICT_LABELS.indexOf('supported');
  const UNK = VERDICT_LABELS.indexOf('unknown');
  const out: SeriesView[] = [];
  for (const { key, label, col } of cols) {
    const sup = new Map<number, number>();
    const judged = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const v = col[i]!;
      if (v < 0 || v === UNK) continue;
      const s = steps[i]!;
      judged.set(s, (judged.get(s) ?? 0) + 1);
      if (v === SUP) sup.set(s, (sup.get(s) ?? 0) + 1);
    }
    if (judged.size === 0) continue;
    const points = [...judged.entries()].sort((a, b) => a[0] - b[0]).map(([s, j]) => [s, (sup.get(s) ?? 0) / j] as [number, number]);
    out.push({ key, label, source: 'verdicts', points });
  }
  return out;
}
