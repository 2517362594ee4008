import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { agreement, agreementOfVerdicts, codeOfVerdict } from '../../extension/core/judge/agreement';
import type { Verdict } from '../../extension/core/model';

const S = 0;
const U = 1;
const C = 2;
const UNK = 3;
const NA = -1;

/** Two columns whose kept rows give exactly this confusion table (rows: a, columns: b). */
function columns(table: number[][]): [number[], number[]] {
  const a: number[] = [];
  const b: number[] = [];
  table.forEach((row, i) => row.forEach((n, j) => {
    for (let k = 0; k < n; k++) {
      a.push(i);
      b.push(j);
    }
  }));
  return [a, b];
}

describe('judge agreement: Cohen κ', () => {
  it('a hand-computed example (unknown and missing rows left out)', () => {
    // Confusion (rows: a, columns: b; order supported, unsupported, contradicted):
    //   [4 1 0]
    //   [1 2 0]
    //   [0 1 1]
    // n = 10, agreements on the diagonal 4 + 2 + 1 = 7 → p_o = 0.7
    // row sums (a) 5, 3, 2; column sums (b) 5, 4, 1
    // p_e = (5·5 + 3·4 + 2·1) / 10² = (25 + 12 + 2) / 100 = 0.39
    // κ = (0.7 − 0.39) / (1 − 0.39) = 0.31 / 0.61 = 0.50819672…
    const [a, b] = columns([
      [4, 1, 0],
      [1, 2, 0],
      [0, 1, 1],
    ]);
    a.push(UNK, S, NA, UNK, 7);
    b.push(S, UNK, C, NA, S);
    const r = agreement(Int8Array.from(a), b);
    assert.equal(r.n, 10);
    assert.equal(r.observed, 0.7);
    assert.ok(Math.abs(r.expected - 0.39) < 1e-12);
    assert.ok(Math.abs(r.kappa! - 0.31 / 0.61) < 1e-12);
    assert.ok(Math.abs(r.kappa! - 0.5081967213) < 1e-9);
    assert.deepEqual(r.labels, ['supported', 'unsupported', 'contradicted']);
    assert.deepEqual(r.confusion, [
      [4, 1, 0],
      [1, 2, 0],
      [0, 1, 1],
    ]);
  });

  it('perfect agreement is κ = 1', () => {
    const a = [S, U, C, S, S, U, C, C];
    const r = agreement(a, a.slice());
    assert.equal(r.kappa, 1);
    assert.equal(r.observed, 1);
    assert.equal(r.n, 8);
  });

  it('agreement at chance level is κ ≈ 0', () => {
    // exactly: p_o = 0.5, p_e = (2·2 + 2·2) / 16 = 0.5 → κ = 0
    assert.equal(agreement([S, S, U, U], [S, U, S, U]).kappa, 0);
    // independent random labels
    let seed = 12345;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      a.push(Math.floor(rnd() * 3));
      b.push(Math.floor(rnd() * 3));
    }
    const r = agreement(a, b);
    assert.ok(Math.abs(r.kappa!) < 0.03, String(r.kappa));
  });

  it('systematic disagreement is negative', () => {
    const r = agreement([S, U, S, U], [U, S, U, S]);
    assert.equal(r.observed, 0);
    assert.equal(r.kappa, -1);
  });

  it('κ is null when undefined: nothing to compare, or one label on both sides', () => {
    assert.equal(agreement([], []).kappa, null);
    assert.equal(agreement([UNK, NA], [S, S]).n, 0);
    assert.equal(agreement([UNK, NA], [S, S]).kappa, null);
    const one = agreement([S, S, S], [S, S, S]);
    assert.equal(one.n, 3);
    assert.equal(one.observed, 1);
    assert.equal(one.kappa, null);
  });

  it('verdict pairs', () => {
    const v = (label: Verdict['label']): Verdict => ({ label, source: 'x' });
    assert.equal(codeOfVerdict(undefined), -1);
    assert.equal(codeOfVerdict(v('contradicted')), 2);
    const r = agreementOfVerdicts([
      [v('supported'), v('supported')],
      [v('unsupported'), v('contradicted')],
      [v('unknown'), v('supported')],
      [undefined, v('supported')],
      [v('contradicted'), undefined],
    ]);
    assert.equal(r.n, 2);
    assert.deepEqual(r.confusion, [
      [1, 0, 0],
      [0, 0, 1],
      [0, 0, 0],
    ]);
  });

  it('properties: κ ≤ 1, symmetric in a and b, the confusion sums to n', () => {
    const code = fc.integer({ min: -1, max: 3 });
    fc.assert(
      fc.property(fc.array(fc.tuple(code, code), { maxLength: 300 }), (pairs) => {
        const a = pairs.map((p) => p[0]);
        const b = pairs.map((p) => p[1]);
        const ab = agreement(a, b);
        const ba = agreement(b, a);
        const total = ab.confusion.flat().reduce((x, y) => x + y, 0);
        assert.equal(total, ab.n);
        assert.equal(ab.n, pairs.filter(([x, y]) => x >= 0 && x <= 2 && y >= 0 && y <= 2).length);
        assert.ok(ab.observed >= 0 && ab.observed <= 1);
        if (ab.kappa !== null) {
          assert.ok(ab.kappa <= 1 + 1e-12);
          assert.ok(ab.kappa >= -1 - 1e-12);
        }
        assert.equal(ab.kappa === null, ba.kappa === null);
        if (ab.kappa !== null) assert.ok(Math.abs(ab.kappa - ba.kappa!) < 1e-12);
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.equal(ab.confusion[i]![j], ba.confusion[j]![i]);
      }),
      { numRuns: 500 },
    );
  });
});
