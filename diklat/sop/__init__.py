"""The SOP catalogue (one YAML file per SOP) and its loader. See :mod:`diklat.sop.catalogue`."""

from diklat.sop.catalogue import (
    JENIS_NASKAH,
    Approval,
    CatalogueError,
    Sop,
    Step,
    UnknownSop,
    get_sop,
    load_catalogue,
    load_sop_file,
)

__all__ = [
    "JENIS_NASKAH",
    "Approval",
    "CatalogueError",
    "Sop",
    "Step",
    "UnknownSop",
    "get_sop",
    "load_catalogue",
    "load_sop_file",
]
