// Agreement between two verdict sources over the same completions: the 3×3 confusion table over
// supported / unsupported / contradicted, the observed agreement and Cohen's κ. Pure: no `vscode`.
//
// Codes index VERDICT_LABELS (0 supported, 1 unsupported, 2 contradicted, 3 unknown); -1 = no verdict.
// A completion counts only when both sources gave one of the three judged labels (missing and `unknown`
// are left out: "could not tell" is not a disagreement).
//
//   observed p_o = Σ_k C[k][k] / n
//   expected p_e = Σ_k (row_k / n) · (col_k / n)       (agreement by chance, from each source's own label mix)
//   κ = (p_o − p_e) / (1 − p_e)                        null when n = 0 or p_e = 1 (both give one and the same label only)

import { VERDICT_LABELS, verdictCode, type Verdict } from './types';

/** The labels of the confusion table's rows (source a) and columns (source b). */
export const AGREEMENT_LABELS: readonly string[] = VERDICT_LABELS.slice(0, 3);

export interface Agreement {
  /** Completions where both sources gave supported, unsupported or contradicted. */
  n: number;
  /** Share of the n where they agree (0 when n = 0). */
  observed: number;
  /** Agreement expected by chance from the two label mixes (0 when n = 0). */
  expected: number;
  /** Cohen's κ; null when undefined (n = 0, or expected agreement 1). */
  kappa: number | null;
  labels: string[];
  /** confusion[i][j]: completions source a labels `labels[i]` and source b labels `labels[j]`. */
  confusion: number[][];
}

/** Agreement of two code columns of the same length (the shorter length is used when they differ). */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): Agreement {
  const confusion = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const len = Math.min(a.length, b.length);
  let n = 0;
  for (let i = 0; i < len; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!(x === 0 || x === 1 || x === 2) || !(y === 0 || y === 1 || y === 2)) continue;
    confusion[x]![y]!++;
    n++;
  }
  const labels = [...AGREEMENT_LABELS];
  if (n === 0) return { n, observed: 0, expected: 0, kappa: null, labels, confusion };
  let diag = 0;
  let expected = 0;
  for (let k = 0; k < 3; k++) {
    diag += confusion[k]![k]!;
    const row = confusion[k]![0]! + confusion[k]![1]! + confusion[k]![2]!;
    const col = confusion[0]![k]! + confusion[1]![k]! + confusion[2]![k]!;
    expected += (row / n) * (col / n);
  }
  const observed = diag / n;
  const kappa = 1 - expected < 1e-12 ? null : clampKappa((observed - expected) / (1 - expected));
  return { n, observed, expected, kappa, labels, confusion };
}

function clampKappa(k: number): number {
  // Rounding can push a perfect agreement a hair above 1.
  return k > 1 ? 1 : k;
}

/** The code of a verdict: its index in VERDICT_LABELS, -1 when missing or not a known label. */
export function codeOfVerdict(v: Verdict | undefined | null): number {
  return verdictCode(v?.label);
}

/** Agreement over pairs of verdicts (source a, source b) of the same completions. */
export function agreementOfVerdicts(pairs: ReadonlyArray<readonly [Verdict | undefined, Verdict | undefined]>): Agreement {
  const a = new Int8Array(pairs.length);
  const b = new Int8Array(pairs.length);
  pairs.forEach(([x, y], i) => {
    a[i] = codeOfVerdict(x);
    b[i] = codeOfVerdict(y);
  });
  return agreement(a, b);
}
