/**
 * The body of an answer refused before GraphQL ran (a body that is not JSON,
 * a media type, a size), in the GraphQL response shape clients already read.
 */
export function requestError(
  message: string,
  code: string,
): { errors: Array<{ message: string; extensions: { code: string } }> } {
  return { errors: [{ message, extensions: { code } }] };
}

/** A request refused before GraphQL ran, with its own extensions (a trusted document's id). */
export function refusalBody(refusal: { message: string; extensions: Record<string, unknown> }): {
  errors: Array<{ message: string; extensions: Record<string, unknown> }>;
} {
  return { errors: [{ message: refusal.message, extensions: { ...refusal.extensions } }] };
}
