import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { openRolloutLensJsonl, RolloutLensLog } from '../../extension/core/formats/rolloutLensJsonl';
import { openVerl } from '../../extension/core/formats/verl';
import {
  GrowableF64,
  RunArray,
  WALK_BAD,
  WALK_DONE,
  hashBytes,
  isBlank,
  scanLineRange,
  scanNumber,
  scannedNumber,
  skipValue,
  walkMembers,
  walkMembersBack,
} from '../../extension/core/formats/lineIndex';
import { cacheFileFor, loadIndex } from '../../extension/core/formats/indexCache';
import { IssueList } from '../../extension/core/scale/issues';
import { openParallel, splitFileRanges, splitFiles } from '../../extension/core/scale/parallel';
import { summarizePaths } from '../../extension/core/scale/summarize';
import { defaultWorkerPath, summarizeInWorker } from '../../extension/core/summaryWorker';
import { summarizeFiles } from '../../extension/core/summary';
import { generateBenchData } from '../../extension/bench';
import { FIXTURES, rec, tempDir, writeLines } from './helpers';

const OWN_FIXTURE = path.join(FIXTURES, 'rollout-lens', 'run.rollouts.jsonl');
const VERL_DIR = path.join(FIXTURES, 'frameworks', 'verl', 'rollout_data_dir');

/** Everything a reader's index says about a log (for comparing two indexes of the same log). */
function indexView(log: RolloutLensLog | Awaited<ReturnType<typeof openVerl>>): unknown {
  const n = log.recordCount;
  const recs = Array.from({ length: n }, (_, i) => [log.sourceOf(i).file, log.lineOf(i), log.stepOf(i), log.groupOf(i)]);
  const c = log.columns;
  return {
    n,
    files: log.files,
    recs,
    groups: log.groups,
    steps: log.steps,
    issues: log.issues,
    columns: c && { reward: [...c.reward], advantage: [...c.advantage], rewards: [...c.rewards].map(([k, v]) => [k, [...v]]) },
    advantage: log.advantage,
    grouping: log.grouping,
  };
}

