"""The SQLite document store under the sandboxes: order, claims, namespaces, transactions, threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from reconciler.sandbox.ids import new_ulid, stable_id
from reconciler.sandbox.store import Store, StoreError


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def test_documents_keep_their_creation_order(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.put("p.doc", name, "scope", {"name": name})
    store.put("p.doc", "a", "scope", {"name": "a", "v": 2})  # an update keeps its place
    store.put("p.doc", "z", "other", {"name": "z"})
    rows = list(store.scan("p.doc", "scope"))
    assert [d["name"] for _, d in rows] == ["a", "b", "c"] and rows[0][1]["v"] == 2
    assert [d["name"] for _, d in store.scan("p.doc", "scope", descending=True)] == ["c", "b", "a"]
    assert [d["name"] for _, d in store.scan("p.doc", "scope", after=rows[0][0])] == ["b", "c"]
    assert [d["name"] for _, d in store.scan("p.doc")] == ["a", "b", "c", "z"]
    assert store.delete("p.doc", "b") and not store.delete("p.doc", "b")
    assert store.get("p.doc", "b") is None and store.count("p.doc") == 3


def test_scan_crosses_batches_and_tolerates_writes(store: Store) -> None:
    for i in range(600):
        store.put("p.doc", f"{i:04d}", "s", {"i": i})
    seen = []
    for _, doc in store.scan("p.doc", "s"):
        seen.append(doc["i"])
        store.put("p.doc", f"{doc['i']:04d}", "s", {**doc, "seen": True})
    assert seen == list(range(600))


def test_claims_are_unique_per_parent(store: Store) -> None:
    assert store.claim("p.name", "agent1", "daily", "id1") is None
    assert store.claim("p.name", "agent1", "daily", "id1") is None  # re-claiming your own key is fine
    assert store.claim("p.name", "agent1", "daily", "id2") == "id1"
    assert store.claim("p.name", "agent2", "daily", "id2") is None
    store.release("p.name", "agent1", "daily", "id2")  # not the holder: no effect
    assert store.claim("p.name", "agent1", "daily", "id3") == "id1"
    store.release("p.name", "agent1", "daily", "id1")
    assert store.claim("p.name", "agent1", "daily", "id3") is None


def test_wipe_forgets_one_namespace_only(store: Store) -> None:
    store.put("cadenya.doc", "a", "", {})
    store.put("orq.doc", "a", "", {})
    store.claim("cadenya.name", "", "k", "a")
    store.meta_set("cadenya.clock", "x")
    store.meta_set("orq.clock", "y")
    store.wipe("cadenya")
    assert store.get("cadenya.doc", "a") is None and store.get("orq.doc", "a") == {}
    assert store.claim("cadenya.name", "", "k", "b") is None
    assert (store.meta_get("cadenya.clock"), store.meta_get("orq.clock")) == (None, "y")


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.put("p.doc", "a", "", {})
        with store.transaction():  # nested: joins the outer one
            store.put("p.doc", "b", "", {})
        raise RuntimeError("boom")
    assert store.count("p.doc") == 0


def test_transactions_serialise_threads(store: Store) -> None:
    store.put("p.counter", "c", "", {"n": 0})

    def bump() -> None:
        for _ in range(50):
            with store.transaction():
                doc = store.get("p.counter", "c")
                assert doc is not None
                store.put("p.counter", "c", "", {"n": doc["n"] + 1})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("p.counter", "c") == {"n": 400}


def test_two_processes_worth_of_connections_share_a_file(tmp_path: Path) -> None:
    path = str(tmp_path / "state.sqlite")
    one, two = Store(path), Store(path)
    one.put("p.doc", "a", "", {"from": "one"})
    assert two.get("p.doc", "a") == {"from": "one"}
    one.close()
    two.close()


def test_a_file_from_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="delete the file"):
        Store(str(path))


def test_ids() -> None:
    from datetime import UTC, datetime

    at = datetime(2030, 1, 1, tzinfo=UTC)
    a, b = new_ulid(at), new_ulid(at)
    assert len(a) == 26 and a != b and a[:10] == b[:10]  # same millisecond, different randomness
    assert new_ulid(datetime(2031, 1, 1, tzinfo=UTC)) > a  # sorts by time
    assert stable_id("acct", "x") == stable_id("acct", "x") != stable_id("acct", "y")
