import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectFormat, detectFormatOfFile } from '../../extension/core/formats/detect';
import { FIXTURES, tempDir } from './helpers';

const b = (s: string): Uint8Array => Buffer.from(s, 'utf8');

describe('detectFormat', () => {
  it('accepts *.rollouts.jsonl by name whatever the content', () => {
    assert.equal(detectFormat('/x/run.rollouts.jsonl', b('')), 'rollout-lens-jsonl');
    assert.equal(detectFormat('C:\\x\\RUN.Rollouts.JSONL', b('garbage')), 'rollout-lens-jsonl');
  });

  it('accepts any file whose first non-empty line is an object with step and completion', () => {
    assert.equal(detectFormat('log.jsonl', b('\n  \n{"step": 1, "group_id": "a", "index_in_group": 0, "completion": "x"}\n')), 'rollout-lens-jsonl');
    assert.equal(detectFormat('log.jsonl', b('{"completion": "x", "step": 0, "reward": NaN}')), 'rollout-lens-jsonl');
  });

  it('judges a first line cut off by the byte limit by the keys seen so far', () => {
    assert.equal(detectFormat('log.jsonl', b('{"step": 1, "group_id": "a", "prompt": {"text": "very long')), 'rollout-lens-jsonl');
    assert.equal(detectFormat('log.jsonl', b('{"step": 1, "input": "very long')), null);
  });

  it('rejects other JSONL logs, non-JSON text and empty files', () => {
    assert.equal(detectFormat('verl/12.jsonl', b('{"input": "q", "output": "a", "score": 1.0, "step": 12}\n')), null);
    assert.equal(detectFormat('swift.jsonl', b('{"step": [1, 2], "prompt": ["a"], "completion": ["b"]}'.replace('"completion"', '"completions"'))), null);
    assert.equal(detectFormat('a.jsonl', b('------------- 2025 Accuracy reward -------------\n')), null);
    assert.equal(detectFormat('a.jsonl', b('[1, 2]\n')), null);
    assert.equal(detectFormat('a.jsonl', b('')), null);
  });

  it('reads files from disk (first 64 KB) and returns null when unreadable', () => {
    const dir = tempDir();
    const f = path.join(dir, 'plain.jsonl');
    fs.writeFileSync(f, JSON.stringify({ step: 0, input: 'y'.repeat(100_000), completion: 'x' }) + '\n');
    assert.equal(detectFormatOfFile(f), null); // cut off before `completion`, and no group_id before the cut
    fs.writeFileSync(f, JSON.stringify({ step: 0, group_id: 'a', index_in_group: 0, completion: 'y'.repeat(100_000) }) + '\n');
    assert.equal(detectFormatOfFile(f), 'rollout-lens-jsonl');
    assert.equal(detectFormatOfFile(path.join(FIXTURES, 'rollout-lens', 'run.rollouts.jsonl')), 'rollout-lens-jsonl');
    assert.equal(detectFormatOfFile(path.join(dir, 'missing.jsonl')), null);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
