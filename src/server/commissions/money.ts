/**
 * The rounding rule: commission is computed per order line, in integer minor units, and rounded down:
 * floor(lineTotal × bps / 10 000). What rounding leaves over (less than one minor unit per line) stays
 * with the merchant. BigInt, because lineTotal × bps may exceed 2^53 for large orders.
 */
export function commissionFor(lineTotal: number, bps: number): number {
  if (!Number.isSafeInteger(lineTotal) || lineTotal < 0) throw new RangeError(`line total must be a non-negative integer, got ${lineTotal}`);
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new RangeError(`rate must be 0..10000 basis points, got ${bps}`);
  return Number((BigInt(lineTotal) * BigInt(bps)) / 10_000n);
}

export interface Line {
  productId: string;
  variantId: string;
  unitPrice: number;
  quantity: number;
}

/**
 * Stable keys for an order's lines. The Order contract carries no line ids, so a line is named by its
 * variant and its occurrence among the order's lines of that variant, in a canonical order (variant,
 * unit price, quantity). Lines that share a key in different readings are identical, so the key always
 * names the same amount, however the lines were listed.
 */
export function lineKeys<T extends Line>(lines: T[]): (T & { lineKey: string; lineTotal: number })[] {
  const sorted = [...lines].sort((a, b) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : a.unitPrice - b.unitPrice || a.quantity - b.quantity));
  const seen = new Map<string, number>();
  return sorted.map((l) => {
    const n = seen.get(l.variantId) ?? 0;
    seen.set(l.variantId, n + 1);
    return { ...l, lineKey: `${l.variantId}.${n}`, lineTotal: l.unitPrice * l.quantity };
  });
}
