/** The store key of a fact's ratings, from its GraphQL id (base64url of `Fact:<id>`). */
export function factKey(factId: string): string {
  return `fact:${Buffer.from(factId, 'base64url').toString().split(':')[1]}`;
}
