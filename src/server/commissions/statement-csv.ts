import type { Statement } from "../../shared/contracts/commissions.ts";

const COLUMNS = ["entry_id", "at", "kind", "order_id", "order_number", "campaign_id", "show_id", "product_id", "line_key", "currency", "line_total", "rate_bps", "share_bps", "amount", "available_at"] as const;

/** RFC 4180: quote a field that holds a comma, a quote or a line break, doubling its quotes. */
function field(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The statement's entries, one per row, amounts in minor units. Only entries, no total rows, so any
 * spreadsheet sum over `amount` equals the JSON statement's net and the ledger.
 */
export function statementCsv(s: Pick<Statement, "entries">): string {
  const rows = s.entries.map((e) =>
    [e.id, e.at, e.kind, e.orderId, e.orderNumber, e.campaignId, e.showId, e.productId, e.lineKey, e.currency, e.lineTotal, e.rateBps, e.shareBps ?? "", e.amount, e.availableAt].map(field).join(","),
  );
  return [COLUMNS.join(","), ...rows].join("\r\n") + "\r\n";
}
