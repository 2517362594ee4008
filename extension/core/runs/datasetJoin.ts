// Join a logged prompt back to the training dataset. TRL, verl and ms-swift log the prompt text but not the
// image; the dataset row it came from names the image(s), the solution and the sample id. Reads
// VLM-R1 grpo_jsonl (`{id, image, conversations: [{from: human, value: "<image>Question"}, {from: gpt, value}]}`),
// the legacy REC JSON array (`[{image, problem, solution, normal_caption}]`), generic JSONL
// (problem / question / prompt (text or chat messages) + image / images + solution / answer / ground_truth)
// and verl-style parquet (prompt messages, reward_model.ground_truth, extra_info.index; embedded image bytes are
// not read). Builds one Map keyed by the normalised question text, then matches a prompt by exact key after
// stripping the chat template, else by the longest dataset question contained in the prompt.
// Pure Node (fs, path); no `vscode`.

import * as fs from 'fs';
import * as path from 'path';
import type { LogIssue } from '../model';

export interface DatasetRecord {
  /** The dataset's own id (`id`, `sample_id`, `extra_info.index`…), as a string. */
  id?: string;
  /** The question as the dataset has it (`<image>` markers removed). */
  question: string;
  /** Image paths joined with the image folder of the dataset file (not checked for existence). */
  images: string[];
  /** The answer / ground truth (`conversations[1].value`, `solution`, `answer`…); non-strings as JSON. */
  solution?: string;
  file: string;
  /** 1-based line (JSONL), or 0 for JSON arrays and parquet (see `row`). */
  line: number;
  /** 0-based row within the file. */
  row: number;
}

export interface DatasetMatch extends DatasetRecord {
  /** 'exact': the prompt without its chat template is the question; 'contained': the question appears in the prompt. */
  how: 'exact' | 'contained';
}

export interface MatchOptions {
  /** Image paths the log gave for this prompt: matches whose images share a file name win. */
  images?: readonly string[];
}

export interface DatasetIndex {
  readonly files: readonly string[];
  /** Records indexed. */
  readonly size: number;
  /** Distinct normalised questions. */
  readonly questions: number;
  readonly issues: LogIssue[];
  /**
   * Dataset rows whose question the prompt holds. Several results: the question is ambiguous (different
   * images often share one question) — the caller says so. Empty: no match.
   */
  match(promptText: string, opts?: MatchOptions): DatasetMatch[];
  /** Rows by dataset id. */
  byId(id: string | number): DatasetRecord[];
}

export interface LoadDatasetOptions {
  /** Most issues kept (default 200). */
  maxIssues?: number;
  /** Dataset column holding the images (verl `data.image_key`), tried before image / images. */
  imageKey?: string;
}

/** Shortest indexed question (normalised characters): shorter ones would match almost any prompt. */
const MIN_QUESTION = 3;

// ---------------------------------------------------------------------------------------------------------
// Normalisation

const SPECIAL_TOKEN = /<\|[A-Za-z0-9_]{1,40}\|>/g;
/** ms-swift collapses image pad runs to `[151655 * 345]`. */
const PAD_RUN = /\[\s*\d+\s*\*\s*\d+\s*\]/g;
const MEDIA_TAG = /<(?:image|video)>/gi;

