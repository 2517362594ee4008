import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import {
  ClipImageError,
  ClipScorer,
  CLIP_IMAGE_MEAN,
  CLIP_IMAGE_STD,
  DEFAULT_CLIP_PREPROCESS,
  cosineSimilarity,
  decodeImage,
  preprocessClipImage,
  readClipPreprocess,
  resizeRgbRegion,
  type ClipPreprocess,
  type RgbImage,
} from '../../extension/core/judge/clip';
import { writeTinyClipModel } from '../../extension/core/judge/tinyClip';
import { JudgeSetupError } from '../../extension/core/judge/types';

type Rgb = readonly [number, number, number];

/** numpy's float32 (u · (1/255) − mean) / std, the value CLIPImageProcessor gives a channel byte `u`. */
const norm = (u: number, c: number): number => {
  const f = Math.fround;
  return f(f(f(u * (1 / 255)) - f(CLIP_IMAGE_MEAN[c]!)) / f(CLIP_IMAGE_STD[c]!));
};

describe('judge: CLIP image–text similarity', function () {
  this.timeout(20000);
  let tmp: string;
  let modelDir: string;
  let scorer: ClipScorer;
  const img: Record<string, string> = {};

  const writePng = (name: string, w: number, h: number, px: (x: number, y: number) => readonly [number, number, number, number], colorType?: 0 | 2 | 4 | 6): string => {
    const png = new PNG({ width: w, height: h });
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const [r, g, b, a] = px(x, y);
        png.data.set([r, g, b, a], (y * w + x) * 4);
      }
    const file = path.join(tmp, name);
    fs.writeFileSync(file, colorType === undefined ? PNG.sync.write(png) : PNG.sync.write(png, { colorType }));
    return file;
  };
  const solidPng = (name: string, [r, g, b]: Rgb, alpha = 255): string => writePng(name, 64, 48, () => [r, g, b, alpha]);
  const solidJpeg = (name: string, [r, g, b]: Rgb): string => {
    const data = Buffer.alloc(40 * 56 * 4);
    for (let i = 0; i < 40 * 56; i++) data.set([r, g, b, 255], i * 4);
    const file = path.join(tmp, name);
    fs.writeFileSync(file, jpeg.encode({ width: 40, height: 56, data }, 90).data);
    return file;
  };
  /** A fresh copy of the tiny model, for folders a test breaks. */
  const freshModel = (name: string, opts: Parameters<typeof writeTinyClipModel>[1] = {}): string => {
    const d = path.join(tmp, name);
    writeTinyClipModel(d, opts);
    return d;
  };
  const setupError = async (dir: string, ...parts: Array<string | RegExp>): Promise<void> => {
    await assert.rejects(ClipScorer.open(dir), (e: unknown) => {
      assert.ok(e instanceof JudgeSetupError, `expected JudgeSetupError, got ${String(e)}`);
      for (const p of parts) assert.match(e.message, typeof p === 'string' ? new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : p);
      return true;
    });
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rollout-lens-clip-'));
    modelDir = freshModel('tiny-clip');
    img.red = solidPng('red.png', [230, 20, 20]);
    img.blue = solidPng('blue.png', [10, 20, 240]);
    img.green = solidPng('green.png', [20, 200, 30]);
    scorer = await ClipScorer.open(modelDir);
  });

  after(async () => {
    await scorer?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the tiny model stays small and opens with a stable name, dimension and hash', async () => {
    const bytes = fs.readdirSync(modelDir).reduce((s, f) => s + fs.statSync(path.join(modelDir, f)).size, 0);
    assert.ok(bytes < 100_000, String(bytes));
    assert.equal(scorer.dim, 4);
    assert.equal(scorer.files.layout, 'flat');
    assert.equal(scorer.maxTextLength, 77);
    assert.match(scorer.name, /^tiny-clip \(CLIP onnx, 4-d, 224 px\)$/);
    assert.match(scorer.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(scorer.notes, []);
    // same bytes elsewhere → same hash; a changed tokenizer → another hash
    const twin = await ClipScorer.open(freshModel('twin'));
    assert.equal(twin.hash, scorer.hash);
    await twin.dispose();
    const other = freshModel('other-tokenizer');
    const tj = JSON.parse(fs.readFileSync(path.join(other, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
    tj.model.vocab.zebra = Object.keys(tj.model.vocab).length;
    fs.writeFileSync(path.join(other, 'tokenizer.json'), JSON.stringify(tj));
    const o = await ClipScorer.open(other);
    assert.notEqual(o.hash, scorer.hash);
    await o.dispose();
  });

  it('scores a red image higher with "a red circle" than with "a blue square", and the reverse for blue', async () => {
    const redRed = await scorer.score(img.red!, 'a red circle');
    const redBlue = await scorer.score(img.red!, 'a blue square');
    const blueBlue = await scorer.score(img.blue!, 'A BLUE square.');
    const blueRed = await scorer.score(img.blue!, 'a red circle');
    assert.ok(redRed > 0.95 && redRed <= 1 + 1e-12, String(redRed));
    assert.ok(redRed > redBlue, `${redRed} vs ${redBlue}`);
    assert.ok(blueBlue > blueRed, `${blueBlue} vs ${blueRed}`);
    assert.ok(redBlue < 0, String(redBlue));
    assert.ok((await scorer.score(img.green!, 'green circles')) > (await scorer.score(img.green!, 'purple circles')));
  });

  it('reads JPEG by its magic bytes, whatever the extension', async () => {
    const j = solidJpeg('red.jpg', [225, 25, 30]);
    const red = await scorer.score(j, 'a red circle');
    assert.ok(red > 0.95, String(red));
    assert.ok(red > (await scorer.score(j, 'a blue square')));
    const misnamed = path.join(tmp, 'really-a-jpeg.png');
    fs.copyFileSync(j, misnamed);
    assert.equal(await scorer.score(misnamed, 'a red circle'), red);
  });

  it('converts grayscale to three channels and drops alpha (as PIL convert("RGB") does)', async () => {
    const white = writePng('white-gray.png', 30, 20, () => [250, 250, 250, 255], 0);
    const black = writePng('black-gray.png', 30, 20, () => [5, 5, 5, 255], 0);
    assert.equal(decodeImage(fs.readFileSync(white), white).width, 30);
    assert.ok((await scorer.score(white, 'a white square')) > (await scorer.score(white, 'a black square')));
    assert.ok((await scorer.score(black, 'a black square')) > (await scorer.score(black, 'a white square')));
    // fully transparent red pixels still count as red: alpha is dropped, not composited over white
    const clearRed = solidPng('clear-red.png', [230, 20, 20], 0);
    assert.equal(await scorer.score(clearRed, 'a red circle'), await scorer.score(img.red!, 'a red circle'));
  });

  it('preprocesses a 2×2 image by hand: no resize, no crop, rescale and normalise into CHW', () => {
    const p = readClipPreprocess({ size: 2, crop_size: 2 });
    assert.deepEqual(p.resize, { shortestEdge: 2 });
    assert.deepEqual(p.crop, { height: 2, width: 2 });
    const px: Rgb[] = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [128, 128, 128],
    ];
    const im: RgbImage = { width: 2, height: 2, channels: 3, data: Uint8Array.from(px.flat()) };
    const out = preprocessClipImage(im, p);
    assert.equal(out.length, 12);
    // channel 0 (red) plane, row-major: 255, 0, 0, 128 → (u/255 − 0.48145466)/0.26862954
    assert.deepEqual(Array.from(out.subarray(0, 4)), [norm(255, 0), norm(0, 0), norm(0, 0), norm(128, 0)]);
    assert.ok(Math.abs(out[0]! - (1 - 0.48145466) / 0.26862954) < 1e-6);
    assert.ok(Math.abs(out[1]! - -0.48145466 / 0.26862954) < 1e-6);
    assert.deepEqual(Array.from(out.subarray(4, 8)), [norm(0, 1), norm(255, 1), norm(0, 1), norm(128, 1)]);
    assert.deepEqual(Array.from(out.subarray(8, 12)), [norm(0, 2), norm(0, 2), norm(255, 2), norm(128, 2)]);
  });

  it('centre-crops a wide image as transformers does (left = ⌊(w − cw)/2⌋)', () => {
    // 4×2, shortest edge already 2 → no resize; crop 2×2 keeps columns 1 and 2
    const im: RgbImage = { width: 4, height: 2, channels: 4, data: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7].flatMap((v) => [v * 10, 0, 0, 255])) };
    const out = preprocessClipImage(im, readClipPreprocess({ size: { shortest_edge: 2 }, crop_size: { height: 2, width: 2 } }));
    assert.deepEqual(Array.from(out.subarray(0, 4)), [10, 20, 50, 60].map((u) => norm(u, 0)));
    // a crop larger than the image pads with zeros (black before normalisation)
    const pad = preprocessClipImage({ width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 255, 255]) }, readClipPreprocess({ size: 1, crop_size: 3 }));
    assert.deepEqual(Array.from(pad.subarray(0, 9)), [0, 0, 0, 0, 255, 0, 0, 0, 0].map((u) => norm(u, 0)));
  });

  it('resizes with Pillow\'s antialiased bicubic (hand-checked weights and a Pillow reference)', () => {
    // 4×4: left half white, right half black → 2×2. Bicubic (a = −0.5) at scale 2 reads taps at distances
    // 0.25, 0.25, 0.75, 1.25 (·½): weights 0.8671875, 0.8671875, 0.2265625, −0.0703125 (sum 1.890625), so the
    // left pixel is 255 · 1.734375 / 1.890625 = 233.9 → 234 and the right one 255 · 0.15625 / 1.890625 → 21.
    const half: RgbImage = { width: 4, height: 4, channels: 3, data: Uint8Array.from({ length: 48 }, (_, i) => ((i / 3) % 4 < 2 ? 255 : 0)) };
    assert.deepEqual(Array.from(resizeRgbRegion(half, 2, 2, 'bicubic')), [234, 234, 234, 21, 21, 21, 234, 234, 234, 21, 21, 21]);
    const out = preprocessClipImage(half, readClipPreprocess({ size: 2, crop_size: 2 }));
    assert.ok(Math.abs(out[0]! - (234 / 255 - 0.48145466) / 0.26862954) < 1e-6, String(out[0]));
    assert.ok(Math.abs(out[1]! - (21 / 255 - 0.48145466) / 0.26862954) < 1e-6, String(out[1]));
    // 7×5 pattern → 4×3, Image.resize((4, 3), resample=BICUBIC / BILINEAR) with Pillow 12.3
    const pattern: RgbImage = { width: 7, height: 5, channels: 3, data: new Uint8Array(105) };
    for (let y = 0; y < 5; y++) for (let x = 0; x < 7; x++) for (let c = 0; c < 3; c++) pattern.data[(y * 7 + x) * 3 + c] = ((x * 37 + y * 11 + c * 71) * (c + 3)) % 256;
    const pilBicubic = [66, 113, 192, 182, 123, 108, 142, 99, 178, 119, 100, 83, 114, 95, 144, 121, 102, 154, 165, 134, 90, 177, 145, 146, 167, 139, 99, 144, 167, 124, 109, 130, 114, 138, 97, 139];
    const pilBilinear = [72, 112, 185, 173, 119, 115, 142, 105, 169, 122, 102, 89, 115, 96, 142, 122, 107, 149, 164, 133, 99, 171, 141, 141, 164, 141, 107, 144, 165, 119, 113, 126, 116, 137, 99, 139];
    assert.deepEqual(Array.from(resizeRgbRegion(pattern, 4, 3, 'bicubic')), pilBicubic);
    assert.deepEqual(Array.from(resizeRgbRegion(pattern, 4, 3, 'bilinear')), pilBilinear);
    // only the crop region is computed, with the same values
    assert.deepEqual(Array.from(resizeRgbRegion(pattern, 4, 3, 'bicubic', { x0: 1, x1: 3, y0: 1, y1: 3 })), [...pilBicubic.slice(15, 21), ...pilBicubic.slice(27, 33)]);
  });

  it('reads preprocessor_config.json forms and refuses what it cannot do', () => {
    assert.deepEqual(readClipPreprocess({}), DEFAULT_CLIP_PREPROCESS);
    const p: ClipPreprocess = readClipPreprocess({ size: { height: 32, width: 48 }, crop_size: 16, resample: 2, image_mean: 0.5, image_std: [1, 2, 4], rescale_factor: 0.5 });
    assert.deepEqual(p, { resize: { height: 32, width: 48 }, crop: { height: 16, width: 16 }, resample: 'bilinear', rescale: 0.5, mean: [0.5, 0.5, 0.5], std: [1, 2, 4] });
    assert.deepEqual(readClipPreprocess({ do_resize: false, do_center_crop: false, do_normalize: false }), { ...DEFAULT_CLIP_PREPROCESS, resize: null, crop: null, mean: null, std: null });
    assert.throws(() => readClipPreprocess({ size: { longest_edge: 5 } }, 'cfg.json'), (e: unknown) => e instanceof JudgeSetupError && /cfg\.json: unsupported size/.test(e.message));
    assert.throws(() => readClipPreprocess({ image_std: [0, 1, 1] }), JudgeSetupError);
    assert.throws(() => readClipPreprocess([]), JudgeSetupError);
  });

  it('scoreMany answers null (with a reason) for unusable images and still scores the rest', async () => {
    const notImage = path.join(tmp, 'notes.png');
    fs.writeFileSync(notImage, 'hello');
    const gif = path.join(tmp, 'anim.gif');
    fs.writeFileSync(gif, Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'));
    const truncated = path.join(tmp, 'truncated.png');
    fs.writeFileSync(truncated, fs.readFileSync(img.red!).subarray(0, 60));
    const missing = path.join(tmp, 'missing.png');
    const files = [img.red!, missing, img.blue!, notImage, gif, truncated, img.red!, tmp];
    const scores = await scorer.scoreMany(files, 'a red circle');
    assert.equal(scores.length, files.length);
    assert.equal(scores[0], await scorer.score(img.red!, 'a red circle'));
    assert.equal(scores[6], scores[0]);
    assert.ok(scores[2]! < scores[0]!);
    assert.deepEqual([1, 3, 4, 5, 7].map((i) => scores[i]), [null, null, null, null, null]);
    const detailed = await scorer.scoreManyDetailed(files, 'a red circle');
    assert.match(detailed[1]!.reason!, /missing\.png: image file not found/);
    assert.match(detailed[3]!.reason!, /notes\.png: not a PNG or JPEG/);
    assert.match(detailed[4]!.reason!, /anim\.gif: GIF images are not supported/);
    assert.match(detailed[5]!.reason!, /truncated\.png: cannot decode PNG/);
    assert.match(detailed[7]!.reason!, /not a file/);
    await assert.rejects(scorer.score(missing, 'a red circle'), ClipImageError);
    assert.deepEqual(await scorer.scoreMany([], 'a red circle'), []);
  });

  it('refuses images above 50 megapixels from their header, before decoding', async () => {
    const png = fs.readFileSync(img.red!);
    png.writeUInt32BE(10_000, 16); // IHDR width
    png.writeUInt32BE(6_000, 20); // IHDR height
    const huge = path.join(tmp, 'huge.png');
    fs.writeFileSync(huge, png);
    const [r] = await scorer.scoreManyDetailed([huge], 'a red circle');
    assert.equal(r!.score, null);
    assert.match(r!.reason!, /huge\.png: 10000×6000 is 60\.0 megapixels, above the 50 MP limit/);
  });

  it('caches embeddings by content within the instance', async () => {
    const s = await ClipScorer.open(modelDir);
    try {
      const copy = path.join(tmp, 'red-copy.png');
      fs.copyFileSync(img.red!, copy);
      const a = await s.scoreMany([img.red!, copy, img.red!], 'a red circle');
      assert.equal(a[0], a[1]);
      assert.deepEqual(s.cacheSize, { text: 1, image: 1 });
      await s.score(img.blue!, 'a red circle');
      await s.score(img.blue!, 'a blue square');
      assert.deepEqual(s.cacheSize, { text: 2, image: 2 });
    } finally {
      await s.dispose();
    }
    await assert.rejects(s.score(img.red!, 'x'), /after dispose/);
  });

  it('truncates long texts keeping the end token, and pads short ones', async () => {
    const long = `a red circle ${'and a red star '.repeat(60)}`;
    // tiny vocab: [PAD] 0, <|startoftext|> 2, <|endoftext|> 3
    const t = scorer.tokenize(long);
    assert.equal(t.ids.length, 77);
    assert.deepEqual([t.ids[0], t.ids[76]], [2, 3]);
    assert.ok(t.mask.every((m) => m === 1));
    const short = scorer.tokenize('A red circle');
    assert.deepEqual(short.ids.slice(0, 6), [2, short.ids[1], short.ids[2], short.ids[3], 3, 0]);
    assert.deepEqual([short.ids.length, short.mask.reduce((a, b) => a + b, 0)], [77, 5]);
    assert.deepEqual(short.ids.slice(5), new Array(72).fill(0));
    const s = await scorer.score(img.red!, long);
    assert.ok(s > 0.9, String(s));
    // the tiny model embeds special tokens to 0: an empty text has no direction → 0, not NaN
    assert.equal(await scorer.score(img.red!, ''), 0);
  });

  it('opens the onnx/ subfolder layout, without tokenizer_config.json, and a text encoder without attention_mask', async () => {
    const sub = freshModel('subfolder', { layout: 'onnx-subfolder', tokenizerConfig: false });
    assert.ok(fs.existsSync(path.join(sub, 'onnx', 'vision_model.onnx')));
    const s = await ClipScorer.open(sub);
    assert.equal(s.files.layout, 'onnx-subfolder');
    assert.equal(s.maxTextLength, 77);
    assert.equal(await s.score(img.red!, 'a red circle'), await scorer.score(img.red!, 'a red circle'));
    await s.dispose();
    const idsOnly = await ClipScorer.open(freshModel('ids-only', { textInputs: ['input_ids'] }));
    assert.equal(await idsOnly.score(img.red!, 'a red circle'), await scorer.score(img.red!, 'a red circle'));
    await idsOnly.dispose();
  });

  it('gives clear setup errors for unusable folders', async () => {
    await setupError(path.join(tmp, 'no-such-folder'), 'CLIP model folder not found', 'no-such-folder');
    await setupError(img.red!, 'is not a folder');
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    await setupError(empty, 'neither vision_model.onnx nor text_model.onnx', 'onnx/ subfolder');

    const noText = freshModel('no-text');
    fs.rmSync(path.join(noText, 'text_model.onnx'));
    await setupError(noText, 'text_model.onnx is missing', 'text encoder');
    const noVisionSub = freshModel('no-vision-sub', { layout: 'onnx-subfolder' });
    fs.rmSync(path.join(noVisionSub, 'onnx', 'vision_model.onnx'));
    await setupError(noVisionSub, 'vision_model.onnx is missing', path.join(noVisionSub, 'onnx'));

    const corrupt = freshModel('corrupt');
    fs.writeFileSync(path.join(corrupt, 'vision_model.onnx'), Buffer.from('this is not a protobuf at all \x00\xff\x13', 'latin1'));
    await setupError(corrupt, 'vision_model.onnx (the image encoder) cannot be loaded by onnxruntime');

    await setupError(freshModel('bad-text-input', { textInputs: ['ids', 'attention_mask'] }), 'text_model.onnx has no input named input_ids', 'ids, attention_mask');
    await setupError(freshModel('bad-image-input', { imageInput: 'images' }), 'vision_model.onnx has no input named pixel_values', 'images');
    await setupError(freshModel('extra-text-input', { textInputs: ['input_ids', 'token_type_ids'] }), 'cannot feed: token_type_ids');

    const noTok = freshModel('no-tokenizer');
    fs.rmSync(path.join(noTok, 'tokenizer.json'));
    await setupError(noTok, 'tokenizer.json is missing');
    const badTok = freshModel('bad-tokenizer');
    fs.writeFileSync(path.join(badTok, 'tokenizer.json'), '{ not json');
    await setupError(badTok, 'tokenizer.json is not valid JSON');

    await setupError(freshModel('dims', { textDim: 5 }), "embeddings differ in size (vision_model.onnx: 4, text_model.onnx: 5)");

    const size = freshModel('size-mismatch', { imageSize: 32 });
    fs.writeFileSync(path.join(size, 'preprocessor_config.json'), JSON.stringify({ size: 224, crop_size: 224 }));
    await setupError(size, 'takes 32×32 images but preprocessor_config.json produces 224×224');
    const badCfg = freshModel('bad-config');
    fs.writeFileSync(path.join(badCfg, 'preprocessor_config.json'), JSON.stringify({ crop_size: 'big' }));
    await setupError(badCfg, 'preprocessor_config.json: unsupported crop_size "big"');
  });

  it('computes cosine similarity in float64', () => {
    assert.equal(cosineSimilarity([1, 0], [1, 0]), 1);
    assert.equal(cosineSimilarity([1, 0], [0, 3]), 0);
    assert.ok(Math.abs(cosineSimilarity([1, 2, 3], [-2, -4, -6]) + 1) < 1e-15);
    assert.equal(cosineSimilarity([0, 0], [1, 1]), 0);
    assert.throws(() => cosineSimilarity([1], [1, 2]), RangeError);
  });
});
