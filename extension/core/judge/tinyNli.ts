// Tiny NLI cross-encoders with the real signatures of exported Hugging Face models (model.onnx with
// input_ids / attention_mask / token_type_ids int64 [batch, sequence] → logits float [batch, 3], a
// WordPiece tokenizer.json, config.json with id2label, tokenizer_config.json), written by hand for the
// tests, the demo workspace and the benchmark. A few tens of kB; no download.
//
// The BERT-like model (with token_type_ids) is a bag-of-words NLI model, so that its verdicts mean
// something on the demo's counting and colour questions: every content word of the vocabulary has a
// dimension (plural and singular, "3" and "three" share one; special tokens, punctuation, stop and
// reasoning words like "the", "answer", "is", "so", "there", "are" have none, nor has [UNK]). Per pair:
//   P = Σ one-hot over premise tokens (token type 0), H = Σ one-hot over hypothesis tokens (type 1),
//   overlap O = Σ min(P, 1)·H, missing numbers MN and missing other words MO = the rest of H,
//   PN = 1 when the premise mentions any number;
//   logits (contradiction, entailment, neutral) = (k·MN·PN, k·(O − MN − MO), c + k·MO/2 + k·MN·(1 − PN)).
// So "… so there are 3 red circles." / "The answer is 3." → entailment; "… so there are 4 red circles." /
// "The answer is 3." → contradiction (the premise counts something else); "I see red circles." / "The
// answer is 3." → neutral. id2label is deliberately {0: contradiction, 1: entailment, 2: neutral}.
//
// The RoBERTa-like variant (no token_type_ids input; model_type "roberta") only exercises that input
// path: keyword logits (no/not/wrong/but → contradiction, so/therefore/thus → entailment, else neutral).
// Pure but for writing the files.
import * as fs from 'fs';
import * as path from 'path';
import { DT, model, node, tensor, valueInfo } from './onnxBytes';

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'] as const;
const PUNCT = ['.', ',', ';', ':', '!', '?', '(', ')', '[', ']', '{', '}', '"', "'", '-', '=', '+', '/', '<', '>'];
const STOP = (
  'the a an answer answers is are was were be been am so there therefore thus hence then first next now also let me i we you it its ' +
  'this that these those of in on at to and or with by for from as which what how many much question asks asked image picture photo ' +
  'shows shown show see seen look looking looks can could has have had do does did each all total number count counting counted ' +
  'find found altogether more less than plus minus equals makes gives get gives final think step after before other another only just ' +
  'some any both here not no but wrong however if because since'
).split(' ');
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty'];
/** Content words; a group shares one dimension (singular and plural). */
const CONTENT: readonly (readonly string[])[] = [
  ['red'], ['green'], ['blue'], ['yellow'], ['purple'], ['orange'], ['black'], ['white'], ['gray', 'grey'], ['brown'], ['pink'],
  ['circle', 'circles'], ['square', 'squares'], ['triangle', 'triangles'], ['rectangle', 'rectangles'], ['star', 'stars'],
  ['cube', 'cubes'], ['sphere', 'spheres'], ['cylinder', 'cylinders'], ['object', 'objects'], ['shape', 'shapes'],
  ['box', 'boxes'], ['dot', 'dots'], ['ball', 'balls'], ['cat', 'cats'], ['dog', 'dogs'], ['car', 'cars'], ['person', 'people'],
  ['small'], ['large', 'big'], ['left'], ['right'], ['top'], ['bottom'], ['middle', 'center'], ['yes'], ['true'], ['false'],
];

/** The tiny models' vocabulary, by token id (tokenizer.json's WordPiece vocab). */
export const TINY_NLI_VOCAB: readonly string[] = (() => {
  const v: string[] = [...SPECIAL, ...PUNCT, ...STOP.filter((w, i, a) => a.indexOf(w) === i)];
  for (let n = 0; n <= 20; n++) v.push(String(n), NUMBER_WORDS[n]!);
  for (const g of CONTENT) v.push(...g);
  return v;
})();

/** The tiny models' config.json id2label (deliberately not in the usual order). */
export const TINY_NLI_ID2LABEL: Readonly<Record<string, string>> = { '0': 'contradiction', '1': 'entailment', '2': 'neutral' };

