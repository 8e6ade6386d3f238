import { GraphQLJSON } from 'graphql-scalars';
import {
  Args,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  ObjectType,
  Resolver,
  Root,
} from 'type-graphql';
import { EDITOR } from '../../request/editor-auth';
import type { ChangeRecord, JsonValue, TitleRecord } from '../../../model';
import { PageArgs, pageRequest, pagedComplexity } from '../ratings/comments';
import type { Context } from '../../request/context';
import { ChangeEntityType, ChangeOperation } from '../enums';
import { type NodeType, toGlobalId, toKeysetCursor } from '../node/ids';
import { Node } from '../node/node';
import { connectionOf, PageInfo, Title } from '../titles/title';

@ObjectType({ description: 'One field a change changed, with its value before and after (JSON).' })
export class FieldChange {
  @Field({ description: 'The field, e.g. "name", "text", "position", "verification", "items".' })
  field!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The value before; null if none.' })
  before!: JsonValue;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The value after; null if none.' })
  after!: JsonValue;
}

@ObjectType({
  implements: Node,
  description:
    "One entry of a title's audit trail (editors only): what changed, when, by which operation.",
})
export class Change extends Node {
  @Field({ description: 'When the change was made.' })
  at!: Date;

  @Field(() => ChangeOperation, { description: 'The operation that made it.' })
  operation!: ChangeOperation;

  @Field(() => ChangeEntityType, { description: 'What it changed.' })
  entityType!: ChangeEntityType;

  @Field(() => Int, {
    nullable: true,
    description: "The entity's revision after the change (titles and facts); null otherwise.",
  })
  revision!: number | null;

  @Field(() => [FieldChange], { description: 'The changed fields, each with before and after.' })
  fields!: FieldChange[];
}

const ENTITY_NODE: Record<ChangeEntityType, NodeType> = {
  TITLE: 'Title',
  FACT: 'Fact',
  RECOMMENDATIONS: 'Title',
  RATING_COMMENT: 'Rating',
  FACT_REVIEW: 'Fact',
};

@Resolver(() => Change)
export class ChangeResolver {
  @FieldResolver(() => ID, { description: "The change record's global ID." })
  id(@Root() change: ChangeRecord): string {
    return toGlobalId('Change', change.id);
  }

  @FieldResolver(() => ID, {
    description:
      "Global ID of what changed: the Title (its fields or its recommendations), the Fact (itself or its review), or the Rating whose comment was hidden. A removed fact's ID names nothing any more.",
  })
  entityId(@Root() change: ChangeRecord): string {
    return toGlobalId(ENTITY_NODE[change.entityType], change.entityId);
  }
}

@ObjectType({ description: 'A change record in a list, with its cursor (Relay).' })
export class ChangeEdge {
  @Field({ description: 'Opaque position of this record in the list: pass it as `after`.' })
  cursor!: string;

  @Field(() => Change, { description: 'The change record.' })
  node!: ChangeRecord;
}

@ObjectType({ description: "A title's audit trail, newest first (Relay connection)." })
export class ChangeConnection {
  @Field(() => [ChangeEdge], { description: 'The records of this page, newest first.' })
  edges!: ChangeEdge[];

  @Field(() => PageInfo, { description: 'Cursors and whether more records follow.' })
  pageInfo!: PageInfo;
}

@Resolver(() => Title)
export class TitleChangesResolver {
  @Authorized(EDITOR)
  @FieldResolver(() => ChangeConnection, {
    description:
      'Editors only: every editor write to this title, its facts, its recommendations and its comments, newest first.',
    complexity: pagedComplexity,
  })
  async changes(@Root() title: TitleRecord, @Args() args: PageArgs, @Ctx() ctx: Context) {
    const page = await ctx.store.changesOfTitle(title.id, pageRequest('change', args));
    return connectionOf(
      page.items,
      (change) => toKeysetCursor('change', change.at, change.id),
      page.hasNextPage,
      args.after,
    );
  }
}
