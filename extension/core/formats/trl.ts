// Readers for Hugging Face TRL `log_completions` output:
//  - `trl-parquet`: `<output_dir>/completions/completions_{step:05d}.parquet` (TRL ≥ 0.28): columns `step` int64,
//    `prompt`, `completion`, one float64 column per reward function (NaN where it returned None), log_extra
//    columns, `advantage` float64.
//  - `trl-wandb-table`: `wandb/run-*/files/media/table/completions_*.table.json` (TRL 0.15–0.27): `{columns, data}`
//    with the same columns, `step` a string, an `image` column of wandb.Image references (TRL ≥ 0.20).
// Both: rows in file order, groups are consecutive blocks of G rows per step (G from the run context, else
// inferred from the advantages) — never grouped by prompt text, since different images share one question.
// A file whose rows equal the previous file's (same prompt, completion, advantage: TRL with
// steps_per_generation > 1 writes one generation batch into consecutive step files) is counted once.
// Parquet is read by row group: the index pass keeps numbers and hashes only; `read(i)` decodes the one row
// group that holds the row, synchronously (cached). Pure: no `vscode`.

import * as fs from 'fs';
import * as path from 'path';
import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData, SchemaTree } from 'hyparquet';
import type { LogIssue, SourceRef } from '../model';
import { FormatId, FormatReader, LogBuilder, ReadOptions, RolloutLog } from './log';
import { GrowableF64, parseJsonLenient } from './lineIndex';
import {
  BatchSignature,
  ColumnRole,
  DuplicateBatch,
  ImageLookup,
  RecordFields,
  ValueKind,
  baseName,
  buildRollout,
  checkGroupsSharePrompt,
  chooseGroupSize,
  columnRole,
  emptySignature,
  estimatorFor,
  finiteOrNull,
  hashText,
  imageRefFrom,
  isObject,
  kindOfValues,
  makeImageLookup,
  numberFromString,
  parseStep,
  pixelBudget,
  sameBatch,
  show,
} from './recordCommon';

/** A TRL log: a RolloutLog plus the generation batches that were logged twice and counted once. */
export interface TrlLog extends RolloutLog {
  readonly duplicates: readonly DuplicateBatch[];
}

// ---------------------------------------------------------------------------------------------------
// Readers

const PARQUET_NAME = /(^|[\\/])completions_(\d+)\.parquet$/i;

export const trlParquetReader: FormatReader = {
  id: 'trl-parquet',
  sniff(file, head) {
    if (head.length < 4 || head.toString('latin1', 0, 4) !== 'PAR1') return false;
    return PARQUET_NAME.test(file) || /(^|[\\/])completions[\\/][^\\/]+\.parquet$/i.test(file);
  },
  open: (files, opts) => openTrlParquet(files, opts),
};

export const trlWandbTableReader: FormatReader = {
  id: 'trl-wandb-table',
  sniff(file, head) {
    if (!/\.table\.json$/i.test(file)) return false;
    const text = head.toString('utf8');
    return /"columns"\s*:\s*\[[^\]]*"completion"/.test(text);
  },
  open: (files, opts) => openTrlWandbTables(files, opts),
};

export async function openTrlParquet(files: string[], opts: ReadOptions & { target?: string } = {}): Promise<TrlLog> {
  const log = await openTabular('trl-parquet', files, opts, openParquetTable);
  const dir = opts.target;
  let isDir = false;
  try {
    isDir = !!dir && fs.statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  return isDir ? withFolderRefresh(log, dir!, files, opts) : log;
}

/** `completions_NNNNN.parquet` files of a folder, in step order (dot files, e.g. a writer's temp file, are not). */
export function listParquetSteps(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.') && PARQUET_NAME.test(n))
    .sort((a, b) => stepFromFileName(a) - stepFromFileName(b) || a.localeCompare(b))
    .map((n) => path.join(dir, n));
}

function fileStamp(files: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of files) {
    try {
      const st = fs.statSync(f);
      m.set(f, `${st.size}:${st.mtimeMs}`);
    } catch {
      m.set(f, 'missing');
    }
  }
  return m;
}

/**
 * A running TRL job adds one Parquet file per logging step: refresh() re-lists the folder and, when files
 * were added (or changed), reads the folder again and takes the new index in place (the log object stays the
 * same). Files only added after the known ones, with the grouping unchanged: `added` records, the old record
 * numbers still valid; anything else: `reset`.
 */
