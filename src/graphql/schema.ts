import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import { RatingScaleResolver } from './accuracy';
import { FactResolver, TitleFactsResolver } from './fact';
import { RatingResolver } from './rating';
import { RecommendationResolver, TitleRecommendationsResolver } from './recommendation';
import { TitleResolver } from './title';

/**
 * The committed SDL; a test fails when it differs from the schema built here.
 * Found from the package root, so it is the same file from src/ (tests) and dist/ (scripts).
 */
export const SCHEMA_FILE = path.join(packageRoot(__dirname), 'schema', 'schema.graphql');

function packageRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/**
 * Builds the executable schema from the decorated classes. Validation of input
 * and args classes runs through class-validator before any resolver.
 */
export function buildReelcheckSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    // Our own printer (scripts/emit-schema.ts) writes the committed SDL.
    emitSchemaFile: false,
    resolvers: [
      TitleResolver,
      FactResolver,
      TitleFactsResolver,
      RecommendationResolver,
      TitleRecommendationsResolver,
      RatingResolver,
      RatingScaleResolver,
    ],
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: { forbidUnknownValues: false },
  });
}

/** The SDL as committed: sorted, so the file changes only when the schema does. */
export async function printReelcheckSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildReelcheckSchema()))}\n`;
}
