"""The SOP catalogue: both training SOPs as validated data, loaded from the YAML files here.

Each ``*.yaml`` file next to this module is one SOP: its metadata (title, agency, SOP number,
legal basis, actors) and every step (``no``, ``kegiatan``, ``pelaksana``, ``kelengkapan``,
``waktu``, ``output``, ``keterangan``) as in the signed SOP, plus what the flows need to drive
it: the approval a step asks for (``approval``: paraf / paraf_berjenjang / tanda_tangan /
disposisi, with the chain of roles in order, the step to return to on "tidak setuju", and the
conditions that change it), the document type a step produces (``naskah``), and whether it
records it in the outgoing-letter register (``agenda``, "SOP Surat Keluar"), sends it
(``distribusi``) or archives (``arsip``).
Steps missing from the source are there too, marked ``reconstructed: true`` with the reason.

``load_catalogue()`` validates every file and refuses a malformed one with a
:class:`CatalogueError` naming the file, the step and the field.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from diklat.rules.durasi import Durasi, WaktuError, parse_waktu

CATALOGUE_DIR = Path(__file__).resolve().parent

JenisNaskah = Literal[
    "surat_permohonan_narasumber",
    "surat_pemberitahuan",
    "sk_panitia",
    "surat_panggilan",
    "undangan_pembukaan",
    "surat_tugas",
    "sertifikat",
    "laporan_kegiatan",
    "tanda_terima",
    "daftar_hadir",
]
#: Document types, shared with the letters work (templates, register classification codes);
#: a test keeps them equal to ``settings.DEFAULT_KLASIFIKASI``.
JENIS_NASKAH: tuple[str, ...] = get_args(JenisNaskah)
#: paraf: one initial; paraf_berjenjang: initials in the order of ``roles`` (paraf koordinasi);
#: tanda_tangan: the signature; disposisi: a superior's instruction on an incoming letter.
ApprovalKind = Literal["paraf", "paraf_berjenjang", "tanda_tangan", "disposisi"]


class CatalogueError(ValueError):
    """A malformed catalogue file. ``step`` is the step number (None: SOP level)."""

    def __init__(self, file: str | Path, step: int | None, field: str | None, message: str):
        self.file = str(file)
        self.step = step
        self.field = field
        self.message = message
        where = [self.file]
        if step is not None:
            where.append(f"langkah {step}")
        if field:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {message}")


class UnknownSop(KeyError):
    def __init__(self, code: str, known: list[str]) -> None:
        super().__init__(code)
        self.code = code
        self.known = known

    def __str__(self) -> str:
        return f"SOP {self.code!r} tidak ada; yang tersedia: {', '.join(self.known)}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Approval(_Strict):
    """A decision a step waits for. ``roles`` are role codes (``Sop.pelaksana`` keys, the same
    strings as ``Pejabat.peran``), in the order in which they decide."""

    kind: ApprovalKind
    roles: list[str] = Field(min_length=1)
    #: Step to go back to when the decision is "tidak setuju" (dikembalikan untuk diperbaiki).
    return_to: int | None = None
    #: Condition code (``Sop.kondisi``) -> the kind this decision takes when it holds, e.g. the
    #: head initials instead of signing when the signing authority is the Sekda.
    kind_when: dict[str, ApprovalKind] = Field(default_factory=dict)

    def kind_for(self, kondisi: Collection[str] = ()) -> ApprovalKind:
        """The kind of this decision for a training where the conditions ``kondisi`` hold."""
        for cond, kind in self.kind_when.items():
            if cond in kondisi:
                return kind
        return self.kind


class Step(_Strict):
    no: int = Field(ge=1)
    kegiatan: str = Field(min_length=1)  # activity text, verbatim from the SOP
    pelaksana: list[str] = Field(min_length=1)  # role codes (Sop.pelaksana keys)
    kelengkapan: str  # required inputs, verbatim
    waktu: str  # standard time, verbatim ("10 menit", "1 s.d 2 hari", "-")
    output: str
    keterangan: str = ""  # the Ket. column, verbatim
    approval: Approval | None = None
    naskah: JenisNaskah | None = None  # the document type this step produces or works on
    #: A register step: the letter is recorded and numbered in the outgoing-letter register
    #: (agenda surat keluar, "SOP Surat Keluar"). Not named ``register``: pydantic models have one.
    agenda: bool = False
    distribusi: bool = False  # sends a document out
    arsip: bool = False  # archives documents
    kondisi: str | None = None  # the step runs only when this condition (Sop.kondisi) holds
    #: A step done by people outside the system: the flow waits for an operator's report
    #: of this kind (selesai: done/when/note; balasan: candidates withdrawn by their agency;
    #: kehadiran / pendaftaran: who will come / who came; kit: who received a training kit;
    #: hasil: who did not pass).
    masukan: (
        Literal[
            "selesai", "balasan", "kehadiran", "pendaftaran", "kit", "hasil", "penawaran", "usulan"
        ]
        | None
    ) = None
    #: A step that happens on the training's own days: it cannot be recorded before the
    #: training's first day (``mulai``: registration, kits, the opening) or its last day
    #: (``selesai``: the training held, its results, the report received).
    saat: Literal["mulai", "selesai"] | None = None
    reconstructed: bool = False
    reconstructed_reason: str | None = None
    catatan: str | None = None  # how the catalogue reads an unclear row (not from the SOP)

    @field_validator("waktu")
    @classmethod
    def _waktu(cls, v: str) -> str:
        try:
            parse_waktu(v)
        except WaktuError as e:
            raise ValueError(str(e)) from None
        return v

    def applies(self, kondisi: Collection[str] = ()) -> bool:
        """Whether this step runs for a training where the conditions ``kondisi`` hold."""
        return self.kondisi is None or self.kondisi in kondisi

    @property
    def waktu_min(self) -> Durasi | None:
        return parse_waktu(self.waktu)[0]

    @property
    def waktu_max(self) -> Durasi | None:
        """The upper bound of the standard time: the step's deadline."""
        return parse_waktu(self.waktu)[1]