function withFolderRefresh(log: TrlLog, dir: string, files: string[], opts: ReadOptions & { target?: string }): TrlLog {
  let known = fileStamp(files);
  const target = log as TrlLog & { refresh?: () => Promise<{ added: number; reset?: boolean }> };
  target.refresh = async () => {
    const now = listParquetSteps(dir);
    const stamps = fileStamp(now);
    const same = now.length === known.size && now.every((f) => known.get(f) === stamps.get(f));
    if (same) return { added: 0 };
    const oldFiles = [...known.keys()];
    const appendOnly = oldFiles.every((f, i) => now[i] === f && known.get(f) === stamps.get(f));
    const before = { records: log.recordCount, groupSize: log.grouping.groupSize, groups: log.groups.length };
    const fresh = await openTabular('trl-parquet', now, { ...opts, onPartial: undefined, onProgress: undefined }, openParquetTable);
    const closeOld = log.close;
    const { refresh: _ignored, ...rest } = fresh as TrlLog & { refresh?: unknown };
    void _ignored;
    Object.assign(log, rest);
    closeOld.call(log);
    known = stamps;
    const grew = log.recordCount >= before.records && log.groups.length >= before.groups;
    const reset = !appendOnly || !grew || log.grouping.groupSize !== before.groupSize;
    return reset ? { added: Math.max(0, log.recordCount - before.records), reset: true } : { added: log.recordCount - before.records };
  };
  return log;
}

export async function openTrlWandbTables(files: string[], opts: ReadOptions & { target?: string } = {}): Promise<TrlLog> {
  return openTabular('trl-wandb-table', files, opts, openWandbTable);
}

/** The wandb run's `files` folder for a table at `files/media/table/x.table.json` (else the table's folder). */
export function wandbFilesDir(tableFile: string): string {
  const dir = path.dirname(path.resolve(tableFile));
  if (path.basename(dir) === 'table' && path.basename(path.dirname(dir)) === 'media') return path.dirname(path.dirname(dir));
  return dir;
}

/** The step in a file name: `completions_00010.parquet` → 10, `completions_10_<hash>.table.json` → 10. */
export function stepFromFileName(file: string): number {
  const m = /(?:^|[\\/])completions_(\d+)(?:[._][^\\/]*)?$/i.exec(file);
  return m ? Number(m[1]) : NaN;
}

// ---------------------------------------------------------------------------------------------------
// Tables

interface ColumnInfo {
  name: string;
  kind: ValueKind;
  role: ColumnRole;
}

/** One file of rows with named columns. */
interface TableFile {
  file: string;
  bytes: number;
  rowCount: number;
  columns: ColumnInfo[];
  /** Problems with the file as a whole (found while opening). */
  problems: string[];
  /** Index pass: rows in order, in chunks (a row group or the whole table), only the columns asked for. */
  scan(columns: string[], onRows: (rows: Array<Record<string, unknown>>, start: number) => void): Promise<void>;
  /** One row, synchronously (all columns). */
  row(i: number): Record<string, unknown>;
  /** Files the row's image paths resolve against first. */
  imageBaseDir: string;
  close(): void;
}

type Loader = (file: string, opts: ReadOptions) => Promise<TableFile>;

