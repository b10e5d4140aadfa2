"""The content-addressed archive of raw bodies, on real files under tmp_path."""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker.archive import Archive
from tracker.errors import StorageError, UserInputError

BODY = b"<html><body><p>hello</p></body></html>"
DIGEST = hashlib.sha256(BODY).hexdigest()


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path / "archive")


@pytest.mark.parametrize("body", [BODY, b"", bytes(range(256)) * 100])
def test_round_trip(archive: Archive, body: bytes) -> None:
    digest = archive.put(body)
    assert digest == hashlib.sha256(body).hexdigest()
    assert digest in archive
    assert archive.get(digest) == body


def test_layout_is_two_level_gzip(archive: Archive) -> None:
    archive.put(BODY)
    path = archive.root / DIGEST[:2] / f"{DIGEST}.gz"
    assert gzip.decompress(path.read_bytes()) == BODY
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_put_is_idempotent(archive: Archive) -> None:
    archive.put(BODY)
    before = archive.path_for(DIGEST).stat()
    assert archive.put(BODY) == DIGEST
    after = archive.path_for(DIGEST).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_missing_body(archive: Archive) -> None:
    assert DIGEST not in archive
    with pytest.raises(StorageError, match=f"{DIGEST} is not in the archive"):
        archive.get(DIGEST)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"not gzip at all", id="not-gzip"),
        pytest.param(gzip.compress(BODY)[:-10], id="truncated"),
        pytest.param(gzip.compress(b"another body"), id="wrong-content"),
    ],
)
def test_corrupt_file(archive: Archive, content: bytes) -> None:
    archive.put(BODY)
    archive.path_for(DIGEST).write_bytes(content)
    with pytest.raises(StorageError, match="is corrupt"):
        archive.get(DIGEST)


@pytest.mark.parametrize("digest", ["", "abc", "../" * 21 + "x", DIGEST.upper(), DIGEST + "0"])
def test_malformed_digest(archive: Archive, digest: str) -> None:
    assert digest not in archive
    with pytest.raises(UserInputError):
        archive.get(digest)


@pytest.fixture
def read_only_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "archive"
    root.mkdir()
    root.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(root, os.W_OK):
            pytest.skip("chmod does not stop this user writing (running as root?)")
        yield root
    finally:
        root.chmod(stat.S_IRWXU)


def test_read_only_directory(read_only_root: Path) -> None:
    with pytest.raises(
        StorageError, match=f"cannot write {re.escape(str(read_only_root))}.*: Permission denied"
    ):
        Archive(read_only_root).put(BODY)


def test_disk_full(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", no_space)
    path = archive.path_for(DIGEST)
    with pytest.raises(
        StorageError, match=re.escape(f"cannot write {path}: No space left on device")
    ):
        archive.put(BODY)
    assert list(path.parent.iterdir()) == []  # the temporary file is cleaned up
    assert DIGEST not in archive
