// Groups of an incrementally built index. Groups are created in order of first appearance and kept
// as LogGroup objects (records in display order); the public order is (step, first appearance), which
// new groups usually keep (logs are written step by step), so re-sorting happens only when a group of an
// earlier step turns up late. Steps are kept as a sorted list. Pure: no `vscode`.

import type { LogGroup } from '../formats/log';
import { GrowableU32 } from '../formats/lineIndex';

export class GroupTable {
  /** In creation order. */
  readonly raw: LogGroup[] = [];
  /** Raw group of each record. */
  readonly recGroup = new GrowableU32(4096);
  private inOrder = true;
  private maxStep = -Infinity;
  private sortedCache: LogGroup[] | null = null;
  private rank: Uint32Array | null = null;
  private readonly stepSorted: number[] = [];
  private readonly groupsPerStep = new Map<number, number>();
  /** Bumped on every change of groups or their order (views cache on it). */
  version = 0;

  get count(): number {
    return this.raw.length;
  }

  /** A new group; `groupId` undefined numbers it within its step ("0", "1", … in order of appearance). */
  create(step: number, groupId?: string): number {
    const k = this.groupsPerStep.get(step) ?? 0;
    this.groupsPerStep.set(step, k + 1);
    if (k === 0) insertSorted(this.stepSorted, step);
    const g = this.raw.length;
    this.raw.push({ step, groupId: groupId ?? String(k), records: [] });
    if (step < this.maxStep) this.inOrder = false;
    else this.maxStep = step;
    this.sortedCache = null;
    this.rank = null;
    this.version++;
    return g;
  }

  /** Append record r (the newest record) to group g, in file order. */
  append(r: number, g: number): void {
    this.recGroup.set(r, g);
    this.raw[g].records.push(r);
    this.version++;
  }

  /**
   * Insert record r (the newest record) into group g ordered by `key` (ties: file order). Returns a record
   * of the group with the same key, or -1.
   */
  insertOrdered(r: number, g: number, key: { get(rec: number): number }): number {
    this.recGroup.set(r, g);
    const recs = this.raw[g].records;
    const k = key.get(r);
    let j = recs.length;
    recs.push(r);
    while (j > 0 && key.get(recs[j - 1]) > k) {
      recs[j] = recs[j - 1];
      j--;
    }
    recs[j] = r;
    this.version++;
    return j > 0 && key.get(recs[j - 1]) === k ? recs[j - 1] : -1;
  }

  /** Groups in (step, first appearance) order. */
  get groups(): LogGroup[] {
    if (this.inOrder) return this.raw;
    if (!this.sortedCache) this.sort();
    return this.sortedCache!;
  }

  /** Index into `groups` of record r's group. */
  groupOf(r: number): number {
    const g = this.recGroup.get(r);
    if (this.inOrder) return g;
    if (!this.rank) this.sort();
    return this.rank![g];
  }

  /** Distinct steps, sorted (live array: do not modify). */
  get steps(): number[] {
    return this.stepSorted;
  }

  clear(): void {
    this.raw.length = 0;
    this.recGroup.truncate(0);
    this.inOrder = true;
    this.maxStep = -Infinity;
    this.sortedCache = null;
    this.rank = null;
    this.stepSorted.length = 0;
    this.groupsPerStep.clear();
    this.version++;
  }

  /** Rebuild from saved state (groups in creation order). */
  restore(groups: LogGroup[], recGroup: GrowableU32): void {
    this.clear();
    for (const g of groups) {
      const k = this.groupsPerStep.get(g.step) ?? 0;
      this.groupsPerStep.set(g.step, k + 1);
      if (k === 0) insertSorted(this.stepSorted, g.step);
      if (g.step < this.maxStep) this.inOrder = false;
      else this.maxStep = g.step;
      this.raw.push(g);
    }
    (this as { recGroup: GrowableU32 }).recGroup = recGroup;
    this.version++;
  }

  private sort(): void {
    const order = this.raw.map((_, i) => i).sort((a, b) => this.raw[a].step - this.raw[b].step || a - b);
    this.sortedCache = order.map((i) => this.raw[i]);
    const rank = new Uint32Array(this.raw.length);
    order.forEach((oldIdx, newIdx) => (rank[oldIdx] = newIdx));
    this.rank = rank;
  }
}

function insertSorted(arr: number[], v: number): void {
  let lo = 0;
  let hi = arr.length;
  if (hi > 0 && arr[hi - 1] < v) {
    arr.push(v);
    return;
  }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, v);
}
