// A tiny CLIP pair with the real signatures of a Transformers.js CLIP export, for the tests, the demo and the
// benchmark (a few KB, written by hand with onnxBytes):
//   text_model.onnx    input_ids, attention_mask int64 [batch, sequence] → text_embeds float [batch, D]
//   vision_model.onnx  pixel_values float [batch, 3, S, S]                → image_embeds float [batch, D]
// plus tokenizer.json (WordPiece, lower-cased, <|startoftext|> … <|endoftext|>), tokenizer_config.json and
// preprocessor_config.json (CLIP's mean/std, shortest edge S, centre crop S).
//
// The similarity means something, in a D = 4 space: dims 0–2 are colour (red, green, blue, each centred at
// 0.5), dim 3 is "a shape". The image embedding is the image's mean colour — ReduceMean over H and W of the
// normalised pixels, un-normalised in the graph (× std + mean), minus 0.5 — plus 0.3 on dim 3. The text
// embedding is the attention-masked sum of its token embeddings: "red" → (0.5, −0.5, −0.5, 0),
// "circle" → (0, 0, 0, 0.3), fillers ("a", "photo", …) and special tokens → 0. So a red image scores ≈ 1
// with "a red circle" and < 0 with "a blue square". Pure: writes files only.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DT, model, node, tensor, valueInfo } from './onnxBytes';

export const TINY_CLIP_DIM = 4;

/** Colour words and their RGB in [0, 1]. */
export const TINY_CLIP_COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  red: [1, 0, 0],
  green: [0, 1, 0],
  blue: [0, 0, 1],
  yellow: [1, 1, 0],
  purple: [0.5, 0, 0.5],
  orange: [1, 0.65, 0],
  pink: [1, 0.75, 0.8],
  white: [1, 1, 1],
  black: [0, 0, 0],
  gray: [0.5, 0.5, 0.5],
  grey: [0.5, 0.5, 0.5],
};
const SHAPES = ['circle', 'square', 'triangle', 'star', 'ball', 'box', 'dot', 'disk', 'rectangle', 'shape'];
const FILLERS = ['a', 'an', 'the', 'of', 'photo', 'picture', 'image', 'drawing', 'with', 'and', 'on', 'in', 'background', 'big', 'small', 'bright', 'dark', 'light', '##s', ',', '.'];
const SPECIALS = ['[PAD]', '[UNK]', '<|startoftext|>', '<|endoftext|>'];
const SHAPE_WEIGHT = 0.3;
const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

export interface TinyClipOptions {
  /** `flat`: the encoders in `dir`; `onnx-subfolder`: in `dir/onnx/` (tokenizer and configs stay in `dir`). Default flat. */
  layout?: 'flat' | 'onnx-subfolder';
  /** Text encoder input names: the first takes the ids, the second (if any) the attention mask. Default ['input_ids', 'attention_mask']. */
  textInputs?: string[];
  /** Vision encoder input name. Default 'pixel_values'. */
  imageInput?: string;
  /** Image side S (pixel_values [batch, 3, S, S], crop and shortest edge). Default 224. */
  imageSize?: number;
  /** Text embedding size; more than TINY_CLIP_DIM pads with zeros (to test the dimension check). Default TINY_CLIP_DIM. */
  textDim?: number;
  /** Write tokenizer_config.json (model_max_length 77, pad token). Default true. */
  tokenizerConfig?: boolean;
  /** Write preprocessor_config.json. Default true. */
  preprocessorConfig?: boolean;
}

export interface TinyClipFiles {
  dir: string;
  vision: string;
  text: string;
  tokenizer: string;
}

export function tinyClipVocab(): string[] {
  return [...SPECIALS, ...FILLERS, ...Object.keys(TINY_CLIP_COLOURS), ...SHAPES];
}

function tokenEmbedding(tok: string): number[] {
  const c = TINY_CLIP_COLOURS[tok];
  if (c) return [c[0] - 0.5, c[1] - 0.5, c[2] - 0.5, 0];
  if (SHAPES.includes(tok)) return [0, 0, 0, SHAPE_WEIGHT];
  return [0, 0, 0, 0];
}

export function tinyClipTextModel(inputs: readonly string[] = ['input_ids', 'attention_mask'], textDim = TINY_CLIP_DIM): Uint8Array {
  const vocab = tinyClipVocab();
  const D = Math.max(TINY_CLIP_DIM, textDim);
  const table = vocab.flatMap((t) => [...tokenEmbedding(t), ...new Array<number>(D - TINY_CLIP_DIM).fill(0)]);
  const [ids, mask] = inputs;
  if (!ids) throw new RangeError('tinyClipTextModel: at least one input name');
  const nodes = [node('Gather', ['E', ids], ['tok'], [{ name: 'axis', i: 0 }])];
  let summed = 'tok';
  if (mask) {
    nodes.push(node('Cast', [mask], ['maskf'], [{ name: 'to', i: DT.FLOAT }]));
    nodes.push(node('Unsqueeze', ['maskf', 'last_axis'], ['mask3']));
    nodes.push(node('Mul', ['tok', 'mask3'], ['masked']));
    summed = 'masked';
  }
  nodes.push(node('ReduceSum', [summed, 'seq_axis'], ['text_embeds'], [{ name: 'keepdims', i: 0 }]));
  return model({
    name: 'tiny_clip_text',
    nodes,
    initializers: [tensor('E', DT.FLOAT, [vocab.length, D], table), tensor('last_axis', DT.INT64, [1], [-1]), tensor('seq_axis', DT.INT64, [1], [1])],
    inputs: inputs.map((n) => valueInfo(n, DT.INT64, ['batch', 'sequence'])),
    outputs: [valueInfo('text_embeds', DT.FLOAT, ['batch', D])],
  });
}

