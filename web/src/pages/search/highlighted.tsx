import type { HighlightedText } from "../../../../src/shared/contracts/search.ts";

/** The text with its matched ranges in <mark>: built from text nodes, so nothing in it is ever markup. */
export function Highlighted({ value }: { value: HighlightedText }) {
  const parts: (string | { mark: string })[] = [];
  let at = 0;
  for (const [a, b] of value.highlights) {
    if (a < at || b > value.text.length || b <= a) continue;
    if (a > at) parts.push(value.text.slice(at, a));
    parts.push({ mark: value.text.slice(a, b) });
    at = b;
  }
  if (at < value.text.length) parts.push(value.text.slice(at));
  return <>{parts.map((p, i) => (typeof p === "string" ? p : <mark key={i}>{p.mark}</mark>))}</>;
}
