"""Thin Prefect tasks of the paraf and signature steps (diklat.persetujuan,
diklat.langkah_naskah). Results carry ids, counts and statuses: never a code or a NIP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from diklat.db import get_engine, session_scope
from diklat.settings import get_settings


def _out() -> Path:
    out = get_settings().output_dir
    assert out is not None
    return Path(out)


def kirim_surel(surat: Any) -> None:
    """Send an official's e-mail (a one-time code, a reminder) through the configured
    transport (the file outbox by default)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from connectors.mail import build_message
    from diklat.clients import mail_transport

    s = get_settings()
    msg, _mid = build_message(sender=s.smtp.sender, recipients=[surat.kepada],
                              subject=surat.subjek, body=surat.isi,
                              date=dt.datetime.now(ZoneInfo(s.timezone)))
    with mail_transport(s) as transport:
        transport.send(msg)


def ui_base() -> str | None:
    """The Prefect UI's address as this process knows it (for links in e-mails)."""
    try:
        from prefect.settings import get_current_settings

        cur = get_current_settings()
        url = cur.ui_url or (str(cur.api.url).removesuffix("/api") if cur.api.url else None)
        return str(url) if url else None
    except Exception:  # an unusual Prefect configuration: the domain falls back itself
        return None


def _deskripsi(r: dict[str, Any], req: Any, total: int) -> str:
    apa = "Tanda tangan" if req.kind == "tanda_tangan" else "Paraf"
    lines = [
        f"### {apa}: {r['jenis'].replace('_', ' ')} ({r['kegiatan']})",
        "",
        f"- **Kegiatan:** {r['nama_kegiatan']}",
        f"- **Hal:** {r['hal']}",
        f"- **Tujuan:** {r['tujuan']}",
        f"- **Versi:** {r['versi']}, **{r['jumlah']} naskah**, hash `{r['manifest'][:16]}`",
        f"- **Tingkat:** {req.urutan} dari {total} (peran `{req.peran}`, langkah SOP "
        f"{req.langkah})",
        f"- **Konsep PDF:** `{r['berkas']}`",
    ]
    if r["catatan_revisi"]:
        lines.append(f"- **Menjawab catatan revisi:** {r['catatan_revisi']}")
    lines += ["", "Isi NIP Anda dan kode verifikasi 6 digit dari surel. Revisi dan tolak "
                  "wajib disertai catatan."]
    return "\n".join(lines)


@task(name="buka-permintaan", task_run_name="permintaan-{bundel_id}-{urutan}",
      cache_policy=NO_CACHE)
def buka_permintaan_task(kode: str, bundel_id: int, urutan: int,
                         flow_run_id: str | None) -> dict[str, Any]:
    """Open the request of one level (once), send the code (once), describe it for the form."""
    from diklat import persetujuan as p
    from diklat.models import Bundel

    s = get_settings()
    with session_scope() as ses:
        b = ses.get(Bundel, bundel_id)
        assert b is not None
        levels = p.rantai(b)
        level = next(lv for lv in levels if lv["urutan"] == urutan)
        req = p.buka(ses, b, level, flow_run_id=flow_run_id)
        out = {"id": req.id, "status": req.status, "keputusan": req.keputusan,
               "kind": req.kind, "selesai": b.status in p.status.DIPUTUSKAN
               or b.status in p.status.BERAKHIR, "poll_seconds": s.approval.poll_seconds,
               "jawaban": p.jumlah_jawaban(ses, req.id)}
        if req.status == p.MENUNGGU:
            p.kirim_kode(ses, req, kirim_surel,
                         ui_url=p.tautan_run(flow_run_id, s, ui_base()), settings=s)
        out["deskripsi"] = _deskripsi(p.ringkasan(ses, b), req, len(levels))
        return out


@task(name="putuskan", cache_policy=NO_CACHE)
def putuskan_task(permintaan_id: int, nip: str, kode: str, keputusan: str, catatan: str,
                  flow_run_id: str | None) -> dict[str, Any]:
    """Check one answer; a refused one is committed (audited, counted) and returned."""
    from diklat import persetujuan as p

    with session_scope() as ses:
        h = p.putuskan(ses, permintaan_id, nip=nip, kode=kode, keputusan=keputusan,
                       catatan=catatan, flow_run_id=flow_run_id, kirim=kirim_surel,
                       ui_base=ui_base())
        return {"diterima": h.diterima, "alasan": h.alasan, "keputusan": h.keputusan,
                "selesai": h.selesai, "terkunci": h.terkunci}


@task(name="keadaan-naskah", task_run_name="naskah-{kode}-{jenis}", cache_policy=NO_CACHE,
      retries=1, retry_delay_seconds=2)
def keadaan_bundel_task(kode: str, jenis: str, pdf: bool) -> dict[str, Any]:
    """The current version drafted; what is left of its chain."""
    from diklat.langkah_naskah import siapkan

    return siapkan(get_engine(), kode, jenis, _out(), pdf=pdf)


@task(name="terbitkan-naskah", task_run_name="terbitkan-{kode}-{bundel_id}",
      cache_policy=NO_CACHE)
def terbitkan_bundel_task(kode: str, bundel_id: int, pdf: bool) -> dict[str, Any]:
    """Number, issue, stamp and sign (or make final) a decided bundle."""
    from diklat.langkah_naskah import selesaikan

    return selesaikan(get_engine(), kode, bundel_id, _out(), pdf=pdf)


@task(name="pantau-tenggat", cache_policy=NO_CACHE)
def pantau_tenggat_task() -> dict[str, int]:
    from diklat import persetujuan as p

    with session_scope() as ses:
        return p.pantau_tenggat(ses, kirim_surel).as_dict()