async function openTabular(format: FormatId, files: string[], opts: ReadOptions & { target?: string }, load: Loader): Promise<TrlLog> {
  const builder = new LogBuilder(opts.maxIssues ?? 1000);
  const context = opts.context ?? null;
  const tables: Array<TableFile | null> = [];
  const fileIndex = new Map<string, number>();
  const steps = new GrowableF64(1024);
  const advantages = new GrowableF64(1024);
  const promptHash = new GrowableF64(1024);
  const duplicates: DuplicateBatch[] = [];
  let prev: { sig: BatchSignature; file: string } | null = null;
  let bytes = 0;
  let total = 0;
  for (const f of files) {
    try {
      total += fs.statSync(f).size;
    } catch {
      /* reported when opened */
    }
  }
  const what = format === 'trl-parquet' ? 'Parquet file' : 'wandb table';

  for (const file of files) {
    const fi = builder.addFile(file);
    fileIndex.set(file, fi);
    tables.push(null);
    const fileIssue = (message: string, severity: LogIssue['severity'] = 'warning', line = 0): void =>
      builder.issue({ file, line, unit: 'row', message, severity });
    let t: TableFile;
    try {
      t = await load(file, opts);
    } catch (e) {
      fileIssue(`cannot read the ${what}: ${errorText(e)}; the other files are still read`, 'error');
      prev = null;
      continue;
    }
    bytes += t.bytes;
    const names = t.columns.map((c) => c.name);
    const missing = ['prompt', 'completion'].filter((k) => !names.includes(k));
    if (missing.length > 0) {
      fileIssue(`no ${missing.join(' / ')} column: not a TRL completions file (columns: ${names.join(', ') || 'none'})`, 'error');
      t.close();
      prev = null;
      continue;
    }
    tables[fi] = t;
    for (const p of t.problems) fileIssue(p);
    const byRole = (role: ColumnRole): ColumnInfo[] => t.columns.filter((c) => c.role === role);
    const stepCol = byRole('step')[0];
    const advCol = byRole('advantage')[0];
    const totalCol = byRole('total')[0];
    const rewardCols = [...byRole('reward'), ...byRole('reward-strings')];
    const nameStep = stepFromFileName(file);
    if (!stepCol) fileIssue(`no step column: the step is taken from the file name (${Number.isNaN(nameStep) ? 'none there either: 0' : nameStep})`);
    if (!advCol) fileIssue('no advantage column: advantages are recomputed from the rewards');
    if (rewardCols.length === 0 && !totalCol) fileIssue('no reward columns');
    for (const c of t.columns) {
      if (c.role === 'reward-strings') fileIssue(`reward column ${c.name} holds ${c.kind === 'mixed' ? 'mixed values' : 'strings'}, not numbers: values that parse as numbers are used`, 'warning', 1);
      else if (c.role === 'extra' && c.kind !== 'number' && c.kind !== 'int' && c.kind !== 'empty') {
        fileIssue(`column ${c.name} (${c.kind}) is not one TRL writes itself (a log_extra column?): shown under extra`, 'warning', 1);
      }
    }
    if (stepCol && stepCol.kind !== 'int' && stepCol.kind !== 'number' && stepCol.kind !== 'string') {
      fileIssue(`step column holds ${stepCol.kind} values: the step is taken from the file name`);
    }

    // index pass
    const want = [stepCol, advCol, totalCol, ...rewardCols].filter((c): c is ColumnInfo => !!c).map((c) => c.name);
    want.push('prompt', 'completion');
    const sig = emptySignature();
    const pending: Array<{ line: number; step: number; adv: number; total: number; rewards: Record<string, number | null>; prompt: number }> = [];
    let badStep = 0;
    try {
      await t.scan(want, (rows, start) => {
        rows.forEach((row, k) => {
          const line = start + k + 1;
          let step = stepCol ? parseStep(row[stepCol.name]) : nameStep;
          if (Number.isNaN(step)) {
            if (stepCol && badStep++ === 0) fileIssue(`step ${show(row[stepCol.name])} is not an integer ≥ 0: using the file name's step`, 'warning', line);
            step = Number.isNaN(nameStep) ? 0 : nameStep;
          }
          const rewards: Record<string, number | null> = {};
          for (const c of rewardCols) {
            const v = row[c.name];
            const n = rewardValue(v, c.role);
            if (n === undefined) {
              fileIssue(`reward ${c.name} = ${show(v)} is not a number (read as missing)`, 'warning', line);
              rewards[c.name] = null;
            } else rewards[c.name] = n;
          }
          const adv = advCol ? numberOr(row[advCol.name]) : NaN;
          const tot = totalCol ? numberOr(row[totalCol.name]) : NaN;
          if (typeof row.completion !== 'string') fileIssue(`completion is ${show(row.completion)}, not a string`, 'warning', line);
          const ph = hashText(row.prompt);
          sig.prompt.push(ph);
          sig.completion.push(hashText(row.completion));
          sig.advantage.push(adv);
          pending.push({ line, step, adv, total: tot, rewards, prompt: ph });
        });
      });
    } catch (e) {
      fileIssue(`cannot read the ${what}: ${errorText(e)}; the other files are still read`, 'error');
      t.close();
      tables[fi] = null;
      prev = null;
      continue;
    }
    opts.onProgress?.(bytes, total);
    if (prev && sameBatch(prev.sig, sig)) {
      duplicates.push({ file, line: 0, duplicateOf: prev.file, duplicateOfLine: 0, rows: pending.length });
      fileIssue(`${baseName(file)} repeats the generation batch of ${baseName(prev.file)}; counted once (${pending.length} rows skipped)`);
      t.close();
      tables[fi] = null;
      continue;
    }
    prev = { sig, file };
    for (const p of pending) {
      builder.add({ file: fi, line: p.line, step: p.step, advantage: p.adv, reward: p.total, rewards: p.rewards });
      steps.push(p.step);
      advantages.push(p.adv);
      promptHash.push(p.prompt);
    }
  }

  const n = steps.length;
  advantages.extendTo(n);
  const stepArr = steps.toArray();
  const advArr = advantages.toArray();
  const hashArr = promptHash.toArray();
  const choice = chooseGroupSize(context, stepArr, advArr, hashArr);
  const pixels = pixelBudget(context);
  const lookups = new Map<number, (logged: string) => ImageLookup>();
  const lookupFor = (fi: number, t: TableFile): ((logged: string) => ImageLookup) => {
    let l = lookups.get(fi);
    if (!l) lookups.set(fi, (l = makeImageLookup({ logDir: t.imageBaseDir, baseDirs: [path.dirname(path.resolve(t.file))] }, opts)));
    return l;
  };
  const target = opts.target ?? (files.length === 1 ? files[0] : path.dirname(files[0] ?? '.'));

  const log = builder.finish({
    format,
    file: target,
    stepKind: 'step',
    grouping: 'blocks',
    ...choice,
    estimator: estimatorFor(context, 'TRL'),
    weights: context?.rewardWeights?.value,
    context,
    bytes,
    read(_i, source0) {
      const source: SourceRef = { ...source0, unit: 'row' };
      const fi = fileIndex.get(source.file);
      const t = fi === undefined ? null : tables[fi];
      if (fi === undefined || !t) return { rollout: null, issues: [{ file: source.file, line: source.line, unit: 'row', message: 'the file could not be read', severity: 'error' }] };
      let row: Record<string, unknown>;
      try {
        row = t.row(source.line - 1);
      } catch (e) {
        return { rollout: null, issues: [{ file: source.file, line: source.line, unit: 'row', message: `cannot read the row: ${errorText(e)}`, severity: 'error' }] };
      }
      const { fields, problems } = rowFields(row, t.columns);
      const out = buildRollout(fields, { source, lookupImage: lookupFor(fi, t), imageRoots: opts.imageRoots ?? [], pixels });
      const issues: LogIssue[] = problems.map((message) => ({ file: source.file, line: source.line, unit: 'row', message, severity: 'warning' }));
      return { rollout: out.rollout, issues: [...issues, ...out.issues] };
    },
    close() {
      for (const t of tables) t?.close();
    },
  });
  const innerSourceOf = log.sourceOf;
  const sourceOf = (i: number): SourceRef => ({ ...innerSourceOf(i), unit: 'row' });
  const mixed = checkGroupsSharePrompt(log.groups, hashArr, sourceOf, log.grouping.groupSize);
  if (mixed) {
    log.issues.push(mixed);
    log.issues.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  }
  return Object.assign(log, { sourceOf, duplicates }) as TrlLog;
}

