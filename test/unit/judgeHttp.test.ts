import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { VerdictCache } from '../../extension/core/judge/cache';
import { DEFAULT_JUDGE_PROMPT, HttpJudge, chatUrl, parseJudgeReply, renderPrompt, validatePrompt, type HttpJudgeOptions } from '../../extension/core/judge/http';
import { sha256Hex } from '../../extension/core/judge/items';
import { judgeAll } from '../../extension/core/judge/judgeRun';
import { JudgeCancelled, JudgeSetupError, type JudgeItem } from '../../extension/core/judge/types';

interface Seen {
  t: number;
  path: string;
  auth: string | undefined;
  body: { model: string; messages: Array<{ role: string; content: string }>; temperature: number; max_tokens: number };
}

interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** The assistant message content (status 200), or the raw body (other statuses). */
  content?: string;
  body?: string;
  delayMs?: number;
}

/**
 * A chat-completions server on 127.0.0.1: checks method, path, auth and the JSON body, records each request,
 * and answers what `answer(n, seen)` says (n: 0-based request count).
 */
class FakeServer {
  readonly seen: Seen[] = [];
  inFlight = 0;
  maxInFlight = 0;
  closedEarly = 0;
  answer: (n: number, s: Seen) => Reply = () => ({ content: '{"verdict": "supported", "confidence": 0.9, "rationale": "ok"}' });
  private server!: http.Server;
  port = 0;

  constructor(readonly key?: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
          res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
          res.end(body);
        };
        if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(404, JSON.stringify({ detail: 'Not Found' }));
        if (this.key !== undefined && req.headers.authorization !== `Bearer ${this.key}`) return send(401, JSON.stringify({ error: { message: 'Invalid API key', type: 'auth' } }));
        if (this.key === undefined && req.headers.authorization !== undefined) return send(400, JSON.stringify({ error: { message: 'unexpected Authorization header' } }));
        let body: Seen['body'];
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Seen['body'];
          assert.equal(typeof body.model, 'string');
          assert.equal(body.messages[0]!.role, 'user');
          assert.equal(typeof body.messages[0]!.content, 'string');
        } catch {
          return send(400, JSON.stringify({ error: { message: 'bad body' } }));
        }
        const s: Seen = { t: performance.now(), path: req.url, auth: req.headers.authorization, body };
        const n = this.seen.length;
        this.seen.push(s);
        const r = this.answer(n, s);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        let finished = false;
        res.on('close', () => {
          if (finished) return;
          finished = true;
          this.closedEarly++;
          this.inFlight--;
          clearTimeout(timer);
        });
        const timer = setTimeout(() => {
          if (finished) return;
          finished = true;
          this.inFlight--;
          const status = r.status ?? 200;
          const payload =
            r.body ?? (status === 200 ? JSON.stringify({ id: 'x', object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: r.content ?? '' }, finish_reason: 'stop' }] }) : '{}');
          send(status, payload, r.headers);
        }, r.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function item(i: number, over: Partial<JudgeItem> = {}): JudgeItem {
  const question = over.question ?? `How many cats are in image ${i}?`;
  const premise = over.premise ?? `I count the cats one by one and find ${i}.`;
  const answer = over.answer ?? String(i);
  const hypothesis = `The answer is ${answer}.`;
  return { key: sha256Hex(question, premise, hypothesis), question, premise, hypothesis, answer };
}

