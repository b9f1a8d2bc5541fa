"""Git repositories (``type = "git"``): Markdown and text files on one branch, synced by diffing commits.

The repository is cloned once (bare, into the home's ``sources/NAME.git``); each run fetches the branch and diffs
the last synced commit against its head, so a sync costs what changed: added and modified files are read,
deleted ones removed, renames are both. A first run (or ``--full``, or a history rewritten under the last
synced commit) lists the whole tree instead, and the files' blob ids, stored as their versions, make the
unchanged ones free. Any address git understands works, a local path included; an HTTPS token is handed to git
through its environment (``GIT_CONFIG_*``), never on a command line or in a URL.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator, Literal, Mapping

from pydantic import Field

from knowledge.loaders import media_type_of
from knowledge.sources.documents import Change, Checkpoint, Failed, Removed, SourceDocument, Stored, Unchanged
from knowledge.sources.options import Secrets, SourceConfigError, SourceOptions, work_folder
from knowledge.sources.source import SourceUnavailable

DEFAULT_PATHS = ["*.md", "*.markdown", "*.txt", "*.rst"]
CHECKPOINT_EVERY = 100  # files between checkpoints
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
GIT_TIMEOUT = 600  # seconds for one git command (a first clone of a large repository)


class GitOptions(SourceOptions):
    type: Literal["git"]
    repo: str  # any address git understands: https://…, ssh://…, git@host:…, a local path
    branch: str | None = None  # default: the repository's own default branch (its HEAD: main, master, ...)
    paths: list[str] = Field(default_factory=lambda: list(DEFAULT_PATHS))  # gitignore-style patterns
    link: str | None = None  # e.g. "https://github.com/acme/handbook/blob/{branch}/{path}"
    token_env: str | None = None  # the variable holding an HTTPS token

    def open(self, name: str, *, home: Path, secrets: Secrets) -> "GitSource":
        if self.link is not None:
            try:
                self.link.format(branch=self.branch or "main", path="x")
            except (KeyError, IndexError, ValueError):
                raise SourceConfigError(f"sources.{name}.link: use {{branch}} and {{path}} only, e.g. "
                                        "\"https://github.com/acme/handbook/blob/{branch}/{path}\"") from None
        token = self.secret(name, "token_env", self.token_env, secrets)
        return GitSource(self, work_folder(home, name).with_suffix(".git"), token)


@dataclass(frozen=True)
class _Entry:
    path: str
    blob: str


class GitSource:
    def __init__(self, options: GitOptions, clone: Path, token: str | None = None) -> None:
        import pathspec

        self.options = options
        self.clone = clone
        self._token = token
        self._wanted = pathspec.PathSpec.from_lines("gitignore", options.paths)
        self._synced_to: str | None = None
        self._branch: str | None = None  # the branch this run reads (the configured one, or the default)

    # -- the seam -------------------------------------------------------------------------------------------
    def changes(self, cursor: str | None, stored: Mapping[str, Stored]) -> Iterator[Change]:
        position = json.loads(cursor) if cursor else {}
        head = self._fetch()
        start, target, after = position.get("from"), position.get("to", head), position.get("after")
        if target != head and not self._has(target):
            start, target, after = None, head, None  # the commit a killed run was syncing to is gone
        if start is not None and not self._has(start):
            start = None  # history rewritten under the last synced commit: compare the whole tree
        self._synced_to = target
        changes = self._diff(start, target)
        done = 0
        authors = _Authors(self, start, target)
        for path, blob in changes:
            if after is not None and path <= after:
                continue
            if blob is None:
                yield Removed(path, "deleted in the repository")
            else:
                yield self._document(path, blob, stored.get(path), authors)
            done += 1
            if done % CHECKPOINT_EVERY == 0:
                yield Checkpoint(json.dumps({"from": start, "to": target, "after": path}))
        yield Checkpoint(json.dumps({"from": target}))

    def fetch(self, key: str, stored: Stored | None) -> SourceDocument | Unchanged | Removed | Failed:
        head = self._synced_to or self._fetch()
        entry = self._tree(head, key)
        if not entry:
            return Removed(key, "not in the repository")
        return self._document(key, entry[0].blob, stored, _Authors(self, None, head))

    def keys(self) -> Iterable[str]:
        head = self._synced_to or self._fetch()
        return [entry.path for entry in self._tree(head)]

    def close(self) -> None:
        pass

    # -- reading the repository -------------------------------------------------------------------------------
    def _document(self, path: str, blob: str, stored: Stored | None, authors: "_Authors") -> Change:
        if stored is not None and stored.version == blob:
            return Unchanged(path)
        media_type = media_type_of(path) or "application/octet-stream"
        try:
            data = self._git("cat-file", "blob", blob, text=False)
        except SourceUnavailable as exc:
            return Failed(path, self._link(path), str(exc))
        author, modified = authors.of(path)
        return SourceDocument(key=path, data=data, media_type=media_type, url=self._link(path), version=blob,
                              author=author, modified=modified)

    def _link(self, path: str) -> str | None:
        if self.options.link is None:
            return None
        return self.options.link.format(branch=self._branch or self.options.branch, path=path)

    def _diff(self, start: str | None, target: str) -> list[tuple[str, str | None]]:
        """(path, blob) for each wanted file added or changed since ``start`` (blob None: deleted), by path."""
        if start is None:
            return [(entry.path, entry.blob) for entry in self._tree(target)]
        if start == target:
            return []
        out = self._git("diff", "--raw", "-z", "-M", "--no-abbrev", start, target)
        fields = out.split("\0")
        changes: dict[str, str | None] = {}
        index = 0
        while index < len(fields) - 1:
            meta = fields[index].split()
            status = meta[4] if len(meta) > 4 else ""
            new_blob = meta[3] if len(meta) > 3 else ""
            if status.startswith(("R", "C")):
                old, new = fields[index + 1], fields[index + 2]
                index += 3
                if status.startswith("R") and self._wants(old):
                    changes[old] = None
                if self._wants(new):
                    changes[new] = new_blob
                continue
            path = fields[index + 1]
            index += 2
            if not self._wants(path):
                continue
            changes[path] = None if status.startswith("D") else new_blob
        return sorted(changes.items())

    def _tree(self, commit: str, path: str | None = None) -> list[_Entry]:
        args = ["ls-tree", "-r", "-z", "--full-tree", commit]
        if path is not None:
            args += ["--", path]
        entries = []
        for line in self._git(*args).split("\0"):
            if not line:
                continue
            meta, _, name = line.partition("\t")
            mode, kind, blob = meta.split()
            if kind == "blob" and mode != "120000" and self._wants(name):  # no symlinks: they point anywhere
                entries.append(_Entry(name, blob))
        return sorted(entries, key=lambda entry: entry.path)

    def _wants(self, path: str) -> bool:
        return self._wanted.match_file(path)

    def _has(self, commit: str) -> bool:
        try:
            self._git("cat-file", "-e", f"{commit}^{{commit}}")
            return True
        except SourceUnavailable:
            return False

    def _fetch(self) -> str:
        """Clone once, then fetch the branch; returns its head commit."""
        if not (self.clone / "HEAD").exists():
            self.clone.parent.mkdir(parents=True, exist_ok=True)
            self._git("init", "--bare", "--quiet", str(self.clone), bare=False)
        branch = self._branch = self.options.branch or self._default_branch()
        self._git("fetch", "--quiet", "--force", "--no-tags", self._remote(),
                  f"+refs/heads/{branch}:refs/lorebot/{branch}",
                  action=f"cannot fetch branch {branch} of {self.options.repo}")
        return self._git("rev-parse", f"refs/lorebot/{branch}").strip()

    def _default_branch(self) -> str:
        """The branch the repository's HEAD names, as a clone would check out."""
        out = self._git("ls-remote", "--symref", self._remote(), "HEAD",
                        action=f"cannot read the default branch of {self.options.repo}")
        for line in out.splitlines():
            target, _, name = line.partition("\t")
            if name == "HEAD" and target.startswith("ref: refs/heads/"):
                return target.removeprefix("ref: refs/heads/")
        raise SourceUnavailable(f"{self.options.repo} has no default branch; set branch in its [sources] section")

    def _remote(self) -> str:
        path = Path(self.options.repo).expanduser()
        return str(path.resolve()) if "://" not in self.options.repo and path.exists() else self.options.repo

    def _git(self, *args: str, text: bool = True, bare: bool = True, action: str | None = None):
        """Run git on the clone (``bare``) and return what it printed; ``SourceUnavailable`` naming ``action``
        (default: the git command) and git's own first line of complaint when it fails."""
        command = ["git"] + (["--git-dir", str(self.clone)] if bare else []) + list(args)
        environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
        if self._token:
            basic = base64.b64encode(f"x-access-token:{self._token}".encode()).decode()
            environment.update({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
                                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}"})
        try:
            done = subprocess.run(command, capture_output=True, timeout=GIT_TIMEOUT, env=environment,
                                  stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise SourceUnavailable("git is not installed on this machine") from None
        except subprocess.TimeoutExpired:
            raise SourceUnavailable(f"{action or 'git ' + args[0]}: no answer within {GIT_TIMEOUT} s") from None
        if done.returncode != 0:
            reason = _first_line(done.stderr.decode("utf-8", "replace"))
            raise SourceUnavailable(f"{action or 'git ' + args[0] + ' failed'}: {reason}")
        return done.stdout.decode("utf-8", "surrogateescape") if text else done.stdout


class _Authors:
    """Who last changed each file, and when, from one ``git log`` over the synced range (read on first use)."""

    def __init__(self, source: GitSource, start: str | None, target: str) -> None:
        self._source, self._range = source, f"{start}..{target}" if start else target
        self._known: dict[str, tuple[str, datetime]] | None = None

    def of(self, path: str) -> tuple[str | None, datetime | None]:
        if self._known is None:
            self._known = self._read()
        return self._known.get(path, (None, None))

    def _read(self) -> dict[str, tuple[str, datetime]]:
        try:
            out = self._source._git("-c", "core.quotePath=false", "log", "--format=commit%x09%an%x09%cI",
                                    "--name-only", "--no-renames", self._range)
        except SourceUnavailable:
            return {}
        known: dict[str, tuple[str, datetime]] = {}
        author, when = "", None
        for line in out.splitlines():
            if line.startswith("commit\t"):
                _, author, stamp = line.split("\t", 2)
                when = datetime.fromisoformat(stamp)
            elif line and when is not None:
                known.setdefault(line, (author, when))  # newest first: the first mention is the last change
        return known


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line.removeprefix("fatal: ").removeprefix("error: ")[:300]
    return "no reason given"
