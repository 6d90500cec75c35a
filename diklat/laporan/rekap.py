"""Reports (issue 16, "Reports"): SOP compliance, the 20 JP of every employee, participant lists.

* **Kepatuhan** (:func:`kepatuhan`, :func:`tulis_kepatuhan`): EVERY row of the ledger of a
  training's SOP path (every round of every step, and every level of a chain where the
  ledger keeps one row per level, ``tingkat``; who acted where it records it), its actual
  working time (office hours, weekends, holidays and cuti bersama left out,
  :mod:`diklat.rules.kalender`) against its standard time; a round is late when it was
  closed (finished, or returned by a revision) after its deadline or is still open past it.
  A step that took 3 hours in round 1 and 5 minutes in round 2 shows both, the first red.
  Reconstructed steps (catalogue ``reconstructed: true``) are marked. Per SOP, across every
  training of it that is not cancelled, every round counts: for each step the rounds, the
  median actual time of the done ones and the share on time of the judged ones (done with a
  standard time, or open and already late). Excel (two sheets, late rows filled red) and a
  PNG chart (one bar per round).
* **20 JP** (:func:`laporan_jp`): lesson hours per active employee in a year against the
  yearly right (:data:`diklat.kegiatan.data.JP_TAHUNAN`), by unit, and who is below it; the hours
  come from :func:`diklat.kegiatan.data.jp_rincian`, the same source as the candidate criterion.
* **Peserta** (:func:`laporan_peserta`): the candidate and participant list of a training,
  one sheet per agency, the attendance recap per agency and the activity report's figures.

Every file goes through :mod:`diklat.excel` (NIP as text, never a formula). Plain functions
taking a ``Session`` or an ``Engine``; no Prefect here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from diklat.excel import Kolom, Lembar, tulis_buku
from diklat.kegiatan import ledger
from diklat.kegiatan.data import (
    JP_TAHUNAN,
    dengan_jp,
    jp_rincian,
    kegiatan_by_kode,
    pegawai_frame,
    peserta_frame,
)
from diklat.models import Kegiatan, SopStepLog, UnitKerja
from diklat.models.base import utcnow
from diklat.rules.kalender import KalenderKerja, kalender
from diklat.sop.catalogue import Sop, Step, get_sop

#: Jenis and classification code of an archived compliance report (monitoring and
#: evaluation, Permendagri 83/2022).
JENIS_KEPATUHAN = "laporan_kepatuhan"
KLASIFIKASI_KEPATUHAN = "800.2.4.7"
#: The participant lists and attendance recap belong to running the training.
JENIS_PESERTA = "laporan_peserta"
KLASIFIKASI_PESERTA = "800.2.4.2"

_JAM = 3600.0


def _jam(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / _JAM, 2)


def _bersih(value: Any) -> Any:
    """pandas' missing values (NaN, NA, NaT) as None, numpy scalars as Python ones."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    return value.item() if hasattr(value, "item") else value


def _records(df: pd.DataFrame) -> Iterator[dict[str, Any]]:
    for r in df.to_dict("records"):
        yield {str(k): _bersih(v) for k, v in r.items()}


def nama_lengkap(r: Mapping[str, Any]) -> str:
    """A name with titles as printed (``Dr. Siti Aminah, S.E.``) from a frame's row."""
    nama = str(r.get("nama") or "")
    if r.get("gelar_depan"):
        nama = f"{r['gelar_depan']} {nama}"
    if r.get("gelar_belakang"):
        nama = f"{nama}, {r['gelar_belakang']}"
    return nama


# --------------------------------------------------------------------------- kepatuhan

#: States of one measured step, as the report prints them.
TEPAT, TERLAMBAT, BERJALAN_TEPAT, TANPA_STANDAR, BELUM = (
    "tepat waktu",
    "terlambat",
    "berjalan",
    "tanpa standar",
    "belum dimulai",
)
#: A round whose work was done: finished, or closed by a revision (the reviewer answered).
SELESAI_PUTARAN = frozenset({ledger.SELESAI, ledger.DIKEMBALIKAN})


