import 'reflect-metadata';
import { GraphQLScalarType, type GraphQLSchema, printSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type BuildSchemaOptions } from 'type-graphql';
import { editorAuthChecker } from '../request/editor-auth';
import { AccuracySummaryResolver, RatingScaleResolver } from './ratings/accuracy';
import { ChangeResolver, TitleChangesResolver } from './curation/changes';
import { FactCommentsResolver, TitleCommentsResolver } from './ratings/comments';
import { EditingResolver } from './curation/editing';
import { FactResolver, TitleFactsResolver } from './facts/fact';
import { buildSubgraph, printSubgraph } from './federation';
import { callFieldsDirectly, directField } from './lean-resolvers';
import { NodeResolver, synchronousNodeType } from './node/node';
import {
  FactViewerRatingResolver,
  RatingResolver,
  TitleViewerRatingResolver,
} from './ratings/rating';
import { RecommendationResolver, TitleRecommendationsResolver } from './titles/recommendation';
import { ReviewQueueEntryResolver, ReviewQueueResolver } from './reviews/queue';
import { ReportFactResolver, ReportResolver } from './reviews/report';
import { ResolveReviewPayloadResolver, ReviewTransitionResolver } from './reviews/resolution';
import { FactReviewFieldResolver, FactReviewResolver } from './reviews/review';
import { TitleResolver } from './titles/title';
import { validateArgs } from './validate-args';
import { schemaFile } from '../../package-root';

/**
 * The committed SDL; a test fails when it differs from the schema built here.
 * Found from the package root, so it is the same file from src/ (tests) and dist/ (scripts).
 */
export const SCHEMA_FILE = schemaFile('schema.graphql');
/** The committed subgraph SDL (with @key and @link), as `_service { sdl }` serves it. */
export const SUBGRAPH_FILE = schemaFile('subgraph.graphql');

/** graphql-scalars' DateTime, with @specifiedBy pointing at its specification. */
const DateTime = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  specifiedByURL: 'https://scalars.graphql.org/andimarek/date-time',
});

/**
 * Fields answered by a direct call of their method, past TypeGraphQL's
 * per-call path (lean-resolvers.ts says why). Each method takes @Root() and
 * perhaps @Ctx() after it, no arguments, no @Authorized, no middleware: a
 * field that gains any of these leaves this list.
 */
const DIRECT_FIELDS = [
  directField('Title.id', TitleResolver, 'id'),
  directField('Title.accuracy', TitleResolver, 'accuracy'),
  directField('Title.tmdbScore', TitleResolver, 'tmdbScore'),
  directField('Title.recommendations', TitleRecommendationsResolver, 'recommendations'),
  directField('Fact.id', FactResolver, 'id'),
  directField('Fact.title', FactResolver, 'title'),
  directField('Fact.accuracy', FactResolver, 'accuracy'),
  directField('Fact.review', FactReviewFieldResolver, 'review'),
  directField('FactReview.openReports', FactReviewResolver, 'openReports'),
  directField('FactReview.openReportCount', FactReviewResolver, 'openReportCount'),
  directField('Recommendation.id', RecommendationResolver, 'id'),
  directField('Recommendation.title', RecommendationResolver, 'title'),
  directField('AccuracySummary.id', AccuracySummaryResolver, 'id'),
  directField('Rating.id', RatingResolver, 'id'),
  directField('Rating.comment', RatingResolver, 'comment'),
  directField('Change.id', ChangeResolver, 'id'),
  directField('Change.entityId', ChangeResolver, 'entityId'),
];

/**
 * Builds the executable schema from the decorated classes. Validation of input
 * and args classes runs through class-validator before any resolver.
 */
export async function buildReelcheckSchema(): Promise<GraphQLSchema> {
  return buildSubgraph(await buildTypeGraphQLSchema());
}

/** The schema as TypeGraphQL builds it from the decorated classes, before federation is added. */
async function buildTypeGraphQLSchema(): Promise<GraphQLSchema> {
  const options: BuildSchemaOptions = {
    // Our own printer (scripts/emit-schema.ts) writes the committed SDL.
    emitSchemaFile: false,
    resolvers: [
      NodeResolver,
      TitleResolver,
      FactResolver,
      TitleFactsResolver,
      RecommendationResolver,
      TitleRecommendationsResolver,
      AccuracySummaryResolver,
      RatingScaleResolver,
      RatingResolver,
      TitleViewerRatingResolver,
      FactViewerRatingResolver,
      TitleCommentsResolver,
      FactCommentsResolver,
      ChangeResolver,
      TitleChangesResolver,
      EditingResolver,
      FactReviewResolver,
      FactReviewFieldResolver,
      ReportResolver,
      ReportFactResolver,
      ReviewQueueResolver,
      ReviewQueueEntryResolver,
      ReviewTransitionResolver,
      ResolveReviewPayloadResolver,
    ],
    authChecker: editorAuthChecker,
    scalarsMap: [{ type: Date, scalar: DateTime }],
    // class-validator runs on every input; null/undefined optional fields are skipped.
    validateFn: validateArgs,
  };
  const schema = await buildSchema(options);
  // Set once here, before the schema is used: what TypeGraphQL has no option
  // for (a synchronous resolveType, direct calls of plain field resolvers, the
  // root types' descriptions).
  synchronousNodeType(schema);
  callFieldsDirectly(schema, DIRECT_FIELDS);
  schema.getQueryType()!.description =
    "Title pages (title, titles), any object by ID (node, nodes), the rating scale, and editors' review queue (reviewQueue).";
  schema.getMutationType()!.description =
    'Viewers rate the accuracy of title pages and facts and report wrong facts; editors (Authorization: Bearer <ADMIN_TOKEN>) curate titles, facts, recommendations and comments, and work the review queue.';
  return schema;
}

/** The SDL as committed, in the order the server serves it (e.g. verdicts in scale order). */
export async function printReelcheckSchema(): Promise<string> {
  return `${printSchema(await buildReelcheckSchema())}\n`;
}

/** The subgraph SDL as committed: what a router composes. */
export async function printReelcheckSubgraph(): Promise<string> {
  return printSubgraph(await buildReelcheckSchema());
}