/** Dimension of each token (−1: none), and which dimensions are numbers. */
function dims(): { dimOf: number[]; count: number; isNumber: number[] } {
  const dimOf = TINY_NLI_VOCAB.map(() => -1);
  const isNumber: number[] = [];
  const id = (w: string): number => TINY_NLI_VOCAB.indexOf(w);
  for (let n = 0; n <= 20; n++) {
    dimOf[id(String(n))] = isNumber.length;
    dimOf[id(NUMBER_WORDS[n]!)] = isNumber.length;
    isNumber.push(1);
  }
  for (const g of CONTENT) {
    for (const w of g) dimOf[id(w)] = isNumber.length;
    isNumber.push(0);
  }
  return { dimOf, count: isNumber.length, isNumber };
}

const K = 4;
const C = 1;

function bagOfWordsModel(names: readonly string[]): Uint8Array {
  const [ids, mask, types] = names as [string, string, string];
  const { dimOf, count: D, isNumber } = dims();
  const V = TINY_NLI_VOCAB.length;
  const w = new Float32Array(V * D);
  dimOf.forEach((d, v) => {
    if (d >= 0) w[v * D + d] = 1;
  });
  // rows: O, MN, MO, MN·PN → columns: contradiction, entailment, neutral
  const m = [0, K, 0, 0, -K, K, 0, -K, K / 2, K, 0, -K];
  return model({
    name: 'tiny-nli',
    nodes: [
      node('Gather', ['W', ids], ['E']),
      node('Cast', [mask], ['mf'], [{ name: 'to', i: DT.FLOAT }]),
      node('Cast', [types], ['tf'], [{ name: 'to', i: DT.FLOAT }]),
      node('Mul', ['mf', 'tf'], ['hw']),
      node('Sub', ['mf', 'hw'], ['pw']),
      node('Unsqueeze', ['hw', 'ax2'], ['hw3']),
      node('Unsqueeze', ['pw', 'ax2'], ['pw3']),
      node('Mul', ['E', 'pw3'], ['Ep']),
      node('Mul', ['E', 'hw3'], ['Eh']),
      node('ReduceSum', ['Ep', 'ax1'], ['P'], [{ name: 'keepdims', i: 0 }]),
      node('ReduceSum', ['Eh', 'ax1'], ['H'], [{ name: 'keepdims', i: 0 }]),
      node('Min', ['P', 'one'], ['Pc']),
      node('Mul', ['Pc', 'H'], ['PH']),
      node('Sub', ['H', 'PH'], ['Mv']),
      node('ReduceSum', ['PH', 'ax1'], ['O'], [{ name: 'keepdims', i: 1 }]),
      node('Mul', ['Mv', 'num'], ['Mvn']),
      node('Mul', ['Mv', 'oth'], ['Mvo']),
      node('ReduceSum', ['Mvn', 'ax1'], ['MN'], [{ name: 'keepdims', i: 1 }]),
      node('ReduceSum', ['Mvo', 'ax1'], ['MO'], [{ name: 'keepdims', i: 1 }]),
      node('Mul', ['P', 'num'], ['Pn']),
      node('ReduceSum', ['Pn', 'ax1'], ['Pns'], [{ name: 'keepdims', i: 1 }]),
      node('Min', ['Pns', 'one'], ['PN']),
      node('Mul', ['MN', 'PN'], ['MNPN']),
      node('Concat', ['O', 'MN', 'MO', 'MNPN'], ['F'], [{ name: 'axis', i: 1 }]),
      node('MatMul', ['F', 'M'], ['L0']),
      node('Add', ['L0', 'bias'], ['logits']),
    ],
    initializers: [
      tensor('W', DT.FLOAT, [V, D], w),
      tensor('ax1', DT.INT64, [1], [1]),
      tensor('ax2', DT.INT64, [1], [2]),
      tensor('one', DT.FLOAT, [], [1]),
      tensor('num', DT.FLOAT, [D], isNumber),
      tensor('oth', DT.FLOAT, [D], isNumber.map((x) => 1 - x)),
      tensor('M', DT.FLOAT, [4, 3], m),
      tensor('bias', DT.FLOAT, [3], [0, 0, C]),
    ],
    inputs: [ids, mask, types].map((n) => valueInfo(n, DT.INT64, ['batch', 'sequence'])),
    outputs: [valueInfo('logits', DT.FLOAT, ['batch', 3])],
  });
}