@dataclass(frozen=True)
class Ukuran:
    """One round of one step of one training measured against its standard time (one row
    of ``sop_step_log``; a step not started yet is one row ``belum``). ``tingkat`` (the
    level of an approval chain inside a step) and ``oleh`` (who acted) are read from the
    ledger row when it has them."""

    no: int
    kegiatan: str
    waktu: str  # the SOP's own text ("1 s.d 2 hari")
    status: str  # the ledger's status, or "belum"
    putaran: int | None
    mulai: dt.datetime | None
    selesai: dt.datetime | None
    tenggat: dt.datetime | None
    standar_s: int | None  # working seconds (upper bound of the standard time)
    aktual_s: float | None  # working seconds, so far for an open step
    terlambat: bool
    rekonstruksi: bool = False  # the step is reconstructed in the catalogue
    tingkat: int | None = None
    oleh: str | None = None

    @property
    def selesai_putaran(self) -> bool:
        return self.status in SELESAI_PUTARAN

    @property
    def dinilai(self) -> bool:
        """Counted in the share on time: a round done (finished or returned) with a standard,
        or one still open (or stopped) and already late."""
        if self.standar_s is None or self.status == ledger.BELUM:
            return False
        return self.selesai_putaran or self.terlambat

    @property
    def persen(self) -> float | None:
        """Actual time as a percentage of the standard time."""
        if self.standar_s is None or self.aktual_s is None:
            return None
        if self.standar_s == 0:
            return 0.0 if self.aktual_s == 0 else math.inf
        return round(100.0 * self.aktual_s / self.standar_s, 1)

    @property
    def penilaian(self) -> str:
        if self.status == ledger.BELUM:
            return BELUM
        if self.standar_s is None:
            return TANPA_STANDAR
        if self.terlambat:
            return TERLAMBAT
        return TEPAT if self.selesai_putaran else BERJALAN_TEPAT

    def baris(self) -> dict[str, Any]:
        persen = self.persen
        return {
            "no": self.no,
            "kegiatan": self.kegiatan,
            "waktu": self.waktu,
            "status": self.status,
            "putaran": self.putaran,
            "tingkat": self.tingkat,
            "oleh": self.oleh,
            "mulai": self.mulai,
            "selesai": self.selesai,
            "tenggat": self.tenggat,
            "standar_jam": _jam(self.standar_s),
            "aktual_jam": _jam(self.aktual_s),
            "persen": None if persen is None or math.isinf(persen) else persen,
            "penilaian": self.penilaian,
            "terlambat": self.terlambat,
            "rekonstruksi": "ya" if self.rekonstruksi else "",
        }


@dataclass
class Kepatuhan:
    """The compliance of one training (every round of every step) and of its SOP across
    trainings."""

    kode: str
    nama: str
    sop: str
    sop_judul: str
    langkah: list[Ukuran]  # every round, in step order, then round, then level
    per_sop: list[dict[str, Any]]
    jumlah_kegiatan_sop: int
    dibuat: dt.datetime = field(default_factory=utcnow)

    def terkini(self) -> dict[int, Ukuran]:
        """The latest round of each step (the last row of a step)."""
        out: dict[int, Ukuran] = {}
        for u in self.langkah:
            out[u.no] = u
        return out

    @property
    def ringkasan(self) -> dict[str, Any]:
        """Steps by their latest state; lateness and the share on time over every round."""
        last = self.terkini()
        putaran = [u for u in self.langkah if u.status != ledger.BELUM]
        dinilai = [u for u in putaran if u.dinilai]
        tepat = [u for u in dinilai if not u.terlambat]
        return {
            "kegiatan": self.kode,
            "sop": self.sop,
            "langkah": len(last),
            "putaran": len(putaran),
            "selesai": sum(1 for u in last.values() if u.status == ledger.SELESAI),
            "berjalan": sum(1 for u in last.values() if u.status in ledger.TERBUKA),
            "terlambat": sum(1 for u in putaran if u.terlambat),
            "dinilai": len(dinilai),
            "persen_tepat_waktu": round(100.0 * len(tepat) / len(dinilai), 1) if dinilai else None,
            "kegiatan_sop": self.jumlah_kegiatan_sop,
        }


def _terlambat(row: SopStepLog, now: dt.datetime) -> bool:
    """Past the round's deadline: still open after it, or closed (finished, returned,
    stopped) after it."""
    if row.deadline is None:
        return False
    if row.status in ledger.TERBUKA:
        return now > row.deadline
    return row.finished_at is not None and row.finished_at > row.deadline


def _oleh(row: SopStepLog) -> str | None:
    """Who acted, where the ledger records it (``oleh_nama``, else ``oleh_nip``)."""
    for attr in ("oleh_nama", "oleh_nip"):
        value = getattr(row, attr, None)
        if value:
            return str(value)
    return None


