// A running TRL job adds completions_<step>.parquet files: the folder log picks them up on refresh().
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openPath } from '../../extension/core/formats/all';
import { listParquetSteps } from '../../extension/core/formats/trl';

const FIX = path.resolve(__dirname, '../../../test/fixtures/frameworks/trl-run/completions');

describe('TRL Parquet folder: refresh picks up new step files', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-trl-')), 'completions');
    fs.mkdirSync(dir);
  });
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('adds the rows of a new step file, keeps the log object, ignores writers\' temp files', async () => {
    fs.copyFileSync(path.join(FIX, 'completions_00010.parquet'), path.join(dir, 'completions_00010.parquet'));
    const log = await openPath(dir);
    try {
      assert.equal(log.recordCount, 8);
      assert.deepEqual([...log.steps], [10]);
      assert.ok(log.refresh, 'a folder log can refresh');
      assert.deepEqual(await log.refresh!(), { added: 0 });
      // a writer's temp file is not a step file yet
      fs.copyFileSync(path.join(FIX, 'completions_00012.parquet'), path.join(dir, '.completions_00012.parquet.tmp'));
      assert.deepEqual(listParquetSteps(dir).map((f) => path.basename(f)), ['completions_00010.parquet']);
      assert.deepEqual(await log.refresh!(), { added: 0 });
      fs.renameSync(path.join(dir, '.completions_00012.parquet.tmp'), path.join(dir, 'completions_00012.parquet'));
      const r = await log.refresh!();
      assert.deepEqual(r, { added: 4 });
      assert.equal(log.recordCount, 12);
      assert.deepEqual([...log.steps], [10, 12]);
      const last = log.read(11);
      assert.ok(last.rollout, JSON.stringify(last.issues));
      assert.equal(last.rollout!.step, 12);
      // the first rows still read from the first file
      assert.equal(log.read(0).rollout!.step, 10);
    } finally {
      log.close();
    }
  });

  it('a rewritten file resets the index', async () => {
    fs.copyFileSync(path.join(FIX, 'completions_00010.parquet'), path.join(dir, 'completions_00010.parquet'));
    const log = await openPath(dir);
    try {
      fs.copyFileSync(path.join(FIX, 'completions_00012.parquet'), path.join(dir, 'completions_00010.parquet'));
      const r = await log.refresh!();
      assert.equal(r.reset, true);
      assert.equal(log.recordCount, 4);
    } finally {
      log.close();
    }
  });
});
