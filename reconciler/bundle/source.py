"""Which file a bundle comes from, as the ownership marker records it: a path from the repository root.

Two files that declare one bundleKey and are applied by separate runs would undo each other forever (each
archives the other's schedules and restores its own). The marker records the file a schedule was applied
from, and the planner refuses a bundle whose key's schedules came from another file (docs/safety.md).
"""

from __future__ import annotations

import os
from pathlib import Path


def repository_path(file: str) -> str:
    """`file` relative to the root of the git repository that holds it (the nearest folder above it with a
    `.git`), `/`-separated: the same on every machine and in CI, whatever the working directory. Outside a
    repository, relative to the working directory (or absolute, when it is not below it)."""
    path = Path(os.path.normpath(os.path.abspath(file)))
    for folder in path.parents:
        if (folder / ".git").exists():
            return path.relative_to(folder).as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()
