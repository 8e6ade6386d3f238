import { Matches, Max, MaxLength, Min } from 'class-validator';
import {
  Args,
  ArgsType,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  ID,
  Int,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { badUserInput } from '../../errors';
import type { TitleRecord } from '../../../model';
import { SLUG_PATTERN, SLUG_RULE, summarize, targetKey } from '../../../model';
import { AccuracySummary } from '../ratings/accuracy';
import { listComplexity } from '../../pipeline/complexity';
import type { Context } from '../../request/context';
import { MediaType } from '../enums';
import { parseGlobalId, parseTitleCursor, toGlobalId, toTitleCursor } from '../node/ids';
import { Node } from '../node/node';
import { TmdbScore } from './tmdb-score';

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

// Federation entity keys (see src/graphql/schema/federation.ts): by our id, or by
// TMDB's identity so a service that knows only TMDB ids can join.
@Directive('@key(fields: "id")')
@Directive('@key(fields: "tmdbId mediaType")')
@ObjectType({
  implements: Node,
  description: 'A film or series and everything its title page shows.',
})
export class Title extends Node {
  @Field({ description: 'URL name: lowercase words joined by hyphens, e.g. the-glory.' })
  slug!: string;

  @Field({ description: 'The title as the page header shows it, e.g. "The Glory".' })
  name!: string;

  @Field(() => MediaType, { description: 'Film or series.' })
  mediaType!: MediaType;

  @Field(() => Int, { nullable: true, description: 'Year of first release.' })
  year!: number | null;

  @Field(() => String, { nullable: true, description: 'The one-line tagline under the name.' })
  tagline!: string | null;

  @Field(() => String, { nullable: true, description: 'The plot summary in the page header.' })
  overview!: string | null;

  @Field(() => Int, { nullable: true, description: "The title's id on TMDB." })
  tmdbId!: number | null;

  @Field(() => String, { nullable: true, description: 'The editorial "Accuracy Verdict" text.' })
  verdictBlurb!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The name in its original language, e.g. "더 글로리" (from TMDB).',
  })
  originalName!: string | null;

  @Field(() => [String], { description: 'Genre names, e.g. ["Drama", "Mystery"].' })
  genres!: string[];

  @Field(() => String, {
    nullable: true,
    description:
      'TMDB\'s poster path, e.g. "/abc.jpg": an image URL is https://image.tmdb.org/t/p/<size><posterPath>.',
  })
  posterPath!: string | null;

  @Field(() => Int, {
    description:
      "1 when created, +1 per editor change of the title's own fields: send it as updateTitle's expectedRevision.",
  })
  revision!: number;

  @Field({ description: 'When revision last moved.' })
  updatedAt!: Date;
}

@ObjectType({ description: 'One title in a page of titles, with its cursor (Relay).' })
export class TitleEdge {
  @Field({ description: 'Opaque position of this title in the list: pass it as `after`.' })
  cursor!: string;

  @Field(() => Title, { description: 'The title.' })
  node!: TitleRecord;
}

@ObjectType({ description: 'Where a page of a connection sits in the whole list (Relay).' })
export class PageInfo {
  @Field({ description: 'True when more items follow: ask again with after: endCursor.' })
  hasNextPage!: boolean;

  @Field({
    description:
      'True when this page was asked for after a cursor, so items come before it. Lists are read forwards only (first/after).',
  })
  hasPreviousPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the first item; null when empty.',
  })
  startCursor!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the last item; null when empty.',
  })
  endCursor!: string | null;
}

/** A Relay page from items with cursors; `after` says whether items come before it. */
export function connectionOf<T>(
  items: T[],
  cursorOf: (item: T) => string,
  hasNextPage: boolean,
  after: unknown,
): { edges: Array<{ cursor: string; node: T }>; pageInfo: PageInfo } {
  const edges = items.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: after != null,
      startCursor: edges.length > 0 ? edges[0].cursor : null,
      endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null,
    },
  };
}

@ObjectType({ description: 'A page of titles (Relay connection), in slug order.' })
export class TitleConnection {
  @Field(() => [TitleEdge], { description: 'The titles of this page, in order.' })
  edges!: TitleEdge[];

