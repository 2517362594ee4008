// The checked syntax tree of a filter expression (see docs/filter-language.md). Pure: no vscode, no DOM,
// no Node — also bundled into the webview.
//
// Field names in the tree are canonical (FieldDef.name, whatever alias or case was typed). Every node
// evaluates to a row set; `not` is the complement of its argument's row set (so `not iou < 0.3` includes
// rows whose iou is null), while comparisons with a null value are false (see the docs).

export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/**
 * A condition on a text field (`text` = completion, `prompt`, `answer`): text fields are not table
 * columns, so these are matched record by record (text.ts in process, textWorker.ts in a worker thread),
 * and evaluation takes one precomputed mask per predicate.
 */
export interface TextPredicate {
  /** Canonical field name: `text` (the completion), `prompt`, `answer` … */
  field: string;
  /**
   * regex: `source` / `flags` as for `new RegExp`, tried on the first TEXT_REGEX_CAP characters.
   * substring: case-insensitive substring `source` (the search box).
   * present: the record has the field (`answer != null`); with `negate`, it does not (`answer == null`).
   */
  kind: 'regex' | 'substring' | 'present';
  source: string;
  flags: string;
  /** regex / substring: the value is present and does NOT match (`!~`); present: the value is null. */
  negate: boolean;
}

export type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; arg: Node }
  | { kind: 'const'; value: boolean }
  /** A bare number or bool field: not null and not 0. */
  | { kind: 'truthy'; field: string }
  /** `field == null` (negate false) or `field != null` (negate true), on a column. */
  | { kind: 'null'; field: string; negate: boolean }
  /** Number and bool columns (true = 1, false = 0). */
  | { kind: 'num'; field: string; op: CmpOp; value: number }
  | { kind: 'numIn'; field: string; values: number[]; negate: boolean }
  /** String columns; `<` … compare by string order (code units). */
  | { kind: 'str'; field: string; op: CmpOp; value: string }
  | { kind: 'strIn'; field: string; values: string[]; negate: boolean }
  /** `~` / `!~` on a string column: tried once per dictionary entry. */
  | { kind: 'regex'; field: string; source: string; flags: string; negate: boolean }
  | { kind: 'text'; pred: TextPredicate };

/** Regexes are tried on at most this many leading characters of a value. */
export const TEXT_REGEX_CAP = 100_000;
/** Longest regex source accepted (longer ones are refused at parse time). */
export const MAX_REGEX_SOURCE = 256;
/** Regex flags accepted after a /…/ literal. */
export const REGEX_FLAGS = 'imsu';

export const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);

/** Names typed without backticks: a letter or `_`, then letters, digits, `_ . / -`. */
export const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

/** A stable key for deduplicating text predicates. */
export function predKey(p: TextPredicate): string {
  return JSON.stringify([p.field, p.kind, p.source, p.flags, p.negate]);
}

/** Calls `fn` on every leaf (comparison, text predicate, constant) of the tree, left to right. */
export function forEachLeaf(n: Node, fn: (leaf: Exclude<Node, { kind: 'and' | 'or' | 'not' }>) => void): void {
  switch (n.kind) {
    case 'and':
    case 'or':
      forEachLeaf(n.left, fn);
      forEachLeaf(n.right, fn);
      break;
    case 'not':
      forEachLeaf(n.arg, fn);
      break;
    default:
      fn(n);
  }
}

/** Whether the tree has any text predicate. */
export function hasText(n: Node): boolean {
  switch (n.kind) {
    case 'and':
    case 'or':
      return hasText(n.left) || hasText(n.right);
    case 'not':
      return hasText(n.arg);
    case 'text':
      return true;
    default:
      return false;
  }
}
