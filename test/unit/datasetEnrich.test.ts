import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findLogs, openSpec } from '../../extension/core/formats/all';
import { readRunContextSafe } from '../../extension/core/runs/contextForRun';
import { generateDemoWorkspace } from '../../extension/demo/generate';
import { tempDir } from './helpers';

describe('joining prompts back to the training dataset (formats that log no images)', function () {
  this.timeout(20_000);
  let ws: string;
  before(() => {
    ws = tempDir();
    generateDemoWorkspace(ws, { steps: 4, prompts: 8, groupSize: 4 });
  });
  after(() => fs.rmSync(ws, { recursive: true, force: true }));

  async function open(rel: string) {
    const { specs } = await findLogs([path.join(ws, rel)]);
    assert.equal(specs.length, 1);
    const runDir = path.join(ws, rel.split('/').slice(0, 2).join('/'));
    const context = await readRunContextSafe(runDir, { format: specs[0]!.format });
    assert.ok(context?.datasets, 'rollout-lens.json names the dataset');
    return openSpec(specs[0]!, { context });
  }

  it('TRL parquet rows get the image, its size and the answer of their dataset row; boxes are mapped with it', async () => {
    const log = await open('runs/trl-demo/completions');
    let joined = 0;
    let ambiguous = 0;
    let mapped = 0;
    for (let i = 0; i < log.recordCount; i++) {
      const { rollout, issues } = log.read(i);
      assert.ok(rollout);
      if (rollout.prompt.images.length === 1) {
        joined++;
        const im = rollout.prompt.images[0]!;
        assert.ok(im.resolved && fs.existsSync(im.resolved), im.path);
        assert.ok(im.width && im.height);
        assert.equal(rollout.extra.reference_source, 'dataset');
        assert.match(String(rollout.reference.answer), /^\d+$/);
        if (rollout.predicted.length > 0 && rollout.predicted.every((b) => b.frame === 'model-input')) mapped++;
      } else {
        ambiguous++;
        assert.ok(issues.some((x) => /matches \d+ dataset rows with different images/.test(x.message)), JSON.stringify(issues));
      }
    }
    assert.ok(joined > 0 && mapped > 0, `${joined} joined, ${mapped} mapped`);
    // the demo has two scenes that ask the same question: those prompts cannot be joined to one image
    assert.ok(ambiguous > 0, 'shared questions are reported as ambiguous, not guessed');
    log.close();
  });
});
