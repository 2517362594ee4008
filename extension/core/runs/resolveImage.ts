// Find a logged image path on this machine. Pure except the `exists` check (fs.existsSync by default).

import * as fs from 'fs';
import * as path from 'path';

export interface ResolveImageOptions {
  /** Folder of the log file: relative paths resolve against it first. */
  logDir: string;
  /** Further folders (workspace folders, run folders) relative paths are tried against, in order. */
  baseDirs?: string[];
  /** Folders in which a missing path is looked for by its trailing path segments. */
  imageRoots?: string[];
  exists?: (p: string) => boolean;
}

export interface ResolvedImage {
  /** Absolute path on this machine, or null when not found. */
  resolved: string | null;
  /** Every candidate checked, in order (for messages). */
  tried: string[];
}

/**
 * Absolute and exists → it. Relative → against the log's folder, then each base dir.
 * Still missing → each image root with the path's trailing segments, longest suffix first:
 * /data/coco/train2017/x.jpg tries ROOT/data/coco/train2017/x.jpg, ROOT/coco/train2017/x.jpg,
 * ROOT/train2017/x.jpg, ROOT/x.jpg (for each root in order).
 */
export function resolveImagePath(logged: string, opts: ResolveImageOptions): ResolvedImage {
  const exists = opts.exists ?? defaultExists;
  const tried: string[] = [];
  const check = (p: string): boolean => {
    if (tried.includes(p)) return false;
    tried.push(p);
    return exists(p);
  };
  if (typeof logged !== 'string' || logged.length === 0) return { resolved: null, tried };
  const p = stripFileUrl(logged);

  if (isAbsoluteAnywhere(p)) {
    if (path.isAbsolute(p)) {
      const abs = path.normalize(p);
      if (check(abs)) return { resolved: abs, tried };
    }
  } else {
    for (const dir of [opts.logDir, ...(opts.baseDirs ?? [])]) {
      const cand = path.resolve(dir, p);
      if (check(cand)) return { resolved: cand, tried };
    }
  }

  const segs = trailingSegments(p);
  for (const root of opts.imageRoots ?? []) {
    for (let k = 0; k < segs.length; k++) {
      const cand = path.resolve(root, ...segs.slice(k));
      if (check(cand)) return { resolved: cand, tried };
    }
  }
  return { resolved: null, tried };
}

/** Path segments usable under an image root: no drive letter, no '.', nothing before the last '..'. */
export function trailingSegments(p: string): string[] {
  const parts = p.split(/[\\/]+/).filter((s) => s.length > 0 && s !== '.' && !/^[A-Za-z]:$/.test(s));
  const lastUp = parts.lastIndexOf('..');
  return lastUp >= 0 ? parts.slice(lastUp + 1) : parts;
}

function isAbsoluteAnywhere(p: string): boolean {
  return p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(p);
}

function stripFileUrl(p: string): string {
  if (!p.startsWith('file://')) return p;
  try {
    return decodeURIComponent(p.slice('file://'.length));
  } catch {
    return p.slice('file://'.length);
  }
}

function defaultExists(p: string): boolean {
  try {
    return fs.existsSync(p);
  } catch {
    return false;
  }
}
