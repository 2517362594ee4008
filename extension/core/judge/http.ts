// The HTTP judge: an OpenAI-compatible chat-completions client (a local vLLM or llama.cpp server, or a hosted
// API) that asks a language model whether a completion's reasoning supports its final answer. Rate limited
// (requests spaced by requestsPerMinute, shared by all concurrent requests of an engine), a cap on requests in
// flight, retries with exponential backoff and jitter on 429 / 5xx / network errors (429 and 503 honour
// Retry-After), fast failure with a plain message on 400/401/403/404, and cancel through an AbortSignal.
// The API key is only ever put in the Authorization header: never logged, never in an error message.
// Pure: no `vscode`. No caching here: `judgeAll` caches by this engine's `id`.
import { sha256Hex } from './items';
import { JudgeCancelled, JudgeSetupError, type JudgeEngine, type JudgeItem, type JudgeProgress, type Verdict, type VerdictLabel } from './types';

export const DEFAULT_JUDGE_PROMPT = `You are checking a model's answer against its own reasoning. Decide whether the reasoning supports the final answer. Do not judge whether the answer is correct; judge only whether the reasoning leads to it.

Question:
{question}

Reasoning:
{reasoning}

Final answer:
{answer}

Labels:
- "supported": the reasoning arrives at this final answer.
- "contradicted": the reasoning arrives at a different answer, or states something incompatible with this final answer.
- "unsupported": the reasoning does not establish this final answer (it stops short, is unrelated, or never commits).

Reply ONLY with JSON, no other text:
{"verdict": "supported" | "unsupported" | "contradicted", "confidence": <number from 0 to 1>, "rationale": "<one sentence>"}`;

/** The placeholders a judge prompt must contain. `{hypothesis}` ("The answer is …") is also filled when present. */
export const PROMPT_PLACEHOLDERS = ['{question}', '{reasoning}', '{answer}'] as const;

const PLACEHOLDER_RE = /\{(question|reasoning|answer|hypothesis)\}/g;

/**
 * Fill a prompt template in one pass: each placeholder is replaced by the item's text literally, and text that
 * came from the item is never scanned again (a "{answer}" inside the reasoning stays as written).
 */
export function renderPrompt(template: string, item: Pick<JudgeItem, 'question' | 'premise' | 'answer'> & Partial<Pick<JudgeItem, 'hypothesis'>>): string {
  return template.replace(PLACEHOLDER_RE, (_m, name: string) => {
    switch (name) {
      case 'question':
        return item.question;
      case 'reasoning':
        return item.premise;
      case 'answer':
        return item.answer;
      default:
        return item.hypothesis ?? `The answer is ${item.answer}.`;
    }
  });
}

/** The required placeholders missing from a template (e.g. `['{answer}']`); empty when it is usable. */
export function validatePrompt(template: string): string[] {
  return PROMPT_PLACEHOLDERS.filter((p) => !template.includes(p));
}

// ---------------------------------------------------------------------------------------------------------
// Reading the judge's reply

export type JudgeReply = Omit<Verdict, 'source'>;

const SYNONYMS: Record<string, VerdictLabel> = {
  supported: 'supported',
  support: 'supported',
  supports: 'supported',
  yes: 'supported',
  true: 'supported',
  consistent: 'supported',
  entailment: 'supported',
  entailed: 'supported',
  entails: 'supported',
  aligned: 'supported',
  contradicted: 'contradicted',
  contradiction: 'contradicted',
  contradicts: 'contradicted',
  contradictory: 'contradicted',
  no: 'contradicted',
  false: 'contradicted',
  inconsistent: 'contradicted',
  unsupported: 'unsupported',
  notsupported: 'unsupported',
  neutral: 'unsupported',
  insufficient: 'unsupported',
  unknown: 'unknown',
};

