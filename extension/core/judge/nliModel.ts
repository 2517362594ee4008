// A local NLI model folder, checked before anything runs on it: the files (model.onnx, or the optimum
// layouts onnx/model.onnx and model_quantized.onnx; tokenizer.json; config.json; optional
// tokenizer_config.json), their JSON, the label map, the model's inputs and output, and the model hash
// that names the verdict cache. Every problem is a JudgeSetupError that says which file and what is wrong.
// Node-only (fs, crypto); onnxruntime is passed in by the caller (the judge worker), never loaded here.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { InferenceSession } from 'onnxruntime-node';
import type { Ort } from './ort';
import { JudgeSetupError } from './types';
import { labelMapOf, maxSequenceLength, type LabelMap } from './nli';

/** Where the ONNX file may be, in order of preference (the plain export, then optimum's layouts). */
export const ONNX_CANDIDATES = ['model.onnx', path.join('onnx', 'model.onnx'), 'model_quantized.onnx', path.join('onnx', 'model_quantized.onnx')];

export interface NliModelFiles {
  dir: string;
  /** The folder name, shown as the model's name. */
  name: string;
  onnx: string;
  tokenizer: string;
  config: string;
  tokenizerConfig: string | null;
}

export interface NliModelInfo extends NliModelFiles {
  configJson: Record<string, unknown>;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfigJson: Record<string, unknown> | null;
  labels: LabelMap;
  /** Tokens per window, special tokens included (see maxSequenceLength). */
  maxTokens: number;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The files of a model folder; throws a JudgeSetupError naming what is missing. */
export function findModelFiles(dir: string): NliModelFiles {
  const abs = path.resolve(dir);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new JudgeSetupError(`The NLI model folder ${abs} does not exist. Set it to a folder holding model.onnx, tokenizer.json and config.json.`);
  }
  if (!st.isDirectory()) throw new JudgeSetupError(`The NLI model folder ${abs} is a file, not a folder; point to the folder holding model.onnx, tokenizer.json and config.json.`);
  const onnx = ONNX_CANDIDATES.map((c) => path.join(abs, c)).find(isFile);
  if (!onnx) {
    throw new JudgeSetupError(
      `${abs} holds no model.onnx (also looked for onnx/model.onnx and model_quantized.onnx). Export the model to ONNX, e.g. with optimum: ` +
        'optimum-cli export onnx --model <model> --task text-classification <folder>.',
    );
  }
  const tokenizer = path.join(abs, 'tokenizer.json');
  if (!isFile(tokenizer)) {
    throw new JudgeSetupError(`${tokenizer} is missing: the judge needs the model's fast-tokenizer file (tokenizer.json; save it with tokenizer.save_pretrained(<folder>)).`);
  }
  const config = path.join(abs, 'config.json');
  if (!isFile(config)) throw new JudgeSetupError(`${config} is missing: the judge reads the label names (id2label) and the sequence length from it.`);
  const tc = path.join(abs, 'tokenizer_config.json');
  return { dir: abs, name: path.basename(abs), onnx, tokenizer, config, tokenizerConfig: isFile(tc) ? tc : null };
}

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: pos - start + 1 };
}

/** The offset of the first JSON syntax error in `text` (a small recursive-descent scanner), or null if it finds none. */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const str = (): void => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (depth: number): void => {
    if (depth > 512) fail();
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    } else if (c === '"') str();
    else {
      const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
      if (!m) fail();
      i += m![0].length;
    }
  };
  try {
    value(0);
    ws();
    return i < text.length ? i : null;
  } catch (at) {
    return typeof at === 'number' ? at : null;
  }
}

/** Read and parse a JSON object file; a JudgeSetupError says where it is broken (line and column when JSON.parse gives a position). */
export function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new JudgeSetupError(`${file} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
    const m = /at position (\d+)/.exec(msg);
    // V8 gives no position for "Unexpected token": find it with a small scanner
    const pos = m ? Number(m[1]) : jsonErrorOffset(text);
    if (pos !== null) {
      const { line, column } = lineCol(text, pos);
      const what = m ? msg.replace(/\s*in JSON at position \d+.*$/, '') : pos >= text.length ? 'unexpected end' : `unexpected ${JSON.stringify(text[pos])}`;
      throw new JudgeSetupError(`${file} is not valid JSON (line ${line}, column ${column}): ${what}.`);
    }
    throw new JudgeSetupError(`${file} is not valid JSON: ${msg.length > 160 ? msg.slice(0, 160) + '…' : msg}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new JudgeSetupError(`${file} is not a JSON object.`);
  return v as Record<string, unknown>;
}