const items = (n: number): JudgeItem[] => Array.from({ length: n }, (_, i) => item(i));
const fast = { requestsPerMinute: 0, retryBaseMs: 5, model: 'judge-7b' } satisfies Partial<HttpJudgeOptions>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('HTTP judge: against a chat-completions server', () => {
  let srv: FakeServer;
  beforeEach(async () => {
    srv = await new FakeServer().start();
  });
  afterEach(async () => {
    await srv.stop();
  });

  it('judges a batch in order and sends the rendered prompt', async () => {
    const labels = ['supported', 'contradicted', 'unsupported'];
    srv.answer = (_n, s) => {
      const i = Number(/image (\d+)/.exec(s.body.messages[0]!.content)![1]);
      return { content: `{"verdict": "${labels[i % 3]}", "confidence": 0.${i + 1}, "rationale": "item ${i}"}`, delayMs: (5 - i) * 3 };
    };
    const progress: number[] = [];
    const j = new HttpJudge({ ...fast, endpoint: srv.endpoint, model: 'judge-7b', concurrency: 3 });
    const v = await j.judge(items(5), { onProgress: (p) => progress.push(p.done) });
    assert.deepEqual(
      v.map((x) => x.label),
      [0, 1, 2, 3, 4].map((i) => labels[i % 3]),
    );
    assert.deepEqual(v[2], { label: 'unsupported', confidence: 0.3, rationale: 'item 2', source: 'http:judge-7b' });
    assert.deepEqual(progress, [1, 2, 3, 4, 5]);
    assert.equal(srv.seen.length, 5);
    const s = srv.seen.find((x) => x.body.messages[0]!.content.includes('image 3'))!;
    assert.equal(s.body.model, 'judge-7b');
    assert.equal(s.body.temperature, 0);
    assert.equal(s.body.max_tokens, 256);
    assert.equal(s.auth, undefined);
    const prompt = s.body.messages[0]!.content;
    assert.ok(prompt.includes('How many cats are in image 3?'));
    assert.ok(prompt.includes('I count the cats one by one and find 3.'));
    assert.ok(/Final answer:\n3\n/.test(prompt), prompt);
    assert.ok(!/\{(question|reasoning|answer)\}/.test(prompt));
    assert.equal(j.name, `judge-7b at 127.0.0.1:${srv.port}`);
  });

  it('sends the API key as a bearer token when one is given', async () => {
    await srv.stop();
    srv = await new FakeServer('sk-test-123').start();
    const v = await new HttpJudge({ ...fast, endpoint: srv.endpoint, apiKey: 'sk-test-123' }).judge(items(1), {});
    assert.equal(v[0]!.label, 'supported');
    assert.equal(srv.seen[0]!.auth, 'Bearer sk-test-123');
  });

  it('401 fails fast with a clear message that does not contain the key', async () => {
    await srv.stop();
    srv = await new FakeServer('right-key').start();
    const j = new HttpJudge({ ...fast, endpoint: srv.endpoint, apiKey: 'sk-WRONG-secret-987', retryBaseMs: 1000 });
    const t0 = Date.now();
    await assert.rejects(j.judge(items(3), {}), (e: Error) => {
      assert.ok(e instanceof JudgeSetupError);
      assert.match(e.message, /401/);
      assert.match(e.message, /refused the API key/);
      assert.ok(!e.message.includes('sk-WRONG-secret-987'), e.message);
      assert.ok(!String(e.stack).includes('sk-WRONG-secret-987'));
      return true;
    });
    assert.ok(Date.now() - t0 < 900, 'no retries on 401');
    assert.ok(srv.seen.length === 0); // refused before being recorded
  });

  it('404 names the likely cause: wrong route, or unknown model', async () => {
    const wrongRoute = new HttpJudge({ ...fast, endpoint: `http://127.0.0.1:${srv.port}/api/v1` });
    await assert.rejects(wrongRoute.judge(items(1), {}), /404.*no chat-completions route here — is the URL the server's \/v1 base\?/);
    srv.answer = () => ({ status: 404, body: JSON.stringify({ object: 'error', message: 'The model `nope` does not exist.', type: 'NotFoundError', code: 404 }) });
    const j = new HttpJudge({ ...fast, endpoint: srv.endpoint, model: 'nope' });
    await assert.rejects(j.probe(), /404.*model "nope" not found/);
    assert.equal(srv.seen.length, 1);
  });

  it('retries a 429, honouring Retry-After', async () => {
    srv.answer = (n) => (n === 0 ? { status: 429, headers: { 'Retry-After': '1' }, body: JSON.stringify({ error: { message: 'slow down' } }) } : { content: '{"verdict":"contradicted"}' });
    const v = await new HttpJudge({ ...fast, endpoint: srv.endpoint, retryBaseMs: 5 }).judge(items(1), {});
    assert.equal(v[0]!.label, 'contradicted');
    assert.equal(srv.seen.length, 2);
    const gap = srv.seen[1]!.t - srv.seen[0]!.t;
    assert.ok(gap >= 900, `waited ${gap} ms, Retry-After said 1 s`);
  });

  it('retries 5xx with backoff, then gives up after maxRetries', async () => {
    srv.answer = (n) => (n < 2 ? { status: n === 0 ? 500 : 503, body: 'oops' } : { content: 'supported' });
    const v = await new HttpJudge({ ...fast, endpoint: srv.endpoint }).judge(items(1), {});
    assert.equal(v[0]!.label, 'supported');
    assert.equal(srv.seen.length, 3);

    srv.answer = () => ({ status: 502, body: JSON.stringify({ error: { message: 'upstream down' } }) });
    const before = srv.seen.length;
    await assert.rejects(new HttpJudge({ ...fast, endpoint: srv.endpoint, maxRetries: 2 }).judge(items(1), {}), /HTTP 502.*after 3 attempts.*upstream down/);
    assert.equal(srv.seen.length - before, 3);
  });

  it('spaces requests by requestsPerMinute, across concurrent requests', async () => {
    const j = new HttpJudge({ ...fast, endpoint: srv.endpoint, requestsPerMinute: 600, concurrency: 4 });
    await j.judge(items(6), {});
    const t = srv.seen.map((s) => s.t).sort((a, b) => a - b);
    const avg = (t[t.length - 1]! - t[0]!) / (t.length - 1);
    assert.ok(avg >= 90, `average gap ${avg.toFixed(1)} ms at 600/min`);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    srv.answer = () => ({ content: '{"verdict":"supported"}', delayMs: 40 });
    await new HttpJudge({ ...fast, endpoint: srv.endpoint, concurrency: 2 }).judge(items(8), {});
    assert.equal(srv.seen.length, 8);
    assert.equal(srv.maxInFlight, 2);
  });

  it('cancel aborts in-flight requests and sends no more', async () => {
    srv.answer = () => ({ content: '{"verdict":"supported"}', delayMs: 60 });
    const ac = new AbortController();
    let atAbort = -1;
    const j = new HttpJudge({ ...fast, endpoint: srv.endpoint, concurrency: 2 });
    const t0 = Date.now();
    await assert.rejects(
      j.judge(items(20), {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.done === 2 && atAbort < 0) {
            atAbort = srv.seen.length;
            ac.abort();
          }
        },
      }),
      (e: unknown) => e instanceof JudgeCancelled,
    );
    assert.ok(Date.now() - t0 < 1000);
    await sleep(50); // a request already on the wire when cancel came may still land
    const settled = srv.seen.length;
    assert.ok(settled <= atAbort + 1, `${settled} requests, ${atAbort} at cancel`);
    await sleep(200);
    assert.equal(srv.seen.length, settled, 'no requests after cancel');
  });

  it('cancel aborts a request that is waiting for the server', async () => {
    srv.answer = () => ({ content: '{"verdict":"supported"}', delayMs: 5000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    await assert.rejects(new HttpJudge({ ...fast, endpoint: srv.endpoint }).judge(items(1), { signal: ac.signal }), (e: unknown) => e instanceof JudgeCancelled);
    assert.ok(Date.now() - t0 < 1000);
    for (let k = 0; k < 20 && srv.closedEarly === 0; k++) await sleep(10);
    assert.equal(srv.closedEarly, 1, 'the server saw the connection closed before it answered');
  });

  it('cancel also ends a backoff wait', async () => {
    srv.answer = () => ({ status: 500, body: 'down' });
    const ac = new AbortController();
    const j = new HttpJudge({ ...fast, endpoint: srv.endpoint, retryBaseMs: 20_000 });
    setTimeout(() => ac.abort(), 80);
    const t0 = Date.now();
    await assert.rejects(j.judge(items(1), { signal: ac.signal }), (e: unknown) => e instanceof JudgeCancelled);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(srv.seen.length, 1);
    await assert.rejects(j.judge(items(1), { signal: ac.signal }), (e: unknown) => e instanceof JudgeCancelled);
  });

  it('a bad reply for one item becomes unknown; a context overflow too', async () => {
    srv.answer = (_n, s) => {
      const c = s.body.messages[0]!.content;
      if (c.includes('image 1')) return { status: 400, body: JSON.stringify({ error: { message: "This model's maximum context length is 4096 tokens." } }) };
      return { content: c.includes('image 2') ? 'I cannot decide.' : '```json\n{"label": "yes"}\n```' };
    };
    const v = await new HttpJudge({ ...fast, endpoint: srv.endpoint, concurrency: 1 }).judge(items(3), {});
    assert.equal(v[0]!.label, 'supported');
    assert.equal(v[1]!.label, 'unknown');
    assert.match(v[1]!.rationale!, /context/);
    assert.equal(v[2]!.label, 'unknown');
    assert.match(v[2]!.rationale!, /cannot decide/);
  });

  it('probe checks endpoint and model with one small request', async () => {
    const r = await new HttpJudge({ ...fast, endpoint: `http://127.0.0.1:${srv.port}` }).probe();
    assert.equal(r.servedModel, 'judge-7b');
    assert.equal(srv.seen.length, 1);
    assert.ok(srv.seen[0]!.body.max_tokens <= 8);
  });

  it('through judgeAll with a cache, the second run makes no requests (even on another port)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollout-lens-judge-http-'));
    const j1 = new HttpJudge({ ...fast, endpoint: srv.endpoint });
    const all = [...items(4), item(0)]; // a duplicate key is judged once
    const r1 = await judgeAll(j1, all, VerdictCache.open(dir, j1.id));
    assert.equal(r1.inferred, 4);
    assert.equal(srv.seen.length, 4);
    assert.ok(r1.verdicts.every((v) => v?.label === 'supported'));

    const other = await new FakeServer().start();
    try {
      const j2 = new HttpJudge({ ...fast, endpoint: other.endpoint });
      assert.equal(j2.id, j1.id);
      const r2 = await judgeAll(j2, all, VerdictCache.open(dir, j2.id));
      assert.equal(r2.cached, 5);
      assert.equal(r2.inferred, 0);
      assert.equal(other.seen.length + srv.seen.length, 4);
      assert.deepEqual(r2.verdicts, r1.verdicts);
    } finally {
      await other.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('HTTP judge: setup errors', () => {
  it('an unreachable server is a clear, immediate error', async () => {
    const s = await new FakeServer().start();
    const port = s.port;
    await s.stop();
    const j = new HttpJudge({ endpoint: `http://127.0.0.1:${port}/v1`, model: 'm', retryBaseMs: 1000, requestsPerMinute: 0 });
    const t0 = Date.now();
    await assert.rejects(j.judge(items(2), {}), (e: Error) => e instanceof JudgeSetupError && e.message === `cannot reach http://127.0.0.1:${port}: connection refused`);
    await assert.rejects(j.probe(), /cannot reach .*connection refused/);
    assert.ok(Date.now() - t0 < 900);
  });

  it('rejects unusable options', () => {
    assert.throws(() => new HttpJudge({ endpoint: 'ftp://x/v1', model: 'm' }), JudgeSetupError);
    assert.throws(() => new HttpJudge({ endpoint: 'http://x/v1', model: ' ' }), /model/);
    assert.throws(() => new HttpJudge({ endpoint: 'http://x/v1', model: 'm', prompt: 'judge {question} {reasoning}' }), /\{answer\}/);
  });

  it('id depends on model, prompt and temperature, not on the URL', () => {
    const a = new HttpJudge({ endpoint: 'http://127.0.0.1:8000/v1', model: 'm' });
    assert.match(a.id, /^http:[0-9a-f]{64}$/);
    assert.equal(new HttpJudge({ endpoint: 'http://localhost:9000', model: 'm' }).id, a.id);
    assert.notEqual(new HttpJudge({ endpoint: 'http://127.0.0.1:8000/v1', model: 'm2' }).id, a.id);
    assert.notEqual(new HttpJudge({ endpoint: 'http://127.0.0.1:8000/v1', model: 'm', temperature: 0.7 }).id, a.id);
    assert.notEqual(new HttpJudge({ endpoint: 'http://127.0.0.1:8000/v1', model: 'm', prompt: DEFAULT_JUDGE_PROMPT + ' ' }).id, a.id);
    assert.equal(a.name, 'm at 127.0.0.1:8000');
  });
});

describe('HTTP judge: pure helpers', () => {
  it('chatUrl accepts /v1 bases, full URLs and bare host:port', () => {
    assert.equal(chatUrl('http://127.0.0.1:8000/v1'), 'http://127.0.0.1:8000/v1/chat/completions');
    assert.equal(chatUrl('http://127.0.0.1:8000/v1/'), 'http://127.0.0.1:8000/v1/chat/completions');
    assert.equal(chatUrl(' http://localhost:8080 '), 'http://localhost:8080/v1/chat/completions');
    assert.equal(chatUrl('http://localhost:8080/'), 'http://localhost:8080/v1/chat/completions');
    assert.equal(chatUrl('https://example.com/v1/chat/completions'), 'https://example.com/v1/chat/completions');
    assert.equal(chatUrl('https://example.com/openai/v1'), 'https://example.com/openai/v1/chat/completions');
    assert.equal(chatUrl('https://example.com/v1?api-version=2'), 'https://example.com/v1/chat/completions?api-version=2');
    for (const bad of ['ftp://example.com/v1', 'file:///tmp/x', 'localhost:8000', '127.0.0.1:8000/v1', '', 'not a url']) {
      assert.throws(() => chatUrl(bad), JudgeSetupError, bad);
    }
  });

  it('renderPrompt replaces placeholders literally, once', () => {
    const it0 = item(0, { question: 'Q {reasoning}?', premise: 'the answer is {answer} and $& $1', answer: '{question}' });
    const out = renderPrompt('[{question}] [{reasoning}] [{answer}] [{answer}]', it0);
    assert.equal(out, '[Q {reasoning}?] [the answer is {answer} and $& $1] [{question}] [{question}]');
    const def = renderPrompt(DEFAULT_JUDGE_PROMPT, item(7));
    assert.ok(def.includes('How many cats are in image 7?') && def.includes('find 7.'));
    assert.ok(def.includes('{"verdict": "supported" | "unsupported" | "contradicted"'));
  });

  it('validatePrompt lists the missing placeholders', () => {
    assert.deepEqual(validatePrompt(DEFAULT_JUDGE_PROMPT), []);
    assert.deepEqual(validatePrompt('{reasoning}'), ['{question}', '{answer}']);
  });

  it('parseJudgeReply reads JSON, fenced JSON, JSON after prose, and label words', () => {
    assert.deepEqual(parseJudgeReply('{"verdict": "supported", "confidence": 0.8, "rationale": "It counts 3."}'), { label: 'supported', confidence: 0.8, rationale: 'It counts 3.' });
    assert.deepEqual(parseJudgeReply('```json\n{"label": "Contradiction", "confidence": "85%", "reason": "says 4"}\n```'), { label: 'contradicted', confidence: 0.85, rationale: 'says 4' });
    assert.deepEqual(parseJudgeReply('Sure! Here is my judgement: {"verdict": "neutral", "confidence": 1.5e0, "rationale": "a {brace} \\"inside\\""} Hope it helps.'), {
      label: 'unsupported',
      confidence: 1,
      rationale: 'a {brace} "inside"',
    });
    assert.deepEqual(parseJudgeReply('<think>Maybe contradicted? No, supported.</think>\n{"verdict":"entailment"}'), { label: 'supported' });
    assert.equal(parseJudgeReply('{"verdict": "inconsistent", "confidence": 0.7,}').label, 'contradicted'); // trailing comma
    assert.equal(parseJudgeReply('{"verdict": "supported", "confidence": 0.9, "rationale": "The reas').confidence, 0.9); // cut off
    assert.equal(parseJudgeReply('Verdict: NOT SUPPORTED\nConfidence: 0.6').label, 'unsupported');
    assert.equal(parseJudgeReply('The reasoning is consistent with the answer.').label, 'supported');
    assert.equal(parseJudgeReply('The reasoning is inconsistent with the answer.').label, 'contradicted');
    assert.equal(parseJudgeReply('The answer is not supported by the reasoning.').label, 'unsupported');
    assert.equal(parseJudgeReply('Yes.').label, 'supported');
    assert.equal(parseJudgeReply('no').label, 'contradicted');
    const u = parseJudgeReply('I am not sure what you mean.');
    assert.equal(u.label, 'unknown');
    assert.match(u.rationale!, /I am not sure/);
    assert.equal(parseJudgeReply('').label, 'unknown');
  });
});
