import catalogJson from '../../src/seed/catalog.json';
import { catalogFileSchema } from '../../src/catalog/format';
import { loadCatalog } from '../../src/seed/catalog';
import { readReferencePage } from '../fixtures/reference-page';

/** The curated dataset must say what the owner's page says: verbatim, in order. */
describe('seed catalog', () => {
  const catalog = loadCatalog();
  const page = readReferencePage();
  const glory = catalog.titles.find((t) => t.title.slug === 'the-glory')!;

  it('is a catalog file: the same schema as any import validates it', () => {
    expect(catalogFileSchema.safeParse(catalogJson).success).toBe(true);
  });

  it('has The Glory header from the page, with the 8.5 snapshot', () => {
    expect(glory.title).toMatchObject({
      name: page.name,
      tagline: page.tagline,
      year: page.year,
      mediaType: 'TV',
      overview: page.overview,
      verdictBlurb: page.verdictBlurb,
      revision: 1,
    });
    expect(glory.title.tmdbSnapshot!.voteAverage).toBe(page.tmdbScore);
    expect(glory.title.tmdbSnapshot!.fetchedAt).toBeInstanceOf(Date);
  });

  it('has every fact verbatim and in page order', () => {
    const texts = (category: string) =>
      glory.facts.filter((f) => f.category === category).map((f) => f.text);
    expect(texts('BEHIND_THE_SCENES')).toEqual(page.behindTheScenes);
    expect(texts('DID_YOU_KNOW')).toEqual(page.didYouKnow);
    expect(glory.facts.map((f) => f.position)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
    ]);
  });

  it('marks the three known errors with their verification and sources; the rest stays UNVERIFIED', () => {
    const verification = (category: string, position: number) =>
      glory.facts.find((f) => f.category === category && f.position === position)!.verification;
    expect(verification('BEHIND_THE_SCENES', 4)).toMatchObject({
      status: 'FALSE',
      note: expect.stringContaining('Lee Do-hyun plays Joo Yeo-jeong himself'),
      sources: [{ url: 'https://en.wikipedia.org/wiki/The_Glory_(South_Korean_TV_series)' }],
    });
    expect(verification('DID_YOU_KNOW', 7)).toMatchObject({
      status: 'DISPUTED',
      note: expect.stringMatching(/Park Ji-eun.*Kim Eun-sook's \(with Kim Won-seok\)/),
      sources: [{ url: 'https://en.wikipedia.org/wiki/Crash_Landing_on_You' }],
    });
    expect(verification('BEHIND_THE_SCENES', 2)).toMatchObject({
      status: 'DISPUTED',
      note: expect.stringContaining('her daughter, a high-school student'),
      sources: [
        {
          url: 'https://www.koreaherald.com/view.php?ud=20221220000558',
          label: expect.stringContaining('2022-12-20'),
        },
      ],
    });
    const checked = new Set(['the-glory-bts-4', 'the-glory-dyk-7', 'the-glory-bts-2']);
    for (const fact of catalog.titles.flatMap((t) => t.facts)) {
      if (!checked.has(fact.id)) expect(fact.verification.status).toBe('UNVERIFIED');
    }
  });

  it('has both recommendations, pointing at titles in the catalog', () => {
    const names = new Map(catalog.titles.map((t) => [t.title.id, t.title.name]));
    expect(
      glory.recommendations.map((r) => ({
        name: names.get(r.recommendedTitleId),
        label: r.label,
        reason: r.reason,
      })),
    ).toEqual(page.watchNext);
  });

  it('leaves what the page does not say null instead of inventing it', () => {
    for (const slug of ['vincenzo', 'my-name']) {
      expect(catalog.titles.find((t) => t.title.slug === slug)!.title).toMatchObject({
        year: null,
        tagline: null,
        overview: null,
        tmdbSnapshot: null,
      });
    }
  });
});
