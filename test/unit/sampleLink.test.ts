import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  MAX_INDEX, MAX_PATH_LENGTH, MAX_QUERY_LENGTH, buildSampleLinkQuery, checkLinkPath, existsInside, isInside, linkPathFor, parseSampleLinkQuery,
  resolveLinkPath,
} from '../../extension/core/runs/sampleLink';

/** VS Code hands a URI handler its query percent-decoded once. */
const decodedOnce = (q: string) => q.replace(/(%[0-9A-Fa-f]{2})+/g, (m) => {
  try {
    return decodeURIComponent(m);
  } catch {
    return m;
  }
});

function err(q: string): string {
  const r = parseSampleLinkQuery(q);
  assert.ok('error' in r, `expected an error for ${JSON.stringify(q.slice(0, 80))}, got ${JSON.stringify(r)}`);
  return r.error;
}

describe('sample links (query)', () => {
  it('round-trips, raw and as VS Code decodes it', () => {
    for (const p of ['runs/a/train.rollouts.jsonl', 'runs/my run (2)/completions', 'données/été #1/x?.jsonl', 'a+b/c=d.jsonl', "it's/日本語.jsonl"]) {
      const link = { path: p, group: 12, completion: 3 };
      const q = buildSampleLinkQuery(link);
      assert.deepStrictEqual(parseSampleLinkQuery(q), link, q);
      assert.deepStrictEqual(parseSampleLinkQuery(decodedOnce(q)), link, decodedOnce(q));
      assert.deepStrictEqual(parseSampleLinkQuery('?' + q), link);
    }
    assert.strictEqual(buildSampleLinkQuery({ path: 'a b/c.jsonl', group: 0, completion: 0 }), 'path=a%20b%2Fc.jsonl&group=0&completion=0');
  });

  it('defaults completion to 0, ignores unknown parameters and order', () => {
    assert.deepStrictEqual(parseSampleLinkQuery('group=2&path=x.jsonl'), { path: 'x.jsonl', group: 2, completion: 0 });
    assert.deepStrictEqual(parseSampleLinkQuery('utm=1&path=x.jsonl&group=2&completion=1&&'), { path: 'x.jsonl', group: 2, completion: 1 });
    assert.deepStrictEqual(parseSampleLinkQuery(`path=x&group=${MAX_INDEX}`), { path: 'x', group: MAX_INDEX, completion: 0 });
  });

  it('refuses missing parameters', () => {
    assert.match(err(''), /no parameters/);
    assert.match(err('group=1'), /path is missing/);
    assert.match(err('path=&group=1'), /path is empty/);
    assert.match(err('path=x.jsonl'), /group is missing/);
    assert.match(err('path=x.jsonl&group='), /group must be/);
    assert.match(err('path'), /path is empty/);
  });

  it('refuses numbers that are not plain non-negative integers', () => {
    for (const g of ['-1', '1.5', '1e3', '0x10', '01', ' 1', '1 ', '+1', 'NaN', 'Infinity', '9999999999', '99999999999999999999999', '１', '%31%2E5']) {
      assert.match(err(`path=x&group=${encodeURIComponent(g)}`), /group must be/, g);
      assert.match(err(`path=x&group=1&completion=${encodeURIComponent(g)}`), /completion must be/, g);
    }
  });

  it('refuses hostile paths', () => {
    const cases: [string, RegExp][] = [
      ['../x', /".." segment/],
      ['a/../../x', /".." segment/],
      ['..', /".." segment/],
      ['./x', /"\." segment/],
      ['/etc/passwd', /not relative/],
      ['//server/share/x', /not relative/],
      ['~/x', /not relative/],
      ['C:\\x', /backslash/],
      ['C:/x', /drive letter/],
      ['c:x', /drive letter/],
      ['a\\..\\..\\x', /backslash/],
      ['a//b', /empty segment/],
      ['a/', /empty segment/],
      ['a/b\u0000.jsonl', /control/],
      ['a\nb', /control/],
      ['%2e%2e/x', /"%"/],
      ['a/%252e%252e/x', /"%"/],
      ['a&b', /"%" or "&"/],
    ];
    for (const [p, re] of cases) {
      assert.match(err(`path=${encodeURIComponent(p)}&group=0`), re, p);
      assert.match(checkLinkPath(p) ?? '', re, p);
    }
    // literally, not encoded
    assert.match(err('path=%2e%2e/x&group=0'), /".." segment/);
    assert.match(err('path=%2E%2E%2Fx&group=0'), /".." segment/);
    // double-encoded, as VS Code passes it (decoded once): decoded once more here, still "..";
    assert.match(err(decodedOnce('path=%252e%252e%252fx&group=0')), /".." segment/);
    // triple-encoded: a "%" is left after decoding, refused
    assert.match(err(decodedOnce('path=%25252e%25252e%25252fx&group=0')), /"%"/);
    assert.match(err('path=/etc/passwd&group=0'), /not relative/);
    assert.match(err('path=%E0%A4%A&group=0'), /not properly encoded/);
    assert.throws(() => buildSampleLinkQuery({ path: '../x', group: 0, completion: 0 }), /cannot link/);
    assert.throws(() => buildSampleLinkQuery({ path: 'x', group: -1, completion: 0 }), /group must be/);
    assert.throws(() => buildSampleLinkQuery({ path: 'x', group: 1, completion: 0.5 }), /completion must be/);
    assert.throws(() => buildSampleLinkQuery({ path: 'x', group: 1e10, completion: 0 }), /group must be/);
  });

  it('refuses repeated parameters and oversized links', () => {
    assert.match(err('path=a&path=b&group=1'), /more than once/);
    assert.match(err('path=a&group=1&group=2'), /more than once/);
    assert.match(err(`path=${'a'.repeat(MAX_PATH_LENGTH + 1)}&group=1`), /longer than/);
    assert.match(err(`path=${'a/'.repeat(600)}b&group=1`), /longer than/);
    assert.match(err(`path=${'a'.repeat(300)}/b&group=1`), /segment is longer/);
    assert.match(err(`path=x&group=1&pad=${'z'.repeat(MAX_QUERY_LENGTH)}`), /longer than/);
    assert.match(err(Array.from({ length: 40 }, (_, i) => `k${i}=1`).join('&')), /too many/);
    assert.throws(() => buildSampleLinkQuery({ path: 'a'.repeat(MAX_PATH_LENGTH + 1), group: 0, completion: 0 }));
  });
});

