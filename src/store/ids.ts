import { randomBytes } from 'node:crypto';

/** New store ids: 24 hex characters, valid in both adapters and in GraphQL global ids. */
export function newStoreId(): string {
  return randomBytes(12).toString('hex');
}