/** A label from a verdict value ("Supported", "NOT_SUPPORTED", "entailment", "yes"); undefined when unknown. */
export function labelOf(value: unknown): VerdictLabel | undefined {
  if (typeof value === 'boolean') return value ? 'supported' : 'contradicted';
  if (typeof value !== 'string') return undefined;
  const k = value.toLowerCase().replace(/[^a-z]/g, '');
  return SYNONYMS[k];
}

/** Words that name a label in free text (yes/no are left out: they occur in any sentence). */
const WORD_RE = /\b(not\s+supported|unsupported|supported|contradicted|contradiction|contradicts|contradictory|inconsistent|consistent|entailment|entailed|neutral)\b/i;

const MAX_RATIONALE = 500;

function clip(s: string, n = MAX_RATIONALE): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? t.slice(0, n - 1) + '…' : t;
}

function confidenceOf(v: unknown): number | undefined {
  let x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v.trim().replace(/%$/, '')) : NaN;
  if (!Number.isFinite(x)) return undefined;
  // 85 or "85%" is a percentage; 1.2 is a slip over 1 (clamped)
  if (x > 1 && x <= 100 && (x >= 2 || (typeof v === 'string' && v.trim().endsWith('%')))) x /= 100;
  return Math.min(1, Math.max(0, x));
}

function fromObject(o: unknown): JudgeReply | undefined {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const r = o as Record<string, unknown>;
  const label = labelOf(r.verdict ?? r.label ?? r.Verdict ?? r.Label);
  if (!label) return undefined;
  const out: JudgeReply = { label };
  const c = confidenceOf(r.confidence ?? r.Confidence);
  if (c !== undefined) out.confidence = c;
  const why = r.rationale ?? r.reason ?? r.Rationale ?? r.Reason;
  if (typeof why === 'string' && why.trim()) out.rationale = clip(why);
  return out;
}

/** Every balanced `{…}` span of the text (string-aware), outermost first. */
function jsonCandidates(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/```(?:json|JSON)?\s*([\s\S]*?)```/g)) out.push(m[1]!.trim());
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) {
    let depth = 0;
    let inStr = false;
    for (let j = i; j < text.length; j++) {
      const ch = text[j];
      if (inStr) {
        if (ch === '\\') j++;
        else if (ch === '"') inStr = false;
      } else if (ch === '"') inStr = true;
      else if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        out.push(text.slice(i, j + 1));
        break;
      }
    }
  }
  return out;
}

/**
 * Read a judge's reply: JSON (bare, inside ```json fences, or after some prose) with `verdict` or `label`,
 * `confidence` and `rationale` or `reason`; broken JSON by its `"verdict": "…"` pair; else the first label
 * word in the text; else `unknown` with the reply's start as rationale. A `<think>…</think>` block is skipped.
 */
