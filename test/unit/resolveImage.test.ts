import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveImagePath, trailingSegments } from '../../extension/core/runs/resolveImage';
import { tempDir } from './helpers';

const R = (...p: string[]): string => path.resolve('/', ...p);

function fakeFs(present: string[]): { exists: (p: string) => boolean; calls: string[] } {
  const set = new Set(present.map((p) => path.resolve(p)));
  const calls: string[] = [];
  return { exists: (p) => (calls.push(p), set.has(p)), calls };
}

describe('resolveImagePath', () => {
  it('returns an absolute path that exists as is', () => {
    const f = fakeFs([R('data', 'x.jpg')]);
    assert.equal(resolveImagePath(R('data', 'x.jpg'), { logDir: R('logs'), exists: f.exists }).resolved, R('data', 'x.jpg'));
  });

  it('resolves relative paths against the log folder first, then each base dir in order', () => {
    const f = fakeFs([R('ws2', 'images', 'a.png'), R('ws3', 'images', 'a.png')]);
    const r = resolveImagePath('images/a.png', { logDir: R('run'), baseDirs: [R('ws1'), R('ws2'), R('ws3')], exists: f.exists });
    assert.equal(r.resolved, R('ws2', 'images', 'a.png'));
    assert.deepEqual(r.tried, [R('run', 'images', 'a.png'), R('ws1', 'images', 'a.png'), R('ws2', 'images', 'a.png')]);
  });

  it('tries image roots by trailing segments, longest suffix first, root by root', () => {
    const f = fakeFs([R('mnt', 'b', 'train2017', 'x.jpg')]);
    const r = resolveImagePath('/data/coco/train2017/x.jpg', { logDir: R('run'), imageRoots: [R('mnt', 'a'), R('mnt', 'b')], exists: f.exists });
    assert.equal(r.resolved, R('mnt', 'b', 'train2017', 'x.jpg'));
    assert.deepEqual(r.tried.slice(1), [
      R('mnt', 'a', 'data', 'coco', 'train2017', 'x.jpg'),
      R('mnt', 'a', 'coco', 'train2017', 'x.jpg'),
      R('mnt', 'a', 'train2017', 'x.jpg'),
      R('mnt', 'a', 'x.jpg'),
      R('mnt', 'b', 'data', 'coco', 'train2017', 'x.jpg'),
      R('mnt', 'b', 'coco', 'train2017', 'x.jpg'),
      R('mnt', 'b', 'train2017', 'x.jpg'),
    ]);
  });

  it('prefers the longest matching suffix', () => {
    const f = fakeFs([R('root', 'x.jpg'), R('root', 'coco', 'x.jpg')]);
    assert.equal(resolveImagePath('/data/coco/x.jpg', { logDir: R('run'), imageRoots: [R('root')], exists: f.exists }).resolved, R('root', 'coco', 'x.jpg'));
  });

  it('handles Windows-style logged paths and relative paths under image roots', () => {
    const f = fakeFs([R('root', 'imgs', 'x.png'), R('root', 'y.png')]);
    assert.equal(resolveImagePath('C:\\Users\\me\\imgs\\x.png', { logDir: R('run'), imageRoots: [R('root')], exists: f.exists }).resolved, R('root', 'imgs', 'x.png'));
    assert.equal(resolveImagePath('images/y.png', { logDir: R('run'), imageRoots: [R('root')], exists: f.exists }).resolved, R('root', 'y.png'));
  });

  it('returns null with every candidate when nothing matches', () => {
    const f = fakeFs([]);
    const r = resolveImagePath('/a/b.png', { logDir: R('run'), imageRoots: [R('r')], exists: f.exists });
    assert.equal(r.resolved, null);
    assert.deepEqual(r.tried, [R('a', 'b.png'), R('r', 'a', 'b.png'), R('r', 'b.png')]);
    assert.equal(resolveImagePath('', { logDir: R('run'), exists: f.exists }).resolved, null);
  });

  it('strips drive letters, "." and everything up to the last ".." from suffixes', () => {
    assert.deepEqual(trailingSegments('C:\\data\\.\\x.jpg'), ['data', 'x.jpg']);
    assert.deepEqual(trailingSegments('../../imgs//a/b.png'), ['imgs', 'a', 'b.png']);
  });

  it('accepts file:// URLs and uses the real file system by default', () => {
    const dir = tempDir();
    const f = path.join(dir, 'my image.png');
    fs.writeFileSync(f, 'x');
    assert.equal(resolveImagePath('file://' + encodeURI(f), { logDir: dir }).resolved, f);
    assert.equal(resolveImagePath('my image.png', { logDir: dir }).resolved, f);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
