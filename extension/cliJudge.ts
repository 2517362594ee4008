// `rollout-lens judge PATH… [--model DIR] [--endpoint URL --endpoint-model NAME] [--verdicts FILE]
//   [--source KIND] [--cache DIR] [--json]`: verdicts of every source on every completion, the cache
// written for the model judges (the extension reads the default cache folder too), and the rates printed.
import * as fs from 'fs';
import * as path from 'path';
import type { RolloutLog } from './core/formats/log';
import { SampleTable } from './core/table/sampleTable';
import { VerdictCache } from './core/judge/cache';
import { defaultCliCacheDir } from './core/judge/cacheDirs';
import { judgeLog } from './core/judge/judgeLog';
import { alignmentRate, alignmentSeries, verdictsView } from './core/judge/sources';
import { isVerdictChoice, type JudgeEngine, type VerdictSourceKind } from './core/judge/types';
import { readVerdictFile, ImportedVerdicts } from './core/judge/importFile';
import type { AgreementView, SeriesView, VerdictSourceStats } from './protocol/inspector';

export interface JudgeArgs {
  model: string | null;
  endpoint: string | null;
  endpointModel: string | null;
  promptFile: string | null;
  verdicts: string | null;
  source: string | null;
  cache: string | null;
  json: boolean;
  batchSize: number | null;
}

export interface JudgeLogJson {
  target: string;
  format: string;
  records: number;
  choice: string;
  sources: Array<VerdictSourceStats & { alignment: number | null }>;
  agreement: AgreementView[];
  /** Alignment rate per step, per series key (`alignment` = the chosen source, `alignment:<kind>`). */
  alignmentByStep: Record<string, Array<[number, number]>>;
  judges: Array<{ kind: string; name: string; engine: string; judged: number; cached: number; inferred: number; skipped: number; seconds: number; cacheFile: string }>;
  issues: string[];
}

export interface JudgeIo {
  out(text: string): void;
  err(text: string): void;
}

/** Build the model judges once for all logs. */
export async function openJudges(a: JudgeArgs): Promise<Array<{ kind: 'onnx' | 'http'; engine: JudgeEngine; name: string }>> {
  const out: Array<{ kind: 'onnx' | 'http'; engine: JudgeEngine; name: string }> = [];
  if (a.model) {
    const { OnnxJudge, defaultNliWorkerPath } = await import('./core/judge/onnxJudge');
    const engine = await OnnxJudge.open(path.resolve(a.model), { workerPath: defaultNliWorkerPath(), ...(a.batchSize ? { batchSize: a.batchSize } : {}) });
    out.push({ kind: 'onnx', engine, name: `${path.basename(path.resolve(a.model))} (local model)` });
  }
  if (a.endpoint) {
    if (!a.endpointModel) throw new Error('--endpoint needs --endpoint-model NAME (the model the server serves)');
    const { HttpJudge } = await import('./core/judge/http');
    const prompt = a.promptFile ? fs.readFileSync(a.promptFile, 'utf8') : undefined;
    const apiKey = process.env.ROLLOUT_LENS_JUDGE_KEY || undefined;
    const h = new HttpJudge({ endpoint: a.endpoint, model: a.endpointModel, ...(apiKey ? { apiKey } : {}), ...(prompt ? { prompt } : {}) });
    await h.probe();
    out.push({ kind: 'http', engine: h, name: h.name });
  }
  return out;
}

