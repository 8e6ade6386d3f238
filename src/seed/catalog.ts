import type { Catalog } from '../model';
import raw from './catalog.json';

/**
 * The curated seed dataset (src/seed/catalog.json), made from the owner's
 * reference page. JSON has no dates, so snapshot timestamps are revived here.
 */
export function loadCatalog(): Catalog {
  return {
    titles: raw.titles.map((title) => ({
      ...title,
      mediaType: title.mediaType as Catalog['titles'][number]['mediaType'],
      tmdbSnapshot: title.tmdbSnapshot
        ? { ...title.tmdbSnapshot, fetchedAt: new Date(title.tmdbSnapshot.fetchedAt) }
        : null,
    })),
    facts: raw.facts.map((fact) => ({
      ...fact,
      category: fact.category as Catalog['facts'][number]['category'],
    })),
    recommendations: raw.recommendations,
  };
}
