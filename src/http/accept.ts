/** One entry of an Accept or Accept-Encoding header: its value, weight and place. */
interface Accepted {
  value: string;
  q: number;
  order: number;
}

/** The entries of an Accept-style header, parameters other than q dropped. */
function parseAccept(header: string): Accepted[] {
  return header.split(',').flatMap((entry, order) => {
    const [value = '', ...parameters] = entry.split(';');
    let q = 1;
    for (const parameter of parameters) {
      const [name, weight] = parameter.split('=');
      if (name.trim().toLowerCase() === 'q') q = Number(weight);
    }
    const trimmed = value.trim().toLowerCase();
    return trimmed === '' || Number.isNaN(q) ? [] : [{ value: trimmed, q, order }];
  });
}

/**
 * Which of `offered` media types (in the server's order of preference) a
 * client's Accept header prefers, as Express's req.accepts decided it: by
 * weight, then by how exactly an entry names it (type/subtype over type/*
 * over * /*), then by the entry's place in the header, then by the server's
 * order; the first offered when there is no header; null when none is
 * acceptable. Needed once: whether a browser asks for the explorer's page.
 */
export function preferredMediaType(
  accept: string | undefined,
  offered: readonly string[],
): string | null {
  if (accept === undefined) return offered[0] ?? null;
  const accepted = parseAccept(accept);
  const ranked = offered.flatMap((type, index) => {
    const [main, sub] = type.toLowerCase().split('/');
    let best: { q: number; specificity: number; order: number } | null = null;
    for (const entry of accepted) {
      const [entryMain, entrySub] = entry.value.split('/');
      const specificity =
        (entryMain === main ? 2 : entryMain === '*' ? 0 : -Infinity) +
        (entrySub === sub ? 1 : entrySub === '*' ? 0 : -Infinity);
      if (specificity < 0) continue;
      if (best === null || specificity > best.specificity) {
        best = { q: entry.q, specificity, order: entry.order };
      }
    }
    return best && best.q > 0 ? [{ type, index, ...best }] : [];
  });
  ranked.sort(
    (a, b) => b.q - a.q || b.specificity - a.specificity || a.order - b.order || a.index - b.index,
  );
  return ranked[0]?.type ?? null;
}

/** Whether an Accept-Encoding header allows `encoding` (named, or by `*`, with a weight above 0). */
export function acceptsEncoding(header: string | undefined, encoding: string): boolean {
  if (header === undefined) return false;
  const accepted = parseAccept(header);
  const entry =
    accepted.find((one) => one.value === encoding) ?? accepted.find((one) => one.value === '*');
  return entry !== undefined && entry.q > 0;
}