class Tingkat(_Strict):
    """One level of a document's approval chain: who decides, how, at which SOP step."""

    urutan: int  # 1, 2, ... in the order they decide
    kind: Literal["paraf", "tanda_tangan"]
    peran: str  # role code (Pejabat.peran)
    langkah: int  # the SOP step where this level decides
    return_to: int | None = None  # the step a revision goes back to


class RencanaNaskah(_Strict):
    """What the catalogue says about one document type for one training: the steps that
    draft it, its approval chain (paraf levels, then the signature), and the steps that
    register, send and archive it."""

    jenis: str
    langkah_draf: list[int]
    tingkat: list[Tingkat] = Field(default_factory=list)
    langkah_agenda: int | None = None
    langkah_distribusi: list[int] = Field(default_factory=list)
    langkah_arsip: list[int] = Field(default_factory=list)
    #: Other steps on the issued document (copies made, handed over to the head of division).
    langkah_lain: list[int] = Field(default_factory=list)

    @property
    def semua_langkah(self) -> list[int]:
        """Every SOP step this document passes."""
        return sorted(
            {
                *self.langkah_draf,
                *(t.langkah for t in self.tingkat),
                *([self.langkah_agenda] if self.langkah_agenda else []),
                *self.langkah_distribusi,
                *self.langkah_arsip,
                *self.langkah_lain,
            }
        )

    @property
    def penandatangan(self) -> str | None:
        """The role that signs (the last ``tanda_tangan`` level), None when nobody signs."""
        ttd = [t for t in self.tingkat if t.kind == "tanda_tangan"]
        return ttd[-1].peran if ttd else None

    @property
    def paraf(self) -> list[Tingkat]:
        return [t for t in self.tingkat if t.kind == "paraf"]

    @property
    def langkah_pertama(self) -> int:
        return min(self.langkah_draf or [t.langkah for t in self.tingkat])