def _ukur(
    step: Step, row: SopStepLog | None, standar: int | None, now: dt.datetime, kal: KalenderKerja
) -> Ukuran:
    if row is None:
        return Ukuran(
            step.no,
            step.kegiatan,
            step.waktu,
            ledger.BELUM,
            None,
            None,
            None,
            None,
            standar,
            None,
            False,
            rekonstruksi=step.reconstructed,
        )
    end = row.finished_at if row.status not in ledger.TERBUKA else now
    aktual = kal.elapsed(row.started_at, max(end or now, row.started_at)).total_seconds()
    tingkat = getattr(row, "tingkat", None)
    return Ukuran(
        step.no,
        step.kegiatan,
        step.waktu,
        row.status,
        row.putaran,
        row.started_at,
        row.finished_at,
        row.deadline,
        row.waktu_max_s if row.waktu_max_s is not None else standar,
        aktual,
        _terlambat(row, now),
        rekonstruksi=step.reconstructed,
        tingkat=int(tingkat) if tingkat is not None else None,
        oleh=_oleh(row),
    )


def _standar(sop: Sop, kal: KalenderKerja) -> dict[int, int | None]:
    out: dict[int, int | None] = {}
    for s in sop.steps:
        hi = s.waktu_max
        out[s.no] = None if hi is None else hi.menit(kal.hari_menit) * 60
    return out


def _urutan(row: SopStepLog) -> tuple[int, int, int, int]:
    return (row.step_no, row.putaran or 0, int(getattr(row, "tingkat", None) or 0), row.id)


def _semua_rows(session: Session, sop_code: str) -> dict[int, list[SopStepLog]]:
    """Every row of the ledger (every round, every level) of every training of an SOP that
    is not cancelled, in one query: ``{kegiatan_id: [rows in step, round, level order]}``."""
    rows = session.execute(
        select(SopStepLog)
        .join(Kegiatan, Kegiatan.id == SopStepLog.kegiatan_id)
        .where(Kegiatan.sop == sop_code, Kegiatan.status != "dibatalkan")
    ).scalars()
    out: dict[int, list[SopStepLog]] = {}
    for r in rows:
        out.setdefault(r.kegiatan_id, []).append(r)
    for v in out.values():
        v.sort(key=_urutan)
    return out


def _ukur_kegiatan(
    sop: Sop,
    kondisi: list[str],
    rows: list[SopStepLog],
    standar: dict[int, int | None],
    now: dt.datetime,
    kal: KalenderKerja,
) -> list[Ukuran]:
    by_step: dict[int, list[SopStepLog]] = {}
    for r in rows:
        by_step.setdefault(r.step_no, []).append(r)
    out: list[Ukuran] = []
    for step in sop.steps_for(kondisi):
        mine: list[SopStepLog | None] = list(by_step.get(step.no, [])) or [None]
        out.extend(_ukur(step, r, standar[step.no], now, kal) for r in mine)
    return out


def kepatuhan(
    session: Session, kode: str, *, now: dt.datetime | None = None, kal: KalenderKerja | None = None
) -> Kepatuhan:
    """Measure training ``kode`` and its SOP across trainings (see the module docstring)."""
    k = kegiatan_by_kode(session, kode)
    sop = get_sop(k.sop)
    kal = kal or kalender()
    now = now or utcnow()
    standar = _standar(sop, kal)
    semua = _semua_rows(session, sop.code)
    kondisi = {
        kid: kg.kondisi
        for kid, kg in ((kid, session.get(Kegiatan, kid)) for kid in semua)
        if kg is not None
    }
    langkah = _ukur_kegiatan(sop, k.kondisi, semua.get(k.id, []), standar, now, kal)
    ukuran: list[dict[str, Any]] = []
    for kid, rows in semua.items():
        for u in _ukur_kegiatan(sop, kondisi.get(kid, []), rows, standar, now, kal):
            if u.status != ledger.BELUM:
                ukuran.append(
                    {
                        "kegiatan_id": kid,
                        "no": u.no,
                        "dinilai": u.dinilai,
                        "terlambat": u.terlambat,
                        "selesai": u.selesai_putaran,
                        "aktual": u.aktual_s,
                    }
                )
    per_sop = _per_sop(sop, ukuran, standar)
    return Kepatuhan(
        kode=k.kode,
        nama=k.nama,
        sop=sop.code,
        sop_judul=sop.title,
        langkah=langkah,
        per_sop=per_sop,
        jumlah_kegiatan_sop=len(semua),
        dibuat=now,
    )


