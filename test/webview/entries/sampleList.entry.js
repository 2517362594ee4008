// Test entry for the sample list (bundled by test/webview/sampleList.test.ts with esbuild): mounts a
// SampleList in #app over an in-memory dataset of window.__N rows (1 000 000 by default) generated on
// demand from the row index. Only `iou < X` / `iou > X` filters are evaluated (the real evaluation is
// tested with core/query); any other filter is accepted and ignored. Every query and open() is recorded.
import { SampleList } from '../../../webview/inspector/sampleList';

const N = 1_000_000;
const VERDICTS = ['supported', 'unsupported', 'contradicted', 'unknown', null];

function rnd(i, k) {
  let x = (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(k + 7, 0x85ebca6b)) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d) >>> 0;
  x ^= x >>> 12;
  x = Math.imul(x, 0x297a2d39) >>> 0;
  x ^= x >>> 15;
  return (x >>> 0) / 4294967296;
}

function iouOf(i) {
  return rnd(i, 1) < 0.05 ? null : Math.round(rnd(i, 1) * 1000) / 1000;
}

function row(i) {
  const acc = rnd(i, 2) < 0.55 ? 1 : 0;
  const fmt = rnd(i, 3) < 0.9 ? 1 : 0;
  const group = Math.floor(i / 8);
  return {
    recordIndex: i,
    step: Math.floor(i / 1024) + 1,
    groupIndex: group,
    indexInGroup: i % 8,
    reward: acc + fmt,
    advantage: Math.round((rnd(i, 4) * 3 - 1.5) * 1000) / 1000,
    rewards: { 'rewards/accuracy_reward': acc, format_reward: fmt },
    iou: iouOf(i),
    length: 80 + Math.floor(rnd(i, 5) * 900),
    verdict: VERDICTS[Math.floor(rnd(i, 6) * VERDICTS.length)],
    mismatch: rnd(i, 7) < 0.03,
    zeroStd: rnd(group, 8) < 0.12,
    truncated: rnd(i, 9) < 0.04,
  };
}

/** Reward fields and the reward each reads, as the sample table names them (FieldInfo.reward). */
const REWARDS = { accuracy_reward: 'rewards/accuracy_reward', format_reward: 'format_reward' };
const FIELDS = [
  ['record', 'number', 'record number in the log (0-based, file order)'],
  ['step', 'number', 'training step'],
  ['group', 'number', 'group number (0-based, in step order)'],
  ['index', 'number', 'position of the completion in its group (0-based)'],
  ['reward', 'number', 'total reward'],
  ['advantage', 'number', 'advantage (logged or recomputed)'],
  ['accuracy_reward', 'number', 'reward rewards/accuracy_reward'],
  ['format_reward', 'number', 'reward format_reward'],
  ['zero_std', 'bool', 'the group has no learning signal'],
  ['iou', 'number', 'mean best IoU of the GT boxes'],
  ['length', 'number', 'completion length in tokens'],
  ['truncated', 'bool', 'cut at the max completion length'],
  ['mismatch', 'bool', 'a recomputed reward differs from the logged one'],
  ['verdict', 'string', 'judge verdict: supported, unsupported, contradicted, unknown'],
  ['text', 'string', 'the completion text'],
].map(([name, type, description]) => ({ name, type, description, ready: true, ...(REWARDS[name] ? { reward: REWARDS[name] } : {}) }));

const SORT_KEY = {
  record: (r) => r.recordIndex, step: (r) => r.step, group: (r) => r.groupIndex, index: (r) => r.indexInGroup,
  reward: (r) => r.reward, advantage: (r) => r.advantage, iou: (r) => r.iou, length: (r) => r.length,
  accuracy_reward: (r) => r.rewards['rewards/accuracy_reward'], format_reward: (r) => r.rewards.format_reward,
};

let cached = { key: '', rows: null };
/** Row indices (into the generated data) that match, in order: null = all, in log order. */
function matching(p) {
  const key = `${p.filter}\u0000${p.sort}\u0000${p.desc}`;
  if (cached.key === key) return cached.rows;
  let rows = null;
  const m = /^\s*iou\s*([<>])\s*([0-9.]+)\s*$/.exec(p.filter);
  if (m) {
    const x = Number(m[2]);
    const out = [];
    for (let i = 0; i < N; i++) {
      const v = iouOf(i);
      if (v !== null && (m[1] === '<' ? v < x : v > x)) out.push(i);
    }
    rows = Int32Array.from(out);
  }
  if (p.sort && SORT_KEY[p.sort]) {
    const f = SORT_KEY[p.sort];
    const idx = rows ?? Int32Array.from({ length: N }, (_, i) => i);
    const vals = new Float64Array(N);
    for (const i of idx) { const v = f(row(i)); vals[i] = v === null ? NaN : v; }
    const sign = p.desc ? -1 : 1;
    rows = Int32Array.from(idx).sort((a, b) => {
      const va = vals[a], vb = vals[b];
      if (Number.isNaN(va) || Number.isNaN(vb)) return Number.isNaN(va) ? (Number.isNaN(vb) ? a - b : 1) : -1;
      return va === vb ? a - b : sign * (va - vb);
    });
  }
  cached = { key, rows };
  return rows;
}

const queries = [];
const opened = [];
window.__queries = queries;
window.__opened = opened;
/** Fields the fake background scan is still computing (reported when a filter uses them). */
window.__pendingFields = [];
/** Milliseconds the next query waits before answering (then back to 2). */
window.__nextDelay = 2;

async function query(p) {
  queries.push(p);
  const delay = window.__nextDelay;
  window.__nextDelay = 2;
  const t0 = performance.now();
  const rows = matching(p);
  const matched = rows ? rows.length : N;
  const out = [];
  for (let k = p.offset; k < Math.min(matched, p.offset + p.limit); k++) out.push(row(rows ? rows[k] : k));
  const elapsedMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, delay));
  const pendingFields = (window.__pendingFields ?? []).filter((f) => p.filter.includes(f));
  return { total: N, matched, offset: p.offset, rows: out, error: null, elapsedMs, pendingFields, fields: FIELDS };
}

const list = new SampleList(document.getElementById('app'), { query, open: (ri) => opened.push(ri) });
list.setFields(FIELDS);
window.__list = list;
window.__ready = true;
