// What says a completion was cut at the maximum length, before any token count: a flag the log wrote, or
// tags left open. Shared by table/derive.ts (`truncated`) and judge/rules.ts (the `truncated` rule). Pure.

/** Keys of `extra` that hold a logged "cut at the maximum length" flag. */
export const TRUNCATED_KEYS: readonly string[] = ['truncated', 'is_truncated', 'completion_truncated', 'clipped', 'is_clipped'];

/** The first logged truncation flag (a boolean, or 0 / 1) and its key, or null. */
export function loggedTruncated(extra: Record<string, unknown> | undefined): { value: boolean; key: string } | null {
  if (!extra || typeof extra !== 'object') return null;
  for (const k of TRUNCATED_KEYS) {
    const v = extra[k];
    if (typeof v === 'boolean') return { value: v, key: k };
    if (v === 0 || v === 1) return { value: v === 1, key: k };
  }
  return null;
}

/** Why the tags say the completion was cut (an `<answer>` never closed, or a `<think>` never closed and no answer), or null. */
export function tagTruncation(text: string): string | null {
  const lower = text.toLowerCase();
  const openA = lower.lastIndexOf('<answer>');
  const closeA = lower.lastIndexOf('</answer>');
  if (openA >= 0 && openA > closeA) return '<answer> opened and never closed';
  const openT = lower.lastIndexOf('<think>');
  const closeT = lower.lastIndexOf('</think>');
  if (openT >= 0 && openT > closeT && openA < 0) return '<think> opened, never closed, and no answer';
  return null;
}
