/**
 * Keyset paging, newest first: `after` is the (time, id) of the last item of
 * the previous page, exclusive. Shared by the comment and change listings.
 */
export interface PageRequest {
  first: number;
  after?: { at: Date; id: string } | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
}
