"""The YAML loader: positions, duplicate keys, bounded aliases, no YAML 1.1 surprises."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.bundle import load
from reconciler.bundle.document import Mark
from reconciler.bundle.files import find_bundle_files
from reconciler.bundle.load import load_text
from reconciler.errors import BundleError


def test_positions_of_values_and_keys() -> None:
    [doc] = load_text("a: 1\nb:\n  - x\n  - {c: 'q'}\n", "f.yaml")
    assert doc.data == {"a": 1, "b": ["x", {"c": "q"}]}
    assert doc.mark(("b", 1, "c")) == Mark(4, 9)
    assert doc.key_mark(("b",)) == Mark(2, 1)
    assert doc.mark(("b", 1, "missing")) == Mark(4, 5)  # nearest written ancestor


def test_several_documents_per_file() -> None:
    docs = load_text("a: 1\n---\nb: 2\n---\n", "f.yaml")
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'on'", "on"),
        ('"1:30"', "1:30"),
        ("'0755'", "0755"),
        ("true", True),
        ("FALSE", False),
        ("~", None),
        ("12", 12),
        ("1.5", 1.5),
        ("2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"),
        ("0x1F", "0x1F"),
        ("hello world", "hello world"),
    ],
)
def test_scalars_follow_yaml_1_2(text: str, value: object) -> None:
    [doc] = load_text(f"v: {text}\n", "f.yaml")
    assert doc.data["v"] == value


@pytest.mark.parametrize("text", ["on", "Off", "YES", "no", "1:30", "0755", "-1:30:00"])
def test_yaml_1_1_conversions_are_refused_with_a_quoting_hint(text: str) -> None:
    with pytest.raises(BundleError) as info:
        load_text(f"v: {text}\n", "f.yaml")
    assert "quote" in str(info.value) or "true/false" in str(info.value)
    assert str(info.value).startswith("f.yaml:1:4:")


def test_alias_bomb_fails_fast() -> None:
    lines = ["a: &a [" + ",".join(["lol"] * 10) + "]"]
    for prev, name in zip("abcdefghi", "bcdefghij", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    started = time.process_time()
    with pytest.raises(BundleError, match="expands to more than"):
        load_text("\n".join(lines) + "\n", "bomb.yaml")
    assert time.process_time() - started < 5  # a guard against hanging, not a performance target


def test_small_aliases_still_work() -> None:
    [doc] = load_text("a: &x {k: v}\nb: *x\n", "f.yaml")
    assert doc.data == {"a": {"k": "v"}, "b": {"k": "v"}}


def test_merge_keys_are_refused() -> None:
    with pytest.raises(BundleError, match="merge keys"):
        load_text("a: &x {k: v}\nb:\n  <<: *x\n", "f.yaml")


def test_huge_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 200 + "\n")
    with pytest.raises(BundleError, match="the limit is 100"):
        load.load_file(path)


def test_directories_expand_to_sorted_yaml_files(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml", "c.txt", "sub/d.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("a: 1\n")
    found = [p.relative_to(tmp_path).as_posix() for p, _ in find_bundle_files([str(tmp_path)])]
    assert found == ["a.yaml", "b.yml", "sub/d.yaml"]


def test_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(BundleError, match="not UTF-8"):
        load.load_file(path)