def _per_sop(
    sop: Sop, ukuran: list[dict[str, Any]], standar: dict[int, int | None]
) -> list[dict[str, Any]]:
    """Per step across trainings, every round counted: a step done in two rounds is two
    measurements (one of them possibly late), never only its last."""
    df = pd.DataFrame(
        ukuran, columns=["kegiatan_id", "no", "dinilai", "terlambat", "selesai", "aktual"]
    )
    out = []
    for s in sop.steps:
        d = df[df["no"] == s.no]
        done = d[d["selesai"].astype(bool)]
        judged = d[d["dinilai"].astype(bool)]
        tepat = int((~judged["terlambat"].astype(bool)).sum())
        median = float(done["aktual"].median()) if len(done) else None
        out.append(
            {
                "no": s.no,
                "kegiatan": s.kegiatan,
                "waktu": s.waktu,
                "rekonstruksi": "ya" if s.reconstructed else "",
                "standar_jam": _jam(standar[s.no]),
                "kegiatan_n": int(d["kegiatan_id"].nunique()),
                "putaran_n": len(d),
                "selesai_n": len(done),
                "median_jam": _jam(median),
                "dinilai_n": len(judged),
                "tepat_n": tepat,
                "terlambat_n": len(judged) - tepat,
                "persen_tepat": round(100.0 * tepat / len(judged), 1) if len(judged) else None,
                "rendah": bool(len(judged)) and tepat / len(judged) < 0.5,
            }
        )
    return out


KOLOM_LANGKAH = (
    Kolom("No", "no", 5, "angka"),
    Kolom("Langkah", "kegiatan", 60),
    Kolom("Rekonstruksi", "rekonstruksi", 8),
    Kolom("Waktu baku (SOP)", "waktu", 14),
    Kolom("Standar (jam kerja)", "standar_jam", 11, "angka"),
    Kolom("Aktual (jam kerja)", "aktual_jam", 11, "angka"),
    Kolom("% dari standar", "persen", 10, "angka"),
    Kolom("Penilaian", "penilaian", 14),
    Kolom("Status", "status", 12),
    Kolom("Putaran", "putaran", 8, "angka"),
    Kolom("Mulai", "mulai", 17, "waktu"),
    Kolom("Selesai", "selesai", 17, "waktu"),
    Kolom("Tenggat", "tenggat", 17, "waktu"),
)
#: Shown only when the ledger records them (levels of a chain, who acted).
KOLOM_TINGKAT = Kolom("Tingkat", "tingkat", 8, "angka")
KOLOM_OLEH = Kolom("Oleh", "oleh", 30)
KOLOM_PER_SOP = (
    Kolom("No", "no", 5, "angka"),
    Kolom("Langkah", "kegiatan", 60),
    Kolom("Rekonstruksi", "rekonstruksi", 8),
    Kolom("Waktu baku (SOP)", "waktu", 14),
    Kolom("Standar (jam kerja)", "standar_jam", 11, "angka"),
    Kolom("Kegiatan", "kegiatan_n", 9, "angka"),
    Kolom("Putaran", "putaran_n", 9, "angka"),
    Kolom("Selesai", "selesai_n", 9, "angka"),
    Kolom("Median aktual (jam kerja)", "median_jam", 13, "angka"),
    Kolom("Dinilai", "dinilai_n", 9, "angka"),
    Kolom("Tepat waktu", "tepat_n", 9, "angka"),
    Kolom("Terlambat", "terlambat_n", 10, "angka"),
    Kolom("% tepat waktu", "persen_tepat", 10, "angka"),
)


def kolom_langkah(hasil: Kepatuhan) -> tuple[Kolom, ...]:
    """The step sheet's columns: the level and who acted where the ledger has them."""
    cols = list(KOLOM_LANGKAH)
    at = cols.index(next(c for c in cols if c.kunci == "putaran")) + 1
    if any(u.tingkat for u in hasil.langkah):
        cols.insert(at, KOLOM_TINGKAT)
        at += 1
    if any(u.oleh for u in hasil.langkah):
        cols.insert(at, KOLOM_OLEH)
    return tuple(cols)


def tulis_kepatuhan(hasil: Kepatuhan, path: str | Path, *, grafik: bool = True) -> dict[str, Path]:
    """The compliance workbook at ``path`` (sheet 1: every round of the training's steps,
    late rounds filled red, reconstructed steps marked; sheet 2: the SOP across trainings,
    steps under half on time filled red) and, with
    ``grafik``, a PNG chart beside it (same name, ``.png``). Returns the files written."""
    xlsx = Path(path)
    tulis_buku(
        xlsx,
        [
            Lembar(
                f"Langkah {hasil.kode}",
                kolom_langkah(hasil),
                (u.baris() for u in hasil.langkah),
                sorot="terlambat",
            ),
            Lembar("Per SOP", KOLOM_PER_SOP, hasil.per_sop, sorot="rendah"),
        ],
        judul_lembar=f"Kepatuhan SOP {hasil.kode}",
    )
    out = {"xlsx": xlsx}
    if grafik:
        out["png"] = grafik_kepatuhan(hasil, xlsx.with_suffix(".png"))
    return out