export function parseJudgeReply(text: string): JudgeReply {
  const body = String(text ?? '')
    .replace(/<think>[\s\S]*?<\/think>/gi, ' ')
    .trim();
  if (!body) return { label: 'unknown', rationale: 'the judge gave an empty reply' };
  for (const c of jsonCandidates(body)) {
    try {
      const v = fromObject(JSON.parse(c));
      if (v) return v;
    } catch {
      /* not JSON: try the next span */
    }
  }
  // JSON-like but not parseable (trailing commas, cut off by max_tokens)
  const kv = /["']?(?:verdict|label)["']?\s*[:=]\s*["']?([A-Za-z_ ]+?)["',}\n]/i.exec(body + '\n');
  const kvLabel = kv ? labelOf(kv[1]) : undefined;
  if (kvLabel) {
    const out: JudgeReply = { label: kvLabel };
    const c = confidenceOf(/["']?confidence["']?\s*[:=]\s*["']?([\d.]+%?)/i.exec(body)?.[1]);
    if (c !== undefined) out.confidence = c;
    const why = /["']?(?:rationale|reason)["']?\s*[:=]\s*"((?:[^"\\]|\\.)*)"?/i.exec(body)?.[1];
    if (why?.trim()) out.rationale = clip(why.replace(/\\(.)/g, '$1'));
    return out;
  }
  const whole = labelOf(body.replace(/[.!\s]+$/, ''));
  if (whole && body.length <= 20) return { label: whole };
  const w = WORD_RE.exec(body);
  if (w) {
    const label = labelOf(w[1]!.replace(/\s+/g, ''))!;
    return { label, rationale: clip(body, 200) };
  }
  return { label: 'unknown', rationale: `unreadable judge reply: ${clip(body, 200)}` };
}

// ---------------------------------------------------------------------------------------------------------
// The endpoint

/**
 * The chat-completions URL of an endpoint: `http://host:port/v1` → `…/v1/chat/completions`; a URL already
 * ending in `/chat/completions` as is; a bare `http://host:port` → `…/v1/chat/completions`. Query strings are
 * kept. Anything but http(s) is a JudgeSetupError.
 */
export function chatUrl(endpoint: string): string {
  const raw = String(endpoint ?? '').trim();
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new JudgeSetupError(`judge endpoint "${clip(raw, 100)}" is not a URL; write it as http://host:port/v1`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new JudgeSetupError(`judge endpoint "${clip(raw, 100)}" is not an http(s) URL; write it as http://host:port/v1`);
  }
  u.hash = '';
  const p = u.pathname.replace(/\/+$/, '');
  if (/\/chat\/completions$/.test(p)) u.pathname = p;
  else if (p === '') u.pathname = '/v1/chat/completions';
  else u.pathname = `${p}/chat/completions`;
  return u.toString();
}

/** The minimal `fetch` the judge needs (Node's global `fetch` fits; tests may inject another). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface HttpJudgeOptions {
  /** `http://host:port/v1`, a full `…/chat/completions` URL, or a bare `http://host:port`. */
  endpoint: string;
  /** The model name the server serves (vLLM: the served model name; llama.cpp accepts any). */
  model: string;
  /** Sent as `Authorization: Bearer <key>` when given; never logged or put in a message. */
  apiKey?: string;
  /** Prompt template with `{question}`, `{reasoning}`, `{answer}`. Default DEFAULT_JUDGE_PROMPT. */
  prompt?: string;
  /** Requests started per minute, shared by all concurrent requests (retries included). Default 60; 0 or Infinity: no limit. */
  requestsPerMinute?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Retries after the first attempt on 429, 5xx, timeouts and network errors. Default 4. */
  maxRetries?: number;
  /** First backoff delay; doubles per retry, with jitter. Default 1000 ms. */
  retryBaseMs?: number;
  /** Per-request timeout. Default 120000 ms. */
  timeoutMs?: number;
  /** Default 0. */
  temperature?: number;
  /** Default 256. */
  maxTokens?: number;
  fetch?: FetchLike;
}

export interface ProbeResult {
  /** The model name the server says answered (may differ from the one asked for, e.g. llama.cpp). */
  servedModel?: string;
  latencyMs: number;
}

/** A failed request to the judge endpoint; `status` is the HTTP status, absent for network errors. */
export class JudgeHttpError extends JudgeSetupError {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'JudgeHttpError';
  }
}

const MAX_BACKOFF_MS = 60_000;
const MAX_RETRY_AFTER_MS = 300_000;

class Aborted extends Error {}

/** Sleep that ends early (rejecting with Aborted) when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Aborted());
    if (ms <= 0) return resolve();
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new Aborted());
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Requests spaced `interval` ms apart: each caller reserves the next free slot and waits for it. */
class Spacer {
  private next = 0;
  constructor(private readonly intervalMs: number) {}
  async acquire(signal: AbortSignal): Promise<void> {
    if (!(this.intervalMs > 0)) return;
    const now = Date.now();
    const slot = Math.max(now, this.next);
    this.next = slot + this.intervalMs;
    try {
      await sleep(slot - now, signal);
    } catch (e) {
      // a cancelled wait gives its slot back when no later caller has reserved one behind it
      if (this.next === slot + this.intervalMs) this.next = slot;
      throw e;
    }
  }
}

