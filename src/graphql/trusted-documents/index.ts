export { TRUSTED_DOCUMENTS_ONLY, trustedDocumentsOnly } from './enforcement';
export { readManifests, TrustedDocumentsError } from './manifest';
export { RegisteredRequests, Refusal } from './registered-request';
export { type TrustedDocument, TrustedDocuments } from './registry';
