// What a reader had to assume or rebuild, in words the panel and the CLI show next to the numbers.
// Pure.

import { FORMAT_LABELS, type RolloutLog } from './formats/log';
import type { RunContext } from './runs/context';
import { describeContext } from './runs/context';
import type { ContextRow } from '../protocol/inspector';

const STEPLESS: Partial<Record<RolloutLog['format'], string>> = {
  'vlm-r1-debug': 'VLM-R1-family debug logs carry no training step',
};

export function logNotes(log: Pick<RolloutLog, 'format' | 'stepKind' | 'advantage' | 'grouping' | 'files'>): string[] {
  const notes: string[] = [];
  if (log.files.length > 1) notes.push(`${log.files.length} files read together as one log (${FORMAT_LABELS[log.format]}).`);
  if (log.stepKind === 'batch-ordinal') {
    notes.push(`Steps are batch ordinals assigned in file order (${STEPLESS[log.format] ?? 'the log carries no training step'}).`);
  } else if (log.stepKind === 'none') notes.push('Eval output: no training steps or groups.');
  const g = log.grouping;
  if (g.method === 'blocks' && g.groupSize) {
    notes.push(`Groups rebuilt as consecutive blocks of G = ${g.groupSize} rows${g.groupSizeSource ? ` (G ${g.groupSizeAssumed ? 'assumed: ' : 'from '}${g.groupSizeSource})` : ''}.`);
  } else if (g.method === 'key') {
    notes.push(`Groups rebuilt from ${log.format === 'vlm-r1-debug' ? 'consecutive entries with the same image and problem' : 'identical prompts within a step'}${g.groupSize ? `; G = ${g.groupSize}${g.groupSizeAssumed ? ' (assumed' + (g.groupSizeSource ? `: ${g.groupSizeSource})` : ')') : g.groupSizeSource ? ` (from ${g.groupSizeSource})` : ''}` : ''}.`);
  } else if (g.method === 'none' && log.stepKind !== 'none') {
    notes.push('Group size unknown: each completion is shown on its own. Set groupSize in rollout-lens.json next to the run.');
  }
  if (g.irregular > 0) notes.push(`${g.irregular} group${g.irregular === 1 ? '' : 's'} hold a different number of completions than G (listed with the problems).`);
  if (log.advantage.source === 'recomputed') notes.push(`Advantages recomputed, not logged: ${log.advantage.assumptions ?? ''}`);
  else if (log.advantage.source === 'none' && log.stepKind !== 'none') notes.push('No advantages in this log.');
  return notes;
}

/** Every context value that is set, with its source (file:line, rollout-lens.json, setting, or why it was assumed). */
export function contextRows(ctx: RunContext | null | undefined): ContextRow[] {
  return describeContext(ctx).map((l) => ({ label: l.label, value: l.value, source: l.source, assumed: l.assumed }));
}