  @Field(() => PageInfo, { description: 'Cursors and whether more titles follow.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'All titles matching the search, across pages.' })
  totalCount!: number;
}

@ArgsType()
class TitleArgs {
  @Field(() => ID, { nullable: true, description: "The title's ID. Give this or slug." })
  id?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The title\'s slug, e.g. "the-glory". Give this or id.',
  })
  @Matches(SLUG_PATTERN, { message: `slug ${SLUG_RULE}` })
  slug?: string | null;
}

@ArgsType()
class TitlesArgs {
  @Field(() => String, {
    nullable: true,
    description: 'Case-insensitive text the name must contain.',
  })
  @MaxLength(100, { message: 'search must be at most 100 characters' })
  search?: string | null;

  @Field(() => Int, {
    nullable: true,
    defaultValue: DEFAULT_PAGE_SIZE,
    description: 'Page size, 1 to 100; null means the default, 20.',
  })
  @Min(1, { message: 'first must be between 1 and 100' })
  @Max(MAX_PAGE_SIZE, { message: 'first must be between 1 and 100' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page.' })
  after?: string | null;
}

@Resolver(() => Title)
export class TitleResolver {
  @Query(() => Title, {
    nullable: true,
    description: 'One title, by exactly one of id or slug; null when there is no such title.',
  })
  async title(@Args() { id, slug }: TitleArgs, @Ctx() ctx: Context): Promise<TitleRecord | null> {
    if ((id == null) === (slug == null)) {
      throw badUserInput(
        'Give exactly one of the arguments id and slug',
        id == null ? 'id' : 'slug',
      );
    }
    if (slug != null) return ctx.loaders.titleBySlug.load(slug);
    // A well-formed id of another type, or garbage, names no title: that is the
    // caller's mistake, not an unknown title.
    const storeId = parseGlobalId('Title', id!);
    if (storeId === null) throw badUserInput('id is not a valid Title ID', 'id');
    return ctx.loaders.titleById.load(storeId);
  }

  @Query(() => TitleConnection, {
    description: 'Titles in slug order, optionally filtered by name.',
    // Out-of-range `first` is refused by validation (BAD_USER_INPUT): estimate within the range.
    complexity: listComplexity((args) =>
      Math.min(Math.max(Number(args.first ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE),
    ),
  })
  async titles(
    @Args() { search, first, after }: TitlesArgs,
    @Ctx() ctx: Context,
  ): Promise<TitleConnection> {
    const afterSlug = after == null ? null : parseTitleCursor(after);
    if (after != null && afterSlug === null) {
      throw badUserInput('after is not a cursor returned by titles', 'after');
    }
    const page = await ctx.store.listTitles({
      search: search || null,
      first: first ?? DEFAULT_PAGE_SIZE,
      afterSlug,
    });
    for (const title of page.titles) ctx.loaders.titleById.prime(title.id, title);
    return {
      ...connectionOf(
        page.titles,
        (title) => toTitleCursor(title.slug),
        page.hasNextPage,
        afterSlug,
      ),
      totalCount: page.totalCount,
    };
  }

  @FieldResolver(() => ID, { description: "The title's global ID." })
  id(@Root() title: TitleRecord): string {
    return toGlobalId('Title', title.id);
  }

  @FieldResolver(() => AccuracySummary, { description: "Viewers' ratings of the whole page." })
  async accuracy(@Root() title: TitleRecord, @Ctx() ctx: Context) {
    const key = targetKey({ kind: 'TITLE', titleId: title.id });
    return summarize(await ctx.loaders.aggregateByTarget.load(key));
  }

  @FieldResolver(() => TmdbScore, {
    nullable: true,
    description:
      'Live TMDB score, or the last known one (stale: true) while TMDB is slow or down. Null when the title has no TMDB id, or when TMDB is unreachable and no value is known (then with an UPSTREAM_UNAVAILABLE error).',
  })
  tmdbScore(@Root() title: TitleRecord, @Ctx() ctx: Context) {
    if (title.tmdbId == null) return null;
    return ctx.loaders.tmdbScore.load({
      titleId: title.id,
      tmdbId: title.tmdbId,
      mediaType: title.mediaType,
      snapshot: title.tmdbSnapshot,
    });
  }
}
