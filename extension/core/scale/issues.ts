// Issues of an incrementally built index: a capped list of lasting issues (bad lines) plus transient ones
// that are recomputed after every refresh (a half-written last line, groups of an unexpected size).
// Pure: no `vscode`.

import type { LogIssue } from '../model';

export interface IssueListState {
  kept: LogIssue[];
  suppressed: number;
}

export class IssueList {
  private kept: LogIssue[] = [];
  private suppressed = 0;
  private transient: LogIssue[] = [];
  private cache: LogIssue[] | null = null;

  constructor(
    private readonly max: number,
    /** Order of a file among the log's files (issues are sorted by file, then line). */
    private readonly fileRank: (file: string) => number,
    /** What the "N more issues" line names. */
    private readonly whole: () => string,
  ) {}

  add(issue: LogIssue): void {
    this.cache = null;
    if (this.kept.length < this.max) this.kept.push(issue);
    else this.suppressed++;
  }

  /** Count issues that were left out elsewhere (a part indexed by another thread). */
  addSuppressed(n: number): void {
    if (n > 0) {
      this.suppressed += n;
      this.cache = null;
    }
  }

  /** Replace the transient issues (pass [] to drop them). */
  setTransient(list: LogIssue[]): void {
    if (list.length === 0 && this.transient.length === 0) return;
    this.transient = list;
    this.cache = null;
  }

  /** Drop lasting issues matching `pred` (used when a tentative line is re-read). */
  remove(pred: (i: LogIssue) => boolean): void {
    const before = this.kept.length;
    this.kept = this.kept.filter((i) => !pred(i));
    if (this.kept.length !== before) this.cache = null;
  }

  clear(): void {
    this.kept = [];
    this.suppressed = 0;
    this.transient = [];
    this.cache = null;
  }

  get count(): number {
    return this.kept.length + this.suppressed + this.transient.length;
  }

  /** Sorted by file then line, capped, with a final "N more issues not listed" when some were left out. */
  get view(): LogIssue[] {
    if (this.cache) return this.cache;
    const all = this.transient.length > 0 ? [...this.kept, ...this.transient] : [...this.kept];
    const rank = new Map<string, number>();
    const r = (f: string): number => {
      let v = rank.get(f);
      if (v === undefined) rank.set(f, (v = this.fileRank(f)));
      return v;
    };
    all.sort((a, b) => r(a.file) - r(b.file) || a.line - b.line);
    let extra = this.suppressed;
    if (all.length > this.max) {
      extra += all.length - this.max;
      all.length = this.max;
    }
    if (extra > 0) all.push({ file: this.whole(), line: 0, message: `${extra} more issues not listed`, severity: 'warning' });
    this.cache = all;
    return all;
  }

  state(): IssueListState {
    return { kept: this.kept.slice(), suppressed: this.suppressed };
  }

  restore(s: IssueListState): void {
    this.kept = s.kept.slice(0, this.max);
    this.suppressed = s.suppressed + Math.max(0, s.kept.length - this.max);
    this.transient = [];
    this.cache = null;
  }
}
