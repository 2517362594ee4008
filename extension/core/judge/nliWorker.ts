// The local NLI judge's worker thread: loads a model folder (nliModel.ts) into onnxruntime-node, then for
// each judge request tokenizes premise/hypothesis pairs (@huggingface/tokenizers, pure JS), cuts long
// reasoning into windows from the end (nli.ts), runs the windows of all items in batches (padded to the
// longest in the batch), and sends back the aggregated probabilities per item. Inference never blocks the
// extension host; a cancel message stops a request between batches.
//
// scripts/build.mjs bundles this file as dist/nliWorker.js (next to dist/extension.js and dist/cli.js);
// tsc emits it as out/extension/core/judge/nliWorker.js. onnxJudge.ts (the host side) starts it.
//
// Messages (host → worker):
//   { type: 'load', modelDir, maxTokens?, batchSize?, stride?, maxWindows?, hash? }
//   { type: 'judge', id, items: [{ premise, hypothesis }] }
//   { type: 'cancel', id }
// (worker → host):
//   { type: 'ready', name, inputNames, labels, maxTokens, hash }   or { type: 'error', kind, message }
//   { type: 'progress', id, done } …   { type: 'result', id, probs, windows, last }   or { type: 'error', id, kind, message }
//   { type: 'cancelled', id }
// probs and last are canonical [entailment, neutral, contradiction] (nli.ts toCanonical): probs the
// aggregate per item, last the window that ends at the answer; windows the number of windows per item.
import { parentPort, workerData } from 'worker_threads';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadOnnxRuntime, OnnxRuntimeUnavailable, type Ort } from './ort';
import { JudgeSetupError } from './types';
import { aggregateWindows, planWindows, softmax, splitLong, splitSentences, splitWords, toCanonical, DEFAULT_MAX_WINDOWS, NLI_WORKER_KIND } from './nli';
import { modelHash, openNliSession, readModelFolder, type NliModelInfo, type NliSessionInfo } from './nliModel';

export const DEFAULT_BATCH_SIZE = 16;

export interface LoadMessage {
  type: 'load';
  modelDir: string;
  maxTokens?: number;
  batchSize?: number;
  stride?: number;
  maxWindows?: number;
  /** The model hash when the host already knows it (modelHash, cached there); else the worker computes it. */
  hash?: string;
}
export interface JudgeMessage {
  type: 'judge';
  id: number;
  items: Array<{ premise: string; hypothesis: string }>;
}
export interface CancelMessage {
  type: 'cancel';
  id: number;
}
export type ToNliWorker = LoadMessage | JudgeMessage | CancelMessage;

/** setup: the model folder is unusable; runtime: onnxruntime-node is missing; internal: anything else. */
export type NliErrorKind = 'setup' | 'runtime' | 'internal';
export type FromNliWorker =
  | { type: 'ready'; name: string; inputNames: string[]; labels: string[]; maxTokens: number; hash: string }
  | { type: 'progress'; id: number; done: number }
  | { type: 'result'; id: number; probs: number[][]; windows: number[]; last: number[][] }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id?: number; kind: NliErrorKind; message: string };

interface Loaded {
  info: NliModelInfo;
  meta: NliSessionInfo;
  session: InferenceSession;
  ort: Ort;
  tokenizer: TokenizerLike;
  batchSize: number;
  stride: number | undefined;
  maxWindows: number;
  /** Special tokens added to a pair. */
  special: number;
}

interface Encoding {
  ids: number[];
  attention_mask: number[];
  token_type_ids?: number[];
}
interface TokenizerLike {
  encode(text: string, opts?: { text_pair?: string | null; add_special_tokens?: boolean; return_token_type_ids?: boolean }): Encoding;
}

/** One window to run: its item, its index from the end, and the encoded pair. */
interface Row {
  item: number;
  window: number;
  enc: Encoding;
}

