import type { Catalog } from '../model';
import type { Store } from '../store/port';

const PAGE = 100;

/** Every title aggregate of the store, in slug order: what catalog:export writes. */
export async function readCatalog(store: Store): Promise<Catalog> {
  const titles: Catalog['titles'] = [];
  let afterSlug: string | null = null;
  for (;;) {
    const page = await store.listTitles({ first: PAGE, afterSlug });
    const curated = await store.curatedTitlesByIds(page.titles.map((t) => t.id));
    for (const title of curated) if (title) titles.push(title);
    if (!page.hasNextPage || page.titles.length === 0) return { titles };
    afterSlug = page.titles[page.titles.length - 1].slug;
  }
}
