import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, FIXTURES } from './helpers';

interface Validator {
  (data: unknown): boolean;
  errors?: unknown;
}
interface AjvLike {
  compile(schema: unknown): Validator;
}

/** ajv (a devDependency) validates the fixtures against the schema. */
function loadAjv(): AjvLike {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('ajv/dist/2020') as { default: new (opts: object) => AjvLike };
  return new mod.default({ strict: false, allErrors: true });
}

describe('JSON Schema of the format', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schema', 'rollout-lens.schema.json'), 'utf8')) as {
    $schema: string;
    required: string[];
  };

  it('is draft 2020-12 and requires the four fields the reader requires', () => {
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(schema.required, ['step', 'group_id', 'index_in_group', 'completion']);
  });

  it('accepts the readable fixture lines and rejects the bad ones', function () {
    const validate = loadAjv().compile(schema);
    const lines = fs.readFileSync(path.join(FIXTURES, 'rollout-lens', 'run.rollouts.jsonl'), 'utf8').split('\n');
    const verdicts = lines.map((l) => {
      if (l.trim() === '') return 'blank';
      try {
        return validate(JSON.parse(l)) ? 'valid' : 'invalid';
      } catch {
        return 'not-json';
      }
    });
    // line 7 has NaN (Python json.dumps) which is not JSON; line 8 has a 3-number box
    assert.deepEqual(verdicts.slice(0, 8), ['valid', 'valid', 'blank', 'not-json', 'invalid', 'valid', 'not-json', 'invalid']);
    assert.equal(validate({ step: 0, group_id: 3, index_in_group: 0, completion: '', reference: { boxes: [{ bbox: [1, 2, 3, 4], frame: 'pixels' }] } }), false);
    assert.equal(validate({ step: 0, group_id: 'g', index_in_group: 0, completion: '', prompt: 'q', image: 'a.png', run: 'x' }), true);
  });
});
