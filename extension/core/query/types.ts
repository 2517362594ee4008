// The contract between the filter language (core/query) and the tables it runs over (core/table).
// Pure: no `vscode`, no DOM, no Node — also bundled into the webview (validation, autocomplete).

export type FieldType = 'number' | 'string' | 'bool';

export interface FieldDef {
  /** Name as typed in a filter: `iou`, `advantage`, `accuracy_reward`, `verdict`, `text` … */
  name: string;
  type: FieldType;
  /** One line for autocomplete and error messages. */
  description: string;
  /** Other names that mean the same field (`format` for a reward column named `format_reward`). */
  aliases?: string[];
  /** Reward-function fields: the reward's name as logged (its key in a sample row's rewards). */
  reward?: string;
  /**
   * Text fields (`text`, `prompt`, `answer`) are not in the table: their values are read from the log record
   * by record, in a worker that can be cancelled. Everything else is a column.
   */
  text?: boolean;
}

/**
 * A table of completions, one row per record of a log. Columns are typed arrays so that filtering and
 * sorting a million rows stays well under a second.
 */
export interface QueryTable {
  readonly rowCount: number;
  fields(): FieldDef[];
  /** A number or bool column (bool: 1 / 0; NaN = null), or null when `name` is not such a column. */
  numeric(name: string): Float64Array | null;
  /** A string column as codes into `dict` (-1 = null), or null when `name` is not a string column. */
  strings(name: string): { codes: Int32Array; dict: readonly string[] } | null;
  /** False while a derived column (iou, length …) is still being computed by the background scan. */
  ready(name: string): boolean;
}
