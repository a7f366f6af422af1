"""The documentation stands on its own in a clone: every relative link resolves, and nothing a user gets
(README, docs, examples, the package, the schema, scripts, benchmarks) points at files outside the
repository, such as the design notes the project was started from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.docs_blocks import ROOT, doc_files

# Names of material that lives outside the repository and that a clone does not have.
OUTSIDE = (
    re.compile(r"\.\./shared\b"),
    re.compile(r"\bshared/seeds\b"),
    re.compile(r"\bPRODUCT\.md\b"),
    re.compile(r"\bWIRE-PROTOCOLS\b"),
    re.compile(r"\bseeds/(?:\d{3}_|README)"),
)
SCANNED = (
    "README.md",
    "docs",
    "examples",
    "reconciler",
    "schemas",
    "scripts",
    "benchmarks",
    "action.yml",
    "pyproject.toml",
)
_BINARY = {".png", ".svg", ".pyc", ".sqlite", ".gz", ".whl"}

_FENCED = re.compile(r"^\s*```.*?^\s*```\s*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _scanned_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files.extend(p for p in candidates if p.suffix not in _BINARY and "__pycache__" not in p.parts)
    return files


def test_nothing_points_outside_the_repository() -> None:
    hits = []
    for path in _scanned_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if any(pattern.search(line) for pattern in OUTSIDE):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not hits, "references to files a clone does not have:\n" + "\n".join(hits)


def _prose(path: Path) -> str:
    """The page without code blocks and code spans, where `[x](y)` is not a link."""
    return _CODE_SPAN.sub("", _FENCED.sub("", path.read_text(encoding="utf-8")))


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_anchor(h) for h in _HEADING.findall(_FENCED.sub("", path.read_text(encoding="utf-8")))}


@pytest.mark.parametrize("page", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in _LINK.findall(_prose(page)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        file_part, _, fragment = target.partition("#")
        resolved = (page.parent / file_part).resolve() if file_part else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved):
            broken.append(f"{target}: no heading '#{fragment}' in {resolved.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_the_docs_are_linked_from_the_readme() -> None:
    """A reader who starts at the README can reach every page in docs/."""
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in _LINK.findall(_prose(ROOT / "README.md"))}
    unlinked = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.resolve() not in linked]
    assert not unlinked, (
        f"docs/ pages the README does not link (add them to its Documentation table): {unlinked}"
    )