function errorKind(e: unknown): NliErrorKind {
  if (e instanceof JudgeSetupError) return 'setup';
  if (e instanceof OnnxRuntimeUnavailable) return 'runtime';
  return 'internal';
}
function messageOf(e: unknown): string {
  if (e instanceof JudgeSetupError || e instanceof OnnxRuntimeUnavailable) return e.message;
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

function loadTokenizer(info: NliModelInfo): TokenizerLike {
  let mod: { Tokenizer: new (json: object, config: object) => TokenizerLike };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('@huggingface/tokenizers');
  } catch (e) {
    throw new JudgeSetupError(`The tokenizer library (@huggingface/tokenizers) cannot be loaded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  let tok: TokenizerLike;
  try {
    tok = new mod.Tokenizer(info.tokenizerJson, info.tokenizerConfigJson ?? {});
    tok.encode('a', { text_pair: 'b' });
  } catch (e) {
    throw new JudgeSetupError(`${info.tokenizer} cannot be used: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  return tok;
}

export class NliRunner {
  private loaded: Loaded | null = null;
  private readonly cancelled = new Set<number>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly post: (m: FromNliWorker) => void) {}

  async load(m: LoadMessage): Promise<void> {
    try {
      const info = readModelFolder(m.modelDir, { maxTokens: m.maxTokens });
      const tokenizer = loadTokenizer(info);
      const ort = loadOnnxRuntime();
      const { session, meta } = await openNliSession(ort, info);
      const count = (t: string): number => tokenizer.encode(t, { add_special_tokens: false }).ids.length;
      const special = Math.max(0, tokenizer.encode('a', { text_pair: 'b' }).ids.length - count('a') - count('b'));
      const hash = m.hash ?? (await modelHash(info));
      this.loaded = {
        info,
        meta,
        session,
        ort,
        tokenizer,
        batchSize: Math.max(1, Math.floor(m.batchSize ?? DEFAULT_BATCH_SIZE)),
        stride: m.stride,
        maxWindows: m.maxWindows ?? DEFAULT_MAX_WINDOWS,
        special,
      };
      this.post({ type: 'ready', name: info.name, inputNames: meta.inputNames, labels: info.labels.names, maxTokens: info.maxTokens, hash });
    } catch (e) {
      this.post({ type: 'error', kind: errorKind(e), message: messageOf(e) });
    }
  }

  handle(m: ToNliWorker): void {
    if (m.type === 'load') this.queue = this.queue.then(() => this.load(m));
    else if (m.type === 'cancel') this.cancelled.add(m.id);
    else if (m.type === 'judge') this.queue = this.queue.then(() => this.judge(m));
  }

  /** The encoded windows of one pair, index 0 = the window that ends at the answer. */
  private windowsOf(premise: string, hypothesis: string): Encoding[] {
    const L = this.loaded!;
    const tok = L.tokenizer;
    const maxLen = L.info.maxTokens;
    const count = (t: string): number => tok.encode(t, { add_special_tokens: false }).ids.length;
    // a hypothesis longer than half a window is cut at words
    let hyp = hypothesis;
    if (count(hyp) > maxLen / 2) {
      const words = splitWords(hyp);
      while (words.length > 1 && count(words.join(' ')) > maxLen / 2) words.splice(Math.max(1, Math.floor(words.length * 0.9)));
      hyp = words.join(' ');
    }
    const budget = Math.max(1, maxLen - count(hyp) - L.special);
    const pieces: string[] = [];
    const counts: number[] = [];
    for (const s of splitSentences(premise)) {
      const n = count(s);
      if (n <= budget) {
        pieces.push(s);
        counts.push(n);
        continue;
      }
      const words = splitWords(s);
      for (const [a, b] of splitLong(words.map(count), budget)) {
        const text = words.slice(a, b).join(' ');
        pieces.push(text);
        counts.push(count(text));
      }
    }
    const spans = pieces.length ? planWindows(counts, budget, { stride: L.stride, maxWindows: L.maxWindows }) : [{ start: 0, end: 0, tokens: 0 }];
    return spans.map((sp) => {
      let text = pieces.slice(sp.start, sp.end).join(' ');
      let enc = this.encodePair(text, hyp);
      // joined pieces can tokenize a little longer than their sum: drop words from the window's start
      while (enc.ids.length > maxLen) {
        const words = splitWords(text);
        if (words.length <= 1) {
          enc = this.truncate(enc, maxLen);
          break;
        }
        text = words.slice(Math.min(words.length - 1, Math.max(1, enc.ids.length - maxLen))).join(' ');
        enc = this.encodePair(text, hyp);
      }
      return enc;
    });
  }

  private encodePair(premise: string, hypothesis: string): Encoding {
    return this.loaded!.tokenizer.encode(premise, { text_pair: hypothesis, return_token_type_ids: this.loaded!.meta.hasTokenTypeIds });
  }

  /** Last resort for a single word longer than the window: keep the first maxLen − 1 tokens and the final one. */
  private truncate(enc: Encoding, maxLen: number): Encoding {
    const cut = <T>(a: T[] | undefined): T[] | undefined => (a ? [...a.slice(0, maxLen - 1), a[a.length - 1]!] : a);
    return { ids: cut(enc.ids)!, attention_mask: cut(enc.attention_mask)!, token_type_ids: cut(enc.token_type_ids) };
  }

  private async runBatch(rows: Row[]): Promise<number[][]> {
    const L = this.loaded!;
    const B = rows.length;
    const S = Math.max(1, ...rows.map((r) => r.enc.ids.length));
    const feeds: Record<string, Tensor> = {};
    const make = (name: string, pick: (e: Encoding) => number[] | undefined): void => {
      const type = L.meta.inputTypes[name] ?? 'int64';
      const data = type === 'int32' ? new Int32Array(B * S) : new BigInt64Array(B * S);
      rows.forEach((r, b) => {
        const v = pick(r.enc) ?? [];
        for (let k = 0; k < v.length && k < S; k++) {
          if (data instanceof Int32Array) data[b * S + k] = v[k]!;
          else data[b * S + k] = BigInt(v[k]!);
        }
      });
      feeds[name] = new L.ort.Tensor(type, data, [B, S]);
    };
    make('input_ids', (e) => e.ids);
    make('attention_mask', (e) => e.attention_mask);
    if (L.meta.hasTokenTypeIds) make('token_type_ids', (e) => e.token_type_ids);
    const out = await L.session.run(feeds);
    const logits = out[L.meta.outputName];
    if (!logits) throw new Error(`the model gave no ${L.meta.outputName} output`);
    const n = L.info.labels.names.length;
    const dims = logits.dims;
    if (dims.length !== 2 || dims[0] !== B || dims[1] !== n) {
      throw new JudgeSetupError(`${L.info.onnx} gave ${L.meta.outputName} of shape [${dims.join(', ')}] for ${B} pairs; expected [${B}, ${n}] (${n} labels in ${L.info.config}).`);
    }
    const data = logits.data as Float32Array;
    const res: number[][] = [];
    for (let b = 0; b < B; b++) res.push(toCanonical(softmax(data.subarray(b * n, (b + 1) * n)), L.info.labels));
    return res;
  }

  async judge(m: JudgeMessage): Promise<void> {
    const { id, items } = m;
    try {
      if (!this.loaded) throw new Error('no model loaded');
      const L = this.loaded;
      const perItem: number[][][] = items.map(() => []);
      const remaining: number[] = items.map(() => 0);
      let done = 0;
      let next = 0; // next item to tokenize
      let pending: Row[] = [];
      let completeUpTo = 0;
      const flush = async (rows: Row[]): Promise<void> => {
        const probs = await this.runBatch(rows);
        rows.forEach((r, k) => {
          perItem[r.item]![r.window] = probs[k]!;
          remaining[r.item]!--;
        });
        // items are tokenized in order, so the finished ones are a prefix
        while (completeUpTo < next && remaining[completeUpTo] === 0) completeUpTo++;
        if (completeUpTo > done) {
          done = completeUpTo;
          this.post({ type: 'progress', id, done });
        }
      };
      while (next < items.length || pending.length > 0) {
        if (this.cancelled.has(id)) {
          this.cancelled.delete(id);
          this.post({ type: 'cancelled', id });
          return;
        }
        while (pending.length < L.batchSize && next < items.length) {
          const it = items[next]!;
          const encs = this.windowsOf(it.premise, it.hypothesis);
          remaining[next] = encs.length;
          encs.forEach((enc, w) => pending.push({ item: next, window: w, enc }));
          next++;
        }
        const batch = pending.slice(0, L.batchSize);
        pending = pending.slice(L.batchSize);
        await flush(batch);
      }
      this.cancelled.delete(id);
      this.post({
        type: 'result',
        id,
        probs: perItem.map((w) => aggregateWindows(w)),
        windows: perItem.map((w) => w.length),
        last: perItem.map((w) => w[0] ?? [0, 1, 0]),
      });
    } catch (e) {
      this.cancelled.delete(id);
      this.post({ type: 'error', id, kind: errorKind(e), message: messageOf(e) });
    }
  }
}

if (parentPort && (workerData as { kind?: unknown } | null)?.kind === NLI_WORKER_KIND) {
  const port = parentPort;
  const runner = new NliRunner((msg) => port.postMessage(msg));
  port.on('message', (msg: ToNliWorker) => runner.handle(msg));
}
