import { ArrayMaxSize } from 'class-validator';
import { type GraphQLSchema, isInterfaceType } from 'graphql';
import { Arg, Args, ArgsType, Ctx, Field, ID, InterfaceType, Query, Resolver } from 'type-graphql';
import { summarize } from '../../../model';
import { assertEditor } from '../../request/editor-auth';
import { badUserInput } from '../../errors';
import type { Context } from '../../request/context';
import { listComplexity } from '../../pipeline/complexity';
import { type NodeType, parseAnyGlobalId } from './ids';

/**
 * Relay's object identification: every type with an identity implements Node,
 * and node(id) / nodes(ids) refetch any of them by id. Clients' caches
 * (Apollo Client, urql graphcache, Relay) key objects by these ids.
 */
@InterfaceType({
  description:
    'An object with a global, opaque ID: refetch it with node(id). Caches key objects by it.',
  resolveType: nodeTypeOf,
})
export abstract class Node {
  @Field(() => ID, { description: 'Global, opaque ID. Never build one: take it from the API.' })
  id!: string;
}

const NODE_TYPE = Symbol('NodeType');
export const MAX_NODES = 100;

/**
 * Node's resolveType: the type asNode marked the record with. TypeGraphQL
 * wraps a resolveType in an async function, which graphql-jit does not
 * await, so schema.ts also sets this on the built schema (synchronousNodeType).
 */
function nodeTypeOf(value: Record<symbol, NodeType>): NodeType {
  return value[NODE_TYPE];
}

/** The built schema's Node resolves its type at once, as graphql-jit needs (see nodeTypeOf). */
export function synchronousNodeType(schema: GraphQLSchema): void {
  const node = schema.getType('Node');
  if (!isInterfaceType(node)) throw new Error('The schema has no Node interface');
  node.resolveType = nodeTypeOf;
}

/** Marks a record with its GraphQL type, which Node's resolveType reads. */
function asNode<T extends object>(type: NodeType, record: T | null | undefined): T | null {
  return record ? ({ ...record, [NODE_TYPE]: type } as T) : null;
}

/** Loads what a well-formed id names, through the request's loaders; null when it names nothing. */
async function loadNode(ctx: Context, type: NodeType, key: string): Promise<object | null> {
  const { loaders } = ctx;
  switch (type) {
    case 'Title':
      return asNode(type, await loaders.titleById.load(key));
    case 'Fact':
      return asNode(type, await loaders.factById.load(key));
    case 'Rating':
      return asNode(type, await loaders.ratingById.load(key));
    case 'AccuracySummary': {
      // A summary exists while its target does.
      const [kind, id] = key.split(':');
      const target = await (kind === 'title' ? loaders.titleById : loaders.factById).load(id);
      return target ? asNode(type, summarize(await loaders.aggregateByTarget.load(key))) : null;
    }
    case 'Change': {
      // Editors only, like Title.changes.
      assertEditor(ctx.editorAccess);
      const [change] = await ctx.store.changesByIds([key]);
      return asNode(type, change);
    }
    case 'Report': {
      // Editors only: who reported what is never public (docs/reviews.md).
      assertEditor(ctx.editorAccess);
      const [report] = await ctx.store.reportsByIds([key]);
      return asNode(type, report);
    }
    case 'Recommendation': {
      const [titleId, recommendedTitleId] = key.split('.');
      const list = await loaders.recommendationsByTitleId.load(titleId);
      return asNode(
        type,
        list.find((rec) => rec.recommendedTitleId === recommendedTitleId),
      );
    }
  }
}

@ArgsType()
class NodesArgs {
  @Field(() => [ID], { description: `At most ${MAX_NODES} IDs.` })
  @ArrayMaxSize(MAX_NODES, { message: `ids must hold at most ${MAX_NODES} IDs` })
  ids!: string[];
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description:
      'Any object by its ID (Relay). Null when nothing has this ID; a malformed ID is BAD_USER_INPUT.',
  })
  node(
    @Arg('id', () => ID, { description: 'An ID taken from the API.' }) id: string,
    @Ctx() ctx: Context,
  ): Promise<object | null> {
    const parsed = parseAnyGlobalId(id);
    if (!parsed) throw badUserInput('id is not a valid ID', 'id');
    return loadNode(ctx, parsed.type, parsed.key);
  }

  @Query(() => [Node], {
    nullable: 'items',
    description: `Objects by their IDs, in the same order; null for an ID that names nothing. At most ${MAX_NODES}.`,
    complexity: listComplexity((args) =>
      Math.min(Array.isArray(args.ids) ? args.ids.length : MAX_NODES, MAX_NODES),
    ),
  })
  async nodes(@Args() { ids }: NodesArgs, @Ctx() ctx: Context): Promise<Array<object | null>> {
    const parsed = ids.map((id, index) => {
      const node = parseAnyGlobalId(id);
      if (!node) throw badUserInput(`ids[${index}] is not a valid ID`, `ids[${index}]`);
      return node;
    });
    return Promise.all(parsed.map(({ type, key }) => loadNode(ctx, type, key)));
  }
}
