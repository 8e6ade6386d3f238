import {
  isSlug,
  MAX_SLUG_LENGTH,
  pickSlug,
  slugBase,
  slugCandidates,
  SlugTakenError,
  type TitleRecord,
} from '../../src/model';
import { titleRecord } from '../fixtures/catalog';

describe('slugs', () => {
  it.each([
    ['The Glory', 'the-glory'],
    ['Amélie', 'amelie'],
    ['  Crash Landing on You!  ', 'crash-landing-on-you'],
    ['더 글로리', 'deo-geulrori'],
    ['Москва слезам не верит', 'moskva-slezam-ne-verit'],
    ['ＧＬＯＲＹ', 'glory'],
    ['Mr. & Mrs. Smith', 'mr-mrs-smith'],
    ['★★★', 'title'],
  ])('makes %p into %p', (name, slug) => {
    expect(slugBase(name)).toBe(slug);
  });

  it('cuts a long name at a word boundary', () => {
    const slug = slugBase('word '.repeat(40));
    expect(slug.length).toBeLessThanOrEqual(68);
    expect(slug).toMatch(/^word(-word)*$/);
  });

  it('tries the base, then the year, then a counter', () => {
    const take = (year: number | null) => {
      const out: string[] = [];
      for (const slug of slugCandidates('The Glory', year)) {
        out.push(slug);
        if (out.length === 4) return out;
      }
    };
    expect(take(2022)).toEqual([
      'the-glory',
      'the-glory-2022',
      'the-glory-2022-2',
      'the-glory-2022-3',
    ]);
    expect(take(null)).toEqual(['the-glory', 'the-glory-2', 'the-glory-3', 'the-glory-4']);
  });

  it('picks the first free slug, or the one the title already has', async () => {
    const taken = new Map<string, TitleRecord>([
      ['the-glory', titleRecord({ id: 'a' })],
      ['the-glory-2022', titleRecord({ id: 'b' })],
    ]);
    const lookup = async (slugs: readonly string[]) => slugs.map((s) => taken.get(s) ?? null);
    expect(await pickSlug(lookup, 'The Glory', 2022, null)).toBe('the-glory-2022-2');
    expect(await pickSlug(lookup, 'The Glory', 2022, 'b')).toBe('the-glory-2022');
    expect(await pickSlug(lookup, 'The Glory', 2022, 'a')).toBe('the-glory');
  });

  it.each(['the-glory', 'amelie-2001', 'a', '2046'])('accepts %p as a slug', (slug) => {
    expect(isSlug(slug)).toBe(true);
  });

  it.each(['The-Glory', 'the--glory', '-glory', 'glory-', 'the glory', 'amélie', ''])(
    'refuses %p as a slug',
    (slug) => {
      expect(isSlug(slug)).toBe(false);
    },
  );

  it('refuses a slug longer than MAX_SLUG_LENGTH', () => {
    expect(isSlug('a'.repeat(MAX_SLUG_LENGTH))).toBe(true);
    expect(isSlug('a'.repeat(MAX_SLUG_LENGTH + 1))).toBe(false);
  });

  it('makes only slugs the rule accepts, counter included', () => {
    for (const name of ['The Glory', '더 글로리', '★★★', 'word '.repeat(40)]) {
      const candidates = slugCandidates(name, 2022);
      for (let i = 0; i < 12; i++) expect(isSlug(candidates.next().value as string)).toBe(true);
    }
  });

  it('gives up with SlugTakenError when every candidate is taken', async () => {
    const everyone = titleRecord({ id: 'other' });
    const lookup = async (slugs: readonly string[]) => slugs.map(() => everyone);
    await expect(pickSlug(lookup, 'The Glory', 2022, null)).rejects.toBeInstanceOf(SlugTakenError);
  });
});