/** Everything about a model folder that can be checked without onnxruntime: files, JSON, labels, length. */
export function readModelFolder(dir: string, opts: { maxTokens?: number } = {}): NliModelInfo {
  const files = findModelFiles(dir);
  const configJson = readJsonObject(files.config);
  const labels = labelMapOf(configJson, files.config);
  const tokenizerJson = readJsonObject(files.tokenizer);
  if (!tokenizerJson.model || typeof tokenizerJson.model !== 'object') {
    throw new JudgeSetupError(`${files.tokenizer} has no "model" section: it is not a Hugging Face fast-tokenizer file.`);
  }
  const tokenizerConfigJson = files.tokenizerConfig ? readJsonObject(files.tokenizerConfig) : null;
  const maxTokens = maxSequenceLength(configJson, tokenizerConfigJson, opts.maxTokens);
  return { ...files, configJson, tokenizerJson, tokenizerConfigJson, labels, maxTokens };
}

// ------------------------------------------------------------------------------------------------- hash

const hashCache = new Map<string, string>();

/**
 * sha256 (hex) over the bytes of model.onnx, tokenizer.json and config.json, in that order, streamed;
 * remembered in memory by path, size and mtime of the three files.
 */
export async function modelHash(files: Pick<NliModelFiles, 'onnx' | 'tokenizer' | 'config'>): Promise<string> {
  const list = [files.onnx, files.tokenizer, files.config];
  const stats = await Promise.all(list.map((f) => fs.promises.stat(f)));
  const key = list.map((f, i) => `${f}\u0000${stats[i]!.size}\u0000${stats[i]!.mtimeMs}`).join('\u0001');
  const known = hashCache.get(key);
  if (known) return known;
  const h = createHash('sha256');
  for (const f of list) {
    await new Promise<void>((resolve, reject) => {
      const s = fs.createReadStream(f, { highWaterMark: 1 << 20 });
      s.on('data', (chunk) => h.update(chunk));
      s.on('error', reject);
      s.on('end', () => resolve());
    });
  }
  const hex = h.digest('hex');
  hashCache.set(key, hex);
  return hex;
}

// ------------------------------------------------------------------------------------------ the session

/** What the judge feeds the model. */
export interface NliSessionInfo {
  inputNames: string[];
  outputName: string;
  hasTokenTypeIds: boolean;
  /** Element type of each fed input (int64 unless the model says int32). */
  inputTypes: Record<string, 'int64' | 'int32'>;
}

type SessionLike = Pick<InferenceSession, 'inputNames' | 'outputNames'> & {
  inputMetadata?: InferenceSession['inputMetadata'];
  outputMetadata?: InferenceSession['outputMetadata'];
};

/** Check a loaded session against the folder: input names, output shape. Pure over the session's metadata. */
export function checkSession(session: SessionLike, info: Pick<NliModelInfo, 'onnx' | 'config' | 'labels'>): NliSessionInfo {
  const inputNames = [...session.inputNames];
  const missing = ['input_ids', 'attention_mask'].filter((n) => !inputNames.includes(n));
  if (missing.length) {
    throw new JudgeSetupError(
      `${info.onnx} has no ${missing.join(' and ')} input (its inputs: ${inputNames.join(', ') || 'none'}); ` +
        'a text-classification cross-encoder export takes input_ids and attention_mask (and token_type_ids for BERT-type models).',
    );
  }
  const extra = inputNames.filter((n) => n !== 'input_ids' && n !== 'attention_mask' && n !== 'token_type_ids');
  if (extra.length) throw new JudgeSetupError(`${info.onnx} needs inputs the judge cannot feed: ${extra.join(', ')} (its inputs: ${inputNames.join(', ')}).`);
  const outputName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  if (!outputName) throw new JudgeSetupError(`${info.onnx} has no output.`);
  const inputTypes: Record<string, 'int64' | 'int32'> = {};
  for (const n of inputNames) {
    const md = session.inputMetadata?.find((m) => m.name === n);
    inputTypes[n] = md && md.isTensor && md.type === 'int32' ? 'int32' : 'int64';
  }
  const omd = session.outputMetadata?.find((m) => m.name === outputName);
  if (omd && omd.isTensor && omd.shape.length > 0) {
    const last = omd.shape[omd.shape.length - 1];
    const n = info.labels.names.length;
    if (typeof last === 'number' && last > 0 && last !== n) {
      throw new JudgeSetupError(
        `${info.onnx} outputs ${last} scores per pair (${outputName} [${omd.shape.join(', ')}]) but ${info.config} names ${n} labels in id2label; they must match.`,
      );
    }
  }
  return { inputNames, outputName, hasTokenTypeIds: inputNames.includes('token_type_ids'), inputTypes };
}

/** Load the model into onnxruntime (CPU) and check it; a corrupt file is a JudgeSetupError naming it. */
export async function openNliSession(ort: Ort, info: NliModelInfo): Promise<{ session: InferenceSession; meta: NliSessionInfo }> {
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(info.onnx, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  } catch (e) {
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
    throw new JudgeSetupError(`${info.onnx} is not a valid ONNX model: ${first}`);
  }
  try {
    return { session, meta: checkSession(session, info) };
  } catch (e) {
    await session.release().catch(() => undefined);
    throw e;
  }
}
