// Sorting filtered rows by a column: stable (equal keys keep the order of `rows`), nulls last in both
// directions, numbers by value (-0 = 0), strings by string order (code units) of their dictionary entries.
// Large inputs use an LSD radix sort over the keys' bits (16-bit digits, passes whose digit is constant
// are skipped), small ones a comparison sort. Pure.

import type { FieldDef, QueryTable } from './types';

const RADIX_MIN = 2048;

function findField(table: QueryTable, field: string): FieldDef | undefined {
  const lower = field.toLowerCase();
  const fields = table.fields();
  return fields.find((f) => f.name.toLowerCase() === lower) ?? fields.find((f) => (f.aliases ?? []).some((a) => a.toLowerCase() === lower));
}

/**
 * `rows` (table row indices) sorted by `field` (a name or alias; number, bool or string column), ascending
 * or descending. Throws for text fields and unknown names.
 */
export function sortRows(table: QueryTable, rows: Uint32Array, field: string, desc: boolean): Uint32Array {
  const def = findField(table, field);
  if (!def) throw new Error(`cannot sort by '${field}': no such field`);
  if (def.text) throw new Error(`cannot sort by '${def.name}': it is text read from each record`);
  const n = rows.length;
  if (def.type === 'string') {
    const col = table.strings(def.name);
    if (!col) return rows.slice();
    return sortByStrings(col.codes, col.dict, rows, desc);
  }
  const col = table.numeric(def.name);
  if (!col) return rows.slice();
  // keys as two sortable unsigned 32-bit halves; nulls set aside
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const LO = little ? 0 : 1;
  const HI = little ? 1 : 0;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const items = new Uint32Array(n);
  const nulls: number[] = [];
  let m = 0;
  const len = col.length;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const x = r < len ? col[r] : NaN;
    if (x !== x) {
      nulls.push(r);
      continue;
    }
    f[0] = x === 0 ? 0 : x;
    let h = u[HI];
    let l = u[LO];
    if (h & 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    if (desc) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    }
    hi[m] = h;
    lo[m] = l;
    items[m] = r;
    m++;
  }
  const sorted = sortPairs(hi.subarray(0, m), lo.subarray(0, m), items.subarray(0, m));
  const out = new Uint32Array(n);
  out.set(sorted);
  for (let k = 0; k < nulls.length; k++) out[m + k] = nulls[k];
  return out;
}

function sortByStrings(codes: Int32Array, dict: readonly string[], rows: Uint32Array, desc: boolean): Uint32Array {
  const n = rows.length;
  const d = dict.length;
  // rank of each dictionary entry in string order (equal strings share a rank)
  const order = Array.from({ length: d }, (_, k) => k).sort((a, b) => (dict[a] < dict[b] ? -1 : dict[a] > dict[b] ? 1 : a - b));
  const rank = new Uint32Array(d);
  let r = 0;
  for (let k = 0; k < d; k++) {
    if (k > 0 && dict[order[k]] !== dict[order[k - 1]]) r++;
    rank[order[k]] = r;
  }
  const keys = new Uint32Array(n);
  const items = new Uint32Array(n);
  const nulls: number[] = [];
  let m = 0;
  const len = codes.length;
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    const c = row < len ? codes[row] : -1;
    if (c < 0 || c >= d) {
      nulls.push(row);
      continue;
    }
    keys[m] = desc ? ~rank[c] >>> 0 : rank[c];
    items[m] = row;
    m++;
  }
  const sorted = sortPairs(new Uint32Array(m), keys.subarray(0, m), items.subarray(0, m));
  const out = new Uint32Array(n);
  out.set(sorted);
  for (let k = 0; k < nulls.length; k++) out[m + k] = nulls[k];
  return out;
}

/** Items stably sorted by the 64-bit key (hi, lo), both unsigned. */
function sortPairs(hi: Uint32Array, lo: Uint32Array, items: Uint32Array): Uint32Array {
  const m = items.length;
  if (m < RADIX_MIN) {
    const idx = Array.from({ length: m }, (_, k) => k);
    idx.sort((a, b) => hi[a] - hi[b] || lo[a] - lo[b] || a - b);
    const out = new Uint32Array(m);
    for (let k = 0; k < m; k++) out[k] = items[idx[k]];
    return out;
  }
  // LSD radix over four 16-bit digits, moving (hi, lo, item) together
  let h = hi.slice();
  let l = lo.slice();
  let it = items.slice();
  let h2 = new Uint32Array(m);
  let l2 = new Uint32Array(m);
  let it2 = new Uint32Array(m);
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const src = pass < 2 ? l : h;
    const shift = pass % 2 === 0 ? 0 : 16;
    count.fill(0);
    for (let k = 0; k < m; k++) count[(src[k] >>> shift) & 0xffff]++;
    if (count[(src[0] >>> shift) & 0xffff] === m) continue; // one digit value: nothing moves
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let k = 0; k < m; k++) {
      const p = count[(src[k] >>> shift) & 0xffff]++;
      h2[p] = h[k];
      l2[p] = l[k];
      it2[p] = it[k];
    }
    [h, h2] = [h2, h];
    [l, l2] = [l2, l];
    [it, it2] = [it2, it];
  }
  return it;
}