/** Text for comparison: special tokens, pad runs and `<image>` gone, whitespace collapsed, lower case. */
export function normaliseText(s: string): string {
  return s.normalize('NFC').replace(SPECIAL_TOKEN, ' ').replace(PAD_RUN, ' ').replace(MEDIA_TAG, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Question-template suffixes that trainers append to the dataset question (VLM-R1, R1-V, verl geo3k, EasyR1…). */
const TEMPLATE_SUFFIXES: RegExp[] = [
  /\s*First output the thinking process in <think> <\/think> tags[\s\S]*$/i,
  /\s*Output the thinking process in <think> <\/think> and final answer[\s\S]*$/i,
  /\s*You FIRST think about the reasoning process as an internal monologue[\s\S]*$/i,
  /\s*Please reason step by step[\s\S]*$/i,
  /\s*Output the final answer in JSON format\.?\s*$/i,
];

/**
 * The user's question inside a logged prompt: special tokens removed, the chat template's
 * "system … user …" head and "assistant" tail dropped, known question-template suffixes cut.
 */
export function stripPromptTemplate(prompt: string): string {
  let t = prompt.normalize('NFC').replace(SPECIAL_TOKEN, '\n').replace(PAD_RUN, ' ').replace(MEDIA_TAG, ' ');
  // the last user turn ("user\n" at a line start, as Qwen's template decodes with or without special tokens)
  const userRe = /(?:^|\n)[ \t]*user[ \t]*\n/g;
  let last = -1;
  for (let m = userRe.exec(t); m; m = userRe.exec(t)) last = m.index + m[0].length;
  if (last >= 0) t = t.slice(last);
  const asst = /\n[ \t]*assistant[ \t]*(?:\n[\s\S]*)?$/.exec(t);
  if (asst) t = t.slice(0, asst.index);
  for (const re of TEMPLATE_SUFFIXES) t = t.replace(re, '');
  return t.trim();
}

// ---------------------------------------------------------------------------------------------------------
// Records

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function textOfContent(c: unknown): string {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    return c
      .map((p) => (typeof p === 'string' ? p : isObj(p) && typeof p.text === 'string' ? p.text : ''))
      .filter((x) => x !== '')
      .join('\n');
  }
  return '';
}

function asString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
  } catch {
    return undefined;
  }
}

function imagesOf(v: unknown): string[] {
  if (typeof v === 'string') return v.trim() ? [v] : [];
  if (Array.isArray(v)) return v.flatMap(imagesOf);
  if (isObj(v)) {
    for (const k of ['path', 'image', 'file_name', 'filename', 'url']) if (typeof v[k] === 'string' && v[k]) return [v[k] as string];
  }
  return [];
}

interface RawRecord {
  id?: string;
  question: string;
  images: string[];
  solution?: string;
}

/** The question, images, solution and id of one dataset row; null when it holds no question. */
export function recordFromObject(o: unknown, imageKey?: string): RawRecord | null {
  if (!isObj(o)) return null;
  let question: string | undefined;
  let solution: string | undefined;
  const turns = Array.isArray(o.conversations) ? o.conversations : Array.isArray(o.messages) ? o.messages : Array.isArray(o.prompt) ? o.prompt : null;
  if (turns) {
    const who = (t: unknown): string => (isObj(t) ? String(t.from ?? t.role ?? '').toLowerCase() : '');
    const qi = turns.findIndex((t) => who(t) === 'human' || who(t) === 'user');
    if (qi >= 0) {
      const q = turns[qi] as Obj;
      question = textOfContent(q.value ?? q.content);
      const a = turns.slice(qi + 1).find((t) => who(t) === 'gpt' || who(t) === 'assistant') as Obj | undefined;
      if (a) solution = textOfContent(a.value ?? a.content);
    }
  }
  for (const k of ['problem', 'question', 'prompt', 'query', 'instruction']) {
    if (question !== undefined && question !== '') break;
    if (typeof o[k] === 'string') question = o[k] as string;
  }
  if (question === undefined || question.trim() === '') return null;
  const rm = isObj(o.reward_model) ? o.reward_model : null;
  const extra = isObj(o.extra_info) ? o.extra_info : null;
  solution ??= asString(o.solution ?? o.answer ?? o.ground_truth ?? o.gt ?? rm?.ground_truth ?? extra?.answer ?? o.response);
  const images: string[] = [];
  for (const k of [imageKey, 'image', 'images', 'image_path', 'image_paths', 'img', 'image_file'].filter((x): x is string => !!x)) {
    if (o[k] !== undefined) {
      images.push(...imagesOf(o[k]));
      if (images.length > 0) break;
    }
  }
  const idv = o.id ?? o.sample_id ?? o.uid ?? o.idx ?? extra?.index ?? o.index;
  const rec: RawRecord = { question: question.replace(MEDIA_TAG, '').trim(), images };
  const id = typeof idv === 'string' || typeof idv === 'number' || typeof idv === 'bigint' ? String(idv) : undefined;
  if (id !== undefined) rec.id = id;
  if (solution !== undefined) rec.solution = solution;
  return rec;
}

