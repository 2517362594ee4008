// Links to one completion of a log: `<scheme>://rollout-lens.rollout-lens/open?path=…&group=N&completion=M`.
// Pure (no `vscode`): the query is built and checked here, the path resolved against workspace folders with
// injectable file-system calls; features/deepLink.ts is the VS Code side (URI handler, clipboard command).
//
// A link comes from outside (a chat message, a web page), so parsing is strict: the path must be relative,
// without `..`, `.` or empty segments, backslashes, drive letters, control characters or `%` once decoded;
// the numbers must be plain non-negative integers; lengths are capped. VS Code percent-decodes a URI's
// query before an extension sees it, so the parser accepts the query decoded once or not at all: a path
// holding `%` or `&` could not tell the two apart, and such paths get no link.

import * as fs from 'fs';
import * as path from 'path';

export interface SampleLink {
  /** Workspace-folder-relative path with `/` separators. */
  path: string;
  group: number;
  completion: number;
}

export const LINK_PATH = '/open';
export const MAX_QUERY_LENGTH = 4096;
export const MAX_PATH_LENGTH = 1024;
export const MAX_SEGMENT_LENGTH = 255;
/** Largest group / completion index a link may carry. */
export const MAX_INDEX = 999_999_999;
const MAX_PARAMS = 16;

/** Why `p` cannot be in a link, or null when it can. */
export function checkLinkPath(p: unknown): string | null {
  if (typeof p !== 'string') return 'path is missing';
  if (p.length === 0) return 'path is empty';
  if (p.length > MAX_PATH_LENGTH) return `path is longer than ${MAX_PATH_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'path holds control characters';
  if (p.includes('\\')) return 'path holds a backslash';
  if (p.includes('%') || p.includes('&')) return 'path holds "%" or "&"';
  if (p.startsWith('/') || p.startsWith('~')) return 'path is not relative';
  if (/^[A-Za-z]:/.test(p)) return 'path is not relative (drive letter)';
  for (const seg of p.split('/')) {
    if (seg === '') return 'path has an empty segment';
    if (seg === '.' || seg === '..') return `path has a "${seg}" segment`;
    if (seg.length > MAX_SEGMENT_LENGTH) return `a path segment is longer than ${MAX_SEGMENT_LENGTH} characters`;
  }
  return null;
}

function checkIndex(n: unknown, name: string): string | null {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_INDEX) return `${name} must be an integer from 0 to ${MAX_INDEX}`;
  return null;
}

/** `path=…&group=N&completion=M` (throws on values a link cannot carry: see checkLinkPath). */
export function buildSampleLinkQuery(link: SampleLink): string {
  const err = checkLinkPath(link.path) ?? checkIndex(link.group, 'group') ?? checkIndex(link.completion, 'completion');
  if (err) throw new Error(`cannot link to this sample: ${err}`);
  return `path=${encodeURIComponent(link.path)}&group=${link.group}&completion=${link.completion}`;
}

function parseIndex(raw: string | undefined, name: string, fallback?: number): number | { error: string } {
  if (raw === undefined) return fallback ?? { error: `${name} is missing` };
  if (!/^(0|[1-9][0-9]{0,8})$/.test(raw)) return { error: `${name} must be an integer from 0 to ${MAX_INDEX}` };
  return Number(raw);
}

/**
 * The link a query names, or why it names none. `group` and `path` are required, `completion` defaults to 0;
 * unknown parameters are ignored, repeated ones refused.
 */
export function parseSampleLinkQuery(query: string): SampleLink | { error: string } {
  if (typeof query !== 'string') return { error: 'no query' };
  const q = query.startsWith('?') ? query.slice(1) : query;
  if (q.length === 0) return { error: 'the link has no parameters' };
  if (q.length > MAX_QUERY_LENGTH) return { error: `the link is longer than ${MAX_QUERY_LENGTH} characters` };
  const parts = q.split('&');
  if (parts.length > MAX_PARAMS) return { error: 'the link has too many parameters' };
  const params = new Map<string, string>();
  for (const part of parts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const raw = eq < 0 ? '' : part.slice(eq + 1);
    if (key !== 'path' && key !== 'group' && key !== 'completion') continue;
    if (params.has(key)) return { error: `"${key}" is given more than once` };
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return { error: `"${key}" is not properly encoded` };
    }
    params.set(key, value);
  }
  const p = params.get('path');
  const pathErr = checkLinkPath(p);
  if (pathErr) return { error: pathErr };
  const group = parseIndex(params.get('group'), 'group');
  if (typeof group !== 'number') return group;
  const completion = parseIndex(params.get('completion'), 'completion', 0);
  if (typeof completion !== 'number') return completion;
  return { path: p!, group, completion };
}

/** Is `p` equal to or inside one of `roots` (all absolute, already resolved)? */
export function isInside(p: string, roots: readonly string[], pathApi: typeof path = path): boolean {
  return roots.some((r) => {
    const rel = pathApi.relative(r, p);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${pathApi.sep}`) && !pathApi.isAbsolute(rel));
  });
}