export function tinyClipVisionModel(input = 'pixel_values', size = 224): Uint8Array {
  const W = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]; // [3, D]: colour → dims 0..2
  return model({
    name: 'tiny_clip_vision',
    nodes: [
      node('ReduceMean', [input], ['mean_px'], [
        { name: 'axes', ints: [2, 3] },
        { name: 'keepdims', i: 0 },
      ]),
      // undo the normalisation: x · std + mean is the mean colour in [0, 1]
      node('Mul', ['mean_px', 'std'], ['scaled']),
      node('Add', ['scaled', 'mean'], ['colour']),
      node('Sub', ['colour', 'half'], ['centred']),
      node('MatMul', ['centred', 'W'], ['proj']),
      node('Add', ['proj', 'bias'], ['image_embeds']),
    ],
    initializers: [
      tensor('std', DT.FLOAT, [3], CLIP_STD),
      tensor('mean', DT.FLOAT, [3], CLIP_MEAN),
      tensor('half', DT.FLOAT, [1], [0.5]),
      tensor('W', DT.FLOAT, [3, TINY_CLIP_DIM], W),
      tensor('bias', DT.FLOAT, [TINY_CLIP_DIM], [0, 0, 0, SHAPE_WEIGHT]),
    ],
    inputs: [valueInfo(input, DT.FLOAT, ['batch', 3, size, size])],
    outputs: [valueInfo('image_embeds', DT.FLOAT, ['batch', TINY_CLIP_DIM])],
  });
}

/** tokenizer.json of the tiny pair: WordPiece, BERT-style lower-casing and splitting, <|startoftext|> $A <|endoftext|>. */
export function tinyClipTokenizerJson(): object {
  const vocab = Object.fromEntries(tinyClipVocab().map((w, i) => [w, i]));
  const special = (content: string): object => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const sot = { SpecialToken: { id: '<|startoftext|>', type_id: 0 } };
  const eot = (type_id: number): object => ({ SpecialToken: { id: '<|endoftext|>', type_id } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [sot, { Sequence: { id: 'A', type_id: 0 } }, eot(0)],
      pair: [sot, { Sequence: { id: 'A', type_id: 0 } }, eot(0), { Sequence: { id: 'B', type_id: 1 } }, eot(1)],
      special_tokens: Object.fromEntries(['<|startoftext|>', '<|endoftext|>'].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

export function tinyClipPreprocessorConfig(size = 224): object {
  return {
    image_processor_type: 'CLIPImageProcessor',
    do_resize: true,
    size: { shortest_edge: size },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: size, width: size },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: CLIP_MEAN,
    image_std: CLIP_STD,
    do_convert_rgb: true,
  };
}

/** Write the tiny CLIP pair into `dir` (created if needed). */
export function writeTinyClipModel(dir: string, opts: TinyClipOptions = {}): TinyClipFiles {
  const size = opts.imageSize ?? 224;
  const encDir = opts.layout === 'onnx-subfolder' ? path.join(dir, 'onnx') : dir;
  fs.mkdirSync(encDir, { recursive: true });
  const files: TinyClipFiles = {
    dir,
    vision: path.join(encDir, 'vision_model.onnx'),
    text: path.join(encDir, 'text_model.onnx'),
    tokenizer: path.join(dir, 'tokenizer.json'),
  };
  fs.writeFileSync(files.vision, tinyClipVisionModel(opts.imageInput ?? 'pixel_values', size));
  fs.writeFileSync(files.text, tinyClipTextModel(opts.textInputs ?? ['input_ids', 'attention_mask'], opts.textDim ?? TINY_CLIP_DIM));
  fs.writeFileSync(files.tokenizer, JSON.stringify(tinyClipTokenizerJson()));
  if (opts.tokenizerConfig !== false)
    fs.writeFileSync(
      path.join(dir, 'tokenizer_config.json'),
      JSON.stringify({
        tokenizer_class: 'PreTrainedTokenizerFast',
        model_max_length: 77,
        bos_token: '<|startoftext|>',
        eos_token: '<|endoftext|>',
        pad_token: '[PAD]',
        unk_token: '[UNK]',
        do_lower_case: true,
      }),
    );
  if (opts.preprocessorConfig !== false) fs.writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify(tinyClipPreprocessorConfig(size), null, 2));
  return files;
}
