"""Where the controller reads its bundles: a git repository (fetched with the `git` command) or a plain folder.

A repository is cloned once into the work directory; every poll runs `git fetch` and `git rev-parse` and,
when the ref moved, checks the new commit out there (detached, forced, untracked files removed) so the loader
reads exactly that commit's tree. A plain folder has no commit: it is read again on every poll.
The URL shown anywhere (logs, metrics, the status page) has its credentials removed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from reconciler.errors import ConfigError

GIT_TIMEOUT = 120.0  # seconds for one git command: a hung fetch must not stop the loop for good


@dataclass(frozen=True)
class Revision:
    folder: Path  # the folder holding the bundles (the checkout's --path, or the plain folder)
    commit: str | None  # None for a plain folder


def public_url(repo: str) -> str:
    """`repo` without a user or password (https://token@host/x.git -> https://host/x.git)."""
    parts = urlsplit(repo)
    if parts.scheme and parts.netloc and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return repo


def is_plain_folder(repo: str) -> bool:
    """A local folder that is not a git repository (no `.git` inside): read as it is, no commits."""
    path = Path(repo)
    return path.is_dir() and not (path / ".git").exists()


class FolderSource:
    """A folder on this machine, read again on every poll."""

    def __init__(self, folder: str, path: str) -> None:
        self.folder = Path(folder) / path
        self.ref: str | None = None
        self.url = str(Path(folder).resolve())

    def poll(self) -> Revision:
        if not self.folder.is_dir():
            raise ConfigError(f"--repo {self.url}: {self.folder} is not a folder")
        return Revision(self.folder, None)


class GitSource:
    """A repository (URL or local path) at a ref, mirrored into `workdir` with the `git` command."""

    def __init__(self, repo: str, ref: str, path: str, workdir: str) -> None:
        self.repo = repo
        self.ref = ref
        self.path = path
        self.url = public_url(repo)
        # One checkout per repository and ref: two controllers sharing a work directory do not collide.
        name = hashlib.sha256(f"{repo}#{ref}".encode()).hexdigest()[:16]
        self.checkout = Path(workdir) / f"repo-{name}"
        self.commit: str | None = None

    def poll(self) -> Revision:
        """Fetch the ref; check its commit out if it moved. Raises ConfigError with git's message."""
        if not (self.checkout / ".git").exists():
            self.checkout.parent.mkdir(parents=True, exist_ok=True)
            self._git(None, "clone", "--quiet", "--no-checkout", self.repo, str(self.checkout))
        self._git(self.checkout, "fetch", "--quiet", "--force", "origin", self.ref)
        commit = self._git(self.checkout, "rev-parse", "FETCH_HEAD^{commit}").strip()
        if commit != self.commit:
            self._git(self.checkout, "checkout", "--quiet", "--force", "--detach", commit)
            self._git(self.checkout, "clean", "--quiet", "-ffdx")
            self.commit = commit
        return Revision(self.checkout / self.path, commit)

    def _git(self, cwd: Path | None, *args: str) -> str:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # never wait for a password on a terminal
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT,
                env=env,
                check=False,
            )
        except FileNotFoundError as exc:
            raise ConfigError("the `git` command is not installed: the controller fetches with it") from exc
        except subprocess.TimeoutExpired as exc:
            raise ConfigError(f"git {args[0]} {self.url} took more than {GIT_TIMEOUT:.0f} s") from exc
        if done.returncode != 0:
            said = done.stderr.strip().replace(self.repo, self.url)  # git may echo the URL, token and all
            raise ConfigError(f"git {args[0]} {self.url} (ref {self.ref}) failed: {said}")
        return done.stdout


Source = FolderSource | GitSource


def open_source(repo: str, ref: str, path: str, workdir: str) -> Source:
    return FolderSource(repo, path) if is_plain_folder(repo) else GitSource(repo, ref, path, workdir)