class Pengesah(_Strict):
    jabatan: str
    nama: str
    pangkat: str | None = None
    nip: str


class Sop(_Strict):
    code: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    nomor_sop: str  # the SOP number (nomor SOP)
    kode_sop: str  # short id from the source file name ("000", "002")
    title: str
    title_asli: str  # the title exactly as printed
    pemerintah: str
    instansi: str
    unit: str | None = None
    timezone: str
    sumber: str  # the source text it was transcribed from
    tanggal_pembuatan: str | None = None
    tanggal_revisi: str | None = None
    tanggal_efektif: str | None = None
    disahkan_oleh: Pengesah
    dasar_hukum: list[str] = Field(default_factory=list)
    kualifikasi_pelaksana: list[str] = Field(default_factory=list)
    keterkaitan: list[str] = Field(default_factory=list)
    peralatan: list[str] = Field(default_factory=list)
    peringatan: list[str] = Field(default_factory=list)
    pencatatan: list[str] = Field(default_factory=list)
    pelaksana: dict[str, str] = Field(min_length=1)  # role code -> actor as in the header
    kondisi: dict[str, str] = Field(default_factory=dict)  # condition code -> meaning
    steps: list[Step] = Field(min_length=1)

    def step(self, no: int) -> Step:
        for s in self.steps:
            if s.no == no:
                return s
        raise KeyError(f"SOP {self.code} has no step {no}")

    def steps_for(self, kondisi: Collection[str] = ()) -> list[Step]:
        """The steps a training runs through, given the conditions that hold for it."""
        return [s for s in self.steps if s.applies(kondisi)]

    def rencana_naskah(self, kondisi: Collection[str] = ()) -> list[RencanaNaskah]:
        """Every document type the training's path produces, in the order the SOP first
        touches it, with its chain. A paraf level immediately followed by the signature of
        the same role is dropped (the head does not initial what he signs next: "Kabid PSDA
        -> Sekretaris -> Kepala BKPSDM signs")."""
        plans: dict[str, dict[str, Any]] = {}
        for step in self.steps_for(kondisi):
            if step.naskah is None:
                continue
            p = plans.setdefault(
                step.naskah,
                {
                    "jenis": step.naskah,
                    "langkah_draf": [],
                    "levels": [],
                    "langkah_agenda": None,
                    "langkah_distribusi": [],
                    "langkah_arsip": [],
                    "langkah_lain": [],
                    "first": step.no,
                },
            )
            if step.approval is not None and step.approval.kind != "disposisi":
                kind = step.approval.kind_for(kondisi)
                level_kind = "tanda_tangan" if kind == "tanda_tangan" else "paraf"
                for role in step.approval.roles:
                    p["levels"].append((level_kind, role, step.no, step.approval.return_to))
            elif not (step.agenda or step.distribusi or step.arsip):
                (p["langkah_lain"] if p["levels"] else p["langkah_draf"]).append(step.no)
            if step.agenda:
                p["langkah_agenda"] = step.no
            if step.distribusi:
                p["langkah_distribusi"].append(step.no)
            if step.arsip:
                p["langkah_arsip"].append(step.no)
        out = []
        for p in plans.values():
            first = p.pop("first")
            if not p["langkah_draf"]:  # the step that decides on it also makes it
                p["langkah_draf"] = [first]
            levels = p.pop("levels")
            kept = [
                lv
                for i, lv in enumerate(levels)
                if not (
                    lv[0] == "paraf"
                    and i + 1 < len(levels)
                    and levels[i + 1][0] == "tanda_tangan"
                    and levels[i + 1][1] == lv[1]
                )
            ]
            p["tingkat"] = [
                Tingkat(urutan=i + 1, kind=k, peran=r, langkah=no, return_to=back)
                for i, (k, r, no, back) in enumerate(kept)
            ]
            out.append(RencanaNaskah(**p))
        return sorted(out, key=lambda r: r.langkah_pertama)

    def rencana(self, jenis: str, kondisi: Collection[str] = ()) -> RencanaNaskah:
        for r in self.rencana_naskah(kondisi):
            if r.jenis == jenis:
                return r
        raise KeyError(f"SOP {self.code} tidak menghasilkan naskah {jenis!r}")

    def tingkat_langkah(self, kondisi: Collection[str] = ()) -> dict[int, list[int]]:
        """The levels each approval step of the training's path has (the ledger keeps one
        row per level): for a letter's chain the levels' positions in the chain
        (``Tingkat.urutan``), for a disposition its officials in order (1, 2, ...). Steps
        without an approval are absent (they have the one level 0)."""
        out: dict[int, list[int]] = {}
        for plan in self.rencana_naskah(kondisi):
            for t in plan.tingkat:
                out.setdefault(t.langkah, []).append(t.urutan)
        for step in self.steps_for(kondisi):
            if step.approval is not None and step.approval.kind == "disposisi":
                out[step.no] = list(range(1, len(step.approval.roles) + 1))
        return out

    @property
    def reconstructed_count(self) -> int:
        return sum(1 for s in self.steps if s.reconstructed)

    def pelaksana_nama(self, step: Step) -> list[str]:
        return [self.pelaksana[c] for c in step.pelaksana]

    def step_json(self, step: Step) -> dict[str, Any]:
        lo, hi = step.waktu_min, step.waktu_max
        return {
            "no": step.no,
            "kegiatan": step.kegiatan,
            "pelaksana": self.pelaksana_nama(step),
            "pelaksana_kode": list(step.pelaksana),
            "kelengkapan": step.kelengkapan,
            "waktu": step.waktu,
            "waktu_min": lo.iso() if lo else None,
            "waktu_max": hi.iso() if hi else None,
            "output": step.output,
            "keterangan": step.keterangan,
            "approval": step.approval.model_dump() if step.approval else None,
            "naskah": step.naskah,
            "agenda": step.agenda,
            "distribusi": step.distribusi,
            "arsip": step.arsip,
            "kondisi": step.kondisi,
            "masukan": step.masukan,
            "reconstructed": step.reconstructed,
            "rekonstruksi": step.reconstructed,
            "reconstructed_reason": step.reconstructed_reason,
            "catatan": step.catatan,
        }

    def as_json(self) -> dict[str, Any]:
        meta = self.model_dump(exclude={"steps"})
        return {
            "code": self.code,
            "title": self.title,
            **meta,
            "steps": [self.step_json(s) for s in self.steps],
        }


