// Progress of a running job, read from its console output (the terminal the job runs in, the Slurm
// StdOut file). Pure: no `vscode`, no Node APIs.
//
// What is recognised (only in these contexts, so dates like `12/05/2025`, `1/2 cup`, IP addresses or
// `http://a/b` never count):
// * tqdm bars: `Training:  24%|██▍       | 12/50 [00:31<01:39,  2.61s/it]` (also without description, as the
//   HF Trainer / TRL / ms-swift `Train:` bars print them, `12/50 [00:31<?, ?it/s]`, hours `[1:02:03<3:04:05`),
//   the unknown-total form `Training: 37it [00:05, 7.1it/s]`, and a bare `24%|███` bar (fraction only).
//   The `n/total [elapsed<remaining` (or `n<unit> [elapsed, rate`) context is required.
// * Keras bars `  5/10 [=====>....] - ETA: 1s`.
// * explicit steps: `step 12/50`, `Step: 12 / 50`, `global_step 12/50`, `[step 12/50]`, `step 12 of 50`,
//   `iteration 12/50`, mmengine `Iter(train) [  50/1000]` / `Epoch(train) [1][ 50/500]`; without a total
//   only in fixed forms: verl's console line `step:12 - actor/...`, `global_step=12`, `[step 12]`.
// * ms-swift's logging dicts (`'global_step/max_steps': '12/50'`, `'remaining_time': '1m 39s'`); every other
//   dict line (`{'loss': 0.1, 'epoch': 0.24}`) is ignored.
// * `Epoch 1/3` (also `epoch 1 of 3`): gives { step: 1, total: 3, fraction: null, label: 'epoch' }.
// * ETA: tqdm's `<01:39`, `ETA 0:01:23`, `ETA: 01:23` (two fields are mm:ss), `eta: 5m 3s`, `eta 1h2m`,
//   `eta: 1 day, 2:03:04`. A line with only an ETA updates the ETA of the progress already seen.
//
// Priority. Within one line: tqdm bar > Keras bar > ms-swift dict > step with total > mmengine > percent-only
// bar > step without total > epoch. Across lines the newest wins, except that *secondary* progress (an
// epoch-only line, or a bar of a known helper such as vLLM's `Processed prompts`, `Loading checkpoint
// shards`, datasets' `Map`) only counts while no primary progress (any other step / bar) has been seen: a
// status bar that says `step 120/500` does not flip to `epoch 1/3` or to a per-step generation bar.
//
// Chunking: output arrives in arbitrary chunks; a line ends at `\n` or `\r` (tqdm redraws with `\r`).
// Complete lines are parsed as they arrive; the unfinished tail is parsed too when it ends with `]` (a
// tqdm bar waits for the next redraw's `\r`), without being committed, so the final state never depends on
// where the chunks were split. ANSI CSI / OSC / other ESC sequences and control characters are stripped per
// line (a sequence split across chunks is whole again once its line is).
//
// Speed: only the last MAX_LINE_CHARS characters of a line are read, the unfinished tail is capped at
// 2·MAX_LINE_CHARS, and every regular expression is bounded (no nested or unbounded quantifiers over the
// same characters), so a chunk of any size is parsed in linear time.

import type { JobProgress } from './types';

/** Only this many characters at the end of a line are read. */
export const MAX_LINE_CHARS = 4096;

// ---------------------------------------------------------------------------------------------------------
// ANSI and control characters

// CSI (ESC [ or 0x9b) params, intermediates, final byte; OSC (ESC ]) up to BEL or ST; ESC + intermediates +
// final (charset selection, Fe/Fp/Fs escapes); then a sequence cut at the end of the line; then the remaining
// C0 controls (tab kept) and DEL.
// eslint-disable-next-line no-control-regex
const ANSI_RE = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]*[0-~]|(?:\x1b\[|\x9b)[0-?]*[ -/]*$|\x1b\][^\x07\x1b]*$|\x1b$|[\x00-\x08\x0b-\x1f\x7f]/g;