function rewardValue(v: unknown, role: ColumnRole): number | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'bigint') return finiteOrNull(v);
  if (role === 'reward-strings' && typeof v === 'string') {
    const n = numberFromString(v);
    return n === undefined ? undefined : Number.isFinite(n) ? n : null;
  }
  return undefined;
}

function numberOr(v: unknown): number {
  const n = finiteOrNull(v);
  return n === null ? NaN : n;
}

/** A row's values split by column role. */
function rowFields(row: Record<string, unknown>, columns: readonly ColumnInfo[]): { fields: RecordFields; problems: string[] } {
  const problems: string[] = [];
  const fields: RecordFields = { prompt: '', images: [], completion: '', rewards: {}, advantage: null, extra: {} };
  for (const c of columns) {
    const v = row[c.name];
    switch (c.role) {
      case 'step':
        break;
      case 'prompt':
        if (typeof v === 'string') fields.prompt = v;
        else if (v !== null && v !== undefined) {
          fields.prompt = typeof v === 'object' ? JSON.stringify(jsonable(v)) : String(v);
          problems.push(`prompt is ${show(jsonable(v))}, not a string`);
        }
        break;
      case 'completion':
        if (typeof v === 'string') fields.completion = v;
        else problems.push(`completion is ${show(jsonable(v))}, not a string`);
        break;
      case 'advantage':
        fields.advantage = finiteOrNull(v);
        break;
      case 'total':
        fields.reward = finiteOrNull(v);
        break;
      case 'reward':
      case 'reward-strings': {
        const n = rewardValue(v, c.role);
        if (n === undefined) problems.push(`reward ${c.name} = ${show(jsonable(v))} is not a number (read as missing)`);
        fields.rewards[c.name] = n ?? null;
        break;
      }
      case 'image': {
        const list = Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
        for (const item of list) {
          const ref = imageRefFrom(item);
          if (ref) fields.images.push(ref);
          else problems.push(`image cell ${show(jsonable(item))} is not a path or a wandb image reference`);
        }
        break;
      }
      case 'reference':
        if (v !== null && v !== undefined) fields.reference = jsonable(v);
        break;
      case 'extra':
        // pandas writes a non-default index as `__index_level_0__`: not TRL data
        if (v !== undefined && !c.name.startsWith('__index_level_')) fields.extra[c.name] = jsonable(v);
        break;
    }
  }
  return { fields, problems };
}

