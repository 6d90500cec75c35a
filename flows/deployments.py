"""Every flow as a deployment, and the process that serves them (``diklat up`` starts it).

* ``sop-peningkatan-kapasitas/operator`` and ``sop-pengiriman-peserta/operator``: an operator
  starts a training from the Prefect UI with the training's form (the typed model of
  ``diklat.kegiatan.data.DataKegiatan``); starting the same training again continues it;
* ``sync-pegawai/nightly``: 01:00 in the agency's time zone;
* ``import-siasn-export/manual``: a file name inside the import folder;
* ``pantau-tenggat/per-jam``: reminders and escalation of late paraf and signatures;
* ``naskah-kegiatan/manual``, ``pemutakhiran-siasn/manual``: a training's letters, its SIASN
  write-back on their own;
* ``laporan-kepatuhan/manual``: a training's SOP compliance report (Excel, chart, archive);
* ``serah-srikandi/harian``: the day's SRIKANDI hand-over packages and list, at the end of
  each working day.

``python -m flows.deployments`` serves them all from one process (Prefect's ``serve``): each run
starts in a subprocess of its own; a suspended run is started again from the top on resume.
"""

from __future__ import annotations

import argparse
from typing import Any

#: The work pool ``--pool`` registers the deployments in when no name is given.
POOL = "diklat"
#: Every deployment as flow/deployment (what :func:`deployments` builds; a test keeps the two
#: equal), for messages that should not import Prefect.
NAMES = (
    "sop-peningkatan-kapasitas/operator",
    "sop-pengiriman-peserta/operator",
    "sync-pegawai/nightly",
    "import-siasn-export/manual",
    "pantau-tenggat/per-jam",
    "naskah-kegiatan/manual",
    "pemutakhiran-siasn/manual",
    "laporan-kepatuhan/manual",
    "serah-srikandi/harian",
)


def deployments(**kw: Any) -> list[Any]:
    """Every deployment; ``kw`` goes to each ``to_deployment`` (e.g. the entrypoint type)."""
    from flows import import_siasn_export, laporan, pantau_tenggat, serah_srikandi, sync_pegawai
    from flows.naskah_kegiatan import naskah_kegiatan
    from flows.pemutakhiran_siasn import pemutakhiran_siasn
    from flows.pengiriman_peserta import pengiriman_peserta
    from flows.peningkatan_kapasitas import peningkatan_kapasitas

    return [
        peningkatan_kapasitas.to_deployment(
            name="operator",
            tags=["sop", "000"],
            description="SOP 000 Peningkatan Kapasitas Kinerja ASN: isi formulir kegiatan "
            "lalu jalankan; menjalankan kegiatan yang sama lagi melanjutkannya",
            **kw,
        ),
        pengiriman_peserta.to_deployment(
            name="operator",
            tags=["sop", "002"],
            description="SOP 002 Pengiriman Peserta Diklat Teknis dan Fungsional (kondisi "
            "kewenangan_sekda: surat tugas ditandatangani Sekretaris Daerah)",
            **kw,
        ),
        sync_pegawai.deployment(**kw),
        import_siasn_export.deployment(**kw),
        pantau_tenggat.deployment(**kw),
        naskah_kegiatan.to_deployment(
            name="manual", tags=["naskah"], description="Naskah satu kegiatan", **kw
        ),
        pemutakhiran_siasn.to_deployment(
            name="manual", tags=["siasn"], description="Pemutakhiran riwayat kursus di SIASN", **kw
        ),
        laporan.deployment(**kw),
        serah_srikandi.deployment(**kw),
    ]


def serve(limit: int | None = None) -> None:  # pragma: no cover - blocks until stopped
    from prefect import serve as prefect_serve

    prefect_serve(*deployments(), limit=limit)


def register_in_pool(pool: str = POOL) -> list[str]:
    """Register every deployment in the process work pool ``pool`` (created when missing),
    for workers on this or other machines (``prefect worker start --pool diklat``). The
    entrypoints are module paths (``flows.sync_pegawai.sync_pegawai``), so a worker runs the
    installed package wherever it is; every worker needs the same settings (database, var
    folder or archive URL, SMTP) as the others. Returns the deployments' names."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments.runner import EntrypointType
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as c:
        try:
            c.read_work_pool(pool)
        except ObjectNotFound:
            c.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    names = []
    for d in deployments(entrypoint_type=EntrypointType.MODULE_PATH):
        d.apply(work_pool_name=pool)
        names.append(f"{d.flow_name}/{d.name}")
    return names


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - the command line
    ap = argparse.ArgumentParser(
        prog="python -m flows.deployments",
        description="Tanpa opsi: melayani semua deployment dari proses ini (seperti diklat "
        "up). Dengan --pool: mendaftarkannya di work pool untuk worker proses.",
    )
    ap.add_argument("limit", nargs="?", type=int, help="jumlah run bersamaan (serve)")
    ap.add_argument(
        "--pool",
        nargs="?",
        const=POOL,
        metavar="NAMA",
        help=f"daftarkan di work pool proses NAMA (bawaan {POOL}) lalu keluar",
    )
    a = ap.parse_args(argv)
    from diklat.db import migrate

    migrate()  # the flows check the schema, they never migrate it
    if a.pool:
        for name in register_in_pool(a.pool):
            print(f"{name} -> work pool {a.pool}")
        return
    serve(a.limit)


if __name__ == "__main__":  # pragma: no cover
    main()