// ---------------------------------------------------------------------------------------------------------
// Index

class Index implements DatasetIndex {
  readonly issues: LogIssue[] = [];
  private suppressed = 0;
  private readonly byKey = new Map<string, DatasetRecord[]>();
  /** Containment index: each distinct question under its rarest word (templated datasets share most words). */
  private anchors: Map<string, string[]> | null = null;
  private readonly ids = new Map<string, DatasetRecord[]>();
  size = 0;

  constructor(
    readonly files: readonly string[],
    private readonly maxIssues: number,
  ) {}

  get questions(): number {
    return this.byKey.size;
  }

  issue(file: string, line: number, message: string, severity: 'error' | 'warning' = 'error'): void {
    if (this.issues.length < this.maxIssues) this.issues.push({ file, line, message, severity });
    else this.suppressed++;
  }

  finish(): void {
    if (this.suppressed > 0) this.issue('', 0, `${this.suppressed} more problems not listed`, 'warning');
  }

  add(rec: DatasetRecord): void {
    const key = normaliseText(rec.question);
    if (key.length < MIN_QUESTION) return;
    this.size++;
    this.anchors = null;
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    list.push(rec);
    if (rec.id !== undefined) {
      const l = this.ids.get(rec.id);
      if (l) l.push(rec);
      else this.ids.set(rec.id, [rec]);
    }
  }

  /** Built on the first containment lookup (exact lookups never need it). */
  private buildAnchors(): Map<string, string[]> {
    if (this.anchors) return this.anchors;
    const df = new Map<string, number>();
    const words: string[][] = [];
    for (const key of this.byKey.keys()) {
      const ws = [...new Set(wordsOf(key))];
      words.push(ws);
      for (const w of ws) df.set(w, (df.get(w) ?? 0) + 1);
    }
    const anchors = new Map<string, string[]>();
    let k = 0;
    for (const key of this.byKey.keys()) {
      let best: string | null = null;
      let bestDf = Infinity;
      for (const w of words[k++]) {
        const d = df.get(w) ?? 0;
        if (d < bestDf || (d === bestDf && best !== null && w.length > best.length)) {
          best = w;
          bestDf = d;
        }
      }
      if (best === null) continue;
      const l = anchors.get(best);
      if (l) l.push(key);
      else anchors.set(best, [key]);
    }
    this.anchors = anchors;
    return anchors;
  }

  byId(id: string | number): DatasetRecord[] {
    return this.ids.get(String(id)) ?? [];
  }

  match(promptText: string, opts: MatchOptions = {}): DatasetMatch[] {
    if (typeof promptText !== 'string' || promptText === '') return [];
    let found: DatasetRecord[] | undefined;
    let how: DatasetMatch['how'] = 'exact';
    const exact = normaliseText(stripPromptTemplate(promptText));
    found = this.byKey.get(exact);
    if (!found) {
      const whole = normaliseText(promptText);
      found = this.byKey.get(whole);
      if (!found) {
        how = 'contained';
        found = this.contained(whole);
      }
    }
    if (!found || found.length === 0) return [];
    let out = found;
    if (opts.images && opts.images.length > 0 && found.length > 1) {
      const names = new Set(opts.images.map((p) => baseName(p)));
      const narrowed = found.filter((r) => r.images.some((p) => names.has(baseName(p))));
      if (narrowed.length > 0) out = narrowed;
    }
    return out.map((r) => ({ ...r, images: [...r.images], how }));
  }

