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
