/**
 * The audit trail: every editor write appends change records, one per entity
 * it changed, with the before and after value of each changed field. A change
 * is stored together with its record (see each store adapter), never without.
 */

/** What an editor (or an import) did. */
export const ChangeOperation = {
  CREATE_TITLE: 'CREATE_TITLE',
  UPDATE_TITLE: 'UPDATE_TITLE',
  ADD_FACT: 'ADD_FACT',
  UPDATE_FACT: 'UPDATE_FACT',
  MOVE_FACT: 'MOVE_FACT',
  REMOVE_FACT: 'REMOVE_FACT',
  SET_FACT_VERIFICATION: 'SET_FACT_VERIFICATION',
  SET_RECOMMENDATIONS: 'SET_RECOMMENDATIONS',
  HIDE_RATING_COMMENT: 'HIDE_RATING_COMMENT',
  TAKE_UP_REVIEW: 'TAKE_UP_REVIEW',
  RESOLVE_REVIEW: 'RESOLVE_REVIEW',
  IMPORT_FROM_TMDB: 'IMPORT_FROM_TMDB',
  IMPORT_CATALOG: 'IMPORT_CATALOG',
} as const;
export type ChangeOperation = (typeof ChangeOperation)[keyof typeof ChangeOperation];

/** The kind of thing a change record is about. */
export const ChangeEntityType = {
  TITLE: 'TITLE',
  FACT: 'FACT',
  RECOMMENDATIONS: 'RECOMMENDATIONS',
  RATING_COMMENT: 'RATING_COMMENT',
  /** A fact's review: its entityId is the fact's id. */
  FACT_REVIEW: 'FACT_REVIEW',
} as const;
export type ChangeEntityType = (typeof ChangeEntityType)[keyof typeof ChangeEntityType];

/** A JSON value: what a field held before or after (dates as ISO strings). */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface FieldChange {
  field: string;
  before: JsonValue;
  after: JsonValue;
}

export interface ChangeRecord {
  id: string;
  at: Date;
  operation: ChangeOperation;
  /** The title whose page the entity is on (its own id for a title). */
  titleId: string;
  entityType: ChangeEntityType;
  /** The title's, fact's or rating's id; the title's for its recommendations. */
  entityId: string;
  /** The entity's revision after the change (titles and facts); null for others. */
  revision: number | null;
  fields: FieldChange[];
}

/** A value as the audit trail stores it: JSON, dates as ISO strings, undefined as null. */
export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toJsonValue(v)]),
    );
  }
  return value as JsonValue;
}

/** Deep equality of two values as the audit trail sees them (JSON form). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(toJsonValue(a)) === JSON.stringify(toJsonValue(b));
}

/** The changed fields between two versions of a record, in `fields` order. */
export function fieldChanges<T extends object>(
  before: T | null,
  after: T | null,
  fields: ReadonlyArray<keyof T & string>,
): FieldChange[] {
  return fields.flatMap((field) => {
    const a = before ? before[field] : null;
    const b = after ? after[field] : null;
    return sameValue(a, b) ? [] : [{ field, before: toJsonValue(a), after: toJsonValue(b) }];
  });
}
