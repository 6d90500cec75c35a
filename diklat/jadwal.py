"""Schedules as a person reads them: a cron expression in the agency's time zone put in words
("setiap hari pukul 01.00 WITA (zona waktu Asia/Makassar)"), for deployment descriptions,
which Prefect's deployment list shows without the schedule's time zone."""

from __future__ import annotations

#: Indonesian time-zone abbreviations of the IANA zones of Indonesia.
ZONA_LABEL = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
_HARI = ("Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu")


def zona_label(tz: str) -> str:
    """``WITA (zona waktu Asia/Makassar)``; another zone by its IANA name."""
    short = ZONA_LABEL.get(tz)
    return f"{short} (zona waktu {tz})" if short else f"zona waktu {tz}"


def _hari(field: str) -> str | None:
    """The day-of-week field in words, or None when it is not a plain list/range."""
    if field in ("*", "?"):
        return "setiap hari"
    if field in ("1-5", "MON-FRI", "mon-fri"):
        return "setiap hari kerja (Senin-Jumat)"
    try:
        days = [int(x) % 7 for x in field.split(",")]
    except ValueError:
        return None
    return "setiap " + ", ".join(_HARI[d] for d in days)


def keterangan_cron(cron: str, tz: str) -> str:
    """A five-field cron expression (minute hour day month weekday) in ``tz`` in words; a
    form this does not spell out is quoted as it is, with the zone."""
    parts = cron.split()
    if len(parts) == 5:
        minute, hour, dom, month, dow = parts
        hari = _hari(dow) if dom == "*" and month == "*" else None
        if hari and minute.isdigit() and hour.isdigit():
            return f"{hari} pukul {int(hour):02d}.{int(minute):02d} {zona_label(tz)}"
        if hari and minute.isdigit() and hour == "*":
            return f"{hari}, setiap jam pada menit ke-{int(minute)}, {zona_label(tz)}"
    return f"jadwal cron '{cron}', {zona_label(tz)}"
