// Which log format a file holds, from its name and first bytes.

import * as fs from 'fs';
import { FORMAT_ID } from './rolloutLensJsonl';
import { parseJsonLenient } from './lineIndex';

export type LogFormat = typeof FORMAT_ID;

/** How many leading bytes `detectFormatOfFile` reads. */
export const DETECT_BYTES = 64 * 1024;

/**
 * 'rollout-lens-jsonl' when the name ends in `.rollouts.jsonl`, or when the first non-empty line is a JSON
 * object with `step` and `completion` keys (a line cut off by the end of `firstBytes` is judged by its keys
 * so far: `step` plus `completion` or `group_id`). Otherwise null.
 */
export function detectFormat(filePath: string, firstBytes: Uint8Array): LogFormat | null {
  if (/\.rollouts\.jsonl$/i.test(filePath)) return FORMAT_ID;
  let text: string;
  try {
    text = Buffer.from(firstBytes.buffer, firstBytes.byteOffset, firstBytes.byteLength).toString('utf8');
  } catch {
    return null;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const complete = nl >= 0;
    const line = text.slice(pos, complete ? nl : text.length).trim();
    pos = complete ? nl + 1 : text.length;
    if (line.length === 0) continue;
    if (!line.startsWith('{')) return null;
    try {
      const v = parseJsonLenient(line).value;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        // a number step and a string completion: ms-swift's column-oriented lines hold lists instead
        if (typeof o.step === 'number' && typeof o.completion === 'string') return FORMAT_ID;
      }
      return null;
    } catch {
      if (complete) return null;
    }
    // cut off: judge by the keys seen so far
    const hasStep = /"step"\s*:\s*-?\d/.test(line);
    return hasStep && /"(completion|group_id)"\s*:/.test(line) ? FORMAT_ID : null;
  }
  return null;
}

/** Reads the first 64 KB of the file and calls `detectFormat`. Null when unreadable. */
export function detectFormatOfFile(filePath: string): LogFormat | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(filePath, 'r');
    const buf = Buffer.alloc(DETECT_BYTES);
    const n = fs.readSync(fd, buf, 0, DETECT_BYTES, 0);
    return detectFormat(filePath, buf.subarray(0, n));
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
