import fs from 'node:fs';
import { PROJECT_TRUSTED_DOCUMENTS } from '../src/config';
import {
  printManifest,
  projectManifest,
} from '../src/graphql/engine/trusted-documents/project-manifest';

/**
 * `npm run trusted-documents`: writes the project's own manifest
 * (schema/trusted-documents.json) from the explorer's query and
 * test/operations/. A test fails while the committed file is stale.
 */
const manifest = projectManifest();
fs.writeFileSync(PROJECT_TRUSTED_DOCUMENTS, printManifest(manifest));
console.log(`wrote ${manifest.operations.length} operations to ${PROJECT_TRUSTED_DOCUMENTS}`);
