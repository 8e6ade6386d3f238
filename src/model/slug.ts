import type { transliterate as Transliterate } from 'transliteration';
import { SlugTakenError } from './errors';
import type { TitleRecord } from './title';

/**
 * The one slug rule: what a slug looks like, and how one is made from a name.
 * GraphQL arguments, catalog files and cursors check slugs with isSlug /
 * SLUG_PATTERN; curation and imports make them with pickSlug.
 */

/** What a slug looks like: lowercase ASCII words joined by single hyphens ("the-glory"). */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_SLUG_LENGTH = 80;
/** What a bad slug is told, after the field's name ("slug must be ..."). */
export const SLUG_RULE = 'must be lowercase words joined by hyphens, e.g. the-glory';

/** Whether `value` is a well-formed slug (pattern and length). */
export function isSlug(value: string): boolean {
  return value.length <= MAX_SLUG_LENGTH && SLUG_PATTERN.test(value);
}

let loadedTransliterate: typeof Transliterate | undefined;

/**
 * transliteration's tables take some 3.5 MiB of heap once loaded, and a
 * running server makes slugs only when an editor creates or renames a
 * title: loaded on first use, not at start (RSS at rest, docs/performance.md).
 */
function transliterator(): typeof Transliterate {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loadedTransliterate ??= (require('transliteration') as { transliterate: typeof Transliterate })
    .transliterate;
  return loadedTransliterate;
}

/** Room left after the base for "-<year>-<n>". */
const MAX_BASE_LENGTH = MAX_SLUG_LENGTH - 12;
/** A name with nothing to transliterate (only symbols) still gets a slug. */
const FALLBACK_BASE = 'title';

/**
 * The slug base of a name: transliterated to ASCII (accents dropped, other
 * scripts romanised: "Amélie" -> "amelie", "더 글로리" -> "deo-geulrori",
 * "Москва" -> "moskva"), lower case, runs of anything else as one hyphen,
 * cut at a word boundary. Never empty.
 */
export function slugBase(name: string): string {
  const words = transliterator()(name.normalize('NFKC'))
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let base = '';
  for (const word of words) {
    const next = base ? `${base}-${word}` : word;
    if (next.length > MAX_BASE_LENGTH) {
      if (!base) base = word.slice(0, MAX_BASE_LENGTH);
      break;
    }
    base = next;
  }
  return base || FALLBACK_BASE;
}

/**
 * The slugs to try, in order: the base, then with the year on a clash, then
 * a counter: "the-glory", "the-glory-2022", "the-glory-2022-2", ... (without
 * a year: "the-glory", "the-glory-2", ...).
 */
export function* slugCandidates(name: string, year: number | null): Generator<string> {
  const base = slugBase(name);
  yield base;
  const stem = year === null ? base : `${base}-${year}`;
  if (year !== null) yield stem;
  for (let n = 2; ; n++) yield `${stem}-${n}`;
}

/** Looks slugs up through the slug history (the store's titlesBySlugs). */
export type SlugLookup = (slugs: readonly string[]) => Promise<Array<TitleRecord | null>>;

const BATCH = 8;
const MAX_TRIES = 1000;

/**
 * The first candidate slug that resolves to no title, or to `titleId`
 * itself (so a rename that keeps the base keeps its slug). Looked up in
 * batches; the store still checks it atomically when writing (SlugTakenError
 * on a race, and the caller picks again).
 */
export async function pickSlug(
  lookup: SlugLookup,
  name: string,
  year: number | null,
  titleId: string | null,
): Promise<string> {
  const candidates = slugCandidates(name, year);
  for (let tried = 0; tried < MAX_TRIES; tried += BATCH) {
    const batch = Array.from({ length: BATCH }, () => candidates.next().value as string);
    const holders = await lookup(batch);
    const free = batch.find((_, i) => holders[i] === null || holders[i]?.id === titleId);
    if (free) return free;
  }
  throw new SlugTakenError(slugBase(name));
}
