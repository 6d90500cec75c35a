"""Every flow as a deployment, and the process that serves them (``diklat up`` starts it).

* ``sop-peningkatan-kapasitas/operator`` and ``sop-pengiriman-peserta/operator``: an operator
  starts a training from the Prefect UI with the training's form (the typed model of
  ``diklat.kegiatan.DataKegiatan``); starting the same training again continues it;
* ``sync-pegawai/nightly``: 01:00 in the agency's time zone;
* ``import-siasn-export/manual``: a file name inside the import folder;
* ``pantau-tenggat/per-jam``: reminders and escalation of late paraf and signatures;
* ``naskah-kegiatan/manual``, ``pemutakhiran-siasn/manual``: a training's letters, its SIASN
  write-back on their own;
* ``laporan-kepatuhan/manual``: a training's SOP compliance report (Excel, chart, archive).

``python -m flows.deployments`` serves them all from one process (Prefect's ``serve``): each run
starts in a subprocess of its own; a suspended run is started again from the top on resume.
"""

from __future__ import annotations

from typing import Any


def deployments() -> list[Any]:
    from flows import import_siasn_export, laporan, pantau_tenggat, sync_pegawai
    from flows.naskah_kegiatan import naskah_kegiatan
    from flows.pemutakhiran_siasn import pemutakhiran_siasn
    from flows.pengiriman_peserta import pengiriman_peserta
    from flows.peningkatan_kapasitas import peningkatan_kapasitas

    return [
        peningkatan_kapasitas.to_deployment(
            name="operator", tags=["sop", "000"],
            description="SOP 000 Peningkatan Kapasitas Kinerja ASN: isi formulir kegiatan "
                        "lalu jalankan; menjalankan kegiatan yang sama lagi melanjutkannya"),
        pengiriman_peserta.to_deployment(
            name="operator", tags=["sop", "002"],
            description="SOP 002 Pengiriman Peserta Diklat Teknis dan Fungsional (kondisi "
                        "kewenangan_sekda: surat tugas ditandatangani Sekretaris Daerah)"),
        sync_pegawai.deployment(),
        import_siasn_export.deployment(),
        pantau_tenggat.deployment(),
        naskah_kegiatan.to_deployment(name="manual", tags=["naskah"],
                                      description="Naskah satu kegiatan"),
        pemutakhiran_siasn.to_deployment(name="manual", tags=["siasn"],
                                         description="Pemutakhiran riwayat kursus di SIASN"),
        laporan.deployment(),
    ]


def serve(limit: int | None = None) -> None:  # pragma: no cover - blocks until stopped
    from prefect import serve as prefect_serve

    prefect_serve(*deployments(), limit=limit)


if __name__ == "__main__":  # pragma: no cover
    import sys

    serve(int(sys.argv[1]) if len(sys.argv) > 1 else None)