  /** The records of the longest dataset question(s) that occur in the normalised prompt (at word boundaries). */
  private contained(p: string): DatasetRecord[] | undefined {
    const anchors = this.buildAnchors();
    let bestLen = 0;
    let best: string[] = [];
    const seen = new Set<string>();
    for (const w of new Set(wordsOf(p))) {
      const keys = anchors.get(w);
      if (!keys) continue;
      for (const key of keys) {
        if (key.length < bestLen || key.length > p.length || seen.has(key)) continue;
        seen.add(key);
        if (!occursAtBoundaries(p, key)) continue;
        if (key.length > bestLen) {
          bestLen = key.length;
          best = [key];
        } else best.push(key);
      }
    }
    if (best.length === 0) return undefined;
    return best.flatMap((k) => this.byKey.get(k) ?? []);
  }
}

function wordsOf(s: string): string[] {
  return s.split(/[^a-z0-9\u0080-\uffff]+/).filter((w) => w.length > 0);
}

function occursAtBoundaries(p: string, key: string): boolean {
  for (let at = p.indexOf(key); at >= 0; at = p.indexOf(key, at + 1)) {
    const startOk = at === 0 || !isWordChar(p.charCodeAt(at - 1)) || !isWordChar(key.charCodeAt(0));
    if (startOk && boundaryAfter(p, at + key.length, key)) return true;
  }
  return false;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c > 127;
}

function boundaryAfter(p: string, end: number, key: string): boolean {
  if (end >= p.length) return true;
  return !isWordChar(key.charCodeAt(key.length - 1)) || !isWordChar(p.charCodeAt(end));
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

// ---------------------------------------------------------------------------------------------------------
// Loading

function joinImage(img: string, folder: string | undefined, datasetDir: string): string {
  if (path.isAbsolute(img) || /^[a-z]+:\/\//i.test(img)) return img;
  return path.join(folder ?? datasetDir, img);
}

/** Calls `onLine(text, lineNumber)` for every line (1-based; CR of CRLF removed), reading the file in chunks. */
async function forEachLine(file: string, onLine: (text: string, line: number) => void): Promise<void> {
  let rest = '';
  let line = 0;
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      onLine(text.slice(start, end), ++line);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest, ++line);
}

async function loadJsonl(file: string, folder: string | undefined, index: Index, imageKey?: string): Promise<void> {
  const dir = path.dirname(file);
  let row = 0;
  let noQuestion = 0;
  await forEachLine(file, (raw, line) => {
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') return;
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      index.issue(file, line, `not valid JSON: ${(e as Error).message}`);
      return;
    }
    const rec = recordFromObject(o, imageKey);
    if (!rec) {
      if (noQuestion++ < 3) index.issue(file, line, 'no question found (expected conversations, messages, problem, question or prompt)', 'warning');
      row++;
      return;
    }
    index.add({ ...rec, images: rec.images.map((p) => joinImage(p, folder, dir)), file, line, row });
    row++;
  });
  if (noQuestion > 3) index.issue(file, 0, `${noQuestion} rows without a question`, 'warning');
}

