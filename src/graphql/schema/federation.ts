import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { execute, type GraphQLSchema, isInterfaceType, isObjectType, parse } from 'graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { createResolversMap } from 'type-graphql';
import { badUserInput } from '../errors';
import { MAX_QUERY_COMPLEXITY } from '../pipeline/complexity';
import type { Context } from '../request/context';
import { parseGlobalId } from './node/ids';
import type { TmdbIdentity } from '../request/loaders';

/**
 * Reelcheck as an Apollo Federation 2 subgraph. The entity keys are declared
 * on the classes (@Directive('@key(...)')): Title by `id` or by
 * `tmdbId mediaType`, Fact and Rating by `id`. This module turns the
 * TypeGraphQL schema into a subgraph schema that also serves `_service` and
 * `_entities`, so a router can compose it while direct clients use it as before.
 */

/** The federation version the SDL links; composition and routers read it. */
const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

/** More representations than a page could need is refused, whatever is selected under them. */
export const MAX_REPRESENTATIONS = 1000;

type Representation = Record<string, unknown>;
/** Resolvers by type and field, as buildSubgraphSchema takes them. */
type ResolverMap = Record<string, Record<string, unknown>>;

/**
 * A record of its own for @apollo/subgraph, which sets `__typename` on the
 * object a reference resolves to: records from the record cache are shared
 * by every request, and frozen (src/cache/records.ts).
 */
async function ownCopy<T extends object>(record: Promise<T | null>): Promise<T | null> {
  const found = await record;
  return found && { ...found };
}

/**
 * How a router's representation becomes a record, through the request's
 * loaders so 50 representations of one key cost one store call. A key that
 * names nothing (or is malformed) resolves to null, never an error.
 */
const referenceResolvers: ResolverMap = {
  Title: {
    __resolveReference(ref: Representation, ctx: Context) {
      if (typeof ref.id === 'string') {
        const id = parseGlobalId('Title', ref.id);
        return id === null ? null : ownCopy(ctx.loaders.titleById.load(id));
      }
      if (
        Number.isSafeInteger(ref.tmdbId) &&
        (ref.mediaType === 'MOVIE' || ref.mediaType === 'TV')
      ) {
        return ownCopy(ctx.loaders.titleByTmdb.load(ref as unknown as TmdbIdentity));
      }
      return null;
    },
  },
  Fact: {
    __resolveReference(ref: Representation, ctx: Context) {
      const id = typeof ref.id === 'string' ? parseGlobalId('Fact', ref.id) : null;
      return id === null ? null : ctx.loaders.factById.load(id);
    },
  },
  Rating: {
    __resolveReference(ref: Representation, ctx: Context) {
      const id = typeof ref.id === 'string' ? parseGlobalId('Rating', ref.id) : null;
      return id === null ? null : ctx.loaders.ratingById.load(id);
    },
  },
};

/** `_entities` costs what it selects for each representation; past the cap it is refused. */
const entitiesComplexity: ComplexityEstimator = ({ args, childComplexity }) => {
  const count = Array.isArray(args.representations) ? args.representations.length : 0;
  return count > MAX_REPRESENTATIONS
    ? MAX_QUERY_COMPLEXITY + count
    : 1 + count * Math.max(1, childComplexity);
};

/**
 * The subgraph SDL: the schema with its @key directives and the federation
 * @link, as `_service { sdl }` serves it and composition reads it.
 */
export function subgraphTypeDefs(schema: GraphQLSchema) {
  return parse(`${FEDERATION_LINK}\n\n${printSchemaWithDirectives(schema)}`);
}

/**
 * Builds the served schema: @apollo/subgraph over the SDL of the TypeGraphQL
 * schema, with TypeGraphQL's resolvers (validation included) and the reference
 * resolvers. Rebuilding from SDL drops field extensions, so the cost estimates
 * (graphql-query-complexity reads extensions.complexity) are carried over.
 */
export function buildSubgraph(schema: GraphQLSchema): GraphQLSchema {
  const resolvers = createResolversMap(schema) as ResolverMap;
  for (const [typeName, extra] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = { ...resolvers[typeName], ...extra };
  }
  const subgraph = buildSubgraphSchema({
    typeDefs: subgraphTypeDefs(schema),
    resolvers: resolvers as Parameters<typeof buildSubgraphSchema>[0] extends {
      resolvers?: infer R;
    }
      ? R
      : never,
  });
  copyFieldExtensions(schema, subgraph);
  describeFederationTypes(subgraph);
  const entities = subgraph.getQueryType()?.getFields()._entities;
  if (entities) {
    (entities as { extensions: Record<string, unknown> }).extensions = {
      ...entities.extensions,
      complexity: entitiesComplexity,
    };
    const resolveEntities = entities.resolve!;
    entities.resolve = (source, args, context, info) => {
      requireRepresentations(args.representations as unknown[]);
      return resolveEntities(source, args, context, info);
    };
  }
  return subgraph;
}

