import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { EditorAccess } from '../../curation/editor-auth';
import type { TrustedDocuments } from './registry';

/** The refusal's code: this server runs only registered documents for anonymous clients. */
export const TRUSTED_DOCUMENTS_ONLY = 'TRUSTED_DOCUMENTS_ONLY';

/**
 * TRUSTED_DOCUMENTS_ONLY=true: an anonymous client may run only registered
 * documents (by id, or by their exact text); any other document is refused
 * with 403 before anything runs, and is not registered as an automatic
 * persisted query (Apollo registers only after this hook, and the registry's
 * cache takes nothing then). A request with a valid editor token may send any
 * document, so editors keep GraphiQL. Checked once the operation is resolved,
 * like the cost limit, so the refusal is logged and counted as every other.
 */
export function trustedDocumentsOnly(
  registry: TrustedDocuments,
): ApolloServerPlugin<{ editorAccess: EditorAccess }> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, queryHash }) {
          if (contextValue.editorAccess === 'editor' || registry.byQueryHash(queryHash)) return;
          throw new GraphQLError(
            'This server runs only the registered operations of its apps: send a registered documentId (see README: Trusted documents), or an editor token',
            { extensions: { code: TRUSTED_DOCUMENTS_ONLY, http: { status: 403 } } },
          );
        },
      };
    },
  };
}
