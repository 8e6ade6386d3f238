import { createHash } from 'node:crypto';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import {
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  typeFromAST,
  validate,
  type ValidationRule,
} from 'graphql';
import { createCostEstimator, MAX_QUERY_COMPLEXITY } from '../../pipeline/complexity';
import { QUERY_PARSE_OPTIONS } from '../../pipeline/limits';
import type { ManifestDocument } from './manifest';
import { readManifests, TrustedDocumentsError } from './manifest';

/**
 * The apps' registered operations ("trusted documents"), known before the
 * first request: every document of every manifest is parsed, validated
 * against the schema with the server's own rules, measured by the cost limit
 * and handed to the executor to compile, once, at start. A document that does
 * not hold stops the start with a message naming its file and operation.
 *
 * A request then names a document by id (registered-request.ts) and Apollo
 * finds it ready: its source through `persistedQueries` and its validated
 * syntax tree through `documentStore` (both below), so nothing is hashed,
 * parsed or validated per request.
 */
export interface TrustedDocument {
  /** The id its manifest gives it. */
  id: string;
  /** Lower-case hex SHA-256 of its text: Apollo's query hash for it, and `sha256:<this>` its standard id. */
  sha256: string;
  text: string;
  /** Its syntax tree: the one Apollo runs for every request that names it. */
  document: DocumentNode;
  /** Its operations' names ('' for an anonymous one). */
  operations: string[];
  file: string;
}

export interface TrustedDocumentsOptions {
  /** Validation rules beyond graphql-js's, as Apollo runs them (query limits, one mutation field). */
  validationRules: readonly ValidationRule[];
  /** Compiles an operation of a registered document; called once per operation, at start. */
  compile?(document: TrustedDocument, operation: OperationDefinitionNode): void;
}

/** The standard prefixed id of a document by its SHA-256 (GraphQL over HTTP, persisted documents). */
const SHA256_PREFIX = 'sha256:';

export class TrustedDocuments {
  /** By every id a client may send: the manifest's, `sha256:<hex>` and `<hex>`. */
  private readonly byAnyId = new Map<string, TrustedDocument>();
  private readonly bySha256 = new Map<string, TrustedDocument>();
  private readonly byText = new Map<string, TrustedDocument>();
  /** Other documents Apollo parsed and validated, kept as Apollo keeps them by default (an LRU of about 30 MiB). */
  private readonly validatedByApollo = new InMemoryLRUCache<DocumentNode>();

  private constructor(readonly documents: readonly TrustedDocument[]) {
    for (const document of documents) {
      this.bySha256.set(document.sha256, document);
      this.byText.set(document.text, document);
      for (const id of [document.id, document.sha256, SHA256_PREFIX + document.sha256]) {
        const other = this.byAnyId.get(id);
        if (other && other.sha256 !== document.sha256) {
          throw new TrustedDocumentsError(
            `Trusted documents: the id ${JSON.stringify(id)} names two different documents (${other.file}, operation ${label(other)}; ${document.file}, operation ${label(document)})`,
          );
        }
        this.byAnyId.set(id, document);
      }
    }
  }

  /** Reads, checks and compiles every document of `files`; throws TrustedDocumentsError. */
  static load(
    files: readonly string[],
    schema: GraphQLSchema,
    options: TrustedDocumentsOptions,
  ): TrustedDocuments {
    return TrustedDocuments.of(readManifests(files), schema, options);
  }

  /** The same, from documents already read (tests, the manifest script). */
  static of(
    entries: readonly ManifestDocument[],
    schema: GraphQLSchema,
    options: TrustedDocumentsOptions,
  ): TrustedDocuments {
    const rules = [...specifiedRules, ...options.validationRules];
    const cost = createCostEstimator(schema);
    const documents = entries.map((entry) => checked(entry, schema, rules, cost));
    const registry = new TrustedDocuments(dedupe(documents));
    for (const document of registry.bySha256.values()) {
      for (const definition of document.document.definitions) {
        if (definition.kind === Kind.OPERATION_DEFINITION) options.compile?.(document, definition);
      }
    }
    return registry;
  }

  /** The document a client names by id: its manifest's id, `sha256:<hex>` or `<hex>`. */
  byId(id: string): TrustedDocument | undefined {
    return this.byAnyId.get(id);
  }

  /** The registered document whose SHA-256 is `hash`: what a request naming one carries once resolved (registered-request.ts). */
  withSha256(hash: string): TrustedDocument | undefined {
    return this.bySha256.get(hash);
  }

  /** The registered document with exactly this text (a client may send the text itself). */
  withText(text: string): TrustedDocument | undefined {
    return this.byText.get(text);
  }