async function loadJsonArray(file: string, folder: string | undefined, index: Index, imageKey?: string): Promise<void> {
  const dir = path.dirname(file);
  let data: unknown;
  const text = (await fs.promises.readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  try {
    data = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pm = /position (\d+)/.exec(msg);
    index.issue(file, pm ? text.slice(0, Number(pm[1])).split('\n').length : 0, `not valid JSON: ${msg}`);
    return;
  }
  const items = Array.isArray(data) ? data : isObj(data) ? ((['data', 'annotations', 'samples', 'items', 'examples'].map((k) => data && (data as Obj)[k]).find(Array.isArray) as unknown[] | undefined) ?? null) : null;
  if (!items) {
    index.issue(file, 1, 'expected a JSON array of records (or an object with a data / annotations list)');
    return;
  }
  let noQuestion = 0;
  items.forEach((o, row) => {
    const rec = recordFromObject(o, imageKey);
    if (!rec) {
      noQuestion++;
      return;
    }
    index.add({ ...rec, images: rec.images.map((p) => joinImage(p, folder, dir)), file, line: 0, row });
  });
  if (noQuestion > 0) index.issue(file, 0, `${noQuestion} of ${items.length} records without a question`, 'warning');
}

interface HyparquetLike {
  asyncBufferFromFile(file: string): Promise<unknown>;
  parquetMetadataAsync(buf: unknown): Promise<{ num_rows: bigint | number }>;
  parquetSchema(meta: unknown): SchemaNode;
  parquetReadObjects(o: { file: unknown; metadata?: unknown; columns?: string[]; rowStart?: number; rowEnd?: number }): Promise<Obj[]>;
}
interface SchemaNode {
  element: { name: string };
  children: SchemaNode[];
}

function hasBytes(n: SchemaNode): boolean {
  return n.element.name === 'bytes' || n.children.some(hasBytes);
}

async function loadParquet(file: string, folder: string | undefined, index: Index, imageKey?: string): Promise<void> {
  const dir = path.dirname(file);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hp = require('hyparquet') as HyparquetLike;
  const buf = await hp.asyncBufferFromFile(file);
  const meta = await hp.parquetMetadataAsync(buf);
  const schema = hp.parquetSchema(meta);
  const wanted = new Set([
    'id', 'sample_id', 'uid', 'idx', 'index', 'problem', 'question', 'prompt', 'query', 'instruction', 'conversations', 'messages',
    'solution', 'answer', 'ground_truth', 'gt', 'reward_model', 'extra_info', 'image', 'images', 'image_path', 'image_paths',
    ...(imageKey ? [imageKey] : []),
  ]);
  // embedded image bytes are skipped (only paths are of use here)
  const columns = schema.children.filter((c) => wanted.has(c.element.name) && !hasBytes(c)).map((c) => c.element.name);
  const rows = Number(meta.num_rows);
  const CHUNK = 5000;
  let noQuestion = 0;
  for (let start = 0; start < rows; start += CHUNK) {
    const objs = await hp.parquetReadObjects({ file: buf, metadata: meta, columns, rowStart: start, rowEnd: Math.min(rows, start + CHUNK) });
    objs.forEach((o, k) => {
      const rec = recordFromObject(o, imageKey);
      if (!rec) {
        noQuestion++;
        return;
      }
      index.add({ ...rec, images: rec.images.map((p) => joinImage(p, folder, dir)), file, line: 0, row: start + k });
    });
  }
  if (noQuestion > 0) index.issue(file, 0, `${noQuestion} of ${rows} rows without a question`, 'warning');
}

/**
 * Index dataset files for prompt lookup. `imageFolders` pair with `files` by position (VLM-R1
 * `--data_file_paths a:b --image_folders x:y`); one folder serves every file; with none, relative image
 * paths resolve against the dataset file's folder. Missing or unreadable files are issues, never errors.
 */
export async function loadDatasetIndex(files: string[], imageFolders: string[], opts: LoadDatasetOptions = {}): Promise<DatasetIndex> {
  const index = new Index([...files], opts.maxIssues ?? 200);
  if (imageFolders.length > 1 && imageFolders.length !== files.length) {
    index.issue('', 0, `${imageFolders.length} image folders for ${files.length} dataset files: files are paired with folders by position`, 'warning');
  }
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const folder = imageFolders[i] ?? (imageFolders.length === 1 ? imageFolders[0] : undefined);
    try {
      const st = await fs.promises.stat(file).catch(() => null);
      if (!st || !st.isFile()) {
        index.issue(file, 0, /\$\{?\w/.test(file) ? 'dataset not found (the path holds an unexpanded shell variable)' : 'dataset file not found');
        continue;
      }
      const ext = path.extname(file).toLowerCase();
      if (ext === '.parquet') await loadParquet(file, folder, index, opts.imageKey);
      else if (ext === '.json') await loadJsonArray(file, folder, index, opts.imageKey);
      else await loadJsonl(file, folder, index, opts.imageKey);
    } catch (e) {
      index.issue(file, 0, `cannot read dataset: ${(e as Error).message}`);
    }
  }
  index.finish();
  return index;
}