/** The text without ANSI escape sequences and control characters (tabs kept). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}

// ---------------------------------------------------------------------------------------------------------
// Line patterns (all bounded)

const CLOCK = '\\d{1,6}(?::\\d{2}){1,2}';
const RATE = '(?:\\?|\\d{1,12}(?:\\.\\d{1,6})?[kMGT]?) ?(?:[A-Za-z]{1,16}\\/s|s\\/[A-Za-z]{1,16})';

/** tqdm with a total: `12/50 [00:31<01:39,  2.61s/it`. */
const TQDM_TOTAL_RE = new RegExp(`(?:^|[\\s|:])(\\d{1,12})\\/(\\d{1,12}) \\[(${CLOCK})<(\\?|${CLOCK})(?:, {0,8}(${RATE}))?`);
/** tqdm without a total: `37it [00:05, 7.1it/s`. */
const TQDM_COUNT_RE = new RegExp(`(?:^|[\\s:])(\\d{1,12})([A-Za-z]{1,16}) \\[(${CLOCK}), {0,8}(${RATE})`);
/** tqdm's left part: `24%|`. */
const TQDM_PERCENT_RE = /(?:^|\s)(\d{1,3})%\|/;
/** Keras: `  5/10 [======>.....]`. */
const KERAS_RE = /(?:^|\s)(\d{1,12})\/(\d{1,12}) \[[=>.]{2,200}\]/;
/** ms-swift logging dict. */
const SWIFT_STEPS_RE = /'global_step\/max_steps': '(\d{1,12})\/(\d{1,12})'/;
const SWIFT_REMAINING_RE = /'remaining_time': '([^']{1,40})'/;
/** `step 12/50`, `Step: 12 / 50`, `global_step 12/50`, `[step 12/50]`, `step 12 of 50`, `iteration 3/9`. */
const STEP_TOTAL_RE =
  /\b(?:global[_ ]?)?(?:step|iter(?:ation)?)s?[:=]? {0,3}(\d{1,12})(?: {0,3}\/ {0,3}| {1,3}of {1,3})(\d{1,12})(?![\d/]|\.\d)/i;
/** mmengine: `Iter(train) [  50/1000]`, `Epoch(train)  [1][  50/500]`. */
const MMENGINE_RE = /\b(Epoch|Iter)\((?:train|val|test)\) {0,4}(?:\[ {0,8}(\d{1,9})\])?\[ {0,12}(\d{1,12})\/(\d{1,12})\]/;
/** verl's console logger: `step:12 - actor/pg_loss:...`. */
const VERL_STEP_RE = /(?:^|\s)step:(\d{1,12})(?: - |\s*$)/;
/** `global_step=12`, `global_step: 12`, `global step 12`. */
const GLOBAL_STEP_RE = /\bglobal[_ ]step[:=]? {0,3}(\d{1,12})(?![\d/]|\.\d)/i;
/** `[step 12]`, `[Step: 12]`. */
const BRACKET_STEP_RE = /\[step[:=]? {0,3}(\d{1,12})\]/i;
/** `Epoch 1/3`, `epoch: 1 of 3`. */
const EPOCH_RE = /\bepoch[:=]? {0,3}(\d{1,9})(?: {0,3}\/ {0,3}| {1,3}of {1,3})(\d{1,9})(?![\d/]|\.\d)/i;
/** ETA in words or clock form. */
const ETA_RE =
  /\beta\b[:=]? {0,3}((?:\d{1,5} days?, {0,2})?\d{1,6}:\d{2}(?::\d{2})?|(?:\d{1,6}(?:\.\d{1,3})? ?(?:days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)(?![A-Za-z/]),? ?){1,4})/i;
/** A rate anywhere on a step line: `2.61s/it`, `1.5 it/s`. */
const RATE_RE = /(?:^|[\s,(])(\d{1,12}(?:\.\d{1,6})? ?(?:it\/s|s\/it))(?![A-Za-z])/;

/** Bars of helpers that run inside a training step (secondary progress). */
const SECONDARY_LABEL_RE =
  /^(?:processed prompts|adding requests|loading checkpoint shards|loading safetensors|loading weights|downloading|fetching \d|map\b|filter\b|generating \w+ split|capturing cuda graph|running tokenizer|tokeniz|resolving data files|saving|uploading|compiling)/i;

/** Prefixes that are not part of a bar's description: ray's `(WorkerDict pid=123)`, `[rank0]:`. */
const LABEL_PREFIX_RE = /^(?:\([^()]{0,80}pid=\d{1,10}[^()]{0,60}\) {0,4}|\[rank\d{1,6}\]:? {0,4})/;

// ---------------------------------------------------------------------------------------------------------
// Numbers and times

/** Seconds in a clock `[[d days, ]h:]mm:ss` or `mm:ss`. */
function clockSeconds(text: string): number | null {
  let rest = text.trim();
  let days = 0;
  const d = /^(\d{1,5}) days?, {0,2}/.exec(rest);
  if (d) {
    days = Number(d[1]);
    rest = rest.slice(d[0].length);
  }
  const parts = rest.split(':').map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((n) => !Number.isFinite(n))) return null;
  const [a, b, c] = parts as [number, number, number | undefined];
  const secs = c === undefined ? a * 60 + b : a * 3600 + b * 60 + c;
  return days * 86400 + secs;
}

