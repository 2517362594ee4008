// Minimal PNG decoder for test screenshots (8-bit RGB/RGBA, non-interlaced, all five filter types).
import { inflateSync } from 'zlib';

export const PNG = {
  decode(buf: Buffer): { width: number; height: number; channels: number; data: Uint8Array } {
    if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
    let off = 8;
    let width = 0, height = 0, channels = 0;
    const idat: Buffer[] = [];
    while (off < buf.length) {
      const len = buf.readUInt32BE(off);
      const type = buf.toString('ascii', off + 4, off + 8);
      const body = buf.subarray(off + 8, off + 8 + len);
      if (type === 'IHDR') {
        width = body.readUInt32BE(0); height = body.readUInt32BE(4);
        if (body[8] !== 8 || body[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
        channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
        if (!channels) throw new Error(`colour type ${body[9]} not supported`);
      } else if (type === 'IDAT') idat.push(body);
      off += 12 + len;
    }
    const raw = inflateSync(Buffer.concat(idat));
    const stride = width * channels;
    const data = new Uint8Array(height * stride);
    for (let y = 0; y < height; y++) {
      const f = raw[y * (stride + 1)]!;
      for (let x = 0; x < stride; x++) {
        const v = raw[y * (stride + 1) + 1 + x]!;
        const a = x >= channels ? data[y * stride + x - channels]! : 0;
        const b = y > 0 ? data[(y - 1) * stride + x]! : 0;
        const c = x >= channels && y > 0 ? data[(y - 1) * stride + x - channels]! : 0;
        let p = 0;
        if (f === 1) p = a; else if (f === 2) p = b; else if (f === 3) p = (a + b) >> 1;
        else if (f === 4) { const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c); p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
        data[y * stride + x] = (v + p) & 0xff;
      }
    }
    return { width, height, channels, data };
  },
  firstPixel(buf: Buffer): [number, number, number] {
    const img = PNG.decode(buf);
    return [img.data[0]!, img.data[1]!, img.data[2]!];
  },
};
