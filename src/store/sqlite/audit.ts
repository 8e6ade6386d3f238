import type Database from 'better-sqlite3';
import type { ChangeRecord } from '../../model';
import type { AuditTrail, Page, PageRequest } from '../port';
import type { SqliteGate } from './gate';
import { type ChangeRow, pageOf, toChange } from './rows';

/** The audit trail on SQLite: change records are rows written with their change (curation.ts). */
export class SqliteAudit implements AuditTrail {
  private readonly sql;

  constructor(private readonly gate: SqliteGate) {
    this.sql = auditStatements(gate.db);
  }

  /** Walks the changes_title index from the cursor: first + 1 rows. */
  async changesOfTitle(titleId: string, page: PageRequest): Promise<Page<ChangeRecord>> {
    const after = page.after;
    const rows = this.gate.read(() =>
      after
        ? (this.sql.changesAfter.all({
            key: titleId,
            at: after.at.getTime(),
            id: after.id,
            limit: page.first + 1,
          }) as ChangeRow[])
        : (this.sql.changes.all(titleId, page.first + 1) as ChangeRow[]),
    );
    return pageOf(rows, page.first, toChange);
  }

  async changesByIds(ids: readonly string[]): Promise<Array<ChangeRecord | null>> {
    const rows = this.gate.read(
      () => this.sql.changesByIds.all(JSON.stringify(ids)) as ChangeRow[],
    );
    const byId = new Map(rows.map((row) => [row.id, toChange(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }
}

/** The statements of the change listings, prepared once. */
function auditStatements(db: Database.Database) {
  const ids = 'SELECT value FROM json_each(?)';
  return {
    changes: db.prepare(
      'SELECT * FROM changes WHERE title_id = ? ORDER BY at DESC, id DESC LIMIT ?',
    ),
    changesAfter: db.prepare(
      `SELECT * FROM changes WHERE title_id = @key AND (at < @at OR (at = @at AND id < @id))
       ORDER BY at DESC, id DESC LIMIT @limit`,
    ),
    changesByIds: db.prepare(`SELECT * FROM changes WHERE id IN (${ids})`),
  };
}