# -- loading ------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans only: ``no:`` (the step number key) must stay the string "no"."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _step_no(raw: Any, index: int) -> int | None:
    try:
        no = raw["steps"][index]["no"]
        return int(no) if isinstance(no, int | str) and str(no).isdigit() else None
    except (KeyError, IndexError, TypeError):
        return None


def _from_validation_error(path: Path, raw: Any, err: ValidationError) -> CatalogueError:
    first = err.errors()[0]
    loc = list(first["loc"])
    step: int | None = None
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        step = _step_no(raw, loc[1])
        if step is None:
            step_label = f"langkah ke-{loc[1] + 1} dalam daftar"
            loc = loc[2:]
            field = ".".join(str(p) for p in loc) or None
            return CatalogueError(path, None, field, f"{step_label}: {first['msg']}")
        loc = loc[2:]
    field = ".".join(str(p) for p in loc) or None
    value = first.get("input")
    got = f" (nilai: {value!r})" if isinstance(value, str | int | float | bool) else ""
    more = f" (dan {err.error_count() - 1} galat lain)" if err.error_count() > 1 else ""
    return CatalogueError(path, step, field, f"{first['msg']}{got}{more}")


def _check_sop(path: Path, sop: Sop) -> None:
    """Cross-field rules pydantic cannot see one field at a time."""
    nos = [s.no for s in sop.steps]
    seen: set[int] = set()
    for s in sop.steps:
        if s.no in seen:
            raise CatalogueError(path, s.no, "no", "nomor langkah ganda")
        seen.add(s.no)
    if nos != sorted(nos):
        raise CatalogueError(path, None, "steps", "langkah harus urut menurut nomor")
    missing = sorted(set(range(1, max(nos) + 1)) - seen)
    if missing:
        raise CatalogueError(
            path,
            missing[0],
            "no",
            f"langkah {', '.join(map(str, missing))} tidak ada (tambahkan, "
            f"bila perlu sebagai reconstructed: true)",
        )
    for s in sop.steps:
        for code in s.pelaksana:
            if code not in sop.pelaksana:
                raise CatalogueError(
                    path, s.no, "pelaksana", f"pelaksana {code!r} tidak ada di daftar pelaksana SOP"
                )
        if s.reconstructed and not (s.reconstructed_reason or "").strip():
            raise CatalogueError(
                path, s.no, "reconstructed_reason", "langkah rekonstruksi harus menyebut alasannya"
            )
        if not s.reconstructed and s.reconstructed_reason:
            raise CatalogueError(
                path,
                s.no,
                "reconstructed",
                "reconstructed_reason diisi tetapi reconstructed bukan true",
            )
        if s.kondisi is not None and s.kondisi not in sop.kondisi:
            raise CatalogueError(path, s.no, "kondisi", f"kondisi {s.kondisi!r} tidak dikenal")
        a = s.approval
        if a is None:
            continue
        for role in a.roles:
            if role not in sop.pelaksana:
                raise CatalogueError(
                    path,
                    s.no,
                    "approval.roles",
                    f"peran {role!r} tidak ada di daftar pelaksana SOP",
                )
        if a.return_to is not None and (a.return_to not in seen or a.return_to >= s.no):
            raise CatalogueError(
                path, s.no, "approval.return_to", f"langkah {a.return_to} bukan langkah sebelumnya"
            )
        for cond in a.kind_when:
            if cond not in sop.kondisi:
                raise CatalogueError(
                    path, s.no, "approval.kind_when", f"kondisi {cond!r} tidak dikenal"
                )


