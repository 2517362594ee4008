// `rollout-lens bench` / `npm run bench`: the reader's speed and memory against a naive baseline
// (read the whole file, JSON.parse every line, group) measured in the same run on the same file.
// Targets are ratios, never absolute times: the machine is shared and noisy.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openRolloutLensJsonl } from './core/formats/rolloutLensJsonl';
import { generateDemoWorkspace } from './demo/generate';

export interface BenchResult {
  lines: number;
  bytes: number;
  naive: { ms: number; mbPerS: number; heapMb: number };
  index: { ms: number; mbPerS: number; heapMb: number; firstGroupMs: number; randomReadMs: number };
  speedup: number;
  memoryRatio: number;
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

/** A realistic log of about `lines` completions: the demo run's lines repeated over more steps. */
export function writeBenchLog(file: string, lines: number): number {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-src-'));
  try {
    const src = fs.readFileSync(generateDemoWorkspace(ws).logFile, 'utf8').split('\n').filter(Boolean);
    const fd = fs.openSync(file, 'w');
    let written = 0;
    for (let rep = 0; written < lines; rep++) {
      const chunk: string[] = [];
      for (const l of src) {
        if (written >= lines) break;
        // shift the step so each repetition is a new block of steps
        chunk.push(l.replace(/"step": ?(\d+)/, (_m, s: string) => `"step": ${Number(s) + rep * 1000}`).replace(/"group_id": ?"s(\d+)/, (_m, s: string) => `"group_id": "s${Number(s) + rep * 1000}`));
        written++;
      }
      fs.writeSync(fd, chunk.join('\n') + '\n');
    }
    fs.closeSync(fd);
    return written;
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

/** What a viewer without an index does: read everything, parse every line, keep the records to show them. */
function naive(file: string, h0: number): { groups: number; heapMb: number } {
  const groups = new Map<string, unknown[]>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { step: number; group_id: string };
    const k = `${r.step}\u0000${r.group_id}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return { groups: groups.size, heapMb: heapMb() - h0 };
}

export async function runBench(lines: number, log: (s: string) => void): Promise<BenchResult> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-')), 'bench.rollouts.jsonl');
  try {
    const n = writeBenchLog(file, lines);
    const bytes = fs.statSync(file).size;
    log(`bench log: ${n} completions, ${(bytes / 1e6).toFixed(1)} MB`);
    const h0 = heapMb();
    let t = performance.now();
    const base = naive(file, h0);
    const naiveMs = performance.now() - t;
    const naiveHeap = base.heapMb;

    const h1 = heapMb();
    t = performance.now();
    const idx = await openRolloutLensJsonl(file);
    const indexMs = performance.now() - t;
    t = performance.now();
    for (const ri of idx.groups[0]!.records) idx.read(ri);
    const firstGroupMs = performance.now() - t;
    t = performance.now();
    for (let k = 0; k < 100; k++) idx.read(Math.floor(((k * 7919) % 100) * (idx.recordCount / 100)));
    const randomReadMs = (performance.now() - t) / 100;
    const indexHeap = heapMb() - h1; // the index is still open here: what it keeps
    if (idx.groups.length !== base.groups) throw new Error(`index found ${idx.groups.length} groups, naive ${base.groups}`);
    idx.close();
    const mb = bytes / 1e6;
    return {
      lines: n, bytes,
      naive: { ms: naiveMs, mbPerS: mb / (naiveMs / 1000), heapMb: naiveHeap },
      index: { ms: indexMs, mbPerS: mb / (indexMs / 1000), heapMb: indexHeap, firstGroupMs, randomReadMs },
      speedup: naiveMs / indexMs,
      memoryRatio: naiveHeap / Math.max(indexHeap, 0.1),
    };
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

export async function benchMain(argv: string[], out: (s: string) => void): Promise<number> {
  const i = argv.indexOf('--lines');
  const lines = i >= 0 ? Number(argv[i + 1]) : 200_000;
  if (!Number.isInteger(lines) || lines <= 0) {
    out('rollout-lens bench [--lines N] [--json]\n');
    return 2;
  }
  const r = await runBench(lines, (s) => out(s + '\n'));
  if (argv.includes('--json')) {
    out(JSON.stringify(r, null, 2) + '\n');
    return 0;
  }
  out(`naive (read all, JSON.parse every line, keep):  ${r.naive.ms.toFixed(0)} ms, ${r.naive.mbPerS.toFixed(0)} MB/s, heap +${r.naive.heapMb.toFixed(0)} MB\n`);
  out(`offset index (open → groups ready):            ${r.index.ms.toFixed(0)} ms, ${r.index.mbPerS.toFixed(0)} MB/s, heap +${r.index.heapMb.toFixed(0)} MB\n`);
  out(`first group parsed: ${r.index.firstGroupMs.toFixed(2)} ms · one random record: ${r.index.randomReadMs.toFixed(3)} ms\n`);
  out(`speed-up vs naive: ${r.speedup.toFixed(1)}×   memory: naive/index = ${r.memoryRatio.toFixed(1)}×\n`);
  return 0;
}