/** Seconds in `5m 3s`, `1h2m`, `3.5 minutes`, or a clock. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (/\d:\d{2}/.test(t)) return clockSeconds(t);
  const re = /(\d{1,6}(?:\.\d{1,3})?) ?(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)(?![A-Za-z/])/gi;
  let total = 0;
  let any = false;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    const n = Number(m[1]);
    const u = m[2]!.toLowerCase();
    const mult = u.startsWith('d') ? 86400 : u.startsWith('h') ? 3600 : u.startsWith('m') ? 60 : 1;
    total += n * mult;
    any = true;
  }
  return any ? Math.round(total) : null;
}

function etaIn(line: string): number | null {
  const m = ETA_RE.exec(line);
  return m ? parseDuration(m[1]!) : null;
}

function rateIn(line: string): string | null {
  const m = RATE_RE.exec(line);
  return m ? m[1]!.replace(' ', '') : null;
}

function fractionOf(step: number | null, total: number | null): number | null {
  if (step === null || total === null || total <= 0) return null;
  return Math.min(1, Math.max(0, step / total));
}

function progress(step: number | null, total: number | null, over: Partial<JobProgress> = {}): JobProgress {
  return { step, total, fraction: fractionOf(step, total), etaSeconds: null, rate: null, label: null, ...over };
}

/** A bar's description from the text before it: `Training:  ` → `Training`. */
function labelFrom(before: string): string | null {
  let s = before.trim().replace(LABEL_PREFIX_RE, '').trim();
  s = s.replace(/:$/, '').trim();
  if (!s || s.length > 60) return null;
  return s;
}

function cleanRate(rate: string | undefined): string | null {
  if (!rate) return null;
  const r = rate.replace(' ', '');
  return r.startsWith('?') ? null : r;
}

// ---------------------------------------------------------------------------------------------------------
// One line

/**
 * The progress one line of output states, or null. The line may hold ANSI sequences (they are stripped);
 * only its last MAX_LINE_CHARS characters are read. Never throws.
 */
