"""A content-addressed archive of raw page bodies: `root/ab/<sha256>.gz`, written atomically."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import re
import tempfile
import zlib
from pathlib import Path

from tracker.errors import StorageError, UserInputError

__all__ = ["Archive"]

_DIGEST = re.compile(r"[0-9a-f]{64}")


class Archive:
    """Raw bodies keyed by the sha256 of their bytes; a body is written once and never changed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, digest: str) -> Path:
        """Where the body with this digest is (or would be) stored."""
        if not _DIGEST.fullmatch(digest):
            raise UserInputError(f"not a sha256 digest (64 lower-case hex digits): {digest!r}")
        return self.root / digest[:2] / f"{digest}.gz"

    def put(self, body: bytes) -> str:
        """Store `body` unless it is already stored; return its sha256 hex digest."""
        digest = hashlib.sha256(body).hexdigest()
        path = self.path_for(digest)
        if not path.exists():
            _write_atomically(path, gzip.compress(body, mtime=0))
        return digest

    def get(self, digest: str) -> bytes:
        """The body with this digest, checked against it."""
        path = self.path_for(digest)
        try:
            compressed = path.read_bytes()
        except FileNotFoundError:
            raise StorageError(f"{digest} is not in the archive at {self.root}") from None
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {_reason(exc)}") from exc
        try:
            body = gzip.decompress(compressed)
        except (OSError, EOFError, zlib.error) as exc:
            raise StorageError(f"archive file {path} is corrupt: {exc}") from exc
        if hashlib.sha256(body).hexdigest() != digest:
            raise StorageError(f"archive file {path} is corrupt: its content does not match")
        return body

    def __contains__(self, digest: object) -> bool:
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            return False
        return self.path_for(digest).exists()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    temp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except OSError as exc:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise StorageError(f"cannot write {path}: {_reason(exc)}") from exc


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
