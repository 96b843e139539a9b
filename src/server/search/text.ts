import { stemmer as englishStem } from "@orama/stemmers/english";
import { stemmer as italianStem } from "@orama/stemmers/italian";
import type { HighlightedText } from "../../shared/contracts/search.ts";

/**
 * Text as the index sees it: lower case, diacritics removed ("città" → "citta"), words of letters and
 * digits. Folding happens before stemming, on documents and queries alike, so both sides always agree.
 */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}+/gu, "").toLowerCase();
}

const WORD = /[\p{L}\p{N}]+/gu;

export function words(text: string): string[] {
  return fold(text).match(WORD) ?? [];
}

/** Words whose forms were computed, with their forms: a bounded memo (emptied when full). */
const FORMS_MEMO_MAX = 50_000;
const formsMemo = new Map<string, readonly string[]>();

/**
 * A folded word with its English and Italian Snowball stems (the catalogue is in either language).
 * Memoized: highlighting stems every word of every hit's title and description, and a catalogue's
 * vocabulary is small, so the same words come back on every query (under bench:feed the stemmers were
 * the most allocating code of a search after the database driver). The array is shared: never mutate it.
 */
export function forms(word: string): readonly string[] {
  const known = formsMemo.get(word);
  if (known) return known;
  const out = new Set([word]);
  // The stemmers expect words, not numbers or very long tokens.
  if (word.length > 2 && word.length < 40 && !/^\p{N}+$/u.test(word)) {
    out.add(englishStem(word));
    out.add(italianStem(word));
  }
  const list = Object.freeze([...out]);
  if (formsMemo.size >= FORMS_MEMO_MAX) formsMemo.clear();
  formsMemo.set(word, list);
  return list;
}

/** The terms a document is indexed under: every word with its stems, space-separated. */
export function indexTerms(text: string): string {
  return words(text).flatMap(forms).join(" ");
}

// Dropped from queries only (a query "scarpe da corsa" should not require "da"); documents keep them.
const STOPWORDS = new Set(
  (
    "a an and are as at be by for from in is it of on or the to with " +
    "al alla alle allo ai agli che con da dal dalla dei del della delle di e ed gli i il in la le lo nel nella per su sul sulla tra fra un una uno"
  ).split(" "),
);

/** A parsed query: every term must match one of its forms; the last one also as a prefix (type-ahead). */
export interface ParsedQuery {
  terms: { word: string; forms: readonly string[] }[];
  /** the last word as typed so far: matched as a prefix */
  prefix: string | null;
}

export function parseQuery(q: string): ParsedQuery | null {
  const all = words(q).slice(0, 12);
  if (!all.length) return null;
  const endsInWord = /[\p{L}\p{N}]$/u.test(q.trim());
  const kept = all.filter((w, i) => !STOPWORDS.has(w) || (i === all.length - 1 && endsInWord));
  const list = kept.length ? kept : all;
  return {
    terms: list.map((word) => ({ word, forms: forms(word) })),
    // One letter would match a large share of all terms: type-ahead starts at two.
    prefix: endsInWord && list[list.length - 1]!.length >= 2 ? list[list.length - 1]! : null,
  };
}

function matches(q: ParsedQuery, word: string): boolean {
  const f = forms(word);
  if (q.prefix && f.some((x) => x.startsWith(q.prefix!))) return true;
  return q.terms.some((t) => t.forms.some((x) => f.includes(x)));
}

/** The ranges of `text` whose words match the query. */
function highlightRanges(text: string, q: ParsedQuery): [number, number][] {
  const ranges: [number, number][] = [];
  for (const m of text.matchAll(WORD)) {
    const w = fold(m[0]);
    if (w && matches(q, w)) ranges.push([m.index!, m.index! + m[0].length]);
  }
  return ranges;
}

export function highlight(text: string, q: ParsedQuery): HighlightedText {
  return { text, highlights: highlightRanges(text, q) };
}

/** A window of about `size` characters of `text` around its first match, cut at word boundaries. */
export function snippet(text: string, q: ParsedQuery, size = 160): HighlightedText {
  const clean = text.replace(/\s+/g, " ").trim();
  const ranges = highlightRanges(clean, q);
  if (clean.length <= size) return { text: clean, highlights: ranges };
  const first = ranges[0]?.[0] ?? 0;
  let start = Math.max(0, first - Math.floor(size / 3));
  if (start > 0) {
    const space = clean.indexOf(" ", start);
    start = space >= 0 && space < first ? space + 1 : start;
  }
  let end = Math.min(clean.length, start + size);
  if (end < clean.length) {
    const space = clean.lastIndexOf(" ", end);
    if (space > first) end = space;
  }
  const lead = start > 0 ? "…" : "";
  const body = clean.slice(start, end);
  const shift = lead.length - start;
  return {
    text: lead + body + (end < clean.length ? "…" : ""),
    highlights: ranges.filter(([a, b]) => a >= start && b <= end).map(([a, b]) => [a + shift, b + shift] as [number, number]),
  };
}