/** Values as plain JSON-able data (bigint → number, typed arrays → arrays). */
function jsonable(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => jsonable(x));
  if (Array.isArray(v)) return v.map(jsonable);
  if (v instanceof Date) return v.toISOString();
  if (isObject(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = jsonable(x);
    return o;
  }
  return v;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function rolesFor(columns: Array<{ name: string; kind: ValueKind }>, opts: ReadOptions): ColumnInfo[] {
  const rewardFuncs = opts.context?.rewardFuncs?.value;
  return columns.map((c) => ({ ...c, role: columnRole(c.name, c.kind, { advantageKeys: ['advantage'], rewardFuncs }) }));
}

// ---------------------------------------------------------------------------------------------------
// Parquet

/** An AsyncBuffer over a file handle (positioned reads, nothing else kept). */
async function fileAsyncBuffer(file: string): Promise<{ buffer: AsyncBuffer; close(): Promise<void> }> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    return {
      buffer: {
        byteLength: size,
        async slice(start: number, end?: number): Promise<ArrayBuffer> {
          const stop = Math.min(end ?? size, size);
          const len = Math.max(0, stop - start);
          const buf = Buffer.alloc(len);
          let got = 0;
          while (got < len) {
            const { bytesRead } = await handle.read(buf, got, len - got, start + got);
            if (bytesRead === 0) break;
            got += bytesRead;
          }
          if (got < len) throw new Error(`the file is shorter than expected (wanted bytes ${start}–${stop})`);
          return buf.buffer.slice(buf.byteOffset, buf.byteOffset + len) as ArrayBuffer;
        },
      },
      close: () => handle.close(),
    };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** The value kind of a top-level Parquet column. */
function parquetKind(node: SchemaTree): ValueKind {
  if (node.children.length > 0) return node.element.converted_type === 'LIST' || node.element.logical_type?.type === 'LIST' ? 'list' : 'object';
  const el = node.element;
  if (el.repetition_type === 'REPEATED') return 'list';
  switch (el.type) {
    case 'DOUBLE':
    case 'FLOAT':
      return 'number';
    case 'INT32':
    case 'INT64':
      return el.logical_type?.type === 'TIMESTAMP' || el.converted_type?.startsWith('TIMESTAMP') || el.converted_type === 'DATE' ? 'mixed' : 'int';
    case 'BOOLEAN':
      return 'bool';
    case 'BYTE_ARRAY':
      return 'string';
    default:
      return 'mixed';
  }
}

async function openParquetTable(file: string, opts: ReadOptions): Promise<TableFile> {
  const { buffer, close } = await fileAsyncBuffer(file);
  let metadata: FileMetaData;
  let tree: SchemaTree;
  try {
    if (buffer.byteLength < 12) throw new Error(`only ${buffer.byteLength} bytes: too short for Parquet`);
    metadata = await parquetMetadataAsync(buffer);
    tree = parquetSchema(metadata);
  } catch (e) {
    await close();
    throw e;
  }
  const problems: string[] = [];
  const columns = rolesFor(
    tree.children.map((c) => ({ name: c.element.name, kind: parquetKind(c) })),
    opts,
  );
  for (const c of columns) if (c.kind === 'object') problems.push(`column ${c.name} is a nested structure: not read`);
  const readable = new Set(columns.filter((c) => c.kind !== 'object').map((c) => c.name));
  const groupStarts: number[] = [];
  let rows = 0;
  for (const rg of metadata.row_groups) {
    groupStarts.push(rows);
    rows += Number(rg.num_rows);
  }
  let fd: number | null = null;
  let cache: { group: number; values: Map<string, unknown[]> } | null = null;
  let asyncOpen = true;
  const groupOf = (row: number): number => {
    let lo = 0;
    let hi = groupStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (groupStarts[mid] <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return {
    file,
    bytes: buffer.byteLength,
    rowCount: rows,
    columns,
    problems,
    imageBaseDir: path.dirname(path.resolve(file)),
    async scan(names, onRows) {
      const cols = names.filter((nm) => readable.has(nm));
      try {
        for (let g = 0; g < metadata.row_groups.length; g++) {
          const rowStart = groupStarts[g];
          const rowEnd = rowStart + Number(metadata.row_groups[g].num_rows);
          if (rowEnd === rowStart) continue;
          let got: Array<Record<string, unknown>> = [];
          await parquetRead({
            file: buffer,
            metadata,
            columns: cols,
            rowStart,
            rowEnd,
            rowFormat: 'object',
            onComplete: (r) => {
              got = r;
            },
          });
          if (got.length !== rowEnd - rowStart) throw new Error(`row group ${g} gave ${got.length} rows, expected ${rowEnd - rowStart}`);
          onRows(got, rowStart);
        }
      } finally {
        if (asyncOpen) {
          asyncOpen = false;
          await close();
        }
      }
    },
    row(i) {
      if (!(i >= 0 && i < rows)) throw new RangeError(`no row ${i + 1}: the file has ${rows} rows`);
      const g = groupOf(i);
      if (!cache || cache.group !== g) {
        if (fd === null) fd = fs.openSync(file, 'r');
        cache = { group: g, values: decodeRowGroupSync(fd, metadata, tree, g, readable) };
      }
      const k = i - groupStarts[g];
      const out: Record<string, unknown> = {};
      for (const [name, vals] of cache.values) out[name] = vals[k];
      return out;
    },
    close() {
      cache = null;
      if (asyncOpen) {
        asyncOpen = false;
        void close().catch(() => undefined);
      }
      if (fd !== null) {
        try {
          fs.closeSync(fd);
        } catch {
          /* already closed */
        }
        fd = null;
      }
    },
  };
}

type HpColumnModule = typeof import('hyparquet/types/column');
type HpSchemaModule = typeof import('hyparquet/types/schema');
type HpConvertModule = typeof import('hyparquet/types/convert');
interface HpInternals {
  readColumn: HpColumnModule['readColumn'];
  getTreePath: HpSchemaModule['getTreePath'];
  DEFAULT_PARSERS: HpConvertModule['DEFAULT_PARSERS'];
}
let hpInternals: HpInternals | null = null;

/**
 * hyparquet's synchronous column decoder (public subpath exports `hyparquet/src/*.js`, pinned version):
 * `RolloutLog.read` is synchronous, and hyparquet's `parquetRead` is not.
 */
function hp(): HpInternals {
  if (!hpInternals) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const col = require('hyparquet/src/column.js') as HpColumnModule;
    const sch = require('hyparquet/src/schema.js') as HpSchemaModule;
    const conv = require('hyparquet/src/convert.js') as HpConvertModule;
    /* eslint-enable @typescript-eslint/no-require-imports */
    hpInternals = { readColumn: col.readColumn, getTreePath: sch.getTreePath, DEFAULT_PARSERS: conv.DEFAULT_PARSERS };
  }
  return hpInternals;
}

function readExact(fd: number, start: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, start + got);
    if (n === 0) break;
    got += n;
  }
  if (got < len) throw new Error('the file is shorter than when it was indexed (was it rewritten?)');
  return buf;
}

