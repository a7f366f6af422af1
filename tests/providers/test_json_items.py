"""json_items.list_items decodes what `json.loads` does, one list item at a time, for the two shapes the
global lists have (a bare list, a list under a member), and refuses what is not that shape."""

from __future__ import annotations

import json

import pytest

from reconciler.providers.json_items import list_items

ITEMS = [
    {"id": "a", "name": "team:s", "n": [1, 2.5, None, True]},
    {"id": "b", "prompt": "é \u2028 \\"},
    3,
    [],
]


@pytest.mark.parametrize("indent", [None, 2])
def test_the_items_equal_those_json_loads_gives(indent: int | None) -> None:
    bare = json.dumps(ITEMS, indent=indent).encode()
    assert list(list_items(bare)) == ITEMS
    wrapped = json.dumps({"total": 4, "schedules": ITEMS, "next": {"a": [1]}}, indent=indent).encode()
    assert list(list_items(wrapped, "schedules")) == ITEMS
    assert list(list_items(json.dumps({"next": None, "schedules": []}).encode(), "schedules")) == []


def test_a_missing_or_null_member_has_no_items() -> None:
    assert list(list_items(b'{"total": 0}', "schedules")) == []
    assert list(list_items(b'{"schedules": null}', "schedules")) == []
    assert list(list_items(b"{}", "schedules")) == []
    assert list(list_items(b" [ ] ")) == []


@pytest.mark.parametrize(
    ("content", "member"),
    [(b'{"a": 1}', None), (b"[1, 2", None), (b"[1 2]", None), (b'["a", {]', None), (b"[1]", "schedules")],
)
def test_what_is_not_that_shape_is_a_json_error(content: bytes, member: str | None) -> None:
    with pytest.raises(json.JSONDecodeError):
        list(list_items(content, member))
