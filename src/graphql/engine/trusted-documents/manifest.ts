import fs from 'node:fs';

/**
 * Reading the manifests that clients' own build tools write, each a list of
 * documents under ids the apps will send:
 *
 * - Apollo's persisted query manifest (`@apollo/generate-persisted-query-manifest`):
 *   `{ "format": "apollo-persisted-query-manifest", "version": 1,
 *      "operations": [{ "id", "name", "type", "body" }] }`;
 * - a map of id to document text, which both GraphQL Code Generator's
 *   `persistedDocuments` (hash -> document) and Relay's `persistConfig`
 *   (`persisted_queries.json`, id -> text) write.
 *
 * Nothing here parses GraphQL: registry.ts does, naming the file and the
 * operation of a document that does not hold.
 */
export interface ManifestDocument {
  /** The id the manifest gives it (what the app sends). */
  id: string;
  /** The document's text, exactly as the manifest holds it. */
  text: string;
  /** The operation's name where the manifest says it (Apollo's format). */
  name?: string;
  /** Where it came from, for messages. */
  file: string;
}

/** A manifest that cannot be used; the server refuses to start with this message. */
export class TrustedDocumentsError extends Error {
  override name = 'TrustedDocumentsError';
}

const APOLLO_FORMAT = 'apollo-persisted-query-manifest';

/** Every document of every file, in order; throws TrustedDocumentsError naming the file. */
export function readManifests(files: readonly string[]): ManifestDocument[] {
  return files.flatMap((file) => documentsOf(file, readJson(file)));
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new TrustedDocumentsError(`Trusted documents: cannot read ${file} (${reason})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TrustedDocumentsError(
      `Trusted documents: ${file} is not JSON (${(error as Error).message})`,
    );
  }
}

/** The documents of one parsed manifest, in whichever of the two formats it is. */
export function documentsOf(file: string, manifest: unknown): ManifestDocument[] {
  const refuse = (why: string) =>
    new TrustedDocumentsError(
      `Trusted documents: ${file} ${why}; expected Apollo's persisted query manifest or a map of id to document text (GraphQL Code Generator, Relay)`,
    );
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw refuse('is not a JSON object');
  }
  const record = manifest as Record<string, unknown>;
  if ('format' in record) {
    if (record.format !== APOLLO_FORMAT || record.version !== 1) {
      throw refuse(
        `has format ${JSON.stringify(record.format)} version ${JSON.stringify(record.version)}`,
      );
    }
    if (!Array.isArray(record.operations)) throw refuse('has no "operations" list');
    return record.operations.map((operation: unknown, index) => {
      const { id, body, name } = (operation ?? {}) as Record<string, unknown>;
      if (typeof id !== 'string' || id === '' || typeof body !== 'string') {
        throw refuse(`operation ${index} needs a string "id" and "body"`);
      }
      return { id, text: body, name: typeof name === 'string' ? name : undefined, file };
    });
  }
  return Object.entries(record).map(([id, text]) => {
    if (typeof text !== 'string') throw refuse(`maps ${JSON.stringify(id)} to a non-string`);
    return { id, text, file };
  });
}