describe('scale: line scanner building blocks', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function scan(content: Buffer | string, opts: Parameters<typeof scanLineRange>[5] = {}, from = 0, line0 = 0) {
    const f = path.join(dir, 'x.txt');
    fs.writeFileSync(f, content);
    const h = await fs.promises.open(f, 'r');
    const got: Array<[number, number, string, boolean]> = [];
    try {
      const size = (await h.stat()).size;
      const r = await scanLineRange(h, from, size, line0, (buf, s, e, lineNo, offset, ok) => got.push([lineNo, offset, buf.toString('latin1', s, e), ok]), opts);
      return { r, got };
    } finally {
      await h.close();
    }
  }

  it('passes complete lines only, leaves the unterminated rest, skips a BOM, CR and blank lines', async () => {
    const { r, got } = await scan('\ufeffab\r\n\n  \ncd\nef');
    assert.deepEqual(got, [
      [1, 3, 'ab', true],
      [4, 11, 'cd', true],
    ]);
    assert.deepEqual([r.end, r.lineNo], [14, 4]);
    assert.equal(r.head!.toString('latin1'), '\xef\xbb\xbfab\r\n\n  \ncd\n');
  });

  it('joins lines across chunks, re-reads a line longer than the carry limit in one buffer, reports overlong lines', async () => {
    const long = 'y'.repeat(2_500_000);
    const text = `a\n${'x'.repeat(100_000)}\n${long}\nb\nlast`;
    const { r, got } = await scan(text, { chunkSize: 64 * 1024 });
    assert.deepEqual(got.map(([n, off, t]) => [n, off, t.length]), [
      [1, 0, 1],
      [2, 2, 100_000],
      [3, 100_003, 2_500_000],
      [4, 2_600_004, 1],
    ]);
    assert.equal(r.end, text.length - 4);
    const over: number[][] = [];
    const small = await scan(text, { chunkSize: 64 * 1024, maxLineBytes: 200_000, onLongLine: (n, off, len) => void over.push([n, off, len]) });
    assert.deepEqual(over, [[3, 100_003, 2_500_000]]);
    assert.deepEqual(small.got.map(([n]) => n), [1, 2, 4]);
  });

  it('continues from an offset with line numbers, uses a prefetched first chunk, flags non-UTF-8 lines', async () => {
    const bytes = Buffer.concat([Buffer.from('aa\nbb\n'), Buffer.from([0x63, 0xff, 0x0a]), Buffer.from('dd\n')]);
    const { got } = await scan(bytes, { checkUtf8: true, initial: bytes.subarray(3, 7) }, 3, 1);
    assert.deepEqual(got.map(([n, off, , ok]) => [n, off, ok]), [
      [2, 3, true],
      [3, 6, false],
      [4, 9, true],
    ]);
  });

  it('RunArray keeps runs, reads in order and at random, truncates, falls back to one value per record', () => {
    const a = new RunArray();
    const vals = [3, 3, 3, 5, 5, 1, 1, 1, 1, 7];
    vals.forEach((v) => a.push(v));
    assert.deepEqual(vals.map((_, i) => a.get(i)), vals);
    assert.deepEqual([a.get(9), a.get(0), a.get(5), a.get(-1), a.get(10)], [7, 3, 1, NaN, NaN]);
    assert.deepEqual([...a.runs().starts], [0, 3, 5, 9]);
    const b = RunArray.fromRuns(a.runs().starts.slice(), a.runs().values.slice(), vals.length);
    assert.deepEqual(vals.map((_, i) => b.get(i)), vals);
    a.truncate(4);
    assert.deepEqual([a.length, a.get(3), a.get(4)], [4, 5, NaN]);
    assert.throws(() => RunArray.fromRuns(new Uint32Array([1]), new Float64Array([1]), 3));
    const d = new RunArray();
    for (let i = 0; i < 20_000; i++) d.push(i % 2);
    assert.deepEqual([d.get(0), d.get(1), d.get(19_999)], [0, 1, 1]);
    assert.equal(d.runs().starts.length, 20_000);
  });

  it('GrowableF64 reserves, wraps without copying, truncates back to its fill', () => {
    const g = new GrowableF64(16);
    g.reserve(1000);
    assert.equal(g.capacity, 1000);
    g.set(5, 1);
    g.truncate(2);
    g.extendTo(6);
    assert.ok(Number.isNaN(g.get(5)));
    const src = new Float64Array([1, 2, 3]);
    const w = GrowableF64.wrap(src);
    assert.equal(w.view().buffer, src.buffer);
    w.push(4);
    assert.deepEqual([...w.view()], [1, 2, 3, 4]);
  });

  it('IssueList sorts by file and line, caps, counts what it left out', () => {
    const order = ['b', 'a'];
    const l = new IssueList(3, (f) => order.indexOf(f), () => 'log');
    for (const [file, line] of [['a', 2], ['b', 9], ['a', 1], ['b', 1]] as const) l.add({ file, line, message: 'm', severity: 'error' });
    l.setTransient([{ file: 'a', line: 0, message: 't', severity: 'warning' }]);
    l.addSuppressed(2);
    // the first three met are kept (b:1 came fourth), sorted with the transient one, then capped again
    assert.deepEqual(l.view.map((i) => `${i.file}:${i.line}:${i.message}`), ['b:9:m', 'a:0:t', 'a:1:m', 'log:0:4 more issues not listed']);
  });

  it('scanNumber is exactly Number() for JSON numbers (and Python NaN / Infinity)', () => {
    const cases = ['0', '-0', '1', '1.0', '0.8999999761581421', '0.19079199433326721', '1e-05', '-2.5E+20', '123456789012345678901', '1e400', '5e-324', 'NaN', 'Infinity', '-Infinity'];
    for (const c of cases) {
      assert.ok(scanNumber(Buffer.from(c + ','), 0, c.length + 1), c);
      assert.ok(Object.is(scannedNumber.value, Number(c)) || (c === 'NaN' && Number.isNaN(scannedNumber.value)), c);
      assert.equal(scannedNumber.end, c.length);
    }
    for (const bad of ['-', '.5', '1.', '1e', 'x', '']) assert.equal(scanNumber(Buffer.from(bad), 0, bad.length) && scannedNumber.end === bad.length, false, bad);
    fc.assert(
      fc.property(fc.double(), (d) => {
        const s = JSON.stringify(d) ?? 'null';
        if (s === 'null') return;
        assert.ok(scanNumber(Buffer.from(s), 0, s.length));
        assert.ok(Object.is(scannedNumber.value, JSON.parse(s)));
      }),
      { numRuns: 3000 },
    );
  });

  it('property: the forward and the backward member walks agree with JSON.parse on random objects', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }), fc.constantFrom(0, 1, 2), (obj, style) => {
        const text = style === 0 ? JSON.stringify(obj) : style === 1 ? JSON.stringify(obj, null, 1).replace(/\n/g, ' ') : ' ' + JSON.stringify(obj) + ' \t';
        const buf = Buffer.from(text);
        const fwd: Array<[string, unknown]> = [];
        const bwd: Array<[string, unknown]> = [];
        const visit = (into: Array<[string, unknown]>) => (ks: number, ke: number, vs: number, ve: number) => {
          into.push([JSON.parse(buf.toString('utf8', ks - 1, ke + 1)) as string, JSON.parse(buf.toString('utf8', vs, ve))]);
          return false;
        };
        assert.equal(walkMembers(buf, 0, buf.length, visit(fwd)), WALK_DONE);
        assert.equal(walkMembersBack(buf, 0, buf.length, -1, visit(bwd)), WALK_DONE);
        assert.deepEqual(bwd.reverse(), fwd);
        assert.deepEqual(new Map(fwd), new Map(Object.entries(JSON.parse(text) as object)));
      }),
      { numRuns: 1500 },
    );
  });

  it('property: the walks and the value skipper never throw or hang on random or mutated bytes', () => {
    const base = Buffer.from(JSON.stringify({ a: 'x "y" \\ z', b: [1, { c: 'd}' }], e: -1.5e3, f: null, g: { h: ['"]'] } }));
    const mutated = fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }).map((edits) => {
      const b = Buffer.from(base);
      for (const [at, v] of edits) b[at] = v;
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 120 }).map((u) => Buffer.from(u))), fc.nat(10), (b, stopAt) => {
        const noop = () => false;
        const f = walkMembers(b, 0, b.length, noop);
        const k = walkMembersBack(b, 0, b.length, stopAt - 1, noop);
        assert.ok(f === WALK_BAD || f === WALK_DONE || (f >= 0 && f <= b.length));
        assert.ok(k === WALK_BAD || k === WALK_DONE || (k >= 0 && k < b.length));
        for (let p = 0; p < b.length; p += 7) {
          const e = skipValue(b, p, b.length);
          assert.ok(e === -1 || (e > p && e <= b.length));
        }
        assert.equal(typeof isBlank(b, 0, b.length), 'boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('hashBytes chains ranges and depends on every byte', () => {
    const a = Buffer.from('system prompt … the question 17 … instructions');
    const b = Buffer.from(a);
    b[25] ^= 1;
    assert.notEqual(hashBytes(a, 0, a.length), hashBytes(b, 0, b.length));
    assert.equal(hashBytes(a, 0, a.length), hashBytes(Buffer.from(a), 0, a.length));
    assert.ok(Number.isSafeInteger(hashBytes(a, 0, a.length)));
    assert.notEqual(hashBytes(a, 0, 5, 1, 2), hashBytes(a, 0, 5));
  });
});

