"""connectors/archive.py: a content-addressed store over fsspec (local folder and memory://)."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from pathlib import Path

import pytest

from connectors.archive import AddressTaken, ContentStore, NotInArchive, check_sha

DATA = b"%PDF-1.4\n" + os.urandom(5000) + b"\n%%EOF\n"
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ContentStore:
    if request.param == "local":
        return ContentStore(tmp_path / "arsip")
    return ContentStore(f"memory://arsip-{uuid.uuid4().hex}")


class Exploding(io.RawIOBase):
    """A source that fails half-way through the write."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        if self.sent >= 3 << 20:
            raise OSError("disk dicabut di tengah penulisan")
        n = len(b)
        b[:n] = b"x" * n
        self.sent += n
        return n


def test_put_is_content_addressed_and_idempotent(store: ContentStore, tmp_path: Path) -> None:
    s1 = store.store(DATA)
    assert (s1.sha256, s1.size, s1.created) == (SHA, len(DATA), True)
    assert s1.key == f"sha256/{SHA[:2]}/{SHA[2:4]}/{SHA}"
    assert store.exists(SHA) and store.read(SHA) == DATA and store.size(SHA) == len(DATA)
    with store.open(SHA) as f:
        assert f.read(8) == b"%PDF-1.4"
    f = tmp_path / "sama.pdf"
    f.write_bytes(DATA)
    assert store.store(f).created is False  # same content from a file: a no-op
    assert store.store(io.BytesIO(DATA)).created is False  # and from a stream
    assert store.put(b"lain") == hashlib.sha256(b"lain").hexdigest()
    assert sorted(store.iter_shas()) == sorted([SHA, hashlib.sha256(b"lain").hexdigest()])
    assert store.verify(SHA) == "ok"
    with pytest.raises(TypeError):
        store.put(str(f))  # type: ignore[arg-type]


def test_verify_catches_one_changed_byte_and_a_missing_file(store: ContentStore) -> None:
    store.put(DATA)
    other = store.put(b"berkas kedua")
    changed = bytearray(DATA)
    changed[len(changed) // 2] ^= 0x01
    path = store.path(SHA)
    if store.local:
        os.chmod(path, 0o644)  # stored files are read-only; tampering needs this first
    with store.fs.open(path, "wb") as f:
        f.write(bytes(changed))
    assert store.verify(SHA) == "altered"
    store.fs.rm(store.path(other))
    assert store.verify(other) == "missing"
    with pytest.raises(NotInArchive):
        store.read(other)
    # never overwritten: the altered file stays as evidence
    with pytest.raises(AddressTaken):
        store.put(DATA)
    with pytest.raises(AddressTaken):
        store.put(io.BytesIO(DATA))
    assert store.verify(SHA) == "altered"


def test_failure_inside_the_write_leaves_no_half_file(store: ContentStore) -> None:
    with pytest.raises(OSError, match="dicabut"):
        store.put(io.BufferedReader(Exploding()))
    assert list(store.iter_shas()) == []
    tmp = f"{store.root}/.tmp"
    assert not store.fs.exists(tmp) or store.fs.ls(tmp) == []


def test_failure_between_write_and_rename_leaves_nothing(
    store: ContentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: ContentStore, tmp: str, final: str) -> bool:
        raise OSError("listrik padam sebelum rename")

    monkeypatch.setattr(ContentStore, "_move_new", crash)
    with pytest.raises(OSError, match="padam"):
        store.put(DATA)
    assert not store.exists(SHA) and store.verify(SHA) == "missing"
    tmp = f"{store.root}/.tmp"
    assert not store.fs.exists(tmp) or store.fs.ls(tmp) == []


def test_local_store_files_are_read_only_and_stale_temps_are_cleaned(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "arsip")
    store.put(DATA)
    assert os.stat(store.path(SHA)).st_mode & 0o222 == 0
    leftover = tmp_path / "arsip" / ".tmp" / "dead.part"
    leftover.write_bytes(b"half")  # what a killed process leaves behind
    assert store.clean_tmp(older_than_seconds=3600) == 0
    os.utime(leftover, (1, 1))
    assert store.clean_tmp(older_than_seconds=3600) == 1 and not leftover.exists()


def test_addresses_are_checked() -> None:
    assert check_sha(SHA.upper()) == SHA
    for bad in ("", "../../etc/passwd", SHA[:-1], SHA + "0", "g" * 64):
        with pytest.raises(ValueError):
            ContentStore.key(bad)