#: Longest bar of the chart, in percent of the standard time (longer ones are cut).
BATAS_GRAFIK = 300.0


def grafik_kepatuhan(hasil: Kepatuhan, path: str | Path) -> Path:
    """Two panels over the SOP's steps: left, the training's actual time as a percentage of
    the standard (red late, green on time, grey open; a line at 100 %); right, the share on
    time per step across the SOP's trainings. Written with matplotlib's Agg backend (no
    display needed), atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rounds: dict[int, list[Ukuran]] = {}
    for u in hasil.langkah:
        rounds.setdefault(u.no, []).append(u)
    steps = [r["no"] for r in hasil.per_sop]
    y = list(range(len(steps)))
    fig_h = max(4.0, 0.24 * len(steps) + 1.8)
    fig, (a, b) = plt.subplots(
        1, 2, figsize=(12, fig_h), sharey=True, gridspec_kw={"width_ratios": [3, 2]}
    )
    try:
        # every round of a step: thin bars side by side inside the step's band
        for yi, no in zip(y, steps, strict=True):
            mine = [u for u in rounds.get(no, []) if u.status != ledger.BELUM]
            for i, u in enumerate(mine):
                h = 0.8 / len(mine)
                p = u.persen
                v = 0.0 if p is None else min(p, BATAS_GRAFIK)
                color = "#c0392b" if u.terlambat else "#27ae60" if u.selesai_putaran else "#95a5a6"
                yy = yi - 0.4 + h * (i + 0.5)
                a.barh(yy, v, height=h * 0.9, color=color)
                if p is not None and p > BATAS_GRAFIK:
                    a.text(v, yy, f" >{BATAS_GRAFIK:.0f}%", va="center", fontsize=7)
                if len(mine) > 1:
                    a.text(v + 2, yy, f"p{u.putaran}", va="center", fontsize=6, color="#34495e")
        a.axvline(100, color="black", linestyle="--", linewidth=1)
        a.set_xlim(0, BATAS_GRAFIK * 1.1)
        a.set_xlabel("waktu aktual, % dari waktu baku (jam kerja)")
        r = hasil.ringkasan
        persen = r["persen_tepat_waktu"]
        a.set_title(
            f"{hasil.kode}: {r['terlambat']} putaran terlambat, "
            f"{'-' if persen is None else f'{persen:.0f}%'} tepat waktu",
            fontsize=10,
        )
        last = hasil.terkini()
        for yi, no in zip(y, steps, strict=True):
            lu = last.get(no)
            if lu is not None and lu.penilaian in (TANPA_STANDAR, BELUM):
                a.text(2, yi, lu.penilaian, va="center", fontsize=7, color="#7f8c8d")
        from matplotlib.patches import Patch

        a.legend(
            handles=[
                Patch(color="#27ae60", label="tepat waktu"),
                Patch(color="#c0392b", label="terlambat"),
                Patch(color="#95a5a6", label="berjalan"),
            ],
            loc="lower right",
            fontsize=8,
        )
        shares = [r2["persen_tepat"] for r2 in hasil.per_sop]
        b.barh(
            y,
            [0.0 if s is None else s for s in shares],
            color=["#c0392b" if s is not None and s < 50 else "#2980b9" for s in shares],
        )
        for yi, r2 in zip(y, hasil.per_sop, strict=True):
            if r2["dinilai_n"]:  # "1/2": on time of judged, readable also at 0 %
                b.text(
                    (r2["persen_tepat"] or 0) + 1,
                    yi,
                    f"{r2['tepat_n']}/{r2['dinilai_n']}",
                    va="center",
                    fontsize=7,
                )
        b.set_xlim(0, 110)
        b.set_xlabel("% tepat waktu")
        b.set_title(f"SOP {hasil.sop}: {hasil.jumlah_kegiatan_sop} kegiatan", fontsize=10)
        recon = {r["no"] for r in hasil.per_sop if r["rekonstruksi"]}
        a.set_yticks(y, [f"{n}*" if n in recon else str(n) for n in steps], fontsize=7)
        a.invert_yaxis()
        a.set_ylabel("langkah SOP (* rekonstruksi; pN = putaran ke-N)")
        fig.suptitle(f"Kepatuhan SOP: {hasil.nama}"[:110], fontsize=11)
        fig.tight_layout()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".tmp-{target.name}")
        fig.savefig(tmp, format="png", dpi=110)
        tmp.replace(target)
    finally:
        plt.close(fig)
    return target


def tabel_artefak(hasil: Kepatuhan) -> list[dict[str, Any]]:
    """The compliance as a Prefect table artifact's rows, one per round of a step: steps,
    times, judgement, whether the step is reconstructed; no names, no NIPs, no actors (who
    did a step is in the ledger, not in the orchestrator)."""
    rows = []
    for u in hasil.langkah:
        b = u.baris()
        rows.append(
            {
                "no": u.no,
                "langkah": u.kegiatan[:70],
                "putaran": u.putaran,
                "tingkat": u.tingkat,
                "rekonstruksi": u.rekonstruksi,
                "waktu_baku": u.waktu,
                "standar_jam": b["standar_jam"],
                "aktual_jam": b["aktual_jam"],
                "persen": b["persen"],
                "penilaian": u.penilaian,
            }
        )
    return rows


# --------------------------------------------------------------------------- 20 JP

KOLOM_PEGAWAI_JP = (
    Kolom("NIP", "nip", 21),
    Kolom("Nama", "nama_lengkap", 36),
    Kolom("Jabatan", "jabatan", 36),
    Kolom("Golongan", "golongan", 10),
    Kolom("Unit kerja", "unit_nama", 40),
    Kolom("JP", "jp", 7, "angka"),
    Kolom("Kekurangan JP", "kekurangan", 10, "angka"),
    Kolom("Keterangan", "keterangan", 14),
)
KOLOM_UNIT_JP = (
    Kolom("Unit kerja", "unit_nama", 45),
    Kolom("Pegawai", "pegawai", 9, "angka"),
    Kolom("Jumlah JP", "jp", 10, "angka"),
    Kolom("Rata-rata JP", "rata", 10, "angka"),
    Kolom(f"≥ {JP_TAHUNAN} JP", "cukup", 9, "angka"),
    Kolom(f"< {JP_TAHUNAN} JP", "kurang", 9, "angka"),
    Kolom("% terpenuhi", "persen", 10, "angka"),
)
KOLOM_RINCIAN_JP = (
    Kolom("NIP", "nip", 21),
    Kolom("Nama", "nama_lengkap", 36),
    Kolom("Unit kerja", "unit_nama", 40),
    Kolom("Pelatihan", "nama_kursus", 50),
    Kolom("Sumber", "sumber", 10),
    Kolom("JP", "jp", 7, "angka"),
    Kolom("Tanggal selesai", "tanggal_selesai", 12, "tanggal"),
)
#: Where an hour comes from, as a reader says it.
SUMBER_JP = {"siasn": "SIASN", "diklat": "kegiatan", "kegiatan": "kegiatan"}


def jp_pegawai(engine: Engine, tahun: int) -> pd.DataFrame:
    """Active employees with ``jp`` and ``kurang_20_jp`` in ``tahun`` (the candidate rule's
    own :func:`diklat.kegiatan.data.dengan_jp`), ``kekurangan`` and the printed name."""
    df = dengan_jp(engine, pegawai_frame(engine), tahun)
    df = df.assign(
        kekurangan=(JP_TAHUNAN - df["jp"]).clip(lower=0),
        keterangan=df["kurang_20_jp"].map({True: "kurang", False: "terpenuhi"}),
        nama_lengkap=[nama_lengkap(r) for r in _records(df)],
    )
    return df.sort_values(["unit_nama", "nama", "nip"]).reset_index(drop=True)


def laporan_jp(engine: Engine, tahun: int, path: str | Path) -> dict[str, Any]:
    """The 20 JP report of ``tahun``: sheets *Per pegawai* (below 20 filled red), *Kurang
    20 JP* (the natural candidate list), *Per unit kerja* and *Rincian* (every counted
    training). Returns counts (no names)."""
    df = jp_pegawai(engine, tahun)
    kurang = df[df["kurang_20_jp"]]
    per_unit = (
        df.groupby("unit_nama", dropna=False)
        .agg(
            pegawai=("id", "size"),
            jp=("jp", "sum"),
            rata=("jp", "mean"),
            kurang=("kurang_20_jp", "sum"),
        )
        .reset_index()
    )
    per_unit = per_unit.assign(
        unit_nama=per_unit["unit_nama"].fillna("(tanpa unit)"),
        cukup=per_unit["pegawai"] - per_unit["kurang"],
        rata=per_unit["rata"].round(1),
        persen=(100.0 * (per_unit["pegawai"] - per_unit["kurang"]) / per_unit["pegawai"]).round(1),
    )
    rincian = jp_rincian(engine, tahun).merge(
        df[["id", "nip", "nama_lengkap", "unit_nama"]], left_on="pegawai_id", right_on="id"
    )
    rincian = rincian.assign(sumber=rincian["sumber"].map(SUMBER_JP).fillna(rincian["sumber"]))
    rincian = rincian.sort_values(["unit_nama", "nama_lengkap", "tanggal_selesai"])
    tulis_buku(
        path,
        [
            Lembar("Per pegawai", KOLOM_PEGAWAI_JP, _records(df), sorot="kurang_20_jp"),
            Lembar(f"Kurang {JP_TAHUNAN} JP", KOLOM_PEGAWAI_JP, _records(kurang)),
            Lembar("Per unit kerja", KOLOM_UNIT_JP, _records(per_unit)),
            Lembar("Rincian", KOLOM_RINCIAN_JP, _records(rincian)),
        ],
        judul_lembar=f"Capaian {JP_TAHUNAN} JP tahun {tahun}",
    )
    return {
        "tahun": tahun,
        "pegawai": len(df),
        "kurang_20_jp": len(kurang),
        "terpenuhi": len(df) - len(kurang),
        "unit": len(per_unit),
        "pelatihan": len(rincian),
    }


# --------------------------------------------------------------------------- peserta

KOLOM_PESERTA = (
    Kolom("No", "nomor_urut", 5, "angka"),
    Kolom("NIP", "nip", 21),
    Kolom("Nama", "nama_lengkap", 36),
    Kolom("Jabatan", "jabatan", 40),
    Kolom("Golongan", "golongan", 10),
    Kolom("Pangkat", "pangkat", 24),
    Kolom("Unit kerja", "unit_nama", 45),
    Kolom("Status", "status", 13),
    Kolom("Nilai", "nilai", 8, "angka"),
    Kolom("Predikat", "predikat", 18),
    Kolom("Nomor sertifikat", "nomor_sertifikat", 28),
)
KOLOM_REKAP = (
    Kolom("Unit kerja", "unit_nama", 45),
    Kolom("Calon/peserta", "jumlah", 10, "angka"),
    Kolom("Ditolak/ditarik", "keluar", 10, "angka"),
    Kolom("Dipanggil", "dipanggil", 10, "angka"),
    Kolom("Hadir", "hadir", 8, "angka"),
    Kolom("Tidak hadir", "tidak_hadir", 9, "angka"),
    Kolom("Lulus", "lulus", 8, "angka"),
    Kolom("Tidak lulus", "tidak_lulus", 9, "angka"),
    Kolom("% hadir", "persen_hadir", 9, "angka"),
)
KOLOM_DATA = (Kolom("Uraian", "uraian", 36), Kolom("Nilai", "nilai", 60))

HADIR = ("hadir", "lulus", "tidak_lulus")


def baris_peserta(df: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """A participant frame (:func:`diklat.kegiatan.data.peserta_frame`) as rows of
    :data:`KOLOM_PESERTA`."""
    for r in _records(df):
        r["nama_lengkap"] = nama_lengkap(r)
        r["nomor_urut"] = int(r["nomor_urut"]) if r.get("nomor_urut") is not None else None
        yield r


def _tidak_hadir(df: pd.DataFrame) -> pd.Series:
    """Registered participants who did not come: cancelled at registration at the venue
    (:func:`diklat.masukan.catat_hadir` notes ``tidak hadir``)."""
    return (df["status"] == "batal") & (df["catatan"].fillna("") == "tidak hadir")


def rekap_kehadiran(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Attendance per agency and in total: listed, out (refused, withdrawn, cancelled
    before the summons), summoned, present, absent, passed, failed."""
    df = df.assign(unit_nama=df["unit_nama"].fillna("(tanpa unit)"))
    out = []

    def rekap(nama: str, d: pd.DataFrame) -> dict[str, Any]:
        tidak = int(_tidak_hadir(d).sum())
        hadir = int(d["status"].isin(HADIR).sum())
        dipanggil = hadir + tidak + int((d["status"] == "terdaftar").sum())
        return {
            "unit_nama": nama,
            "jumlah": len(d),
            "keluar": int(d["status"].isin(["ditolak", "batal"]).sum()) - tidak,
            "dipanggil": dipanggil,
            "hadir": hadir,
            "tidak_hadir": tidak,
            "lulus": int((d["status"] == "lulus").sum()),
            "tidak_lulus": int((d["status"] == "tidak_lulus").sum()),
            "persen_hadir": round(100.0 * hadir / dipanggil, 1) if dipanggil else None,
        }

    for nama, d in df.groupby("unit_nama", sort=True):
        out.append(rekap(str(nama), d))
    out.append(rekap("JUMLAH", df))
    return out


