/**
 * The banned-words matcher: one regular expression per show, compiled when the list changes and run on
 * every chat message, so it must be cheap and must not backtrack badly on hostile input.
 *
 * Matching is case-insensitive and on word boundaries ("ass" does not match "classic"), and sees
 * through simple disguises: upper case, accents (NFKD, marks dropped), full-width letters, zero-width
 * characters, common look-alikes (`4`/`@` for a, `3` for e, `1`/`!` for i, `0` for o, `$`/`5` for s,
 * `7` for t, Cyrillic а/е/і/о/р/с/ѕ/х/у), stretched letters ("baaad") and letters spaced out ("b.a.d",
 * "b a d"). Phrases match with any run of spaces or punctuation between their words.
 */

/**
 * Each class holds a letter and the letters or digits that pass for it. The classes are disjoint and
 * hold only letters and digits, so they never overlap each other or the separators between words:
 * the engine then never has two ways to match the same input (no catastrophic backtracking).
 */
const LOOKALIKES: Record<string, string> = {
  a: "a4а",
  b: "b8",
  c: "cс",
  e: "e3е",
  g: "g9",
  i: "i1і",
  o: "o0о",
  p: "pр",
  s: "s5ѕ",
  t: "t7",
  x: "xх",
  y: "yу",
};
/** Symbols that pass for letters; tried as a second reading of the text (see `readings`). */
const SYMBOLS: Record<string, string> = { "@": "a", $: "s", "!": "i" };
/** look-alike character → the letter it stands for */
const BASE = new Map<string, string>(Object.entries(SYMBOLS));
for (const [letter, chars] of Object.entries(LOOKALIKES)) for (const ch of chars) BASE.set(ch, letter);

const WORD_CHAR = String.raw`[\p{L}\p{N}]`;
const isWordChar = (ch: string) => /[\p{L}\p{N}]/u.test(ch);

/** Case, accents, compatibility forms and invisible characters: what every text goes through first. */
export function fold(text: string): string {
  return text.normalize("NFKD").replace(/[\p{M}\p{Cf}]+/gu, "").toLowerCase();
}

/** "b.a.d" and "b a d" → "bad": runs of at least three single characters separated by spaces or dots. */
const SPACED_OUT = new RegExp(String.raw`(?<!${WORD_CHAR})${WORD_CHAR}(?:[\s.\-_*·,]+${WORD_CHAR}(?!${WORD_CHAR})){2,}`, "gu");
const SYMBOL_IN_WORD = /[@$!](?=[\p{L}\p{N}])/gu;
const SYMBOL_ANY = /[@$!]/gu;
const symbolToLetter = (ch: string) => SYMBOLS[ch]!;

/**
 * The readings of a folded text that are matched, cheapest first: as typed; symbols inside a word
 * read as letters ("sh!t!" → "shit!"); every symbol read as a letter ("a$$" → "ass"); spaced-out
 * letters joined. One reading cannot serve all: "bad!" must keep its "!" as punctuation.
 */
function* readings(folded: string): Generator<string> {
  yield folded;
  const inner = folded.replace(SYMBOL_IN_WORD, symbolToLetter);
  if (inner !== folded) yield inner;
  const all = folded.replace(SYMBOL_ANY, symbolToLetter);
  if (all !== inner) yield all;
  const joined = folded.replace(SPACED_OUT, (m) => m.replace(/[^\p{L}\p{N}]+/gu, ""));
  if (joined !== folded) yield joined;
}

// With the `u` flag only syntax characters may be escaped outside a class (so not "-").
const escape = (ch: string) => ch.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");

/** The pattern of one word or phrase; null when nothing visible is left after folding. */
export function wordPattern(word: string): string | null {
  const tokens = fold(word)
    .split(/\s+/u)
    .map((t) => [...t].map((ch) => BASE.get(ch) ?? ch))
    .filter((t) => t.length > 0);
  if (tokens.length === 0) return null;
  return tokens
    .map((chars) => {
      // A run of one letter becomes one quantified class ("fool" → f+ o{2,} l+), so stretched words
      // match; other characters must appear exactly as given.
      let out = "";
      for (let i = 0; i < chars.length; ) {
        const ch = chars[i]!;
        let j = i;
        while (j < chars.length && chars[j] === ch) j++;
        const n = j - i;
        if (!isWordChar(ch)) out += escape(ch).repeat(n);
        else out += (LOOKALIKES[ch] ? `[${LOOKALIKES[ch]}]` : escape(ch)) + (n === 1 ? "+" : `{${n},}`);
        i = j;
      }
      return out;
    })
    .join(String.raw`[^\p{L}\p{N}]+`);
}

export interface BannedWordsMatcher {
  matches(text: string): boolean;
}

/** Compiles a list (already validated for size) into one matcher; null when the list is empty. */
export function compileBannedWords(words: readonly string[]): BannedWordsMatcher | null {
  const patterns = [...new Set(words.map(wordPattern).filter((p): p is string => p !== null))];
  if (patterns.length === 0) return null;
  const re = new RegExp(`(?<!${WORD_CHAR})(?:${patterns.join("|")})(?!${WORD_CHAR})`, "u");
  return {
    matches(text) {
      for (const reading of readings(fold(text))) if (re.test(reading)) return true;
      return false;
    },
  };
}

/** The list as it is stored: trimmed, without duplicates (by their folded form), in the order given. */
export function tidyBannedWords(words: readonly string[]): { ok: true; words: string[] } | { ok: false; word: string } {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of words) {
    const word = raw.trim();
    const pattern = wordPattern(word);
    if (pattern === null) return { ok: false, word: raw };
    if (seen.has(pattern)) continue;
    seen.add(pattern);
    out.push(word);
  }
  return { ok: true, words: out };
}
