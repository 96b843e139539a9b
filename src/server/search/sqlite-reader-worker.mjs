// One read-only connection answering `{ id, sql, params }` with `{ id, rows }` (see sqlite-reader.ts).
// Plain JavaScript: worker threads do not get tsx's loader, so this file must run as it is.
import { parentPort, workerData } from "node:worker_threads";
import SQLite from "better-sqlite3";

const db = new SQLite(workerData.file, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 5000");
const statements = new Map();

parentPort.on("message", (m) => {
  try {
    let stmt = statements.get(m.sql);
    if (!stmt) {
      stmt = db.prepare(m.sql);
      if (statements.size < 100) statements.set(m.sql, stmt);
    }
    parentPort.postMessage({ id: m.id, rows: stmt.all(...m.params) });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