const ENTITY_TYPES = Object.keys(referenceResolvers);

/**
 * `_Any` takes any value, and @apollo/subgraph throws a plain Error (an
 * INTERNAL_SERVER_ERROR, logged as a bug) for one that is not an object naming
 * an entity type: that is the caller's mistake, BAD_USER_INPUT naming it.
 */
function requireRepresentations(representations: unknown[]): void {
  const bad = representations.findIndex(
    (r) =>
      typeof r !== 'object' ||
      r === null ||
      !ENTITY_TYPES.includes((r as Representation).__typename as string),
  );
  if (bad < 0) return;
  const field = `representations[${bad}]`;
  throw badUserInput(
    `${field} must be an object whose __typename is one of ${ENTITY_TYPES.join(', ')}`,
    field,
  );
}

/** The committed subgraph SDL (schema/subgraph.graphql): exactly what `_service { sdl }` answers. */
export async function printSubgraph(subgraph: GraphQLSchema): Promise<string> {
  const result = await execute({ schema: subgraph, document: parse('{ _service { sdl } }') });
  const sdl = (result.data as { _service?: { sdl?: string } } | null)?._service?.sdl;
  if (typeof sdl !== 'string') throw new Error('the subgraph did not answer _service { sdl }');
  return `${sdl}\n`;
}

function copyFieldExtensions(from: GraphQLSchema, to: GraphQLSchema): void {
  for (const type of Object.values(from.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    const target = to.getType(type.name);
    if (!target || (!isObjectType(target) && !isInterfaceType(target))) continue;
    const targetFields = target.getFields();
    for (const [name, field] of Object.entries(type.getFields())) {
      const copy = targetFields[name] as { extensions: Record<string, unknown> } | undefined;
      if (copy && Object.keys(field.extensions).length > 0) {
        copy.extensions = { ...copy.extensions, ...field.extensions };
      }
    }
  }
}

/**
 * @apollo/subgraph adds these without descriptions; the schema describes every
 * element it serves (a test checks), so they get theirs here, once, before use.
 */
const FEDERATION_DESCRIPTIONS: Record<string, string> = {
  _Any: 'Federation: an entity representation a router sends (__typename and key fields).',
  _Entity: 'Federation: every type a router can fetch by key (Title, Fact, Rating).',
  _Service: 'Federation: this subgraph, as a router sees it.',
  '_Service.sdl': 'The subgraph SDL, with its @key directives and federation @link.',
  'Query._entities': `Federation: entities by key, for a router. Unknown keys give null. At most ${MAX_REPRESENTATIONS} representations.`,
  'Query._entities(representations)': 'Entity representations: __typename and key fields.',
  'Query._service': 'Federation: the subgraph SDL, for a router.',
  link__Import: 'Federation @link: a name imported from a linked specification.',
  link__Purpose: 'Federation @link: what a linked specification is for.',
  federation__FieldSet: 'Federation: a selection of fields, as in @key(fields: "id").',
  federation__Scope: 'Federation @requiresScopes: an authorization scope.',
  federation__Policy: 'Federation @policy: an authorization policy.',
};

function describeFederationTypes(subgraph: GraphQLSchema): void {
  for (const [path, description] of Object.entries(FEDERATION_DESCRIPTIONS)) {
    const [typeName, fieldName, argName] = path.split(/[.()]/).filter(Boolean);
    const type = subgraph.getType(typeName) as { description?: string | null } | undefined;
    if (!type) continue;
    if (!fieldName) {
      type.description = description;
      continue;
    }
    const field = (
      subgraph.getType(typeName) as ReturnType<GraphQLSchema['getQueryType']>
    )?.getFields()[fieldName] as
      | { description?: string | null; args: Array<{ name: string; description?: string | null }> }
      | undefined;
    if (!field) continue;
    if (argName) {
      const arg = field.args.find((a) => a.name === argName);
      if (arg) arg.description = description;
    } else {
      field.description = description;
    }
  }
}
