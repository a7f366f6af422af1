"""The parse cache (docs/cli.md, "The parse cache"): a large file's parse is kept between runs and used only
for the very same bytes; whatever happens to the cache, a run gives what parsing would have given."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from reconciler.bundle import load
from reconciler.bundle.files import display_name
from reconciler.bundle.load import Budget, load_file
from reconciler.bundle.parsed_cache import ParsedFiles, parse_cache_from
from reconciler.errors import BundleError
from tests.conftest import run_cli

HEAD = "apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: big\ntarget: {provider: cadenya, workspace: ws}\n"


def big_bundle(count: int = 900, *, message: str = "Run") -> str:
    """A bundle over the cache's 64 KiB threshold (900 schedules: ~84 KiB)."""
    lines = [HEAD, "schedules:\n"]
    for i in range(count):
        lines.append(
            f'  - name: s{i:05d}\n    agent: agent_{i % 7}\n    when: {{every: "{1 + i % 24}h"}}\n'
            f'    input: {{message: "{message} {i}"}}\n'
        )
    return "".join(lines)


def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the YAML parser is asked to read from now on."""
    seen: list[str] = []
    real = load.load_text

    def counting(text: str, file: str, *args: object, **kwargs: object) -> object:
        seen.append(file)
        return real(text, file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(load, "load_text", counting)
    return seen


def test_the_same_bytes_are_read_from_the_cache_with_every_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(big_bundle())
    cache = ParsedFiles(tmp_path / "cache")
    for positions in (False, True):
        parsed = load_file(path, positions=positions, cache=cache)
        seen = parses(monkeypatch)
        budget = Budget()
        kept = load_file(path, budget, positions=positions, cache=cache)
        monkeypatch.undo()
        assert seen == []  # not parsed again
        assert [(d.file, d.index, d.data, d.values, d.keys, d.positions) for d in kept] == [
            (d.file, d.index, d.data, d.values, d.keys, d.positions) for d in parsed
        ]
        fresh = Budget()
        load_file(path, fresh, positions=positions)
        assert budget.nodes == fresh.nodes  # a kept file costs the run's budget what parsing it does


def test_an_edited_file_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(big_bundle())
    cache = ParsedFiles(tmp_path / "cache")
    load_file(path, cache=cache)
    path.write_text(big_bundle(message="Edited"))  # same length, other bytes
    seen = parses(monkeypatch)
    documents = load_file(path, cache=cache)
    assert seen == [display_name(path)]
    assert documents[0].data["schedules"][3]["input"]["message"] == "Edited 3"


def test_the_same_bytes_under_another_name_are_placed_in_that_file(tmp_path: Path) -> None:
    text = big_bundle()
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(text)
    second.write_text(text)
    cache = ParsedFiles(tmp_path / "cache")
    load_file(first, cache=cache)
    assert load_file(second, cache=cache)[0].file == display_name(second)


@pytest.mark.parametrize("damage", [b"", b"not marshal at all", b"\xe3" + b"\x00" * 40])
def test_a_damaged_entry_is_parsed_over(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(big_bundle())
    folder = tmp_path / "cache"
    cache = ParsedFiles(folder)
    expected = load_file(path, cache=cache)[0].data
    (entry,) = folder.iterdir()
    entry.write_bytes(damage)
    assert load_file(path, cache=cache)[0].data == expected
    assert load_file(path, cache=cache)[0].data == expected  # and the entry was written again, whole


def test_a_folder_that_cannot_be_written_only_means_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(big_bundle())
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    documents = load_file(path, cache=ParsedFiles(blocked / "cache"))
    assert len(documents[0].data["schedules"]) == 900


def test_a_file_that_does_not_parse_is_never_kept(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(big_bundle() + "  - name: [unclosed\n")
    folder = tmp_path / "cache"
    for _ in range(2):
        with pytest.raises(BundleError) as raised:
            load_file(path, cache=ParsedFiles(folder))
        assert raised.value.diagnostics[0].line == 5 + 4 * 900 + 2  # past the last line: where YAML saw it
    assert not folder.exists() or not any(folder.iterdir())


def test_a_run_that_cannot_afford_a_kept_file_is_refused_as_a_parse_would_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(big_bundle())
    cache = ParsedFiles(tmp_path / "cache")
    load_file(path, cache=cache)
    with pytest.raises(BundleError) as raised:
        load_file(path, Budget(nodes=100), cache=cache)
    assert "YAML nodes; split them" in raised.value.diagnostics[0].message


def test_small_files_are_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(big_bundle(5))
    folder = tmp_path / "cache"
    load_file(path, cache=ParsedFiles(folder))
    assert not folder.exists()


def test_where_the_cache_lives_and_how_it_is_turned_off(tmp_path: Path) -> None:
    assert parse_cache_from({"RECONCILER_NO_CACHE": "1", "HOME": str(tmp_path)}) is None
    named = parse_cache_from({"RECONCILER_CACHE_DIR": str(tmp_path / "here"), "HOME": "/nowhere"})
    assert named is not None and named.folder == tmp_path / "here"
    xdg = parse_cache_from({"XDG_CACHE_HOME": str(tmp_path / "xdg"), "HOME": "/nowhere"})
    assert xdg is not None and xdg.folder == tmp_path / "xdg" / "reconciler" / "parsed"
    home = parse_cache_from({"HOME": str(tmp_path)})
    assert home is not None and home.folder == tmp_path / ".cache" / "reconciler" / "parsed"
    assert parse_cache_from({}) is None


def test_validate_twice_then_after_an_edit_reports_what_the_file_says(tmp_path: Path) -> None:
    """The user's view: the second run is read from the cache, and an edit that breaks a schedule is
    reported at its line, not hidden by what was kept."""
    path = tmp_path / "big.yaml"
    path.write_text(big_bundle())
    folder = tmp_path / "cache"
    env = {"RECONCILER_CACHE_DIR": str(folder)}
    runs = [run_cli("validate", "--format", "json", str(path), env=env) for _ in range(2)]
    assert [r.code for r in runs] == [0, 0], runs[0].out + runs[0].err
    assert runs[0].out == runs[1].out
    (entry,) = folder.iterdir()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    path.write_text(big_bundle().replace('every: "4h"', 'every: "4 parsecs"', 1))
    broken = run_cli("validate", "--format", "json", str(path), env=env)
    assert broken.code == 1
    (problem,) = json.loads(broken.out)["diagnostics"]
    assert problem["line"] == 6 + 4 * 3 + 2  # schedule s00003's `when`


def test_no_cache_leaves_no_trace(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(big_bundle())
    env = {"RECONCILER_CACHE_DIR": str(tmp_path / "cache"), "RECONCILER_NO_CACHE": "1"}
    assert run_cli("validate", str(path), env=env).code == 0
    assert not os.path.exists(tmp_path / "cache")
