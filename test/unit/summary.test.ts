import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasZeroVariance, summarizeFiles } from '../../extension/core/summary';
import { FIXTURES, rec, tempDir, writeLines } from './helpers';

const FIXTURE = path.join(FIXTURES, 'rollout-lens', 'run.rollouts.jsonl');

describe('summary', () => {
  it('summarises the fixture log', async () => {
    const s = await summarizeFiles([FIXTURE]);
    assert.equal(s.format, 'rollout-lens-jsonl');
    assert.deepEqual(s.files, [FIXTURE]);
    assert.equal(s.records, 5);
    assert.equal(s.groups, 3);
    assert.equal(s.zeroVarianceGroups, 1);
    assert.deepEqual(s.steps, { min: 0, max: 1, count: 2 });
    assert.deepEqual(Object.keys(s.rewards), ['accuracy', 'format', 'iou']);
    assert.equal(s.rewards.accuracy.count, 3);
    assert.ok(Math.abs(s.rewards.accuracy.mean - 2 / 3) < 1e-12);
    assert.deepEqual(s.rewards.iou, { mean: 0.82, count: 1 });
    assert.deepEqual(s.errors.map((e) => e.line), [4, 5]);
  });

  it('combines several logs and names files it could not read', async () => {
    const dir = tempDir();
    const a = path.join(dir, 'a.rollouts.jsonl');
    writeLines(a, [rec(10, 'g', 0, { rewards: { accuracy: 0 } }), rec(12, 'g', 0, { rewards: { accuracy: 1, fmt: 0.5 } })]);
    const missing = path.join(dir, 'missing.rollouts.jsonl');
    const s = await summarizeFiles([FIXTURE, a, missing]);
    assert.equal(s.records, 7);
    assert.equal(s.groups, 5);
    assert.deepEqual(s.steps, { min: 0, max: 12, count: 4 });
    assert.deepEqual(s.rewards.accuracy, { mean: 3 / 5, count: 5 });
    assert.deepEqual(s.rewards.fmt, { mean: 0.5, count: 1 });
    assert.deepEqual(s.files, [FIXTURE, a]);
    assert.deepEqual(s.errors.map((e) => [path.basename(e.file), e.line]), [
      ['run.rollouts.jsonl', 4],
      ['run.rollouts.jsonl', 5],
      ['missing.rollouts.jsonl', 0],
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives format null and no steps when nothing could be read', async () => {
    const s = await summarizeFiles(['no/such.rollouts.jsonl']);
    assert.equal(s.format, null);
    assert.equal(s.steps, null);
    assert.equal(s.records, 0);
    assert.match(s.errors[0].message, /^cannot read/);
  });

  it('flags zero-variance groups only for ≥ 2 completions with known, equal rewards', () => {
    const r = Float64Array.from([1, 1, 0, NaN, NaN]);
    assert.equal(hasZeroVariance([0, 1], r), true);
    assert.equal(hasZeroVariance([0, 2], r), false);
    assert.equal(hasZeroVariance([0], r), false);
    assert.equal(hasZeroVariance([3, 4], r), false);
  });
});
