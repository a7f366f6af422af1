"""The sandboxes' shared state: one SQLite file (or `:memory:`) of JSON documents per resource kind.

Concurrency policy: ONE connection per store, shared by every thread and guarded by one re-entrant
lock; each request's read-check-write runs inside `transaction()` (BEGIN IMMEDIATE), so uniqueness
checks never race. One connection is forced by `:memory:` (a database per connection) and costs
nothing here: the handlers run on one event loop. File databases use WAL with a busy timeout, so a
second process (another CLI run on `.reconciler/sandbox.sqlite`) waits instead of failing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Json = dict[str, Any]

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order; never reused, so cursors stay valid
    kind   TEXT NOT NULL,                      -- '<provider>.<resource>', e.g. 'cadenya.schedule'
    id     TEXT NOT NULL,
    parent TEXT NOT NULL,                      -- the listing scope, e.g. '<workspace>/<agent>'
    body   TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS docs_by_parent ON docs (kind, parent, seq);
-- Unique secondary keys (e.g. a schedule name among an agent's live schedules).
CREATE TABLE IF NOT EXISTS claims (
    kind   TEXT NOT NULL,
    parent TEXT NOT NULL,
    key    TEXT NOT NULL,
    id     TEXT NOT NULL,
    PRIMARY KEY (kind, parent, key)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_SCAN_BATCH = 256


class StoreError(ValueError):
    """The database cannot be used as it is; the message says what to do."""


def _dump(doc: Json) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


class Store:
    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (sqlite3's implicit transactions would
        # start too late for BEGIN IMMEDIATE).
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5.0)
        self._lock = threading.RLock()
        self._depth = 0
        with self._lock:
            self._conn.execute("PRAGMA busy_timeout = 5000")
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                self._conn.close()
                raise StoreError(
                    f"{path} holds sandbox state of schema version {version}, this build expects "
                    f"{SCHEMA_VERSION}; delete the file to start afresh"
                )
            self._conn.executescript(_SCHEMA)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Hold the lock and one SQLite write transaction; nested calls join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[Any]:
        with self._lock:  # fetch under the lock too: another thread's statement would join our transaction
            return self._conn.execute(sql, args).fetchall()

    def _exec(self, sql: str, args: tuple[object, ...] = ()) -> int:
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    # documents -------------------------------------------------------------------------------------
    def get(self, kind: str, id: str) -> Json | None:
        rows = self._query("SELECT body FROM docs WHERE kind = ? AND id = ?", (kind, id))
        return dict(json.loads(rows[0][0])) if rows else None

    def put(self, kind: str, id: str, parent: str, doc: Json) -> None:
        """Insert, or replace the body while keeping the document's place in creation order."""
        self._exec(
            "INSERT INTO docs (kind, id, parent, body) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, parent = excluded.parent",
            (kind, id, parent, _dump(doc)),
        )

    def delete(self, kind: str, id: str) -> bool:
        return self._exec("DELETE FROM docs WHERE kind = ? AND id = ?", (kind, id)) > 0

    def scan(
        self, kind: str, parent: str | None = None, *, after: int | None = None, descending: bool = False
    ) -> Iterator[tuple[int, Json]]:
        """Documents of a kind (under one parent, or all) in creation order, from after `after` (a seq).

        Reads in batches so callers may write between items without disturbing an open SQLite cursor.
        """
        op, order = ("<", "DESC") if descending else (">", "ASC")
        cursor = after
        while True:
            where: list[str] = ["kind = ?"]
            args: list[object] = [kind]
            if parent is not None:
                where.append("parent = ?")
                args.append(parent)
            if cursor is not None:
                where.append(f"seq {op} ?")
                args.append(cursor)
            sql = f"SELECT seq, body FROM docs WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT ?"
            rows = self._query(sql, (*args, _SCAN_BATCH))
            for seq, body in rows:
                yield int(seq), dict(json.loads(body))
            if len(rows) < _SCAN_BATCH:
                return
            cursor = int(rows[-1][0])

    def count(self, kind: str) -> int:
        return int(self._query("SELECT COUNT(*) FROM docs WHERE kind = ?", (kind,))[0][0])

    # unique secondary keys -------------------------------------------------------------------------
    def claim(self, kind: str, parent: str, key: str, id: str) -> str | None:
        """Reserve `key` for `id`; returns the id already holding it (None when the claim succeeded)."""
        with self.transaction():
            rows = self._query(
                "SELECT id FROM claims WHERE kind = ? AND parent = ? AND key = ?", (kind, parent, key)
            )
            if rows and rows[0][0] != id:
                return str(rows[0][0])
            self._exec(
                "INSERT OR REPLACE INTO claims (kind, parent, key, id) VALUES (?, ?, ?, ?)",
                (kind, parent, key, id),
            )
            return None

    def release(self, kind: str, parent: str, key: str, id: str) -> None:
        self._exec(
            "DELETE FROM claims WHERE kind = ? AND parent = ? AND key = ? AND id = ?", (kind, parent, key, id)
        )

    # small values ----------------------------------------------------------------------------------
    def meta_get(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def meta_set(self, key: str, value: str | None) -> None:
        if value is None:
            self._exec("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self._exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def wipe(self, namespace: str) -> None:
        """Forget everything of one provider (`namespace` = its kind prefix), other providers untouched."""
        prefix = namespace + "."
        mine = "substr({col}, 1, ?) = ?"
        args = (len(prefix), prefix)
        with self.transaction():
            self._exec(f"DELETE FROM docs WHERE {mine.format(col='kind')}", args)
            self._exec(f"DELETE FROM claims WHERE {mine.format(col='kind')}", args)
            self._exec(f"DELETE FROM meta WHERE {mine.format(col='key')}", args)
