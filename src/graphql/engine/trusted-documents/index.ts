export { readManifests, TrustedDocumentsError } from './manifest';
export { RegisteredRequests, Refusal, TRUSTED_DOCUMENTS_ONLY } from './registered-request';
export { type TrustedDocument, TrustedDocuments } from './registry';
