// The real files from public repositories that are datasets or trainer states rather than rollout logs:
// each read with the rows it really holds (the rollout-log fixtures are covered by each reader's tests).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadDatasetIndex } from '../../extension/core/runs/datasetJoin';
import { readTrainerState } from '../../extension/core/formats/metrics';
import { detectFile } from '../../extension/core/formats/all';
import { FIXTURES } from './helpers';

const D = path.join(FIXTURES, 'datasets');

describe('real dataset and trainer-state files', () => {
  it('R1-V SuperCLEVR counting prompts: 5 rows sharing one question, so a prompt alone cannot pick the image', async () => {
    const idx = await loadDatasetIndex([path.join(D, 'r1-v__eval_prompts__superclevr_test200_counting_problems.head5.jsonl')], [D]);
    assert.equal(idx.size, 5);
    assert.equal(idx.questions, 1);
    const m = idx.match('system\nYou are a helpful assistant.\nuser\nHow many different items are there in the image?\nassistant\n');
    assert.equal(m.length, 5);
    assert.equal(new Set(m.map((x) => x.images[0])).size, 5, 'five different images: ambiguous');
    assert.deepEqual(m.map((x) => x.solution), ['4', '9', ...m.slice(2).map((x) => x.solution)]);
    assert.equal(detectFile(path.join(D, 'r1-v__eval_prompts__superclevr_test200_counting_problems.head5.jsonl')), null, 'a dataset is not a rollout log');
  });

  it('R1-V GeoQA prompts: 3 distinct questions, each joined to its one image and answer', async () => {
    const idx = await loadDatasetIndex([path.join(D, 'r1-v__eval_prompts__geoqa_test_prompts.head3.jsonl')], [D]);
    assert.equal(idx.size, 3);
    assert.equal(idx.questions, 3);
    const m = idx.match('As shown in the figure, in triangle ABC, it is known that angle A = 80.0, angle B = 60.0, DE parallel  BC, then the size of angle CED is ()');
    assert.equal(m.length, 1);
    assert.equal(m[0]!.solution, '140°');
    assert.equal(path.basename(m[0]!.images[0]!), '0.png');
  });

  it('VLM-R1 grpo_jsonl multi-image rows: 2 rows with 2 screenshots each', async () => {
    const idx = await loadDatasetIndex([path.join(D, 'vlm-r1__data_jsonl__gui_multi-image.head2.jsonl')], [D]);
    assert.equal(idx.size, 2);
    const row = idx.byId(1)[0]!;
    assert.equal(row.images.length, 2);
    assert.ok(row.images.every((p) => p.endsWith('.png')));
  });

  it('an HF Trainer trainer_state.json: its 2 log_history entries and global step', async () => {
    const st = await readTrainerState(path.join(D, 'trainer_state__toplevel_keys_example.json'));
    assert.equal(st.globalStep, 400);
    assert.equal(st.logHistory.length + (st.trainSummary ? 1 : 0) + st.evalRows.length, 2);
  });
});
