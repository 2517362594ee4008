import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImportedVerdicts, normaliseVerdictLabel, parseVerdictText, readVerdictFile } from '../../extension/core/judge/importFile';
import { completionHash } from '../../extension/core/judge/items';
import { makeRollout } from './helpers';
import type { Rollout } from '../../extension/core/model';

function mk(completion: string, over: Partial<Rollout> = {}): Rollout {
  return makeRollout({ completion, ...over });
}

const C1 = '<think>So there are 4 red circles in total.</think><answer>3</answer>';
const C2 = '<think>So there are 2 red circles in total.</think><answer>2</answer>';

describe('judge import: reading files', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-judge-import-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it('JSONL: keys, label synonyms, confidence, rationale; a bad line is skipped and reported with file and line', () => {
    const f = write(
      'judge.verdicts.jsonl',
      [
        JSON.stringify({ completion_sha256: completionHash(C1), verdict: 'contradiction', confidence: 0.9, rationale: 'says 4, answers 3' }),
        '{"sample_id": "s1", "step": 3, "index_in_group": 2, "label": "Entailment", "reason": "ok"}',
        '{not json',
        '',
        '{"sample_id": "s2", "judgement": {"label": "neutral", "confidence": 80, "explanation": "no boxes"}}',
        '{"sample_id": "s3", "verdict": "maybe"}',
        '{"verdict": "yes"}',
        '[1, 2]',
        '{"id": 17, "verdict": false, "confidence": "high"}',
        `{"completion_hash": "${completionHash(C2).toUpperCase()}", "label": "CONSISTENT"}`,
      ].join('\n') + '\n',
    );
    const { entries, issues } = readVerdictFile(f);
    assert.deepEqual(
      entries.map((e) => [e.line, e.verdict.label, e.hash?.slice(0, 6) ?? null, e.sampleId ?? null, e.step ?? null, e.index ?? null]),
      [
        [1, 'contradicted', completionHash(C1).slice(0, 6), null, null, null],
        [2, 'supported', null, 's1', 3, 2],
        [5, 'unsupported', null, 's2', null, null],
        [9, 'contradicted', null, '17', null, null],
        [10, 'supported', completionHash(C2).slice(0, 6), null, null, null],
      ],
    );
    assert.deepEqual(entries[0]!.verdict, { label: 'contradicted', source: 'file:judge.verdicts.jsonl', confidence: 0.9, rationale: 'says 4, answers 3' });
    assert.deepEqual(entries[2]!.verdict, { label: 'unsupported', source: 'file:judge.verdicts.jsonl', confidence: 0.8, rationale: 'no boxes' });
    assert.equal(entries[1]!.verdict.rationale, 'ok');
    assert.deepEqual(
      issues.map((i) => [path.basename(i.file), i.line, i.severity]),
      [
        ['judge.verdicts.jsonl', 3, 'error'],
        ['judge.verdicts.jsonl', 6, 'error'],
        ['judge.verdicts.jsonl', 7, 'error'],
        ['judge.verdicts.jsonl', 8, 'error'],
        ['judge.verdicts.jsonl', 9, 'warning'],
      ],
    );
    assert.equal(issues[0]!.file, f);
    assert.match(issues[0]!.message, /^not valid JSON/);
    assert.match(issues[1]!.message, /unknown verdict "maybe"/);
    assert.match(issues[2]!.message, /no completion_sha256 \/ completion_hash, sample_id or id/);
    assert.match(issues[3]!.message, /not a JSON object \(an array\)/);
    assert.match(issues[4]!.message, /confidence "high" ignored/);
  });

  it('a JSON array (rows reported as rows), a wrapper object, a BOM and CRLF line ends', () => {
    const arr = write('verdicts.json', JSON.stringify([{ sample_id: 'a', verdict: 'supported' }, { sample_id: 'b' }, { id: completionHash(C1), verdict: 'no' }], null, 2));
    const r = readVerdictFile(arr);
    assert.deepEqual(r.entries.map((e) => [e.line, e.verdict.label, e.verdict.source]), [
      [1, 'supported', 'file:verdicts.json'],
      [3, 'contradicted', 'file:verdicts.json'],
    ]);
    assert.equal(r.entries[1]!.hash, completionHash(C1));
    assert.deepEqual(r.issues.map((i) => [i.line, i.unit, i.severity]), [[2, 'row', 'error']]);
    const wrap = write('wrapped.json', JSON.stringify({ model: 'judge-7b', verdicts: [{ sample_id: 'a', label: 'true' }] }, null, 2));
    assert.deepEqual(readVerdictFile(wrap).entries.map((e) => e.verdict.label), ['supported']);
    const bom = write('bom.jsonl', '\uFEFF{"sample_id": "a", "verdict": "supported"}\r\n{"sample_id": "b", "verdict": "inconsistent"}\r\n');
    const b = readVerdictFile(bom);
    assert.deepEqual(b.issues, []);
    assert.deepEqual(b.entries.map((e) => [e.line, e.sampleId, e.verdict.label]), [
      [1, 'a', 'supported'],
      [2, 'b', 'contradicted'],
    ]);
    const broken = write('broken.json', '[\n  {"sample_id": "a", "verdict": "supported"},\n  {"sample_id": \n');
    const x = readVerdictFile(broken);
    assert.equal(x.entries.length, 0);
    assert.equal(x.issues.length, 1);
    assert.match(x.issues[0]!.message, /^not valid JSON/);
  });

  it('a long JSONL file read in chunks keeps every line number', () => {
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) lines.push(i === 20_000 ? 'garbage' : JSON.stringify({ sample_id: `s${i}`, step: i % 7, index: i % 8, verdict: i % 3 ? 'supported' : 'contradicted', rationale: 'x'.repeat(40) }));
    const f = write('big.jsonl', lines.join('\n'));
    const r = readVerdictFile(f);
    assert.equal(r.entries.length, 29_999);
    assert.deepEqual(r.issues.map((i) => i.line), [20_001]);
    assert.equal(r.entries[r.entries.length - 1]!.line, 30_000);
    assert.equal(r.entries[r.entries.length - 1]!.sampleId, 's29999');
  });

  it('parseVerdictText reads text already in memory', () => {
    const r = parseVerdictText('{"sample_id": "a", "verdict": "supported"}\nnope\n', path.join(os.tmpdir(), 'x.jsonl'));
    assert.equal(r.entries.length, 1);
    assert.deepEqual(r.issues.map((i) => i.line), [2]);
  });

  it('label synonyms', () => {
    const cases: Array<[unknown, string | null]> = [
      ['yes', 'supported'], ['TRUE', 'supported'], ['consistent', 'supported'], ['entailment', 'supported'], [true, 'supported'],
      ['no', 'contradicted'], ['false', 'contradicted'], ['inconsistent', 'contradicted'], ['contradiction', 'contradicted'], [false, 'contradicted'],
      ['neutral', 'unsupported'], ['not_supported', 'unsupported'], ['Unsupported.', 'unsupported'], ['unknown', 'unknown'],
      ['maybe', null], [3, null], [null, null],
    ];
    for (const [v, want] of cases) assert.equal(normaliseVerdictLabel(v), want, String(v));
  });
});