export interface FsApi {
  realpath(p: string): string;
  exists(p: string): boolean;
}
export const nodeFs: FsApi = {
  realpath: (p) => fs.realpathSync(p),
  exists: (p) => fs.existsSync(p),
};

/**
 * The file a link path names: tried against each workspace folder in turn; refused when it (or a symlink on
 * the way) leads outside every workspace folder. Returns the path under the folder it was found in.
 */
export function resolveLinkPath(rel: string, folders: readonly string[], fsApi: FsApi = nodeFs): { file: string } | { error: string } {
  const err = checkLinkPath(rel);
  if (err) return { error: err };
  if (folders.length === 0) return { error: 'no folder is open' };
  const realRoots: string[] = [];
  for (const f of folders) {
    try {
      realRoots.push(fsApi.realpath(f));
    } catch {
      /* a folder that does not exist holds nothing */
    }
  }
  let outside = false;
  for (const folder of folders) {
    const candidate = path.resolve(folder, ...rel.split('/'));
    if (!isInside(candidate, [path.resolve(folder)])) {
      outside = true;
      continue;
    }
    if (!fsApi.exists(candidate)) continue;
    let real: string;
    try {
      real = fsApi.realpath(candidate);
    } catch {
      continue;
    }
    if (!isInside(real, realRoots)) {
      outside = true;
      continue;
    }
    return { file: candidate };
  }
  return { error: outside ? `${rel} is outside the workspace` : `${rel} was not found in the workspace` };
}

/** Does `file` exist and lie, symlinks resolved, inside one of `folders`? */
export function existsInside(file: string, folders: readonly string[], fsApi: FsApi = nodeFs): boolean {
  if (!path.isAbsolute(file) || !fsApi.exists(file)) return false;
  try {
    const real = fsApi.realpath(file);
    const roots: string[] = [];
    for (const f of folders) {
      try {
        roots.push(fsApi.realpath(f));
      } catch {
        /* skip */
      }
    }
    return isInside(real, roots);
  } catch {
    return false;
  }
}

/**
 * The workspace-relative path of an absolute file for a link (the folder it is in, following symlinks of
 * the folders themselves), or null when it is outside every folder or cannot be linked.
 */
export function linkPathFor(file: string, folders: readonly string[], fsApi: FsApi = nodeFs): string | null {
  const abs = path.resolve(file);
  let realFile: string | null = null;
  try {
    realFile = fsApi.realpath(abs);
  } catch {
    realFile = null;
  }
  for (const folder of folders) {
    const f = path.resolve(folder);
    let rel: string | null = null;
    if (isInside(abs, [f])) rel = path.relative(f, abs);
    else if (realFile !== null) {
      try {
        const rf = fsApi.realpath(f);
        if (isInside(realFile, [rf])) rel = path.relative(rf, realFile);
      } catch {
        /* skip */
      }
    }
    if (rel === null || rel === '') continue;
    const linkPath = rel.split(path.sep).join('/');
    if (checkLinkPath(linkPath) !== null) return null;
    // the link must lead back to this very file (not outside the workspace, not to a namesake in another folder)
    const back = resolveLinkPath(linkPath, folders, fsApi);
    if (!('file' in back)) return null;
    try {
      return realFile !== null && fsApi.realpath(back.file) === realFile ? linkPath : null;
    } catch {
      return null;
    }
  }
  return null;
}
