"""Which files a run reads: the bundle files under the paths given (folders walked, links kept inside
them), and whether a file found in a folder claims to be a bundle at all."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from reconciler.bundle.limits import MAX_FILE_BYTES
from reconciler.errors import BundleError, Diagnostic


def find_bundle_files(paths: Iterable[str]) -> list[tuple[Path, bool]]:
    """Expand directories into their `*.yaml`/`*.yml` files (sorted); files are taken as given.
    Each file comes with whether it was named explicitly (True) or found in a directory (False).

    A symbolic link must not lead out of the folder it is found in (the folder walked, or the folder holding
    a link named on the command line): a bundle cannot pull in `/etc/...` or a CI runner's credentials file
    and have parts of it echoed in error messages. Links to folders are not followed by a walk."""
    found: list[tuple[Path, bool]] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        shown = raw if len(raw) <= 200 else raw[:200] + "..."
        try:
            if path.is_symlink() and not _inside(path.resolve(), path.absolute().parent.resolve()):
                problems.append(Diagnostic(shown, 0, 0, _outside(path, path.absolute().parent)))
            elif path.is_dir():
                root = path.resolve()
                for child in sorted(path.rglob("*")):
                    if child.suffix not in (".yaml", ".yml") or not child.is_file():
                        continue
                    if child.is_symlink() and not _inside(child.resolve(), root):
                        problems.append(Diagnostic(display_name(child), 0, 0, _outside(child, path)))
                        continue
                    found.append((child, False))
            elif path.is_file():
                found.append((path, True))
            elif path.exists():
                problems.append(Diagnostic(shown, 0, 0, "not a regular file or a directory"))
            else:
                problems.append(Diagnostic(shown, 0, 0, "no such file or directory"))
        except (OSError, RuntimeError) as exc:  # a name too long, a link loop, a folder we may not read
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            problems.append(Diagnostic(shown, 0, 0, f"cannot read: {reason}"))
    if problems:
        raise BundleError(problems)
    return found


def _inside(target: Path, root: Path) -> bool:
    return target == root or root in target.parents


def _outside(link: Path, folder: Path) -> str:
    return (
        f"symbolic link to {os.readlink(link)} leads outside {display_name(folder) or '.'}: refused "
        "(bundle files must live in the folder being read)"
    )


# A bundle's marks: its apiVersion, or (with the header mistyped) its kind or its bundleKey. A file with any of
# them is read, so a typo in `apiVersion` is an error at its line, never a bundle silently skipped.
# A key counts at the start of a line (block style, a list item) or after `{` or `,` (flow style and JSON,
# which is YAML too: `{"apiVersion": "reconciler/v1", ...}` on one line).
_BUNDLE_API_VERSION = re.compile(
    r"""(^|[{,])\s*(-\s+)?["']?(apiVersion["']?\s*:\s*["']?reconciler/|kind["']?\s*:\s*["']?Bundle\b|bundleKey["']?\s*:)""",
    re.M,
)


def claims_to_be_bundle(path: Path) -> bool:
    """Does the file look like a bundle anywhere (`apiVersion: reconciler/...`, `kind: Bundle` or a
    `bundleKey:`)? Other YAML (CI workflows, say) may share a folder with bundles; a file named explicitly is
    always read, whatever it says."""
    try:
        with path.open("rb") as handle:
            head = handle.read(MAX_FILE_BYTES + 1).decode("utf-8", errors="replace")
    except OSError:
        return True  # let the loader report it
    return bool(_BUNDLE_API_VERSION.search(head))


def display_name(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