describe('scale: persisted index (cache folder)', () => {
  let dir: string;
  let cache: string;
  beforeEach(() => {
    dir = tempDir();
    cache = tempDir('rollout-lens-cache-');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  });

  function writeLog(f: string, n: number, from = 0): void {
    const lines = Array.from({ length: n }, (_, k) => {
      const i = k + from;
      return rec(Math.floor(i / 8), `g${Math.floor(i / 8)}`, i % 8, { rewards: { acc: (i % 3) / 2 }, advantage: (i % 5) - 2, completion: `<answer>${i}</answer> "reward": 9` });
    });
    fs.appendFileSync(f, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  }

  /** Paths given to fs.promises.open while `fn` runs. */
  async function opened<T>(fn: () => Promise<T>): Promise<{ value: T; paths: string[] }> {
    const paths: string[] = [];
    const orig = fs.promises.open;
    (fs.promises as { open: unknown }).open = (p: fs.PathLike, ...rest: unknown[]) => {
      paths.push(String(p));
      return (orig as (...a: unknown[]) => unknown)(p, ...rest);
    };
    try {
      return { value: await fn(), paths };
    } finally {
      (fs.promises as { open: unknown }).open = orig;
    }
  }

  it('miss, then hit without reading the log; never writes next to the log; records read as before', async () => {
    const f = path.join(dir, 'run.rollouts.jsonl');
    writeLog(f, 200);
    fs.appendFileSync(f, 'not json\n');
    const cold = await openRolloutLensJsonl(f, { cacheDir: cache, columns: true });
    assert.equal(cold.cacheStatus, 'miss');
    await cold.cacheWrite;
    cold.close();
    assert.deepEqual(fs.readdirSync(dir), ['run.rollouts.jsonl']);
    assert.equal(fs.readdirSync(cache).filter((n) => n.endsWith('.rlidx')).length, 1);
    assert.ok(fs.readdirSync(cache).every((n) => !n.includes('run')), 'the cache file name does not carry the log name');
    const { value: warm, paths } = await opened(() => openRolloutLensJsonl(f, { cacheDir: cache, columns: true }));
    assert.equal(warm.cacheStatus, 'hit');
    assert.ok(!paths.includes(f), `the log was opened: ${paths.join(', ')}`);
    assert.deepEqual(indexView(warm), indexView(cold));
    assert.deepEqual(warm.read(17), cold.read(17));
    assert.equal(warm.issues[0].line, 201);
    warm.close();
    // without a cache folder nothing is written
    const plain = await openRolloutLensJsonl(f);
    assert.equal(plain.cacheStatus, 'off');
    plain.close();
    assert.deepEqual(fs.readdirSync(dir), ['run.rollouts.jsonl']);
  });

  it('a log that grew loads the cache and indexes only the new lines; a shrunk or replaced one is rebuilt', async () => {
    const f = path.join(dir, 'run.rollouts.jsonl');
    writeLog(f, 100);
    const a = await openRolloutLensJsonl(f, { cacheDir: cache, columns: true });
    await a.cacheWrite;
    const before = indexView(a);
    a.close();
    writeLog(f, 60, 100);
    const b = await openRolloutLensJsonl(f, { cacheDir: cache, columns: true });
    assert.equal(b.cacheStatus, 'grown');
    assert.equal(b.recordCount, 160);
    const fresh = await openRolloutLensJsonl(f, { columns: true });
    assert.deepEqual(indexView(b), indexView(fresh));
    assert.deepEqual((indexView(b) as { recs: unknown[] }).recs.slice(0, 100), (before as { recs: unknown[] }).recs);
    await b.cacheWrite;
    b.close();
    fresh.close();
    const c = await openRolloutLensJsonl(f, { cacheDir: cache, columns: true });
    assert.equal(c.cacheStatus, 'hit');
    assert.equal(c.recordCount, 160);
    c.close();
    fs.writeFileSync(f, '');
    writeLog(f, 10);
    const d = await openRolloutLensJsonl(f, { cacheDir: cache, columns: true });
    assert.equal(d.cacheStatus, 'stale');
    assert.equal(d.recordCount, 10);
    d.close();
  });

  it('a corrupt, truncated or foreign cache file is ignored (and replaced)', async () => {
    const f = path.join(dir, 'run.rollouts.jsonl');
    writeLog(f, 50);
    const a = await openRolloutLensJsonl(f, { cacheDir: cache, columns: true });
    await a.cacheWrite;
    const good = indexView(a);
    a.close();
    const [name] = fs.readdirSync(cache).filter((n) => n.endsWith('.rlidx'));
    const cf = path.join(cache, name);
    const bytes = fs.readFileSync(cf);
    const damage: Array<(b: Buffer) => Buffer> = [
      (b) => ((b[Math.floor(b.length / 2)] ^= 0xff), b),
      (b) => b.subarray(0, b.length - 30),
      () => Buffer.from('RLIDX002 garbage'),
      () => Buffer.alloc(0),
    ];
    for (const d of damage) {
      fs.writeFileSync(cf, d(Buffer.from(bytes)));
      assert.equal((await loadIndex(cache, 'x')).status === 'ok', false);
      const l = await openRolloutLensJsonl(f, { cacheDir: cache, columns: true });
      assert.equal(l.cacheStatus, 'corrupt');
      assert.deepEqual(indexView(l), good);
      await l.cacheWrite;
      l.close();
    }
    const ok = await openRolloutLensJsonl(f, { cacheDir: cache, columns: true });
    assert.equal(ok.cacheStatus, 'hit');
    ok.close();
  });

  it('caches a verl folder; a new step file is picked up on load', async () => {
    const v = path.join(dir, 'dump');
    const row = (p: string, s: number, step: number) => ({ input: p, output: 'o', gts: 'g', score: s, step, acc: s });
    writeLines(path.join(v, '1.jsonl'), [row('a', 1, 1), row('a', 0, 1), row('b', 1, 1), row('b', 1, 1)]);
    const a = await openVerl([], { target: v, cacheDir: cache });
    assert.equal(a.cacheStatus, 'miss');
    await a.cacheWrite;
    const first = indexView(a);
    a.close();
    const b = await openVerl([], { target: v, cacheDir: cache });
    assert.equal(b.cacheStatus, 'hit');
    assert.deepEqual(indexView(b), first);
    b.close();
    writeLines(path.join(v, '2.jsonl'), [row('c', 1, 2), row('c', 0.5, 2)]);
    const c = await openVerl([], { target: v, cacheDir: cache });
    assert.equal(c.recordCount, 6);
    const fresh = await openVerl([], { target: v });
    assert.deepEqual(indexView(c), indexView(fresh));
    c.close();
    fresh.close();
    assert.deepEqual(fs.readdirSync(v).sort(), ['1.jsonl', '2.jsonl']);
  });

  it('loads a cached index much faster than it builds one', async function () {
    this.timeout(60000);
    const f = path.join(dir, 'big.rollouts.jsonl');
    const block = Array.from({ length: 2000 }, (_, i) => JSON.stringify(rec(Math.floor(i / 8), `g${i >> 3}`, i % 8, { completion: 'x'.repeat(300), rewards: { a: i % 2 } })));
    for (let k = 0; k < 15; k++) fs.appendFileSync(f, block.map((l) => l.replace(/"step":(\d+)/, (_m, s: string) => `"step":${Number(s) + k * 1000}`)).join('\n') + '\n');
    const cpu = async (fn: () => Promise<RolloutLensLog>): Promise<number> => {
      const c0 = process.cpuUsage();
      const l = await fn();
      const c = process.cpuUsage(c0);
      await l.cacheWrite;
      l.close();
      return c.user + c.system;
    };
    const build = Math.min(await cpu(() => openRolloutLensJsonl(f, { columns: true })), await cpu(() => openRolloutLensJsonl(f, { columns: true })));
    await cpu(() => openRolloutLensJsonl(f, { columns: true, cacheDir: cache }));
    const load = Math.min(await cpu(() => openRolloutLensJsonl(f, { columns: true, cacheDir: cache })), await cpu(() => openRolloutLensJsonl(f, { columns: true, cacheDir: cache })));
    assert.ok(load * 2 < build, `load ${load} µs vs build ${build} µs`);
    assert.ok(fs.existsSync(cacheFileFor(cache, `rollout-lens-jsonl\u0000${path.resolve(f)}\u0000columns=true`)));
  });
});

describe('scale: summaries in a worker thread, parallel indexing', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
    generateBenchData(path.join(dir, 'gen'), 4000);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ownGen = (): string => path.join(dir, 'gen', 'run.rollouts.jsonl');
  const verlGen = (): string => path.join(dir, 'gen', 'verl_rollouts');

  it('the worker script resolves from the tsc output', () => {
    assert.ok(fs.existsSync(defaultWorkerPath()), defaultWorkerPath());
  });

  it('gives the same summary as in-process, and summary.ts totals for own-format files', async function () {
    this.timeout(30000);
    const paths = [OWN_FIXTURE, VERL_DIR, ownGen(), verlGen()];
    const inProcess = await summarizePaths(paths);
    const seen: Array<[number, number]> = [];
    const inWorker = await summarizeInWorker(paths, { onProgress: (b, t) => seen.push([b, t]), progressIntervalMs: 0, threads: 1 });
    assert.deepEqual(inWorker, inProcess);
    assert.ok(seen.length > 0);
    const last = seen[seen.length - 1];
    assert.equal(last[0], last[1]);
    assert.ok(seen.every(([b, t], k) => b <= t && (k === 0 || b >= seen[k - 1][0])));
    assert.equal(inWorker.records, 5 + 5 + 4000 + 4000);
    const { perStep, ...rest } = await summarizeInWorker([OWN_FIXTURE, ownGen()], { threads: 1 });
    assert.ok(perStep.length > 0);
    assert.deepEqual(rest, await summarizeFiles([OWN_FIXTURE, ownGen()]));
  });

  it('parallel indexing (threads in the worker) gives exactly the one-thread summary', async function () {
    this.timeout(30000);
    for (const p of [ownGen(), verlGen()]) {
      const one = await summarizePaths([p], { threads: 1 });
      const three = await summarizeInWorker([p], { threads: 3, minParallelBytes: 0 });
      assert.deepEqual(three, one, p);
    }
  });

  it('per-step rows: records, groups, mean reward per function, zero-variance groups, mean advantage', async () => {
    const f = path.join(dir, 'steps.rollouts.jsonl');
    writeLines(f, [
      rec(1, 'a', 0, { rewards: { acc: 1, fmt: 1 }, advantage: 1 }),
      rec(1, 'a', 1, { rewards: { acc: 0, fmt: 1 }, advantage: -1 }),
      rec(1, 'b', 0, { rewards: { acc: 1, fmt: null } }),
      rec(1, 'b', 1, { rewards: { acc: 1, fmt: null } }),
      rec(2, 'c', 0, { reward: 0.5 }),
    ]);
    const s = await summarizeInWorker([f], { threads: 1 });
    assert.deepEqual(s.perStep, [
      { step: 1, records: 4, groups: 2, meanReward: 5 / 4, rewards: { acc: { mean: 0.75, count: 4 }, fmt: { mean: 1, count: 2 } }, zeroVarianceGroups: 1, meanAdvantage: 0, },
      { step: 2, records: 1, groups: 1, meanReward: 0.5, rewards: {}, zeroVarianceGroups: 0, meanAdvantage: null },
    ]);
    assert.equal(s.zeroVarianceGroups, 1);
    assert.deepEqual(s.steps, { min: 1, max: 2, count: 2 });
  });

  it('is cancellable: aborting terminates the worker and rejects with an AbortError', async () => {
    const ac = new AbortController();
    const p = summarizeInWorker([ownGen(), verlGen()], { signal: ac.signal, threads: 1 });
    setTimeout(() => ac.abort(), 5);
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(summarizeInWorker([ownGen()], { signal: pre.signal }), (e: Error) => e.name === 'AbortError');
    await assert.rejects(summarizeInWorker([ownGen()], { workerPath: path.join(dir, 'missing-worker.js') }));
  });

  it('fills the cache folder from the worker, and the next summary loads it', async function () {
    this.timeout(30000);
    const cache = tempDir('rollout-lens-cache-');
    try {
      const a = await summarizeInWorker([ownGen(), verlGen()], { cacheDir: cache, threads: 2, minParallelBytes: 0 });
      assert.equal(fs.readdirSync(cache).filter((n) => n.endsWith('.rlidx')).length, 2);
      const b = await summarizeInWorker([ownGen(), verlGen()], { cacheDir: cache, threads: 2, minParallelBytes: 0 });
      assert.deepEqual(b, a);
      const warm = await openRolloutLensJsonl(ownGen(), { cacheDir: cache, columns: true });
      assert.equal(warm.cacheStatus, 'hit');
      warm.close();
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it('reports unreadable paths as errors and still summarises the rest', async () => {
    const s = await summarizeInWorker([path.join(dir, 'nope.jsonl'), OWN_FIXTURE], { threads: 1 });
    assert.equal(s.records, 5);
    assert.deepEqual(s.errors[0], { file: path.join(dir, 'nope.jsonl'), line: 0, message: 'no such file or folder', severity: 'error' });
  });

  it('the merged parallel index is the one-pass index: groups across cuts, duplicates, bad lines, a half-written tail', async () => {
    const f = path.join(dir, 'cuts.rollouts.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const step = Math.floor(i / 40);
      // a group that spans every cut, duplicate index_in_group across parts, bad lines here and there
      lines.push(JSON.stringify(rec(step, i % 7 === 0 ? 'everywhere' : `g${i >> 3}`, i % 7 === 0 ? 3 : i % 8, { rewards: { acc: i % 2 }, completion: 'c'.repeat(i % 50) })));
      if (i % 61 === 0) lines.push('{"broken": ');
      if (i % 97 === 0) lines.push('');
    }
    fs.writeFileSync(f, lines.join('\n') + '\n' + '{"step": 9, "group_id": "t", "index_in_group": 0, "compl');
    const one = await openRolloutLensJsonl(f, { columns: true });
    const par = (await openParallel({ format: 'rollout-lens-jsonl', target: f, files: [f] }, { threads: 4, keepOffsets: true }))! as RolloutLensLog;
    assert.ok(par);
    const ranges = await splitFileRanges(f, fs.statSync(f).size, 4);
    assert.equal(ranges.length, 4);
    assert.deepEqual(indexView(par), indexView(one));
    assert.deepEqual([10, 150, 299].map((i) => par.read(i)), [10, 150, 299].map((i) => one.read(i)));
    assert.ok(par.issues.some((i) => /duplicate index_in_group 3 in group everywhere/.test(i.message)));
    // and it keeps growing like any log
    fs.appendFileSync(f, 'etion": "x"}\n');
    assert.deepEqual(await par.refresh(), { added: 1, reset: false });
    assert.deepEqual(await one.refresh(), { added: 1, reset: false });
    assert.deepEqual(indexView(par), indexView(one));
    par.close();
    one.close();

    const v = verlGen();
    const vOne = await openVerl([], { target: v });
    const vPar = (await openParallel({ format: 'verl-jsonl', target: v, files: vOne.files.slice() }, { threads: 3, keepOffsets: true }))! as Awaited<ReturnType<typeof openVerl>>;
    assert.deepEqual(indexView(vPar), indexView(vOne));
    vPar.close();
    vOne.close();
    assert.deepEqual(splitFiles(['a', 'b', 'c', 'd'], [10, 1, 1, 10], 2, 0), [['a', 'b'], ['c', 'd']]);
    assert.deepEqual(splitFiles(['a', 'b', 'c'], [1, 1, 1], 3, 0), [['a'], ['b'], ['c']]);
    assert.deepEqual(splitFiles(Array.from({ length: 10 }, (_, i) => String(i)), Array(10).fill(1), 2).map((p) => p.length), [6, 4]);
    assert.deepEqual(splitFiles(['a'], [5], 3), [['a']]);
  });

  it('the bench data: both layouts hold the same completions, groups and zero-variance groups', async () => {
    const own = await summarizePaths([ownGen()]);
    const verl = await summarizePaths([verlGen()]);
    for (const s of [own, verl]) {
      assert.equal(s.records, 4000);
      assert.equal(s.groups, 500);
      assert.deepEqual(s.errors, []);
    }
    assert.equal(verl.zeroVarianceGroups, own.zeroVarianceGroups);
    assert.deepEqual(verl.perStep.map((p) => [p.step, p.records, p.groups]), own.perStep.map((p) => [p.step, p.records, p.groups]));
    assert.equal(own.format, 'rollout-lens-jsonl');
    assert.equal(verl.format, 'verl-jsonl');
  });
});
