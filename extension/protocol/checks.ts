// Runtime checks shared by every panel's protocol module (the envelope is the same; the methods differ).
// Pure: no `vscode`, no DOM, no Node.

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

export function isFiniteNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Is `method` one of the methods `checks` has a params check for? */
export function hasMethod(checks: object, method: unknown): boolean {
  return typeof method === 'string' && Object.prototype.hasOwnProperty.call(checks, method);
}

/**
 * The webview → host envelope: `{kind:'ready'}`, `{kind:'request', id, method, params}` whose params pass the
 * method's check, or `{kind:'notify', method:'log', params:{level, message}}`.
 */
export function isPanelMessage(m: unknown, checks: Readonly<Record<string, (p: unknown) => boolean>>): boolean {
  if (!isObj(m)) return false;
  switch (m.kind) {
    case 'ready':
      return true;
    case 'request':
      return isNonNegInt(m.id) && hasMethod(checks, m.method) && checks[m.method as string]!(m.params);
    case 'notify':
      return m.method === 'log' && isObj(m.params) && typeof m.params.message === 'string' && (m.params.level === 'info' || m.params.level === 'error');
    default:
      return false;
  }
}

/** A reply to a request: `{kind:'response', id, ok:true, result}` or `{…, ok:false, error}`. */
export function isResponse(m: Record<string, unknown>): boolean {
  return m.kind === 'response' && isNonNegInt(m.id) && (m.ok === true || (m.ok === false && typeof m.error === 'string'));
}
