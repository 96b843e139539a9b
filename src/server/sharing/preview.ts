/**
 * Link previews: the Open Graph and Twitter card tags a messaging app's crawler reads from a shared
 * page's HTML. Crawlers run no JavaScript, so the server writes them into the SPA's index.html.
 */
import fs from "node:fs";
import path from "node:path";

export interface Preview {
  title: string;
  description: string;
  /** absolute URL, or null when the show and its product have no picture */
  image: string | null;
  /** the page's absolute URL (with the share token when the link carried one) */
  url: string;
  type: "video.other" | "product";
  /** the featured product's price (its cheapest variant) */
  price: { amount: number; currency: string } | null;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** "€12.50" from 1250 EUR: minor units by the currency's own number of decimals. */
export function formatPrice(amount: number, currency: string): string {
  const f = new Intl.NumberFormat("en", { style: "currency", currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(amount / 10 ** digits);
}

/** Decimal amount as og's product:price:amount wants it ("12.50"). */
function decimalAmount(amount: number, currency: string): string {
  const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return (amount / 10 ** digits).toFixed(digits);
}

export function headTags(p: Preview): string {
  const meta = (attr: "property" | "name", key: string, value: string) => `<meta ${attr}="${key}" content="${escapeHtml(value)}" />`;
  const lines = [
    `<title>${escapeHtml(p.title)} · Vetrina</title>`,
    meta("name", "description", p.description),
    `<link rel="canonical" href="${escapeHtml(p.url.split("?")[0]!)}" />`,
    meta("property", "og:site_name", "Vetrina"),
    meta("property", "og:type", p.type),
    meta("property", "og:title", p.title),
    meta("property", "og:description", p.description),
    meta("property", "og:url", p.url),
    ...(p.image ? [meta("property", "og:image", p.image), meta("property", "og:image:alt", p.title)] : []),
    ...(p.price ? [meta("property", "product:price:amount", decimalAmount(p.price.amount, p.price.currency)), meta("property", "product:price:currency", p.price.currency)] : []),
    meta("name", "twitter:card", p.image ? "summary_large_image" : "summary"),
    meta("name", "twitter:title", p.title),
    meta("name", "twitter:description", p.description),
    ...(p.image ? [meta("name", "twitter:image", p.image)] : []),
  ];
  return lines.join("\n    ");
}

/** A published short video's preview (/videos/:id): its title, poster, and featured (first tagged) product with its price. */
/** The SPA's index.html with the preview's tags in its head (its own <title> replaced). */
export function withPreview(indexHtml: string, p: Preview): string {
  const tags = headTags(p);
  const withoutTitle = indexHtml.replace(/<title>[\s\S]*?<\/title>\s*/i, "");
  const at = withoutTitle.search(/<\/head>/i);
  return at < 0 ? `${tags}\n${withoutTitle}` : `${withoutTitle.slice(0, at)}  ${tags}\n  ${withoutTitle.slice(at)}`;
}

/** When the web app is not built: a bare page with the preview (crawlers need nothing else). */
export function bareDocument(p: Preview): string {
  return `<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n    ${headTags(p)}\n  </head>\n  <body></body>\n</html>\n`;
}

/** index.html of the built web app, read again only when the file changes (a rebuild renames its assets), null while missing. */
export function indexHtmlReader(webDir: string): () => string | null {
  const file = path.join(webDir, "index.html");
  let cached: { mtimeMs: number; html: string } | null = null;
  return () => {
    try {
      const { mtimeMs } = fs.statSync(file);
      if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, html: fs.readFileSync(file, "utf8") };
      return cached.html;
    } catch {
      return null;
    }
  };
}