def data_laporan(session: Session, k: Kegiatan, df: pd.DataFrame) -> list[dict[str, Any]]:
    """The activity report's figures (laporan hasil kegiatan) as label/value rows."""
    total = rekap_kehadiran(df)[-1]
    nilai = df.loc[df["status"].isin(["lulus", "tidak_lulus"]), "nilai"].dropna()
    state = ledger.keadaan(session, k.id)
    path = get_sop(k.sop).steps_for(k.kondisi)
    now = utcnow()

    def tgl(d: dt.date | None) -> str:
        return d.strftime("%d-%m-%Y") if d else ""

    pairs: list[tuple[str, Any]] = [
        ("Kode kegiatan", k.kode),
        ("Nama pelatihan", k.nama),
        ("SOP", get_sop(k.sop).title),
        ("Penyelenggara", k.penyelenggara or ""),
        ("Tempat", k.tempat or ""),
        ("Tanggal mulai", tgl(k.tanggal_mulai)),
        ("Tanggal selesai", tgl(k.tanggal_selesai)),
        ("Jumlah JP", k.jumlah_jp or ""),
        ("Kuota", k.kuota or ""),
        ("Status kegiatan", k.status),
        ("Calon/peserta tercatat", total["jumlah"]),
        ("Unit kerja asal", int(df["unit_nama"].nunique())),
        ("Dipanggil", total["dipanggil"]),
        ("Hadir", total["hadir"]),
        ("Tidak hadir", total["tidak_hadir"]),
        ("Lulus", total["lulus"]),
        ("Tidak lulus", total["tidak_lulus"]),
        (
            "Persentase kehadiran",
            "" if total["persen_hadir"] is None else f"{total['persen_hadir']}%",
        ),
        ("Nilai rata-rata", "" if nilai.empty else round(float(nilai.mean()), 2)),
        (
            "Langkah SOP selesai",
            f"{sum(1 for s in path if s.no in state and state[s.no].status == ledger.SELESAI)} dari {len(path)}",
        ),
        (
            "Langkah SOP terlambat",
            sum(1 for s in path if s.no in state and state[s.no].terlambat(now)),
        ),
    ]
    return [{"uraian": a, "nilai": str(b)} for a, b in pairs]


