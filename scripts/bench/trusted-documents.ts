import fs from 'node:fs';
import { sha256Hex } from './queries';

/**
 * The trusted documents the bench registers (issue 19): a manifest in
 * Apollo's persisted query manifest format, which Reelcheck reads from the
 * files TRUSTED_DOCUMENTS names. A client then sends
 * `{"documentId":"sha256:<hex>","variables":{...}}` instead of the text.
 */

export interface ManifestOperation {
  /** SHA-256 of body, hex. */
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: ManifestOperation[];
}

/** A manifest entry for `body`, its id the hash of its text. */
export function manifestOperation(
  name: string,
  type: ManifestOperation['type'],
  body: string,
): ManifestOperation {
  return { id: sha256Hex(body), name, type, body };
}

export function manifest(operations: ManifestOperation[]): PersistedQueryManifest {
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

/** What a client sends as documentId for a registered operation. */
export function documentIdOf(operation: ManifestOperation): string {
  return `sha256:${operation.id}`;
}

/** Writes the manifest (JSON) to `file`. */
export function writeManifest(file: string, operations: ManifestOperation[]): void {
  fs.writeFileSync(file, `${JSON.stringify(manifest(operations), null, 2)}\n`);
}
