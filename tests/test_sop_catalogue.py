"""The SOP catalogue against the seed texts it was transcribed from, and the loader's checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from diklat.rules.durasi import Durasi, WaktuError, parse_waktu
from diklat.sop import JENIS_NASKAH, CatalogueError, UnknownSop, get_sop, load_catalogue
from diklat.sop.catalogue import CATALOGUE_DIR, load_sop_file

SEEDS = Path(__file__).parent / "data" / "seeds"
EXPECTED = {
    "peningkatan-kapasitas": ("000_ea79f34aa2486f8a.txt", 45, set(range(22, 26))),
    "pengiriman-peserta": ("002_ec6ee83fa34c46b0.txt", 24, set(range(1, 13))),
}


def seed_rows(name: str) -> dict[int, dict[str, str]]:
    """Step rows of an exported SOP: tab-separated, first cell the step number, the last four
    cells Kelengkapan, Waktu, Output, Ket. (the actor columns in between lost their ticks)."""
    rows: dict[int, dict[str, str]] = {}
    for line in (SEEDS / name).read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) >= 6 and re.fullmatch(r"\d+", cells[0].strip()):
            rows[int(cells[0])] = {
                "kegiatan": cells[1].strip(),
                "kelengkapan": cells[-4].strip(),
                "waktu": cells[-3].strip(),
                "output": cells[-2].strip(),
                "keterangan": cells[-1].strip(),
            }
    return rows


def test_catalogue_has_both_sops() -> None:
    cat = load_catalogue()
    assert set(cat) == set(EXPECTED)
    assert get_sop("peningkatan-kapasitas").title == "Peningkatan Kapasitas Kinerja ASN"
    assert get_sop("pengiriman-peserta").title == "Pengiriman Peserta Diklat Teknis dan Fungsional"
    assert "Kutai Kartanegara" in get_sop("peningkatan-kapasitas").instansi
    assert "Pekalongan" in get_sop("pengiriman-peserta").instansi
    assert get_sop("pengiriman-peserta").nomor_sop == "000.8.3.3/034/BKPSDM/2025"
    assert get_sop("pengiriman-peserta").disahkan_oleh.nip == "197209131998031001"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_every_step_present_and_verbatim(code: str) -> None:
    seed_file, n_steps, gaps = EXPECTED[code]
    sop = get_sop(code)
    seed = seed_rows(seed_file)
    assert [s.no for s in sop.steps] == list(range(1, n_steps + 1))
    assert set(seed) == set(range(1, n_steps + 1)) - gaps  # the seed really lacks the gaps
    for step in sop.steps:
        if step.no in gaps:
            continue
        row = seed[step.no]
        assert not step.reconstructed, step.no
        for field in ("kegiatan", "kelengkapan", "waktu", "output", "keterangan"):
            assert getattr(step, field) == row[field], (code, step.no, field)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_gaps_marked_reconstructed_with_reason(code: str) -> None:
    _, _, gaps = EXPECTED[code]
    sop = get_sop(code)
    assert {s.no for s in sop.steps if s.reconstructed} == gaps
    assert sop.reconstructed_count == len(gaps)
    for no in gaps:
        step = sop.step(no)
        assert step.reconstructed_reason and len(step.reconstructed_reason) > 40
        assert step.pelaksana and step.kegiatan and step.waktu


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_times_parsed(code: str) -> None:
    for step in get_sop(code).steps:
        lo, hi = step.waktu_min, step.waktu_max
        if step.waktu == "-":
            assert lo is None and hi is None
        else:
            assert lo is not None and hi is not None
            assert lo.satuan == hi.satuan and lo.jumlah <= hi.jumlah


def test_specific_steps() -> None:
    pk, pp = get_sop("peningkatan-kapasitas"), get_sop("pengiriman-peserta")
    # paraf koordinasi berjenjang: the chain in the order of the Ket. column
    s4 = pk.step(4)
    assert s4.approval is not None and s4.approval.kind == "paraf_berjenjang"
    assert s4.approval.roles == ["kabid_psda", "sekretaris", "kepala"]
    s5 = pk.step(5).approval
    assert s5 is not None and s5.kind == "tanda_tangan" and s5.roles == ["kepala"]
    # register steps: every "SOP Surat Keluar" row is one
    for s in pk.steps:
        if "SOP Surat Keluar" in s.keterangan:
            assert s.agenda, s.no
    assert pp.step(18).agenda  # "Mengagendakan surat tugas peserta"
    # SOP 002: return-for-revision targets and the Sekda branch
    assert [pp.step(n).approval.return_to for n in (13, 14, 15)] == [12, 13, 14]  # type: ignore[union-attr]
    assert pp.step(15).approval.kind_when == {"kewenangan_sekda": "paraf"}  # type: ignore[union-attr]
    assert pp.step(16).kondisi == "kewenangan_sekda"
    assert pp.step(16).approval.roles == ["sekda"]  # type: ignore[union-attr]
    s15 = pp.step(15).approval
    assert s15 is not None
    assert s15.kind_for() == "tanda_tangan" and s15.kind_for({"kewenangan_sekda"}) == "paraf"
    assert 16 not in [s.no for s in pp.steps_for()]
    assert 16 in [s.no for s in pp.steps_for({"kewenangan_sekda"})]
    assert len(pk.steps_for()) == 45
    assert pp.step(15).waktu_min == Durasi(1, "hari") and pp.step(15).waktu_max == Durasi(2, "hari")
    assert pp.step(21).waktu_min is None
    # documents produced are among the shared document types
    produced = {s.naskah for sop in (pk, pp) for s in sop.steps if s.naskah}
    assert produced <= set(JENIS_NASKAH)
    from diklat.settings import DEFAULT_KLASIFIKASI

    assert tuple(DEFAULT_KLASIFIKASI) == JENIS_NASKAH  # one list of document types
    assert {
        "surat_permohonan_narasumber",
        "sk_panitia",
        "surat_panggilan",
        "undangan_pembukaan",
        "sertifikat",
        "laporan_kegiatan",
    } <= produced
    assert "surat_tugas" in {s.naskah for s in pp.steps}


def test_json_shape() -> None:
    data = get_sop("pengiriman-peserta").as_json()
    assert data["code"] == "pengiriman-peserta"
    step = data["steps"][14]
    for key in (
        "no",
        "kegiatan",
        "pelaksana",
        "kelengkapan",
        "waktu",
        "waktu_min",
        "waktu_max",
        "output",
        "keterangan",
        "approval",
        "reconstructed",
    ):
        assert key in step
    assert step["no"] == 15 and step["waktu_min"] == "P1D" and step["waktu_max"] == "P2D"
    assert step["pelaksana"] == ["Kepala Badan"]
    assert data["steps"][20]["waktu_min"] is None  # "-"


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("10 menit", "PT10M", "PT10M"),
        ("15 menit", "PT15M", "PT15M"),
        ("20 menit", "PT20M", "PT20M"),
        ("30 menit", "PT30M", "PT30M"),
        ("1 jam", "PT1H", "PT1H"),
        ("2 jam", "PT2H", "PT2H"),
        ("1 Hari", "P1D", "P1D"),
        ("1 hari", "P1D", "P1D"),
        ("2 hari", "P2D", "P2D"),
        ("3 hari", "P3D", "P3D"),
        ("1 s.d 2 hari", "P1D", "P2D"),
        ("3 s.d 5 hari", "P3D", "P5D"),
        ("1 s.d. 2 hari", "P1D", "P2D"),
        ("1 - 2 hari", "P1D", "P2D"),
        ("1 - 3 hari", "P1D", "P3D"),
        ("-", None, None),
    ],
)
def test_parse_waktu(text: str, lo: str | None, hi: str | None) -> None:
    a, b = parse_waktu(text)
    assert (a.iso() if a else None, b.iso() if b else None) == (lo, hi)
    if a is not None:
        assert Durasi.from_iso(a.iso()) == a


def test_durasi_units() -> None:
    assert Durasi(2, "jam").menit_kerja == 120
    assert Durasi(3, "hari").menit(480) == 1440
    with pytest.raises(ValueError):
        _ = Durasi(1, "hari").menit_kerja  # a working day has no fixed minutes by itself


@pytest.mark.parametrize("text", ["", "sebentar", "2 minggu", "5 - 2 hari", "0 menit", "1 s.d 2"])
def test_parse_waktu_rejects(text: str) -> None:
    with pytest.raises(WaktuError):
        parse_waktu(text)


# -- malformed catalogue files ---------------------------------------------------------------


def _write_variant(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load((CATALOGUE_DIR / "pengiriman-peserta.yaml").read_text(encoding="utf-8"))
    # safe_load reads the key "no" as False (YAML 1.1); put it back as the catalogue loader does
    for step in raw["steps"]:
        if False in step:
            step["no"] = step.pop(False)
    mutate(raw)
    path = tmp_path / "rusak.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _step(raw: dict, no: int) -> dict:  # type: ignore[type-arg]
    return next(s for s in raw["steps"] if s["no"] == no)


def test_valid_copy_loads(tmp_path: Path) -> None:
    sop = load_sop_file(_write_variant(tmp_path, lambda raw: None))
    assert len(sop.steps) == 24


@pytest.mark.parametrize(
    ("mutate", "step", "field", "words"),
    [
        (lambda r: _step(r, 14).update(waktu="sebentar"), 14, "waktu", "tidak dikenali"),
        (lambda r: _step(r, 7).pop("kegiatan"), 7, "kegiatan", "required"),
        (lambda r: _step(r, 9).update(pelaksana=["tukang_kopi"]), 9, "pelaksana", "tukang_kopi"),
        (
            lambda r: _step(r, 3).update(reconstructed_reason=""),
            3,
            "reconstructed_reason",
            "alasan",
        ),
        (
            lambda r: _step(r, 13).update(approval={"kind": "cap_jempol", "roles": ["kepala"]}),
            13,
            "approval.kind",
            "cap_jempol",
        ),
        (lambda r: _step(r, 14)["approval"].update(return_to=20), 14, "approval.return_to", "20"),
        (lambda r: _step(r, 19).update(naskah="surat_cinta"), 19, "naskah", "surat_cinta"),
        (lambda r: _step(r, 20).update(warna="merah"), 20, "warna", "not permitted"),
        (lambda r: r["steps"].remove(_step(r, 17)), 17, "no", "tidak ada"),
        (lambda r: _step(r, 18).update(no=19), 19, "no", "ganda"),
    ],
)
def test_malformed_rejected_naming_file_step_field(
    tmp_path: Path,
    mutate,
    step: int,
    field: str,  # type: ignore[no-untyped-def]
    words: str,
) -> None:
    path = _write_variant(tmp_path, mutate)
    with pytest.raises(CatalogueError) as info:
        load_sop_file(path)
    err = info.value
    assert err.file == str(path) and err.step == step and err.field == field
    message = str(err)
    assert "rusak.yaml" in message and f"langkah {step}" in message and f"'{field}'" in message
    assert words in message


def test_malformed_sop_level_and_yaml(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="'code'") as info:
        load_sop_file(_write_variant(tmp_path, lambda r: r.update(code="Bukan Kode")))
    assert info.value.step is None
    bad = tmp_path / "bukan.yaml"
    bad.write_text("code: [tidak ditutup\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="bukan.yaml.*YAML"):
        load_sop_file(bad)


def test_catalogue_dir_with_bad_file_fails(tmp_path: Path) -> None:
    _write_variant(tmp_path, lambda r: _step(r, 2).update(waktu="kapan-kapan"))
    with pytest.raises(CatalogueError, match="langkah 2"):
        load_catalogue(tmp_path)


def test_unknown_code() -> None:
    with pytest.raises(UnknownSop, match="pengiriman-peserta"):
        get_sop("tidak-ada")
    with pytest.raises(KeyError):
        get_sop("tidak-ada")


def test_document_plans_follow_the_catalogue() -> None:
    from diklat.sop.catalogue import get_sop

    sop000 = get_sop("peningkatan-kapasitas")
    plans = {p.jenis: p for p in sop000.rencana_naskah()}
    assert list(plans) == [
        "surat_permohonan_narasumber",
        "surat_pemberitahuan",
        "sk_panitia",
        "surat_panggilan",
        "daftar_hadir",
        "tanda_terima",
        "undangan_pembukaan",
        "sertifikat",
        "laporan_kegiatan",
    ]
    p = plans["surat_panggilan"]
    # Kabid PSDA -> Sekretaris -> Kepala BKPSDM signs (the head does not initial first)
    assert [(t.kind, t.peran, t.langkah) for t in p.tingkat] == [
        ("paraf", "kabid_psda", 19),
        ("paraf", "sekretaris", 19),
        ("tanda_tangan", "kepala", 20),
    ]
    assert (p.langkah_draf, p.langkah_agenda, p.langkah_distribusi) == ([17, 18], 21, [21])
    assert p.penandatangan == "kepala" and p.tingkat[0].return_to == 18
    assert plans["daftar_hadir"].penandatangan is None
    assert plans["sertifikat"].penandatangan == "kepala"

    sop002 = get_sop("pengiriman-peserta")
    tugas = sop002.rencana("surat_tugas")
    assert [(t.kind, t.peran) for t in tugas.tingkat] == [
        ("paraf", "analis_sdm"),
        ("paraf", "kabid_psda"),
        ("tanda_tangan", "kepala"),
    ]
    sekda = sop002.rencana("surat_tugas", ["kewenangan_sekda"])
    assert [(t.kind, t.peran, t.langkah) for t in sekda.tingkat] == [
        ("paraf", "analis_sdm", 13),
        ("paraf", "kabid_psda", 14),
        ("paraf", "kepala", 15),
        ("tanda_tangan", "sekda", 16),
    ]
    assert sekda.penandatangan == "sekda" and sekda.langkah_agenda == 18
