// `rollout-lens judge` on a real-format log: the rules always, an imported judge file, the tiny NLI model in
// its worker thread (the cache makes the second run infer nothing), a real HTTP judge on 127.0.0.1, and
// clear messages for a bad model folder.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { runCli, tempDir, writeLines } from './helpers';
import { writeTinyNliModel } from '../../extension/core/judge/tinyNli';
import { completionHash } from '../../extension/core/judge/items';

describe('CLI judge', function () {
  this.timeout(60_000);
  let dir: string;
  let log: string;
  let model: string;
  let cache: string;
  const completions = [
    '<think>I look at the picture. So there are 3 red circles in total.</think><answer>3</answer>',
    '<think>I look at the picture. So there are 4 red circles in total.</think><answer>3</answer>',
    '<think>I look at the picture. So there are 2 blue squares in total.</think><answer>2</answer>',
    '<think>I look at the picture. So there are 5 blue squares in total.</think><answer>2</answer>',
    '<think>I look at the picture',
  ];
  before(() => {
    dir = tempDir('rl-cli-judge-');
    log = path.join(dir, 'run', 'train.rollouts.jsonl');
    writeLines(
      log,
      completions.map((c, i) => ({
        step: 1 + (i % 2), group_id: `g${i % 2}`, index_in_group: i, sample_id: `s${i}`, prompt: { text: 'How many shapes are there?', images: [] },
        completion: c, reference: { answer: i < 2 ? '3' : '2', boxes: [] }, rewards: { accuracy: 1 }, reward: 1, advantage: 0,
      })),
    );
    model = writeTinyNliModel(path.join(dir, 'tiny-nli'));
    cache = path.join(dir, 'cache');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('rules alone: rates per source, exit 0', async () => {
    const r = await runCli(['judge', log, '--json', '--cache', cache]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out).logs[0];
    assert.equal(j.records, 5);
    const rules = j.sources.find((s: { kind: string }) => s.kind === 'rules');
    assert.deepEqual([rules.supported, rules.contradicted, rules.unsupported], [2, 2, 1]);
    assert.equal(rules.alignment, 2 / 5, 'supported over supported + unsupported + contradicted');
    assert.deepEqual(j.judges, []);
  });

  it('--model: the tiny NLI model judges in its worker; the second run answers from the cache; agreement with the rules', async () => {
    const first = await runCli(['judge', log, '--model', model, '--cache', cache, '--json']);
    assert.equal(first.code, 0, first.err);
    const j1 = JSON.parse(first.out).logs[0];
    assert.deepEqual([j1.judges[0].inferred, j1.judges[0].cached, j1.judges[0].skipped], [4, 0, 1]);
    const onnx = j1.sources.find((s: { kind: string }) => s.kind === 'onnx');
    assert.deepEqual([onnx.supported, onnx.contradicted], [2, 2], 'the bag-of-words model sees the stated count differ');
    const ag = j1.agreement.find((g: { a: string; b: string }) => g.a === 'onnx' && g.b === 'rules');
    assert.equal(ag.n, 4);
    assert.equal(ag.kappa, 1);
    assert.ok(fs.existsSync(j1.judges[0].cacheFile));
    const second = await runCli(['judge', log, '--model', model, '--cache', cache, '--json']);
    const j2 = JSON.parse(second.out).logs[0];
    assert.deepEqual([j2.judges[0].inferred, j2.judges[0].cached], [0, 4], 'zero inferences on the second run');
    const text = await runCli(['judge', log, '--model', model, '--cache', cache]);
    assert.match(text.out, /agreement onnx vs rules: κ = 1\.00/);
    assert.match(text.out, /4 from the cache, 0 inferred/);
  });

  it('--verdicts imports a judge file keyed by completion_sha256 and reports its bad lines with file:line', async () => {
    const file = path.join(dir, 'judge.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ completion_sha256: completionHash(completions[0]!), verdict: 'yes', rationale: 'fine' }),
        '{not json',
        JSON.stringify({ sample_id: 's1', verdict: 'contradiction' }),
      ].join('\n') + '\n',
    );
    const r = await runCli(['judge', log, '--verdicts', file, '--cache', cache, '--json', '--source', 'file']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out).logs[0];
    const f = j.sources.find((s: { kind: string }) => s.kind === 'file');
    assert.deepEqual([f.total, f.supported, f.contradicted], [2, 1, 1]);
    assert.equal(j.choice, 'file');
    assert.deepEqual(j.alignmentByStep.alignment, [[1, 1], [2, 0]]);
    assert.ok(j.issues.some((i: string) => i.includes('judge.jsonl:2')), j.issues.join('\n'));
  });

  it('--endpoint judges through a real chat-completions server on 127.0.0.1 (key from ROLLOUT_LENS_JUDGE_KEY, never printed)', async () => {
    let calls = 0;
    let auth = '';
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        calls++;
        auth = String(req.headers.authorization ?? '');
        const prompt = (JSON.parse(body) as { messages: Array<{ content: string }> }).messages[0]!.content;
        const m = /there are (\d)[\s\S]*Final answer:\s*(\d)/.exec(prompt);
        const verdict = !m ? 'unsupported' : m[1] === m[2] ? 'supported' : 'contradicted';
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: JSON.stringify({ verdict, confidence: 0.9, rationale: 'test server' }) } }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    process.env.ROLLOUT_LENS_JUDGE_KEY = 'sk-test-secret';
    try {
      const r = await runCli(['judge', log, '--endpoint', `http://127.0.0.1:${port}/v1`, '--endpoint-model', 'judge-7b', '--cache', cache, '--json']);
      assert.equal(r.code, 0, r.err);
      const j = JSON.parse(r.out).logs[0];
      const h = j.sources.find((s: { kind: string }) => s.kind === 'http');
      assert.deepEqual([h.supported, h.contradicted], [2, 2]);
      assert.equal(auth, 'Bearer sk-test-secret');
      assert.ok(!r.out.includes('sk-test-secret') && !r.err.includes('sk-test-secret'));
      const before = calls;
      const again = await runCli(['judge', log, '--endpoint', `http://127.0.0.1:${port}/v1`, '--endpoint-model', 'judge-7b', '--cache', cache, '--json']);
      assert.equal(JSON.parse(again.out).logs[0].judges[0].inferred, 0);
      assert.equal(calls - before, 1, 'only the probe reaches the server the second time');
    } finally {
      delete process.env.ROLLOUT_LENS_JUDGE_KEY;
      server.close();
    }
  });

  it('a bad model folder: a clear message and exit 1, no crash', async () => {
    const bad = path.join(dir, 'bad');
    fs.mkdirSync(bad);
    for (const f of ['model.onnx', 'config.json']) fs.copyFileSync(path.join(model, f), path.join(bad, f));
    let r = await runCli(['judge', log, '--model', bad]);
    assert.equal(r.code, 1);
    assert.match(r.err, /tokenizer\.json is missing/);
    fs.copyFileSync(path.join(model, 'tokenizer.json'), path.join(bad, 'tokenizer.json'));
    fs.writeFileSync(path.join(bad, 'model.onnx'), 'not a model');
    r = await runCli(['judge', log, '--model', bad]);
    assert.equal(r.code, 1);
    assert.match(r.err, /model\.onnx is not a valid ONNX model/);
    r = await runCli(['judge', log, '--model', path.join(dir, 'missing')]);
    assert.match(r.err, /does not exist/);
  });
});
