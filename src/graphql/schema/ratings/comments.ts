import { Max, Min } from 'class-validator';
import {
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  Int,
  ObjectType,
  Resolver,
  Root,
} from 'type-graphql';
import { badUserInput } from '../../errors';
import type { FactRecord, RatingRecord, RatingTarget, TitleRecord } from '../../../model';
import { listComplexity } from '../../pipeline/complexity';
import type { Context } from '../../request/context';
import { Fact } from '../facts/fact';
import { parseKeysetCursor, toKeysetCursor } from '../node/ids';
import { Rating } from './rating';
import { connectionOf, PageInfo, Title } from '../titles/title';

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

@ObjectType({
  description: 'A comment in a list: a rating with its comment, and its cursor (Relay).',
})
export class CommentEdge {
  @Field({ description: 'Opaque position of this comment in the list: pass it as `after`.' })
  cursor!: string;

  @Field(() => Rating, { description: 'The rating that carries the comment.' })
  node!: RatingRecord;
}

@ObjectType({
  description:
    "Viewers' comments, newest first (Relay connection): ratings with a comment, hidden ones left out.",
})
export class CommentConnection {
  @Field(() => [CommentEdge], { description: 'The comments of this page, newest first.' })
  edges!: CommentEdge[];

  @Field(() => PageInfo, { description: 'Cursors and whether more comments follow.' })
  pageInfo!: PageInfo;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, {
    nullable: true,
    defaultValue: DEFAULT_PAGE,
    description: `Page size, 1 to ${MAX_PAGE}; null means the default, ${DEFAULT_PAGE}.`,
  })
  @Min(1, { message: `first must be between 1 and ${MAX_PAGE}` })
  @Max(MAX_PAGE, { message: `first must be between 1 and ${MAX_PAGE}` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page.' })
  after?: string | null;
}

/** The cost of a list paged by `first`: what is selected under it, times the page size. */
export const pagedComplexity = listComplexity((args) =>
  Math.min(Math.max(Number(args.first ?? DEFAULT_PAGE), 1), MAX_PAGE),
);

/** A keyset page request from first/after; BAD_USER_INPUT for a cursor of another list. */
export function pageRequest(kind: 'comment' | 'change', { first, after }: PageArgs) {
  const cursor = after == null ? null : parseKeysetCursor(kind, after);
  if (after != null && cursor === null) {
    throw badUserInput(`after is not a cursor returned by this list`, 'after');
  }
  return { first: first ?? DEFAULT_PAGE, after: cursor };
}

/** One page of a target's visible comments as a connection (an index walk in either store). */
async function commentsOf(
  ctx: Context,
  target: RatingTarget,
  args: PageArgs,
): Promise<CommentConnection> {
  const page = await ctx.ratings.comments(target, pageRequest('comment', args));
  return connectionOf(
    page.items,
    (rating) => toKeysetCursor('comment', rating.updatedAt, rating.id),
    page.hasNextPage,
    args.after,
  );
}

@Resolver(() => Title)
export class TitleCommentsResolver {
  @FieldResolver(() => CommentConnection, {
    description: "Viewers' comments on the whole page, newest first; hidden ones left out.",
    complexity: pagedComplexity,
  })
  comments(@Root() title: TitleRecord, @Args() args: PageArgs, @Ctx() ctx: Context) {
    return commentsOf(ctx, { kind: 'TITLE', titleId: title.id }, args);
  }
}

@Resolver(() => Fact)
export class FactCommentsResolver {
  @FieldResolver(() => CommentConnection, {
    description: "Viewers' comments on this fact, newest first; hidden ones left out.",
    complexity: pagedComplexity,
  })
  comments(@Root() fact: FactRecord, @Args() args: PageArgs, @Ctx() ctx: Context) {
    return commentsOf(ctx, { kind: 'FACT', titleId: fact.titleId, factId: fact.id }, args);
  }
}