/** Decode every readable column of one row group (synchronous positioned reads). */
function decodeRowGroupSync(fd: number, metadata: FileMetaData, tree: SchemaTree, group: number, readable: ReadonlySet<string>): Map<string, unknown[]> {
  const { readColumn, getTreePath, DEFAULT_PARSERS } = hp();
  const rg = metadata.row_groups[group];
  const numRows = Number(rg.num_rows);
  const out = new Map<string, unknown[]>();
  for (const chunk of rg.columns) {
    const meta = chunk.meta_data;
    if (!meta) throw new Error('column metadata missing');
    const name = meta.path_in_schema[0];
    if (!readable.has(name) || out.has(name)) continue;
    const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
    const len = Number(meta.total_compressed_size);
    const buf = readExact(fd, start, len);
    const schemaPath = getTreePath(tree, meta.path_in_schema);
    const decoder = {
      pathInSchema: meta.path_in_schema,
      element: schemaPath[schemaPath.length - 1].element,
      schemaPath,
      type: meta.type,
      codec: meta.codec,
      parsers: DEFAULT_PARSERS,
      utf8: true,
    };
    const { data } = readColumn(
      { view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), offset: 0 },
      { groupStart: 0, selectStart: 0, selectEnd: numRows, groupRows: numRows },
      decoder,
    );
    const values: unknown[] = [];
    for (const d of data) for (let k = 0; k < d.length; k++) values.push((d as ArrayLike<unknown>)[k]);
    if (values.length !== numRows) {
      // a nested layout the flat decoder does not assemble: leave the column out rather than misalign rows
      continue;
    }
    out.set(name, values);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// wandb tables

interface ParsedTable {
  columns: string[];
  data: unknown[][];
  problems: string[];
}

function parseWandbTable(file: string): ParsedTable {
  const text = fs.readFileSync(file, 'utf8');
  const { value } = parseJsonLenient(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (!isObject(value)) throw new Error('not a JSON object');
  const columns = value.columns;
  const data = value.data;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) throw new Error('no "columns" list of names');
  if (!Array.isArray(data)) throw new Error('no "data" list of rows');
  const problems: string[] = [];
  const rows: unknown[][] = [];
  let bad = 0;
  let firstBad = '';
  data.forEach((r, k) => {
    if (Array.isArray(r)) {
      if (r.length !== columns.length && bad++ === 0) firstBad = `row ${k + 1} has ${r.length} cells for ${columns.length} columns`;
      rows.push(r);
    } else {
      if (bad++ === 0) firstBad = `row ${k + 1} is ${show(r)}, not a list of cells`;
      rows.push([]);
    }
  });
  if (bad > 0) problems.push(`${firstBad}${bad > 1 ? ` (${bad} rows like this)` : ''}: missing cells read as empty`);
  return { columns: columns as string[], data: rows, problems };
}

/** The last table parsed for `read` (tables are read whole; one is kept). */
let wandbCache: { file: string; mtimeMs: number; table: ParsedTable } | null = null;

async function openWandbTable(file: string, opts: ReadOptions): Promise<TableFile> {
  const bytes = fs.statSync(file).size;
  const table = parseWandbTable(file);
  const kinds = table.columns.map((name, k) => ({ name, kind: kindOfValues(table.data.map((r) => r[k])) }));
  const columns = rolesFor(kinds, opts);
  const problems = [...table.problems];
  const rowCount = table.data.length;
  let first: ParsedTable | null = table;
  const load = (): ParsedTable => {
    let mtimeMs = 0;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
    } catch {
      /* parse reports it */
    }
    if (wandbCache && wandbCache.file === file && wandbCache.mtimeMs === mtimeMs) return wandbCache.table;
    const t = parseWandbTable(file);
    wandbCache = { file, mtimeMs, table: t };
    return t;
  };
  const toObject = (t: ParsedTable, i: number): Record<string, unknown> => {
    const r = t.data[i] ?? [];
    const o: Record<string, unknown> = {};
    t.columns.forEach((c, k) => (o[c] = r[k]));
    return o;
  };
  return {
    file,
    bytes,
    rowCount,
    columns,
    problems,
    imageBaseDir: wandbFilesDir(file),
    async scan(_names, onRows) {
      const t = first ?? load();
      first = null; // the index pass is done with the text: keep nothing
      onRows(
        t.data.map((_, i) => toObject(t, i)),
        0,
      );
    },
    row(i) {
      const t = load();
      if (!(i >= 0 && i < t.data.length)) throw new RangeError(`no row ${i + 1}: the table has ${t.data.length} rows`);
      return toObject(t, i);
    },
    close() {
      first = null;
      if (wandbCache?.file === file) wandbCache = null;
    },
  };
}
