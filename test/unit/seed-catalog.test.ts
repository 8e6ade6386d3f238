import { loadCatalog } from '../../src/seed/catalog';
import { readReferencePage } from '../fixtures/reference-page';

/** The curated dataset must say what the owner's page says: verbatim, in order. */
describe('seed catalog', () => {
  const catalog = loadCatalog();
  const page = readReferencePage();
  const glory = catalog.titles.find((t) => t.slug === 'the-glory')!;

  it('has The Glory header from the page, with the 8.5 snapshot', () => {
    expect(glory).toMatchObject({
      name: page.name,
      tagline: page.tagline,
      year: page.year,
      mediaType: 'TV',
      overview: page.overview,
      verdictBlurb: page.verdictBlurb,
    });
    expect(glory.tmdbSnapshot!.voteAverage).toBe(page.tmdbScore);
    expect(glory.tmdbSnapshot!.fetchedAt).toBeInstanceOf(Date);
  });

  it('has every fact verbatim and in page order', () => {
    const texts = (category: string) =>
      catalog.facts
        .filter((f) => f.titleId === glory.id && f.category === category)
        .sort((a, b) => a.position - b.position)
        .map((f) => f.text);
    expect(texts('BEHIND_THE_SCENES')).toEqual(page.behindTheScenes);
    expect(texts('DID_YOU_KNOW')).toEqual(page.didYouKnow);
  });

  it('has both recommendations, pointing at titles in the catalog', () => {
    const names = new Map(catalog.titles.map((t) => [t.id, t.name]));
    expect(
      catalog.recommendations
        .filter((r) => r.titleId === glory.id)
        .sort((a, b) => a.position - b.position)
        .map((r) => ({ name: names.get(r.recommendedTitleId), label: r.label, reason: r.reason })),
    ).toEqual(page.watchNext);
  });

  it('leaves what the page does not say null instead of inventing it', () => {
    for (const slug of ['vincenzo', 'my-name']) {
      expect(catalog.titles.find((t) => t.slug === slug)).toMatchObject({
        year: null,
        tagline: null,
        overview: null,
        tmdbSnapshot: null,
      });
    }
  });
});