/** One AbortSignal that fires when any of the given ones fires. */
function anySignal(signals: AbortSignal[]): { signal: AbortSignal; done(): void } {
  const c = new AbortController();
  const offs: Array<() => void> = [];
  for (const s of signals) {
    if (s.aborted) {
      c.abort();
      break;
    }
    const f = (): void => c.abort();
    s.addEventListener('abort', f, { once: true });
    offs.push(() => s.removeEventListener('abort', f));
  }
  return { signal: c.signal, done: () => offs.forEach((f) => f()) };
}

const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed by the server',
};

function networkReason(e: unknown): { code?: string; reason: string } {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 4; depth++) {
    const o = cur as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof o.code === 'string') {
      if (NET_REASONS[o.code]) return { code: o.code, reason: NET_REASONS[o.code]! };
      if (/CERT|SSL|TLS/i.test(o.code)) return { code: o.code, reason: `TLS problem (${o.code})` };
    }
    if (o.message === 'bad port') return { code: 'BADPORT', reason: 'the port is one that fetch refuses to use; pick another port' };
    if (o.cause === undefined && typeof o.message === 'string' && o.message !== 'fetch failed') return { reason: o.message };
    cur = o.cause;
  }
  return { reason: 'network error' };
}

function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const s = Number(v.trim());
  if (Number.isFinite(s) && s >= 0) return Math.min(MAX_RETRY_AFTER_MS, s * 1000);
  const d = Date.parse(v);
  return Number.isFinite(d) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, d - Date.now())) : undefined;
}

/** What the server said about an error, from an OpenAI-style `{error: {message}}` body or the raw text. */
function serverMessage(body: string): string {
  try {
    const o = JSON.parse(body) as { error?: unknown; message?: unknown; detail?: unknown };
    const e = o.error;
    const m =
      typeof e === 'string' ? e : e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : typeof o.message === 'string' ? o.message : typeof o.detail === 'string' ? o.detail : undefined;
    if (m) return clip(m, 300);
  } catch {
    /* not JSON */
  }
  return clip(body.replace(/<[^>]*>/g, ' '), 200);
}

const CONTEXT_RE = /context length|context size|context window|maximum context|too many tokens|exceeds the available context|prompt is too long|input is too long/i;
const MODEL_MISSING_RE = /model.*(?:does not exist|not found|not exist|unknown|no such)|(?:unknown|invalid) model|model_not_found/i;

type Outcome = { kind: 'ok'; content: string; finish?: string; model?: string } | { kind: 'too-long'; message: string };

/** An OpenAI-compatible chat-completions judge. */
export class HttpJudge implements JudgeEngine {
  readonly kind = 'http' as const;
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly model: string;
  readonly prompt: string;
  private readonly apiKey: string | undefined;
  private readonly concurrency: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;
  private readonly temperature: number;
  private readonly maxTokens: number;
  private readonly fetchFn: FetchLike;
  private readonly spacer: Spacer;
  private readonly disposed = new AbortController();
  /** Whether the server has answered at all: before that, connection refused fails at once. */
  private reached = false;

