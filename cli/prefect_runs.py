"""Cancelling a training's Prefect flow runs (``diklat kegiatan batal``) through Prefect's API.

Only a Prefect server that is already there is used: ``PREFECT_API_URL`` (environment or
profile), the local server of ``diklat server start`` or the stack of ``diklat up`` /
``make up`` (on whatever port it was given); a temporary server
would know none of the training's runs. The runs are the ids the training's rows name and the
runs named after it (``pd-<KODE>``, ``pk-<KODE>``); finished ones are left as they are. A
waiting (suspended, paused, scheduled) run is set Cancelled at once; a running run of a
deployment is set Cancelling (its runner stops the process and settles it Cancelled), a
running run without a deployment Cancelled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HasilRun:
    server: str | None = None  # the API used, None when no server answered
    dibatalkan: list[str] = field(default_factory=list)  # run names
    sudah_selesai: int = 0
    galat: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "dibatalkan": self.dibatalkan,
            "sudah_selesai": self.sudah_selesai,
            "galat": self.galat,
        }

    def kalimat(self) -> str:
        if self.server is None:
            return (
                "server Prefect tidak terjangkau: batalkan run kegiatan ini di UI Prefect "
                "bila masih ada"
            )
        if self.galat:
            return f"run Prefect tidak dapat dibatalkan ({self.galat}); batalkan di UI Prefect"
        if not self.dibatalkan:
            return "tidak ada run Prefect yang masih berjalan atau menunggu"
        return f"{len(self.dibatalkan)} run Prefect dibatalkan ({', '.join(self.dibatalkan)})"


def _api() -> str | None:
    from cli.prefect_server import _healthy, configured_api_url, local_server_url

    url = configured_api_url()
    if url:
        return url if _healthy(url) else None
    return local_server_url()


def batalkan_run(ids: list[str], names: list[str], message: str) -> HasilRun:
    """Cancel the non-terminal runs with these ids or names (see the module docstring)."""
    import os

    from cli.prefect_server import client_auth_from_server_setting

    api = _api()
    out = HasilRun(server=api)
    if api is None:
        return out
    client_auth_from_server_setting()
    os.environ["PREFECT_API_URL"] = api
    try:
        _batalkan(out, ids, names, message)
    except Exception as e:  # the training is cancelled already; say what is left to do
        from diklat.runs import safe_error

        out.galat = safe_error(e)
    return out


def _batalkan(out: HasilRun, ids: list[str], names: list[str], message: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterName
    from prefect.client.schemas.objects import StateType
    from prefect.states import Cancelled, Cancelling

    uuids = []
    for i in ids:
        try:
            uuids.append(uuid.UUID(str(i)))
        except ValueError:
            continue
    with get_client(sync_client=True) as c:
        found: dict[Any, Any] = {}
        if uuids:
            for r in c.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=uuids))
            ):
                found[r.id] = r
        if names:
            for r in c.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=names))
            ):
                found[r.id] = r
        for r in found.values():
            state = r.state
            if state is None or state.is_final():
                out.sudah_selesai += 1
                continue
            if state.type in (StateType.RUNNING, StateType.CANCELLING) and r.deployment_id:
                new: Any = Cancelling(message=message[:500])
            else:
                new = Cancelled(message=message[:500])
            c.set_flow_run_state(r.id, new, force=True)
            out.dibatalkan.append(r.name)
    from tasks.lanjut import hapus_jawaban

    for r in found.values():  # an answer a cancelled run held stays readable otherwise
        hapus_jawaban(str(r.id), "")
