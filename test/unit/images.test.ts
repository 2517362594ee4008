import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { readImageInfo, readImageInfoFromFile } from '../../extension/core/images';
import { FIXTURES, makeJpeg, makePng, tempDir } from './helpers';

describe('image headers', () => {
  it('reads PNG size from IHDR', () => {
    assert.deepEqual(readImageInfo(makePng(37, 21)), { format: 'png', width: 37, height: 21, orientation: 1 });
  });

  it('reads JPEG size from SOF and EXIF orientation in both byte orders', () => {
    assert.deepEqual(readImageInfo(makeJpeg(400, 300, 6, 'II')), { format: 'jpeg', width: 400, height: 300, orientation: 6 });
    assert.deepEqual(readImageInfo(makeJpeg(1024, 768, 8, 'MM')), { format: 'jpeg', width: 1024, height: 768, orientation: 8 });
  });

  it('defaults JPEG orientation to 1 without EXIF', () => {
    assert.equal(readImageInfo(makeJpeg(10, 20, null)).orientation, 1);
  });

  it('skips fill bytes between JPEG segments', () => {
    const j = makeJpeg(64, 32, 3);
    const padded = Buffer.concat([j.subarray(0, 2), Buffer.from([0xff, 0xff]), j.subarray(2)]);
    assert.deepEqual(readImageInfo(padded), { format: 'jpeg', width: 64, height: 32, orientation: 3 });
  });

  it('reads GIF and the three WebP variants', () => {
    const gif = Buffer.from('GIF89a\x05\x01\x03\x00', 'latin1');
    assert.deepEqual(readImageInfo(gif), { format: 'gif', width: 261, height: 3, orientation: 1 });
    const riff = (chunk: string, body: number[]): Buffer =>
      Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBP' + chunk + '\0\0\0\0', 'latin1'), Buffer.from(body), Buffer.alloc(16)]);
    // VP8X: flags(4) then 24-bit width-1 and height-1
    assert.deepEqual(readImageInfo(riff('VP8X', [0, 0, 0, 0, 0x7f, 0x02, 0x00, 0xdf, 0x01, 0x00])), { format: 'webp', width: 640, height: 480, orientation: 1 });
    // VP8L: signature 0x2f then 14-bit width-1, 14-bit height-1
    const bits = (100 - 1) | ((50 - 1) << 14);
    assert.deepEqual(readImageInfo(riff('VP8L', [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, (bits >>> 24) & 0xff])), {
      format: 'webp', width: 100, height: 50, orientation: 1,
    });
    // VP8: frame tag(3) start code 9d 01 2a, then 14-bit width, height
    assert.deepEqual(readImageInfo(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, 0x20, 0x03, 0x58, 0x02])), { format: 'webp', width: 800, height: 600, orientation: 1 });
  });

  it('returns unknown for garbage and empty input', () => {
    assert.deepEqual(readImageInfo(new Uint8Array()), { format: 'unknown', width: null, height: null, orientation: 1 });
    assert.equal(readImageInfo(Buffer.from('hello world')).format, 'unknown');
  });

  it('property: never throws on random bytes or on any prefix or corruption of a valid JPEG/PNG', () => {
    const jpeg = makeJpeg(300, 200, 6, 'MM');
    const png = makePng(3, 2);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => void readImageInfo(b)), { numRuns: 2000 });
    fc.assert(
      fc.property(fc.constantFrom(jpeg, png), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (img, cut, at, byte) => {
        const prefix = img.subarray(0, cut % (img.length + 1));
        readImageInfo(prefix);
        const bad = Buffer.from(img);
        bad[at % bad.length] = byte;
        const info = readImageInfo(bad);
        assert.ok(info.orientation >= 1 && info.orientation <= 8);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the stored fixture files and returns null for a missing file', () => {
    assert.deepEqual(readImageInfoFromFile(path.join(FIXTURES, 'rollout-lens', 'images', 'scene-0001.png')), {
      format: 'png', width: 640, height: 480, orientation: 1,
    });
    assert.equal(readImageInfoFromFile(path.join(FIXTURES, 'rollout-lens', 'images', 'photo-rot6.jpg'))?.orientation, 6);
    assert.equal(readImageInfoFromFile(path.join(FIXTURES, 'no-such-file.png')), null);
  });

  it('reads only the header of a big file', () => {
    const dir = tempDir();
    const f = path.join(dir, 'big.jpg');
    fs.writeFileSync(f, Buffer.concat([makeJpeg(5000, 4000, 6, 'II'), Buffer.alloc(3 * 1024 * 1024, 0xab)]));
    assert.deepEqual(readImageInfoFromFile(f), { format: 'jpeg', width: 5000, height: 4000, orientation: 6 });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
