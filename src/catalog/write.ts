import {
  type Catalog,
  type CatalogReport,
  ChangeOperation,
  type CuratedTitle,
  replaceCuratedTitle,
  type TitleEditResult,
} from '../model';
import { newStoreId } from '../store/ids';
import type { Store, TitleEdit } from '../store/port';
import { CatalogFileError } from './format';

/**
 * Writes a catalog into a store: every title in it becomes exactly what the
 * catalog says (fields, slug history, facts, recommendations); titles not in
 * it are left alone, ratings are never touched, and a title's TMDB snapshot
 * is kept when it has one. A title that already equals its entry is not
 * written, so a second import of the same file changes nothing (and says so).
 *
 * Everything is checked before the first write: the file (by its schema),
 * then what it refers to in the store (recommended titles outside the file
 * must exist; a slug must not resolve to another title, nor a TMDB identity
 * belong to one). Then the store
 * applies the whole catalog as one batch (see Store.editTitles: one
 * transaction on SQLite; on MongoDB one atomic write per title, and an
 * interrupted import is completed by running it again).
 */
export async function writeCatalog(
  store: CatalogStore,
  catalog: Catalog,
  options: { dryRun?: boolean; now?: Date } = {},
): Promise<CatalogReport> {
  await checkReferences(store, catalog);
  const now = options.now ?? new Date();
  const outcome = new Map<string, 'created' | 'updated' | 'unchanged'>();
  const edits: TitleEdit[] = catalog.titles.map((incoming) => ({
    titleId: incoming.title.id,
    apply(current: CuratedTitle | null): TitleEditResult | null {
      const result = replaceCuratedTitle(
        { now, newId: newStoreId, operation: ChangeOperation.IMPORT_CATALOG },
        current,
        incoming,
      );
      outcome.set(incoming.title.id, !result ? 'unchanged' : current ? 'updated' : 'created');
      return result;
    },
  }));
  if (options.dryRun) {
    const currents = await store.curatedTitlesByIds(edits.map((edit) => edit.titleId));
    edits.forEach((edit, i) => edit.apply(currents[i]));
  } else if (edits.length > 0) {
    await store.editTitles(edits);
  }
  const ids = (kind: string) => [...outcome].filter(([, k]) => k === kind).map(([id]) => id);
  return { created: ids('created'), updated: ids('updated'), unchanged: ids('unchanged') };
}

/** What writing a catalog needs of a store. */
export type CatalogStore = Pick<
  Store,
  'titlesByIds' | 'titlesBySlugs' | 'titlesByTmdbIds' | 'curatedTitlesByIds' | 'editTitles'
>;

/**
 * A store that holds no titles: what a dry run compares a file with when the
 * embedded store has no file yet (opening one would create it). It takes no
 * writes.
 */
export const EMPTY_STORE: CatalogStore = {
  titlesByIds: async (ids) => ids.map(() => null),
  titlesBySlugs: async (slugs) => slugs.map(() => null),
  titlesByTmdbIds: async (keys) => keys.map(() => null),
  curatedTitlesByIds: async (ids) => ids.map(() => null),
  editTitles: async () => {
    throw new Error('EMPTY_STORE takes no writes: it is for dry runs');
  },
};

/** "3 created, 1 updated, 2 unchanged", or "no changes". */
export function describeReport(report: CatalogReport): string {
  if (report.created.length === 0 && report.updated.length === 0) {
    return `no changes (${report.unchanged.length} titles already as in the file)`;
  }
  return `${report.created.length} created, ${report.updated.length} updated, ${report.unchanged.length} unchanged`;
}

/**
 * What the file refers to outside itself must be in the store; its slugs and
 * TMDB identities must not belong to another title there.
 */
async function checkReferences(store: CatalogStore, catalog: Catalog): Promise<void> {
  const inFile = new Set(catalog.titles.map((t) => t.title.id));
  const issues: Array<{ path: string; message: string }> = [];
  const outside = catalog.titles.flatMap((t, i) =>
    t.recommendations
      .map((rec, r) => ({
        id: rec.recommendedTitleId,
        path: `titles[${i}].recommendations[${r}].titleId`,
      }))
      .filter((ref) => !inFile.has(ref.id)),
  );
  const found = await store.titlesByIds(outside.map((ref) => ref.id));
  outside.forEach((ref, i) => {
    if (!found[i])
      issues.push({ path: ref.path, message: `no title "${ref.id}" in the file or the store` });
  });
  const slugs = catalog.titles.flatMap((t, i) => [
    { slug: t.title.slug, owner: t.title.id, path: `titles[${i}].slug` },
    ...t.formerSlugs.map((slug, s) => ({
      slug,
      owner: t.title.id,
      path: `titles[${i}].formerSlugs[${s}]`,
    })),
  ]);
  const holders = await store.titlesBySlugs(slugs.map((s) => s.slug));
  slugs.forEach((s, i) => {
    const holder = holders[i];
    if (holder && holder.id !== s.owner) {
      issues.push({
        path: s.path,
        message: `"${s.slug}" already resolves to the title "${holder.id}" in the store`,
      });
    }
  });
  const identities = catalog.titles.flatMap(({ title }, i) =>
    title.tmdbId === null
      ? []
      : [
          {
            tmdbId: title.tmdbId,
            mediaType: title.mediaType,
            owner: title.id,
            path: `titles[${i}].tmdbId`,
          },
        ],
  );
  const tmdbHolders = await store.titlesByTmdbIds(identities);
  identities.forEach((identity, i) => {
    const holder = tmdbHolders[i];
    if (holder && holder.id !== identity.owner) {
      issues.push({
        path: identity.path,
        message:
          `TMDB ${identity.mediaType} ${identity.tmdbId} already belongs to the title "${holder.id}" ` +
          'in the store; a TMDB identity names one title (clear it there first)',
      });
    }
  });
  if (issues.length > 0) throw new CatalogFileError(issues);
}
