import { parseCatalog } from '../catalog/format';
import type { Catalog } from '../model';
import raw from './catalog.json';

/**
 * The curated seed dataset: src/seed/catalog.json, a catalog file (docs/editors.md
 * "Catalog files") made from the owner's reference page, validated by the
 * same schema as any import.
 */
export function loadCatalog(now?: Date): Catalog {
  return parseCatalog(raw, now);
}