function keywordModel(names: readonly string[]): Uint8Array {
  const [ids, mask] = names as [string, string];
  const V = TINY_NLI_VOCAB.length;
  const w = new Float32Array(V * 3);
  const id = (t: string): number => TINY_NLI_VOCAB.indexOf(t);
  for (const t of ['no', 'not', 'wrong', 'but', 'however']) w[id(t) * 3 + 0] = 2;
  for (const t of ['so', 'therefore', 'thus', 'hence']) w[id(t) * 3 + 1] = 2;
  return model({
    name: 'tiny-nli-keywords',
    nodes: [
      node('Gather', ['W', ids], ['E']),
      node('Cast', [mask], ['mf'], [{ name: 'to', i: DT.FLOAT }]),
      node('Unsqueeze', ['mf', 'ax2'], ['mf3']),
      node('Mul', ['E', 'mf3'], ['Em']),
      node('ReduceSum', ['Em', 'ax1'], ['S'], [{ name: 'keepdims', i: 0 }]),
      node('Add', ['S', 'bias'], ['logits']),
    ],
    initializers: [tensor('W', DT.FLOAT, [V, 3], w), tensor('ax1', DT.INT64, [1], [1]), tensor('ax2', DT.INT64, [1], [2]), tensor('bias', DT.FLOAT, [3], [0, 0, 1])],
    inputs: [ids, mask].map((n) => valueInfo(n, DT.INT64, ['batch', 'sequence'])),
    outputs: [valueInfo('logits', DT.FLOAT, ['batch', 3])],
  });
}

function tokenizerJson(): object {
  const special = (id: number, content: string): object => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const vocab: Record<string, number> = {};
  TINY_NLI_VOCAB.forEach((t, i) => (vocab[t] = i));
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((t, i) => special(i, t)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [cls, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [cls, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

export interface TinyNliOptions {
  /** With a token_type_ids input (BERT-like, the bag-of-words model; default) or without (RoBERTa-like, keyword model). */
  tokenTypeIds?: boolean;
  /** The model's input names, in order ids, mask(, types): to make a model the judge must refuse. */
  inputNames?: string[];
  /** Keys to set in config.json (a value of `null` removes the key), e.g. `{ id2label: null }`. */
  config?: Record<string, unknown>;
  /** config.json max_position_embeddings (default 128 for BERT, 130 for RoBERTa-like, i.e. 128 usable). */
  maxPositions?: number;
}

/** The bytes of a tiny model.onnx (see the header). */
export function tinyNliModelBytes(opts: Pick<TinyNliOptions, 'tokenTypeIds' | 'inputNames'> = {}): Uint8Array {
  const withTypes = opts.tokenTypeIds ?? true;
  const names = opts.inputNames ?? (withTypes ? ['input_ids', 'attention_mask', 'token_type_ids'] : ['input_ids', 'attention_mask']);
  return withTypes ? bagOfWordsModel(names) : keywordModel(names);
}

/**
 * Write a tiny NLI model folder: model.onnx, tokenizer.json, config.json, tokenizer_config.json (the
 * folder is created). Returns the folder.
 */
export function writeTinyNliModel(dir: string, opts: TinyNliOptions = {}): string {
  const withTypes = opts.tokenTypeIds ?? true;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), tinyNliModelBytes(opts));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
  const config: Record<string, unknown> = {
    architectures: [withTypes ? 'BertForSequenceClassification' : 'RobertaForSequenceClassification'],
    model_type: withTypes ? 'bert' : 'roberta',
    max_position_embeddings: opts.maxPositions ?? (withTypes ? 128 : 130),
    type_vocab_size: withTypes ? 2 : 1,
    vocab_size: TINY_NLI_VOCAB.length,
    id2label: { ...TINY_NLI_ID2LABEL },
    label2id: Object.fromEntries(Object.entries(TINY_NLI_ID2LABEL).map(([k, v]) => [v, Number(k)])),
  };
  for (const [k, v] of Object.entries(opts.config ?? {})) {
    if (v === null) delete config[k];
    else config[k] = v;
  }
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: 128,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
  };
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');
  return dir;
}