  /**
   * Apollo's `documentStore`: a registered document is found by its query
   * hash, ready, whatever else the store holds; other documents are kept
   * as Apollo keeps them by default (an LRU of about 30 MiB), parsed and
   * validated once per text. Apollo prefixes its keys with the schema's hash
   * and a colon; the query hash is what follows the first colon.
   */
  apolloDocumentStore(): KeyValueCache<DocumentNode> {
    const { bySha256: trusted, validatedByApollo: others } = this;
    const hashOf = (key: string) => key.slice(key.indexOf(':') + 1);
    return {
      async get(key) {
        const hash = hashOf(key);
        return trusted.get(hash)?.document ?? others.get(hash);
      },
      async set(key, value, options) {
        await others.set(hashOf(key), value, options);
      },
      async delete(key) {
        await others.delete(hashOf(key));
      },
    };
  }

  /**
   * The syntax tree of a text that is registered or that Apollo has parsed
   * and validated (it keeps only those), by the SHA-256 of its text; undefined
   * for any other. One schema per process, so Apollo's schema-hash prefix of
   * its keys is left out.
   */
  async validatedDocument(sha256: string): Promise<DocumentNode | undefined> {
    return this.bySha256.get(sha256)?.document ?? this.validatedByApollo.get(sha256);
  }

  /**
   * Apollo's `persistedQueries.cache`: a registered document's text by its
   * SHA-256, and, unless `registeredOnly`, the automatic persisted queries
   * clients register. With `registeredOnly` (TRUSTED_DOCUMENTS_ONLY) nothing
   * can be registered at run time. Apollo prefixes keys with "apq:".
   */
  apolloPersistedQueryCache(registeredOnly: boolean): KeyValueCache<string> {
    const automatic = registeredOnly ? null : new InMemoryLRUCache<string>();
    const trusted = this.bySha256;
    return {
      async get(key) {
        return trusted.get(key.slice(key.indexOf(':') + 1))?.text ?? automatic?.get(key);
      },
      async set(key, value, options) {
        await automatic?.set(key, value, options);
      },
      async delete(key) {
        await automatic?.delete(key);
      },
    };
  }
}

type CostOf = ReturnType<typeof createCostEstimator>;

/** A manifest entry parsed, validated and measured, or a TrustedDocumentsError naming it. */
function checked(
  entry: ManifestDocument,
  schema: GraphQLSchema,
  rules: readonly ValidationRule[],
  cost: CostOf,
): TrustedDocument {
  const where = `${entry.file}, operation ${entry.name ?? entry.id}`;
  const refuse = (why: string) =>
    new TrustedDocumentsError(`Trusted documents: ${where} cannot be registered: ${why}`);
  let document: DocumentNode;
  try {
    document = parse(entry.text, QUERY_PARSE_OPTIONS);
  } catch (error) {
    throw refuse((error as Error).message);
  }
  const errors = validate(schema, document, rules);
  if (errors.length > 0) throw refuse(errors.map((error) => error.message).join('; '));
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION,
  );
  for (const operation of operations) {
    let estimate: number;
    try {
      estimate = cost({
        document,
        operationName: operation.name?.value,
        variables: sampleVariables(schema, operation),
      });
    } catch (error) {
      throw refuse((error as Error).message);
    }
    if (estimate > MAX_QUERY_COMPLEXITY) {
      throw refuse(`its estimated cost ${estimate} is over the limit ${MAX_QUERY_COMPLEXITY}`);
    }
  }
  return {
    id: entry.id,
    sha256: createHash('sha256').update(entry.text, 'utf8').digest('hex'),
    text: entry.text,
    document,
    operations: operations.map((operation) => operation.name?.value ?? ''),
    file: entry.file,
  };
}

/** One document per text: the same text under two ids (two manifests) is one document. */
function dedupe(documents: TrustedDocument[]): TrustedDocument[] {
  const seen = new Map<string, TrustedDocument>();
  const kept: TrustedDocument[] = [];
  for (const document of documents) {
    const first = seen.get(document.sha256);
    if (first) {
      // Both ids name it; the first parse is the one every request shares.
      kept.push({ ...document, document: first.document });
    } else {
      seen.set(document.sha256, document);
      kept.push(document);
    }
  }
  return kept;
}

function label(document: TrustedDocument): string {
  return document.operations.join(', ') || document.id;
}

/**
 * Values for an operation's required variables, the smallest each type
 * allows, so that its cost can be measured at start: a required variable left
 * out would make the estimate fail. Variables with defaults, and nullable
 * ones, are left out (their fields' defaults apply). Each request is measured
 * again with its own variables.
 */
export function sampleVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue || definition.type.kind !== Kind.NON_NULL_TYPE) continue;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (type) values[definition.variable.name.value] = sampleOf(type);
  }
  return values;
}

function sampleOf(type: GraphQLInputType): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [];
  const named = getNamedType(inner);
  if (isEnumType(named)) return named.getValues()[0]?.name;
  if (isInputObjectType(named)) {
    const fields: Record<string, unknown> = {};
    for (const field of Object.values(named.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) {
        fields[field.name] = sampleOf(field.type);
      }
    }
    return fields;
  }
  switch (named.name) {
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return new Date(0).toISOString();
    default:
      return 'x';
  }
}