describe('sample links (paths in the workspace)', () => {
  let root: string;
  let ws: string;
  let ws2: string;
  let outside: string;
  before(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-link-')));
    ws = path.join(root, 'ws');
    ws2 = path.join(root, 'ws2');
    outside = path.join(root, 'outside');
    for (const d of [path.join(ws, 'runs', 'a'), ws2, outside]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(ws, 'runs', 'a', 'train.rollouts.jsonl'), '{}\n');
    fs.writeFileSync(path.join(ws2, 'only2.jsonl'), '{}\n');
    fs.writeFileSync(path.join(outside, 'secret.jsonl'), '{}\n');
    fs.symlinkSync(path.join(outside, 'secret.jsonl'), path.join(ws, 'link.jsonl'));
    fs.symlinkSync(outside, path.join(ws, 'outdir'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('resolves a path against each workspace folder in turn', () => {
    assert.deepStrictEqual(resolveLinkPath('runs/a/train.rollouts.jsonl', [ws, ws2]), { file: path.join(ws, 'runs', 'a', 'train.rollouts.jsonl') });
    assert.deepStrictEqual(resolveLinkPath('only2.jsonl', [ws, ws2]), { file: path.join(ws2, 'only2.jsonl') });
    assert.deepStrictEqual(resolveLinkPath('runs/a', [ws]), { file: path.join(ws, 'runs', 'a') });
    assert.match((resolveLinkPath('nope.jsonl', [ws, ws2]) as { error: string }).error, /not found/);
    assert.match((resolveLinkPath('x', []) as { error: string }).error, /no folder/);
  });

  it('refuses symlinks that lead outside the workspace, and hostile paths', () => {
    assert.match((resolveLinkPath('link.jsonl', [ws]) as { error: string }).error, /outside the workspace/);
    assert.match((resolveLinkPath('outdir/secret.jsonl', [ws]) as { error: string }).error, /outside the workspace/);
    assert.match((resolveLinkPath('../outside/secret.jsonl', [ws]) as { error: string }).error, /".." segment/);
    assert.match((resolveLinkPath('/etc/passwd', [ws]) as { error: string }).error, /not relative/);
    // a symlink into another workspace folder is fine
    fs.symlinkSync(path.join(ws2, 'only2.jsonl'), path.join(ws, 'to2.jsonl'));
    assert.deepStrictEqual(resolveLinkPath('to2.jsonl', [ws, ws2]), { file: path.join(ws, 'to2.jsonl') });
  });

  it('existsInside follows symlinks', () => {
    assert.ok(existsInside(path.join(ws, 'runs', 'a', 'train.rollouts.jsonl'), [ws]));
    assert.ok(!existsInside(path.join(ws, 'link.jsonl'), [ws]));
    assert.ok(!existsInside(path.join(outside, 'secret.jsonl'), [ws]));
    assert.ok(!existsInside(path.join(ws, 'missing.jsonl'), [ws]));
    assert.ok(!existsInside('relative.jsonl', [ws]));
  });

  it('linkPathFor gives the workspace-relative path, null outside', () => {
    assert.strictEqual(linkPathFor(path.join(ws, 'runs', 'a', 'train.rollouts.jsonl'), [ws, ws2]), 'runs/a/train.rollouts.jsonl');
    assert.strictEqual(linkPathFor(path.join(ws, 'runs', 'a'), [ws]), 'runs/a');
    assert.strictEqual(linkPathFor(path.join(ws2, 'only2.jsonl'), [ws, ws2]), 'only2.jsonl');
    assert.strictEqual(linkPathFor(path.join(outside, 'secret.jsonl'), [ws]), null);
    assert.strictEqual(linkPathFor(path.join(ws, 'link.jsonl'), [ws]), null);
    assert.strictEqual(linkPathFor(ws, [ws]), null, 'the folder itself is no log');
    assert.strictEqual(linkPathFor(path.join(ws, 'missing.jsonl'), [ws]), null);
    const amp = path.join(ws, 'a&b.jsonl');
    fs.writeFileSync(amp, '{}\n');
    assert.strictEqual(linkPathFor(amp, [ws]), null, 'paths a link cannot carry get none');
  });

  it('isInside does not mistake a sibling with a common prefix or "..name" for inside', () => {
    assert.ok(isInside('/a/b/c', ['/a/b']));
    assert.ok(isInside('/a/b', ['/a/b']));
    assert.ok(isInside('/a/b/..c', ['/a/b']));
    assert.ok(!isInside('/a/bc', ['/a/b']));
    assert.ok(!isInside('/a', ['/a/b']));
    assert.ok(isInside('C:\\w\\x', ['C:\\w'], path.win32));
    assert.ok(!isInside('D:\\w\\x', ['C:\\w'], path.win32));
  });
});
