"""The shell blocks of README.md and docs/*.md, as a reader would copy them.

A block is a fenced code block marked `bash`, `sh` or `shell`. Its commands are its lines with continuation
lines (`\\` at the end) joined and comment-only lines dropped; a command's trailing comment is not part of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL_LANGUAGES = ("bash", "sh", "shell")
_FENCE = re.compile(r"^\s*```\s*([\w-]*)")
_CLOSE = re.compile(r"^\s*```\s*$")


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass(frozen=True)
class Block:
    file: Path
    line: int  # of the opening fence, 1-based
    commands: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def shell_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not _CLOSE.match(lines[end]):
            end += 1
        if fence.group(1) in SHELL_LANGUAGES:
            blocks.append(Block(path, index + 1, tuple(commands_of(lines[index + 1 : end]))))
        index = end + 1
    return blocks


def commands_of(lines: list[str]) -> list[str]:
    commands: list[str] = []
    pending = ""
    for raw in lines:
        line = raw.strip()
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        text = strip_comment(pending + line)
        pending = ""
        if text:
            commands.append(text)
    return commands


def strip_comment(line: str) -> str:
    """`line` without a trailing `# comment` (a `#` outside quotes, at the start or after a blank)."""
    quote = ""
    for position, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position].rstrip()
    return line.rstrip()