def laporan_peserta(
    engine: Engine, session: Session, kode: str, path: str | Path
) -> dict[str, Any]:
    """The participant report of training ``kode``: *Peserta* (everyone), one sheet per
    agency, *Rekap kehadiran*, *Data laporan*. Returns counts."""
    k = kegiatan_by_kode(session, kode)
    df = peserta_frame(engine, k.id)
    sheets = [Lembar("Peserta", KOLOM_PESERTA, baris_peserta(df))]
    units = df.assign(unit_nama=df["unit_nama"].fillna("(tanpa unit)"))
    for nama, d in units.groupby("unit_nama", sort=True):
        label = _label_unit(session, d["unit_kode"].iloc[0], str(nama))
        sheets.append(Lembar(label, KOLOM_PESERTA, baris_peserta(d)))
    rekap = rekap_kehadiran(df)
    sheets += [
        Lembar("Rekap kehadiran", KOLOM_REKAP, rekap),
        Lembar("Data laporan", KOLOM_DATA, data_laporan(session, k, df)),
    ]
    tulis_buku(path, sheets, judul_lembar=f"Peserta {k.kode}")
    return {
        "kegiatan": k.kode,
        "peserta": len(df),
        "unit": len(sheets) - 3,
        "hadir": rekap[-1]["hadir"],
        "lulus": rekap[-1]["lulus"],
    }


def _label_unit(session: Session, kode: Any, nama: str) -> str:
    """A sheet name for an agency: its abbreviation when it has one (31 characters max)."""
    if kode is not None and not pd.isna(kode):
        singkatan = session.execute(
            select(UnitKerja.singkatan).where(UnitKerja.kode == str(kode))
        ).scalar_one_or_none()
        if singkatan:
            return str(singkatan)
    return nama
