"""Where raw files and the warehouse live: a local folder or any fsspec filesystem URL (s3://, gs://, …).

Atomic replacement is what the raw store and the publish step need: on a local disk a write goes to a
temporary file that is renamed over the target; on an object store a single PUT is already atomic (readers
see the old object or the new one). A "move" is a rename locally and a copy-then-delete of one object
elsewhere, which is atomic per object as well.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem


class Storage:
    def __init__(self, url: str | os.PathLike[str]) -> None:
        text = str(url)
        if "://" not in text:
            text = str(Path(text).expanduser().resolve())
        self.fs, self.root = url_to_fs(text)
        self.root = self.root.rstrip("/") or "/"
        self.is_local = isinstance(self.fs, LocalFileSystem)
        self.url = self.root if self.is_local else self.fs.unstrip_protocol(self.root)

    def __repr__(self) -> str:
        return f"Storage({self.url!r})"

    def path(self, *parts: str) -> str:
        """A path inside this storage (parts may contain '/')."""
        return "/".join([self.root.rstrip("/"), *[p.strip("/") for p in parts if p]])

    def url_of(self, relative: str) -> str:
        """The URL (or local path) of something inside this storage, for handing to another Storage."""
        return self.uri(self.path(relative))

    def uri(self, path: str) -> str:
        """The address another tool (DuckDB, pyarrow, a person) can open."""
        return path if self.is_local else self.fs.unstrip_protocol(path)

    def relative(self, path: str) -> str:
        return path[len(self.root.rstrip("/")) + 1 :]

    # reading
    def exists(self, path: str) -> bool:
        return self.fs.exists(path)

    def is_file(self, path: str) -> bool:
        return self.fs.isfile(path)

    def is_dir(self, path: str) -> bool:
        return self.fs.isdir(path)

    def read_bytes(self, path: str) -> bytes:
        return self.fs.cat_file(path)

    def read_json(self, path: str) -> Any:
        return json.loads(self.read_bytes(path))

    def modified(self, path: str) -> datetime:
        """When ``path`` was last written (UTC)."""
        when = self.fs.modified(path)
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    def names(self, folder: str) -> list[str]:
        """Names directly inside ``folder`` (empty when it does not exist)."""
        if not self.fs.isdir(folder):
            return []
        return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(folder, detail=False))

    # writing
    def write_bytes(self, path: str, content: bytes) -> None:
        """Replace ``path`` atomically with ``content``."""
        if not self.is_local:
            self.fs.pipe_file(path, content)
            return
        folder = Path(path).parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{Path(path).name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def write_json(self, path: str, payload: Any) -> None:
        self.write_bytes(path, (json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n").encode())

    def move(self, source: str, target: str) -> None:
        """Move a file or folder over ``target`` (a file target is replaced atomically)."""
        if self.is_local:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        else:
            self.fs.mv(source, target, recursive=True)

    def remove(self, path: str) -> None:
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)

    def upload_tree(self, local_folder: Path, target: str) -> None:
        """Copy a local folder (e.g. Data Docs) into this storage, replacing what was there."""
        self.remove(target)
        for file in sorted(p for p in local_folder.rglob("*") if p.is_file()):
            self.write_bytes(f"{target}/{file.relative_to(local_folder).as_posix()}", file.read_bytes())
