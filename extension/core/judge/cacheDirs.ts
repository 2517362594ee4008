// Where the command line keeps judge caches by default (the extension also reads it, so that a run judged
// with `rollout-lens judge` opens judged): $XDG_CACHE_HOME/rollout-lens/verdicts, else ~/.cache/rollout-lens/verdicts.
import * as os from 'os';
import * as path from 'path';

export function defaultCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'rollout-lens', 'verdicts');
}
