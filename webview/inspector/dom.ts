// The one way the inspector's views create elements: class, text and attributes; text always as
// textContent (never HTML), so a string from a log can never become markup.
export type Attrs = Record<string, string>;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string, attrs?: Attrs): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