  constructor(opts: HttpJudgeOptions) {
    this.url = chatUrl(opts.endpoint);
    const model = String(opts.model ?? '').trim();
    if (!model) throw new JudgeSetupError('no judge model name given (the model the server serves, e.g. the vLLM --served-model-name)');
    this.model = model;
    this.prompt = opts.prompt ?? DEFAULT_JUDGE_PROMPT;
    const missing = validatePrompt(this.prompt);
    if (missing.length) throw new JudgeSetupError(`the judge prompt lacks ${missing.join(', ')}`);
    this.apiKey = opts.apiKey ? opts.apiKey : undefined;
    const rpm = opts.requestsPerMinute ?? 60;
    this.spacer = new Spacer(rpm > 0 && Number.isFinite(rpm) ? 60_000 / rpm : 0);
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 4));
    this.maxRetries = Math.max(0, Math.floor(opts.maxRetries ?? 4));
    this.retryBaseMs = Math.max(0, opts.retryBaseMs ?? 1000);
    this.timeoutMs = Math.max(1, opts.timeoutMs ?? 120_000);
    this.temperature = opts.temperature ?? 0;
    this.maxTokens = Math.max(1, Math.floor(opts.maxTokens ?? 256));
    this.fetchFn = opts.fetch ?? (globalThis.fetch as unknown as FetchLike);
    // Not the URL: the same model behind another port answers the same.
    this.id = 'http:' + sha256Hex(this.model, this.prompt, String(this.temperature));
    this.name = `${this.model} at ${new URL(this.url).host}`;
  }

  async judge(items: readonly JudgeItem[], opts: { signal?: AbortSignal; onProgress?(p: JudgeProgress): void } = {}): Promise<Verdict[]> {
    const user = opts.signal;
    if (user?.aborted || this.disposed.signal.aborted) throw new JudgeCancelled();
    const run = new AbortController(); // aborts the others when one item fails
    const all = anySignal([run.signal, this.disposed.signal, ...(user ? [user] : [])]);
    const out: Verdict[] = new Array(items.length);
    const total = items.length;
    let next = 0;
    let done = 0;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < total && !all.signal.aborted) {
        const i = next++;
        const item = items[i]!;
        try {
          const r = await this.request(renderPrompt(this.prompt, item), this.maxTokens, all.signal);
          out[i] = this.verdictOf(r);
        } catch (e) {
          if (failure === undefined) failure = e;
          run.abort();
          return;
        }
        done++;
        opts.onProgress?.({ done, total });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.concurrency, total) }, worker));
    } finally {
      all.done();
    }
    const cancelled = user?.aborted || this.disposed.signal.aborted;
    if (cancelled) throw new JudgeCancelled();
    if (failure !== undefined) throw failure instanceof Aborted ? new JudgeCancelled() : failure;
    return out;
  }

  /** One tiny request, to check before a long run that the endpoint answers and knows the model. */
  async probe(opts: { signal?: AbortSignal } = {}): Promise<ProbeResult> {
    const t0 = Date.now();
    const all = anySignal([this.disposed.signal, ...(opts.signal ? [opts.signal] : [])]);
    try {
      const r = await this.request('Reply with the single word OK.', 4, all.signal, Math.min(this.maxRetries, 1));
      const res: ProbeResult = { latencyMs: Date.now() - t0 };
      if (r.kind === 'ok' && r.model) res.servedModel = r.model;
      return res;
    } catch (e) {
      if (e instanceof Aborted) throw new JudgeCancelled();
      throw e;
    } finally {
      all.done();
    }
  }

  dispose(): void {
    this.disposed.abort();
  }

  private verdictOf(r: Outcome): Verdict {
    const source = `http:${this.model}`;
    if (r.kind === 'too-long') return { label: 'unknown', source, rationale: `too long for the judge's context: ${r.message}` };
    const reply = parseJudgeReply(r.content);
    if (reply.label === 'unknown' && r.finish === 'length') reply.rationale = `the judge's reply was cut off at max tokens (${this.maxTokens}): ${reply.rationale ?? ''}`.trim();
    return { ...reply, source };
  }

  private redact(s: string): string {
    return this.apiKey ? s.split(this.apiKey).join('***') : s;
  }

  /** The URL as messages show it: without any user:password part. */
  private get shownUrl(): string {
    const u = new URL(this.url);
    u.username = '';
    u.password = '';
    return u.toString();
  }

  /** Where to say we could not reach: scheme, host and port only (no credentials, no path). */
  private get origin(): string {
    return new URL(this.url).origin;
  }

  /** POST one chat request with rate limit, timeout and retries. Rejects with Aborted when `signal` aborts. */
  private async request(content: string, maxTokens: number, signal: AbortSignal, maxRetries = this.maxRetries): Promise<Outcome> {
    const body = JSON.stringify({ model: this.model, messages: [{ role: 'user', content }], temperature: this.temperature, max_tokens: maxTokens });
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= maxRetries;
      const backoff = (): number => Math.min(MAX_BACKOFF_MS, this.retryBaseMs * 2 ** attempt * (0.5 + Math.random()));
      await this.spacer.acquire(signal);
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), this.timeoutMs);
      const both = anySignal([signal, timeout.signal]);
      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        const res = await this.fetchFn(this.url, { method: 'POST', headers, body, signal: both.signal });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        text = await res.text();
      } catch (e) {
        if (signal.aborted) throw new Aborted();
        const timedOut = timeout.signal.aborted;
        const { code, reason } = timedOut ? { code: 'TIMEOUT', reason: `no answer within ${Math.round(this.timeoutMs / 1000)} s` } : networkReason(e);
        const unreachable = code === 'ECONNREFUSED' || code === 'BADPORT' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || (code !== undefined && /CERT|SSL|TLS/i.test(code));
        if (last || code === 'BADPORT' || (unreachable && !this.reached)) {
          const tries = attempt > 0 ? ` (after ${attempt + 1} attempts)` : '';
          throw new JudgeHttpError(this.redact(`cannot reach ${this.origin}: ${reason}${tries}`));
        }
        await sleep(backoff(), signal);
        continue;
      } finally {
        clearTimeout(timer);
        both.done();
      }
      this.reached = true;
      if (status >= 200 && status < 300) return this.readReply(text);
      const said = this.redact(serverMessage(text));
      const retryable = status === 429 || status === 408 || status >= 500;
      if (retryable && !last) {
        const ra = status === 429 || status === 503 ? parseRetryAfter(retryAfter) : undefined;
        await sleep(ra ?? backoff(), signal);
        continue;
      }
      if (status === 400 && CONTEXT_RE.test(said)) return { kind: 'too-long', message: said };
      throw new JudgeHttpError(this.redact(this.statusMessage(status, said, attempt + 1)), status);
    }
  }

  private statusMessage(status: number, said: string, attempts: number): string {
    const at = `HTTP ${status} from ${this.shownUrl}`;
    const detail = said ? ` (server said: ${said})` : '';
    switch (status) {
      case 401:
        return `${at}: the endpoint refused the API key${this.apiKey ? '' : ' — none was given; set one for this endpoint'}${detail}`;
      case 403:
        return `${at}: forbidden — the API key is not allowed to use this endpoint or model${detail}`;
      case 404:
        return MODEL_MISSING_RE.test(said)
          ? `${at}: model "${this.model}" not found at this endpoint — check the served model name${detail}`
          : `${at}: no chat-completions route here — is the URL the server's /v1 base?${detail}`;
      case 400:
        return MODEL_MISSING_RE.test(said) ? `${at}: model "${this.model}" not found at this endpoint — check the served model name${detail}` : `${at}: the server rejected the request${detail}`;
      case 429:
        return `${at}: rate limited, still after ${attempts} attempts — lower requests per minute${detail}`;
      default:
        return status >= 500 ? `${at}: server error after ${attempts} attempts${detail}` : `${at}${detail}`;
    }
  }

  private readReply(text: string): Outcome {
    let o: { choices?: Array<{ message?: { content?: unknown; reasoning_content?: unknown }; text?: unknown; finish_reason?: unknown }>; model?: unknown };
    try {
      o = JSON.parse(text) as typeof o;
    } catch {
      throw new JudgeHttpError(`${this.shownUrl} answered with something other than JSON — is it an OpenAI-compatible /v1 endpoint? (${this.redact(clip(text, 120))})`);
    }
    const choice = Array.isArray(o?.choices) ? o.choices[0] : undefined;
    if (!choice) throw new JudgeHttpError(`${this.shownUrl} answered without choices[0] — is it an OpenAI-compatible chat-completions endpoint?`);
    const c = choice.message?.content ?? choice.text;
    const content = typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: unknown) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('') : '';
    const out: Outcome = { kind: 'ok', content };
    if (typeof choice.finish_reason === 'string') out.finish = choice.finish_reason;
    if (typeof o.model === 'string') out.model = o.model;
    return out;
  }
}