export function parseProgressLine(line: string): JobProgress | null {
  let s = line.length > 2 * MAX_LINE_CHARS ? line.slice(-2 * MAX_LINE_CHARS) : line;
  s = stripAnsi(s);
  if (s.length > MAX_LINE_CHARS) s = s.slice(-MAX_LINE_CHARS);
  s = s.trim();
  if (!s || !/\d/.test(s)) return null;

  // Python / JSON dict lines: only ms-swift's progress keys.
  if (s.startsWith('{')) {
    const sw = SWIFT_STEPS_RE.exec(s);
    if (!sw) return null;
    const rem = SWIFT_REMAINING_RE.exec(s);
    return progress(Number(sw[1]), Number(sw[2]), { etaSeconds: rem ? parseDuration(rem[1]!) : null });
  }

  // tqdm with a total.
  const tq = TQDM_TOTAL_RE.exec(s);
  if (tq) {
    const start = tq.index + (/^[\s|:]/.test(tq[0]) ? 1 : 0);
    let before = s.slice(0, start);
    const pct = TQDM_PERCENT_RE.exec(before);
    if (pct) before = before.slice(0, pct.index);
    else before = before.replace(/\|[^|]{0,400}\|?\s*$/, '');
    return progress(Number(tq[1]), Number(tq[2]), {
      etaSeconds: tq[4] === '?' ? null : clockSeconds(tq[4]!),
      rate: cleanRate(tq[5]),
      label: labelFrom(before),
    });
  }
  // tqdm without a total.
  const tc = TQDM_COUNT_RE.exec(s);
  if (tc) {
    const start = tc.index + (/^[\s:]/.test(tc[0]) ? 1 : 0);
    return progress(Number(tc[1]), null, { rate: cleanRate(tc[4]), label: labelFrom(s.slice(0, start)) });
  }
  // Keras.
  const kr = KERAS_RE.exec(s);
  if (kr) return progress(Number(kr[1]), Number(kr[2]), { etaSeconds: etaIn(s), rate: rateIn(s) });

  const eta = etaIn(s);
  const rate = rateIn(s);
  const ep = EPOCH_RE.exec(s);
  const epochLabel = ep ? `epoch ${ep[1]}/${ep[2]}` : null;

  // Steps with a total.
  const st = STEP_TOTAL_RE.exec(s);
  if (st) return progress(Number(st[1]), Number(st[2]), { etaSeconds: eta, rate, label: epochLabel });
  const mm = MMENGINE_RE.exec(s);
  if (mm) {
    const label = mm[1] === 'Epoch' && mm[2] !== undefined ? `epoch ${mm[2]}` : null;
    return progress(Number(mm[3]), Number(mm[4]), { etaSeconds: eta, rate, label });
  }
  // A bare percentage bar.
  const pb = TQDM_PERCENT_RE.exec(s);
  if (pb) {
    const f = Math.min(100, Number(pb[1])) / 100;
    return { step: null, total: null, fraction: f, etaSeconds: eta, rate, label: labelFrom(s.slice(0, pb.index)) };
  }
  // Steps without a total.
  const vs = VERL_STEP_RE.exec(s) ?? GLOBAL_STEP_RE.exec(s) ?? BRACKET_STEP_RE.exec(s);
  if (vs) return progress(Number(vs[1]), null, { etaSeconds: eta, rate, label: epochLabel });
  // Epoch only.
  if (ep) return { step: Number(ep[1]), total: Number(ep[2]), fraction: null, etaSeconds: eta, rate, label: 'epoch' };
  // ETA only.
  if (eta !== null) return { step: null, total: null, fraction: null, etaSeconds: eta, rate: null, label: null };
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// A stream

type Rank = 'primary' | 'secondary' | 'eta';

function rankOf(p: JobProgress): Rank {
  if (p.step === null && p.fraction === null) return 'eta';
  if (p.label === 'epoch') return 'secondary';
  if (p.label !== null && SECONDARY_LABEL_RE.test(p.label)) return 'secondary';
  return 'primary';
}

/**
 * Progress over a stream of output chunks. `push` returns the newest progress seen in that chunk (null if
 * the chunk said nothing that counts); `latest` is the newest overall.
 */
export class ProgressParser {
  private pending = '';
  private committed: JobProgress | null = null;
  private primarySeen = false;
  /** The progress of the unfinished tail (not committed), or null. */
  private tail: JobProgress | null = null;

  get latest(): JobProgress | null {
    return this.tail ?? this.committed;
  }

  /** Forget everything (a job restarted in the same terminal). */
  reset(): void {
    this.pending = '';
    this.committed = null;
    this.primarySeen = false;
    this.tail = null;
  }

  push(chunk: string): JobProgress | null {
    if (!chunk) return null;
    let newest: JobProgress | null = null;
    const text = this.pending + chunk;
    let end = -1;
    for (let i = text.length - 1; i >= 0; i--) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        end = i;
        break;
      }
    }
    if (end >= 0) {
      let start = 0;
      for (let i = 0; i <= end; i++) {
        const c = text.charCodeAt(i);
        if (c === 10 || c === 13) {
          if (i > start) {
            const accepted = this.commit(parseProgressLine(text.slice(start, i)));
            if (accepted) newest = accepted;
          }
          start = i + 1;
        }
      }
      this.pending = text.slice(end + 1);
    } else {
      this.pending = text;
    }
    if (this.pending.length > 2 * MAX_LINE_CHARS) this.pending = this.pending.slice(-2 * MAX_LINE_CHARS);
    // The unfinished tail: a tqdm redraw ends with `]` and is only followed by the next `\r`.
    const tailText = this.pending.trimEnd();
    this.tail = tailText.endsWith(']') ? this.combine(parseProgressLine(tailText), false) : null;
    if (this.tail) newest = this.tail;
    return newest;
  }

  private commit(p: JobProgress | null): JobProgress | null {
    const next = this.combine(p, true);
    if (next) this.committed = next;
    return next;
  }

  /** The progress after `p` (null: `p` does not count); updates the state only when `commit`. */
  private combine(p: JobProgress | null, commit: boolean): JobProgress | null {
    if (!p) return null;
    const rank = rankOf(p);
    if (rank === 'eta') return this.committed ? { ...this.committed, etaSeconds: p.etaSeconds } : p;
    if (rank === 'secondary') return this.primarySeen ? null : p;
    if (commit) this.primarySeen = true;
    return p;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Display

/** `1:39`, `1:02:03`, `26:00:00` (hours are not folded into days); `?` for a negative or non-finite value. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * A short text for a status bar: `step 12/50 · 24% · ETA 1:39`, `step 37`, `24%`, `epoch 1/3`; the parts
 * that are unknown are left out ('' when nothing is known). The percentage is rounded down.
 */
export function formatProgress(p: JobProgress): string {
  const parts: string[] = [];
  if (p.step !== null) {
    const word = p.label === 'epoch' ? 'epoch' : 'step';
    parts.push(p.total !== null ? `${word} ${p.step}/${p.total}` : `${word} ${p.step}`);
  }
  if (p.fraction !== null && Number.isFinite(p.fraction)) parts.push(`${Math.floor(p.fraction * 100 + 1e-9)}%`);
  if (p.etaSeconds !== null) parts.push(`ETA ${formatEta(p.etaSeconds)}`);
  return parts.join(' · ');
}
