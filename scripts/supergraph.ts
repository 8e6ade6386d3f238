import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { type DocumentNode, parse } from 'graphql';
import { printReelcheckSubgraph } from '../src/graphql/schema/build';

/**
 * `npm run supergraph -- [--out FILE] [--url URL] [NAME=URL=SDL_FILE ...]`:
 * composes Reelcheck's subgraph (from the code) with any other subgraphs given
 * as name, routing URL and SDL file, and writes the supergraph SDL that Apollo
 * Router, Hive Gateway or @apollo/gateway serve. Composition errors are printed
 * and the exit code is 1. A production pipeline would usually compose with
 * `rover supergraph compose` or a schema registry; this does the same offline.
 */

/** One subgraph as composition takes it: a name, its SDL and where a router reaches it. */
export interface SubgraphDefinition {
  name: string;
  url: string;
  typeDefs: DocumentNode;
}

/** The supergraph SDL, or an Error listing every composition error. */
export function composeSupergraph(subgraphs: SubgraphDefinition[]): string {
  const result = composeServices(subgraphs);
  if (result.errors) {
    throw new Error(
      `Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`,
    );
  }
  return result.supergraphSdl;
}

async function main(argv: string[]): Promise<void> {
  let out = 'supergraph.graphql';
  let url = 'http://localhost:4000/graphql';
  const others: SubgraphDefinition[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') out = argv[++i];
    else if (arg === '--url') url = argv[++i];
    else {
      const [name, subgraphUrl, file] = arg.split('=');
      if (!name || !subgraphUrl || !file) {
        throw new Error(`expected NAME=URL=SDL_FILE, got ${JSON.stringify(arg)}`);
      }
      others.push({ name, url: subgraphUrl, typeDefs: parse(fs.readFileSync(file, 'utf8')) });
    }
  }
  const reelcheck = { name: 'reelcheck', url, typeDefs: parse(await printReelcheckSubgraph()) };
  const supergraph = composeSupergraph([reelcheck, ...others]);
  fs.writeFileSync(out, supergraph);
  console.log(
    `wrote ${path.resolve(out)}: ${[reelcheck, ...others].map((s) => s.name).join(' + ')}`,
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