describe('judge import: matching completions', () => {
  const file = path.join(os.tmpdir(), 'judge-out.jsonl');
  const src = (lines: object[]): ImportedVerdicts => new ImportedVerdicts(parseVerdictText(lines.map((l) => JSON.stringify(l)).join('\n'), file).entries, file);

  it('completion hash first, then sample_id + step + index, then sample_id + index, then a lone sample_id', () => {
    const iv = src([
      { completion_sha256: completionHash(C1), verdict: 'contradicted' },
      { sample_id: 'p1', step: 2, index_in_group: 1, verdict: 'unsupported' },
      { sample_id: 'p1', index: 3, verdict: 'supported' },
      { sample_id: 'p2', verdict: 'supported', rationale: 'only entry for p2' },
      { sample_id: 'p3', verdict: 'supported' },
      { sample_id: 'p3', step: 9, index: 0, verdict: 'contradicted' },
      { sample_id: 'p4', step: 5, verdict: 'contradicted' },
    ]);
    assert.equal(iv.source, 'file:judge-out.jsonl');
    assert.equal(iv.size, 7);
    // the hash wins even when the sample keys would also match
    const byHash = mk(C1, { sampleId: 'p1', step: 2, indexInGroup: 1 });
    assert.deepEqual(iv.lookup(byHash), { label: 'contradicted', source: 'file:judge-out.jsonl' });
    assert.equal(iv.find(byHash)!.by, 'hash');
    const ssi = mk(C2, { sampleId: 'p1', step: 2, indexInGroup: 1 });
    assert.equal(iv.lookup(ssi)!.label, 'unsupported');
    assert.equal(iv.find(ssi)!.by, 'sample-step-index');
    // an entry with a step does not match another step; the step-less entry for the index does
    assert.equal(iv.find(mk(C2, { sampleId: 'p1', step: 7, indexInGroup: 3 }))!.by, 'sample-index');
    assert.equal(iv.lookup(mk(C2, { sampleId: 'p1', step: 7, indexInGroup: 1 })), undefined);
    // a lone sample_id matches every completion of that sample
    assert.equal(iv.lookup(mk(C2, { sampleId: 'p2', step: 4, indexInGroup: 6 }))!.rationale, 'only entry for p2');
    // … but not when the file has more than one entry for it
    assert.equal(iv.lookup(mk(C2, { sampleId: 'p3', step: 1, indexInGroup: 0 })), undefined);
    assert.equal(iv.lookup(mk(C2, { sampleId: 'p3', step: 9, indexInGroup: 0 }))!.label, 'contradicted');
    assert.equal(iv.find(mk(C2, { sampleId: 'p4', step: 5, indexInGroup: 2 }))!.by, 'sample-step');
    assert.equal(iv.lookup(mk(C2, { sampleId: 'p4', step: 6, indexInGroup: 2 })), undefined);
    assert.equal(iv.lookup(mk(C2)), undefined);
  });

  it('numeric sample ids match string ones; match counts', () => {
    const iv = src([
      { sample_id: 12, step: 1, index_in_group: 0, verdict: 'supported' },
      { completion_hash: completionHash(C2), verdict: 'no' },
    ]);
    const rs = [mk(C1, { sampleId: '12' }), mk(C2, { sampleId: 'x' }), mk(C2, { sampleId: 'y', indexInGroup: 1 }), mk(C1, { sampleId: 'z' })];
    assert.deepEqual(iv.matchStats(rs), {
      total: 4,
      matched: 3,
      by: { hash: 2, 'sample-step-index': 1, 'sample-step': 0, 'sample-index': 0, sample: 0 },
      entriesUsed: 2,
      entries: 2,
    });
    assert.equal(iv.matchedCount(rs), 3);
  });

  it('duplicate full keys: the later entry wins and is counted', () => {
    const iv = src([
      { completion_sha256: completionHash(C1), verdict: 'supported' },
      { completion_sha256: completionHash(C1), verdict: 'contradicted' },
    ]);
    assert.equal(iv.duplicates, 1);
    assert.equal(iv.lookup(mk(C1))!.label, 'contradicted');
  });

  it('never writes: the directory is unchanged after reading', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-judge-ro-'));
    try {
      const f = path.join(dir, 'v.jsonl');
      fs.writeFileSync(f, '{"sample_id": "a", "verdict": "supported"}\n');
      const before = fs.statSync(f).mtimeMs;
      const { entries } = readVerdictFile(f);
      new ImportedVerdicts(entries, f).lookup(mk(C1, { sampleId: 'a' }));
      assert.deepEqual(fs.readdirSync(dir), ['v.jsonl']);
      assert.equal(fs.statSync(f).mtimeMs, before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
