"""diklat/arsip.py: archive entries on both databases (idempotent, searchable, verified)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from connectors.archive import ContentStore
from diklat.arsip import ArsipError, arsipkan, find, nip_terkait, verify_all
from diklat.clients import archive_store
from diklat.models import Kegiatan, Naskah
from diklat.models.io import ARSIP, ARSIP_NIP
from diklat.settings import get_settings

NIP_A = "198001012005011001"
NIP_B = "199002022015022002"


def setup_docs(engine: Engine, folder: Path) -> dict[str, int]:
    with Session(engine) as s, s.begin():
        k = Kegiatan(
            kode="PK-2026-001", sop="peningkatan-kapasitas", nama="Pelatihan Kepemimpinan Pengawas"
        )
        k2 = Kegiatan(kode="PK-2026-002", sop="peningkatan-kapasitas", nama="Bimtek SIASN")
        s.add_all([k, k2])
        s.flush()
        ids = {"kegiatan": k.id, "kegiatan2": k2.id}
        for kunci, jenis, nomor, kl in (
            ("a", "surat_panggilan", "800.2.4.2/034/BKPSDM/2026", "800.2.4.2"),
            ("b", "surat_pemberitahuan", "800.2.4.1/012/BKPSDM/2026", "800.2.4.1"),
            ("c", "surat_tugas", "800.1.4.1/003/BKPSDM/2026", "800.1.4.1"),
        ):
            n = Naskah(
                kegiatan_id=k.id,
                jenis=jenis,
                kunci=kunci,
                versi=1,
                status="terdaftar",
                nomor=nomor,
                tanggal=dt.date(2026, 11, 23),
                klasifikasi=kl,
            )
            s.add(n)
            s.flush()
            ids[kunci] = n.id
            (folder / f"{kunci}.pdf").write_bytes(b"%PDF " + kunci.encode() * 500 + os.urandom(64))
    return ids


def count(engine: Engine, table=ARSIP) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())


def test_archive_takes_the_documents_metadata_and_retention(engine: Engine, tmp_path: Path) -> None:
    ids = setup_docs(engine, tmp_path)
    store = archive_store()  # default: var/arsip
    assert Path(store.root) == (Path(get_settings().var_dir) / "arsip").resolve()
    with Session(engine) as s, s.begin():
        e = arsipkan(s, tmp_path / "a.pdf", naskah_id=ids["a"], nip_terkait=[NIP_A], store=store)
    assert e.baru and e.kegiatan == "PK-2026-001" and e.jenis == "surat_panggilan"
    assert (e.nomor, e.klasifikasi, e.retensi_tahun) == (
        "800.2.4.2/034/BKPSDM/2026",
        "800.2.4.2",
        5,
    )
    assert e.tanggal == dt.date(2026, 11, 23) and e.retensi_sampai == dt.date(2031, 11, 23)
    assert store.read(e.sha256) == (tmp_path / "a.pdf").read_bytes()
    assert e.ukuran == (tmp_path / "a.pdf").stat().st_size and e.path.startswith("sha256/")
    with Session(engine) as s, s.begin():
        t = arsipkan(s, tmp_path / "c.pdf", naskah_id=ids["c"], store=store)
    assert t.retensi_tahun == 10  # 800.1.4.1 in the default schedule


def test_archiving_again_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    ids = setup_docs(engine, tmp_path)
    store = archive_store()
    with Session(engine) as s, s.begin():
        first = arsipkan(
            s, tmp_path / "a.pdf", naskah_id=ids["a"], nip_terkait=[NIP_A], store=store
        )
    with Session(engine) as s, s.begin():
        again = arsipkan(
            s, tmp_path / "a.pdf", naskah_id=ids["a"], nip_terkait=[NIP_A], store=store
        )
        more = arsipkan(
            s,
            tmp_path / "a.pdf",
            naskah_id=ids["a"],
            nip_terkait=[NIP_A, "19900202 201502 2 002"],
            store=store,
        )
        assert nip_terkait(s, first.id) == [NIP_A, NIP_B]
    assert not again.baru and again.id == first.id == more.id
    assert count(engine) == 1 and count(engine, ARSIP_NIP) == 2
    # the same content for another document is its own entry, one stored file
    with Session(engine) as s, s.begin():
        other = arsipkan(s, tmp_path / "a.pdf", naskah_id=ids["b"], store=store)
    assert other.baru and other.sha256 == first.sha256 and count(engine) == 2
    assert list(store.iter_shas()) == [first.sha256]
    # a report (no document): unique per training and content
    report = tmp_path / "laporan.xlsx"
    report.write_bytes(b"PK\x03\x04 laporan kepatuhan")
    with Session(engine) as s, s.begin():
        r1 = arsipkan(s, report, kegiatan_id=ids["kegiatan"], jenis="laporan_kegiatan", store=store)
        r2 = arsipkan(s, report, kegiatan_id=ids["kegiatan"], jenis="laporan_kegiatan", store=store)
    assert r1.baru and not r2.baru and r1.id == r2.id and r1.klasifikasi == "800.2.4.7"
    assert r1.naskah_id is None and count(engine) == 3


def test_crash_between_write_and_rename_leaves_no_file_and_no_entry(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = setup_docs(engine, tmp_path)
    store = archive_store()

    def crash(self: ContentStore, tmp: str, final: str) -> bool:
        raise OSError("listrik padam sebelum rename")

    with monkeypatch.context() as m:
        m.setattr(ContentStore, "_move_new", crash)
        with pytest.raises(OSError), Session(engine) as s, s.begin():
            arsipkan(s, tmp_path / "a.pdf", naskah_id=ids["a"], nip_terkait=[NIP_A], store=store)
    assert count(engine) == 0 and count(engine, ARSIP_NIP) == 0
    assert list(store.iter_shas()) == [] and os.listdir(Path(store.root) / ".tmp") == []
    with Session(engine) as s, s.begin():  # the next run archives it normally
        assert arsipkan(s, tmp_path / "a.pdf", naskah_id=ids["a"], store=store).baru


def test_verify_all_catches_one_changed_byte_and_a_missing_file(
    engine: Engine, tmp_path: Path
) -> None:
    ids = setup_docs(engine, tmp_path)
    store = archive_store()
    with Session(engine) as s, s.begin():
        a = arsipkan(s, tmp_path / "a.pdf", naskah_id=ids["a"], store=store)
        b = arsipkan(s, tmp_path / "b.pdf", naskah_id=ids["b"], store=store)
        arsipkan(s, tmp_path / "c.pdf", naskah_id=ids["c"], store=store)
        arsipkan(s, tmp_path / "a.pdf", naskah_id=ids["c"], store=store)  # shares a's file
    with Session(engine) as s:
        clean = verify_all(s, store)
    assert clean == {"checked": 4, "ok": 4, "missing": 0, "altered": 0, "items": []}
    path = Path(store.path(a.sha256))
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x20
    path.write_bytes(bytes(data))
    Path(store.path(b.sha256)).unlink()
    with Session(engine) as s:
        got = verify_all(s, store)
    assert {k: got[k] for k in ("checked", "ok", "missing", "altered")} == {
        "checked": 4,
        "ok": 1,
        "missing": 1,
        "altered": 2,
    }
    assert sorted((i["id"], i["status"]) for i in got["items"]) == sorted(
        [(a.id, "altered"), (b.id, "missing"), (a.id + 3, "altered")]
    )


def test_find_by_number_training_nip_and_classification(engine: Engine, tmp_path: Path) -> None:
    ids = setup_docs(engine, tmp_path)
    store = archive_store()
    with Session(engine) as s, s.begin():
        a = arsipkan(
            s, tmp_path / "a.pdf", naskah_id=ids["a"], nip_terkait=[NIP_A, NIP_B], store=store
        )
        b = arsipkan(s, tmp_path / "b.pdf", naskah_id=ids["b"], store=store)
        c = arsipkan(s, tmp_path / "c.pdf", naskah_id=ids["c"], nip_terkait=[NIP_B], store=store)
    with Session(engine) as s:
        assert [e.id for e in find(s, nomor="034/bkpsdm")] == [a.id]
        assert [e.id for e in find(s, kegiatan="PK-2026-001")] == [c.id, b.id, a.id]
        assert find(s, kegiatan="PK-2026-002") == []
        assert [e.id for e in find(s, kegiatan=ids["kegiatan"], nip=NIP_B)] == [c.id, a.id]
        assert [e.id for e in find(s, nip="19800101 200501 1 001")] == [a.id]
        assert [e.id for e in find(s, klasifikasi="800.2.4")] == [b.id, a.id]
        assert [e.id for e in find(s, klasifikasi="800.2.4.1")] == [b.id]
        assert [e.id for e in find(s, klasifikasi="800.1")] == [c.id]
        assert find(s, klasifikasi="800.2.4.") != []  # a trailing dot is ignored
        assert find(s, klasifikasi="80") == []  # a prefix is whole levels of the code
        assert [e.id for e in find(s, nomor="%")] == []  # wildcards are literal
        assert [e.id for e in find(s, klasifikasi="800.2.4", nip=NIP_B)] == [a.id]


def test_memory_store_through_fsspec_url(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = setup_docs(engine, tmp_path)
    monkeypatch.setenv("DIKLAT_ARSIP__URL", f"memory://arsip-{engine.dialect.name}-{ids['a']}")
    from diklat.settings import reset_settings_cache

    reset_settings_cache()
    store = archive_store()
    assert not store.local
    with Session(engine) as s, s.begin():
        e = arsipkan(s, tmp_path / "a.pdf", naskah_id=ids["a"])  # store from the settings
    assert store.read(e.sha256) == (tmp_path / "a.pdf").read_bytes()
    with Session(engine) as s:
        assert verify_all(s)["ok"] == 1
    assert not (Path(get_settings().var_dir) / "arsip" / "sha256").exists()


def test_refusals(engine: Engine, tmp_path: Path) -> None:
    ids = setup_docs(engine, tmp_path)
    store = archive_store()
    with Session(engine) as s:
        with pytest.raises(ArsipError, match="naskah_id atau kegiatan_id"):
            arsipkan(s, tmp_path / "a.pdf", store=store)
        with pytest.raises(ArsipError, match="jadwal retensi"):
            arsipkan(
                s, tmp_path / "a.pdf", naskah_id=ids["a"], klasifikasi="000.8.3.3", store=store
            )
        with pytest.raises(ArsipError, match="NIP terkait tidak valid: 1 dari 2") as e:
            arsipkan(
                s, tmp_path / "a.pdf", naskah_id=ids["a"], nip_terkait=[NIP_A, "123"], store=store
            )
        assert NIP_A not in str(e.value)
        with pytest.raises(ArsipError, match="berkas tidak ada"):
            arsipkan(s, tmp_path / "x.pdf", naskah_id=ids["a"], store=store)
        with pytest.raises(ArsipError, match="jenis dokumen"):
            arsipkan(s, tmp_path / "a.pdf", kegiatan_id=ids["kegiatan"], store=store)
    assert count(engine) == 0


def test_the_caller_owns_the_transaction(engine: Engine, tmp_path: Path) -> None:
    ids = setup_docs(engine, tmp_path)
    store = archive_store()
    with Session(engine) as s:
        s.begin()
        e = arsipkan(s, tmp_path / "a.pdf", naskah_id=ids["a"], nip_terkait=[NIP_A], store=store)
        r = arsipkan(
            s,
            tmp_path / "b.pdf",
            kegiatan_id=ids["kegiatan"],
            jenis="laporan_kegiatan",
            store=store,
        )
        assert e.baru and r.baru
        s.rollback()
    assert count(engine) == 0 and count(engine, ARSIP_NIP) == 0
    assert store.exists(e.sha256)  # the stored file stays, unreferenced and harmless


def test_two_sessions_archiving_the_same_file_make_one_entry(pg_url: str, tmp_path: Path) -> None:
    import threading

    from diklat.db import make_engine, migrate

    migrate(pg_url)
    engine = make_engine(pg_url)
    ids = setup_docs(engine, tmp_path)
    store = archive_store()
    got: list[object] = []
    with Session(engine) as s1:
        s1.begin()
        first = arsipkan(s1, tmp_path / "a.pdf", naskah_id=ids["a"], store=store)

        def second() -> None:
            with Session(engine) as s2, s2.begin():  # waits for s1's row, then finds it
                got.append(
                    arsipkan(
                        s2, tmp_path / "a.pdf", naskah_id=ids["a"], nip_terkait=[NIP_A], store=store
                    )
                )

        t = threading.Thread(target=second)
        t.start()
        t.join(timeout=0.5)
        assert t.is_alive()  # blocked on the unique index until s1 decides
        s1.commit()
        t.join(timeout=30)
    (e,) = got
    assert isinstance(e, type(first)) and e.id == first.id and not e.baru
    assert count(engine) == 1 and count(engine, ARSIP_NIP) == 1
    engine.dispose()