export async function judgeOneLog(
  target: string,
  log: RolloutLog,
  a: JudgeArgs,
  judges: Array<{ kind: 'onnx' | 'http'; engine: JudgeEngine; name: string }>,
  io: JudgeIo,
): Promise<JudgeLogJson> {
  const table = SampleTable.fromLog(log);
  await table.scan(log, {});
  const names: Partial<Record<VerdictSourceKind, string>> = {};
  const issues: string[] = [];
  if (a.source && isVerdictChoice(a.source)) table.setVerdictChoice(a.source);
  if (a.verdicts) {
    const { entries, issues: bad } = readVerdictFile(a.verdicts);
    for (const i of bad) issues.push(`${i.file}:${i.line}: ${i.message}`);
    const matched = new ImportedVerdicts(entries, a.verdicts).matchLog(log);
    table.setVerdicts('file', matched);
    names.file = path.basename(a.verdicts);
  }
  const judgeJson: JudgeLogJson['judges'] = [];
  const cacheDir = a.cache ? path.resolve(a.cache) : defaultCliCacheDir();
  for (const j of judges) {
    const cache = VerdictCache.open(cacheDir, j.engine.id);
    let lastShown = 0;
    const r = await judgeLog(log, j.engine, cache, {
      onChunk: (entries) => table.setVerdicts(j.kind, entries),
      onProgress: (done, total) => {
        const now = Date.now();
        if (!a.json && process.stderr.isTTY && now - lastShown > 1000) {
          lastShown = now;
          io.err(`\r\x1b[K${path.basename(target)}: ${j.kind} ${done} / ${total}`);
        }
      },
    });
    if (!a.json && process.stderr.isTTY && lastShown) io.err('\r\x1b[K');
    names[j.kind] = j.name;
    judgeJson.push({
      kind: j.kind, name: j.name, engine: j.engine.id, judged: r.cached + r.inferred, cached: r.cached, inferred: r.inferred, skipped: r.skipped,
      seconds: Math.round(r.elapsedMs) / 1000, cacheFile: cache.file,
    });
  }
  const view = verdictsView(table, { names, judges: { onnx: null, http: null, clip: null }, running: null, last: null });
  const series: SeriesView[] = alignmentSeries(table, names);
  return {
    target,
    format: log.format,
    records: log.recordCount,
    choice: table.verdictChoice,
    sources: view.sources.map((s) => ({ ...s, alignment: alignmentRate(s) })),
    agreement: view.agreement,
    alignmentByStep: Object.fromEntries(series.map((s) => [s.key, s.points])),
    judges: judgeJson,
    issues,
  };
}

const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)} %`);

export function renderJudge(logs: JudgeLogJson[]): string {
  const out: string[] = [];
  for (const l of logs) {
    out.push(`${l.target} (${l.records} completions; rates use: ${l.choice})`);
    for (const j of l.judges) {
      out.push(`  ${j.kind} ${j.name}: judged ${j.judged} (${j.cached} from the cache, ${j.inferred} inferred) in ${j.seconds.toFixed(1)} s` +
        (j.inferred > 0 && j.seconds > 0 ? `, ${(j.inferred / j.seconds).toFixed(1)} completions/s` : '') + (j.skipped ? `; ${j.skipped} without answer or reasoning` : ''));
    }
    const w = Math.max(6, ...l.sources.map((s) => s.name.length));
    out.push(`  ${'source'.padEnd(w)}  alignment  supported  unsupported  contradicted  unknown`);
    for (const s of l.sources) {
      out.push(`  ${s.name.padEnd(w)}  ${pct(s.alignment).padStart(9)}  ${String(s.supported).padStart(9)}  ${String(s.unsupported).padStart(11)}  ${String(s.contradicted).padStart(12)}  ${String(s.unknown).padStart(7)}`);
    }
    for (const g of l.agreement) {
      out.push(`  agreement ${g.a} vs ${g.b}: κ = ${g.kappa === null ? 'undefined' : g.kappa.toFixed(2)}, ${pct(g.observed)} equal over ${g.n}`);
      out.push(`    ${''.padEnd(13)}${g.labels.map((x) => x.padStart(13)).join('')}   (rows ${g.a}, columns ${g.b})`);
      g.confusion.forEach((row, i) => out.push(`    ${g.labels[i]!.padEnd(13)}${row.map((x) => String(x).padStart(13)).join('')}`));
    }
    const chosen = l.alignmentByStep['alignment'];
    if (chosen && chosen.length > 1) {
      const first = chosen[0]!;
      const last = chosen[chosen.length - 1]!;
      out.push(`  alignment by step (${l.choice}): step ${first[0]} ${pct(first[1])} → step ${last[0]} ${pct(last[1])} over ${chosen.length} steps`);
    }
    for (const i of l.issues) out.push(`  ${i}`);
    out.push('');
  }
  return out.join('\n');
}
