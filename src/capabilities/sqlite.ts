/**
 * The main thread's half of Spin's SQLite (`fermyon:spin/sqlite`): each database a component
 * is granted (`sqlite_databases`) is a file `<app>/.spindle/sqlite/<name>.db`, opened on first
 * use and shared by every component granted it. Grants were checked in the worker.
 *
 * better-sqlite3 is synchronous, so a statement holds the main thread while it runs; guests
 * wait for it in any case, and the databases Spin apps keep this way are small.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { SqliteResult, SqliteValue } from './contract.js';

export interface SqliteDatabases {
  execute(database: string, statement: string, params: SqliteValue[]): SqliteResult;
  close(): Promise<void>;
}

/** The SQLite databases of the app in `appDir`. better-sqlite3, a native addon most apps never use, is loaded by the first statement. */
export function openSqliteDatabases(appDir: string): SqliteDatabases {
  const dir = join(appDir, '.spindle', 'sqlite');
  const open = new Map<string, Database.Database>();
  const database = (name: string): Database.Database => {
    let db = open.get(name);
    if (!db) {
      mkdirSync(dir, { recursive: true });
      const SqliteDatabase = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
      db = new SqliteDatabase(join(dir, `${name}.db`));
      db.defaultSafeIntegers(true);
      open.set(name, db);
    }
    return db;
  };
  return {
    execute(name, statement, params) {
      const prepared = database(name).prepare(statement);
      const args = params.map((p) => (p instanceof Uint8Array ? Buffer.from(p) : p));
      if (!prepared.reader) {
        prepared.run(...args);
        return { columns: [], rows: [] };
      }
      const columns = prepared.columns().map((c) => c.name);
      const rows = (prepared.raw(true).all(...args) as SqliteValue[][]).map((row) => row.map((v) => (Buffer.isBuffer(v) ? new Uint8Array(v) : v)));
      return { columns, rows };
    },
    async close() {
      for (const db of open.values()) db.close();
      open.clear();
    },
  };
}