def load_sop_file(path: str | Path) -> Sop:
    """Read and validate one catalogue file."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except yaml.YAMLError as e:
        raise CatalogueError(path, None, None, f"YAML tidak valid: {e}") from e
    except OSError as e:
        raise CatalogueError(path, None, None, f"tidak dapat dibaca: {e}") from e
    if not isinstance(raw, dict):
        raise CatalogueError(path, None, None, "isi berkas harus berupa mapping (code, steps, ...)")
    try:
        sop = Sop.model_validate(raw)
    except ValidationError as e:
        raise _from_validation_error(path, raw, e) from e
    _check_sop(path, sop)
    return sop


def load_catalogue(directory: str | Path | None = None) -> dict[str, Sop]:
    """Every SOP in ``directory`` (default: the bundled catalogue), by code."""
    if directory is None:
        return dict(_bundled())
    return _load_dir(Path(directory))


def _load_dir(directory: Path) -> dict[str, Sop]:
    out: dict[str, Sop] = {}
    for path in sorted(directory.glob("*.yaml")):
        sop = load_sop_file(path)
        if sop.code in out:
            raise CatalogueError(path, None, "code", f"kode SOP {sop.code!r} dipakai dua kali")
        out[sop.code] = sop
    return out


@lru_cache(maxsize=1)
def _bundled() -> dict[str, Sop]:
    return _load_dir(CATALOGUE_DIR)


def get_sop(code: str) -> Sop:
    """One bundled SOP by code; :class:`UnknownSop` (a ``KeyError``) when there is none."""
    catalogue = _bundled()
    try:
        return catalogue[code]
    except KeyError:
        raise UnknownSop(code, sorted(catalogue)) from None
