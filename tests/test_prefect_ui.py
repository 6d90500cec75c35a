"""The product as its users meet it: ``diklat up`` behind Prefect's basic authentication, an
operator starting a training from its deployment's form in the Prefect UI and an official
resuming the waiting run from the UI's resume form with the code from his e-mail. Driven in a
real browser (Debian's chromium through chromium-driver, headless).

The screenshots the README uses are taken here: into ``$DIKLAT_SCREENSHOTS`` (e.g.
``DIKLAT_SCREENSHOTS=docs/img``) when set, else into the test's temporary folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from sqlalchemy import Engine, func, select

from diklat.db import get_engine, migrate, session_scope
from diklat.models import AuditPersetujuan, Permintaan, SopStepLog
from diklat.naskah.register import today
from diklat.pegawai.pejabat import simpan_pejabat
from diklat.pegawai.personnel import PersonnelWriter
from diklat.settings import reset_settings_cache
from flows.deployments import NAMES
from tests.prefect_support import using_prefect_api
from tests.sop_support import browser, codes_for

ROOT = Path(__file__).resolve().parent.parent
AUTH = "operator:rahasia-uji-ui"
KODE = "PD-UI-1"
OFFICIALS = {
    "kabid_psda": "198005122005022003",
    "sekretaris": "197706142003121004",
    "kepala": "197209131998031001",
    "analis_sdm": "199001012015031001",
    "sekda": "196801011990031001",
    # who corrects the assignment letter when it is sent back (a training is
    # refused at its start without one)
    "pengolah_data": "199305102020121002",
    # who reports the outside steps (simulator.petugas.NIP_OPERATOR)
    "operator": "199203152019031004",
}
#: what ``diklat up`` serves (flow/deployment)
DEPLOYMENTS = set(NAMES)
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    ui: str
    api: str
    var: Path
    log: Path

    def settings(self) -> Any:
        """This process's Prefect client pointed at the stack, with the credentials."""
        return using_prefect_api(self.api, PREFECT_API_AUTH_STRING=AUTH)


def _seed() -> None:
    """Officials of every role, one unit with one employee (SOP 002, one participant)."""
    migrate()
    engine = get_engine()
    w = PersonnelWriter(engine, None, sumber="simpeg")
    w.upsert_units([{"kode": "U1", "nama": "Dinas Arsip dan Perpustakaan"}])
    w.write(
        [
            {
                "nip": "198501012010012001",
                "nama": "SITI AMINAH",
                "unit_kode": "U1",
                "golongan": "III/a",
                "jabatan": "Arsiparis Ahli Pertama",
            }
        ]
    )
    with session_scope(engine) as s:
        for peran, nip in OFFICIALS.items():
            simpan_pejabat(
                s,
                nip=nip,
                nama=f"PEJABAT {peran.upper()}",
                peran=peran,
                jabatan=f"Jabatan {peran}",
                email=f"{peran}@example.go.id",
            )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """``diklat up`` (Prefect server + UI, web page, every deployment on its warm worker)
    behind basic authentication, on free ports, with a fresh database and Prefect history."""
    from connectors import pdf as pdfconn

    if not pdfconn.available():
        if os.environ.get("DIKLAT_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice required")
        pytest.skip("LibreOffice needed to sign PDFs")
    var = tmp_path_factory.mktemp("stack") / "var"
    port, web_port = _free_port(), _free_port()
    stack = Stack(
        ui=f"http://127.0.0.1:{port}", api=f"http://127.0.0.1:{port}/api", var=var, log=var / "log"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DIKLAT_VAR_DIR", str(var))
        mp.delenv("DIKLAT_DATABASE_URL", raising=False)
        reset_settings_cache()
        _seed()
        reset_settings_cache()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PREFECT_") or k == "PREFECT_LOGGING_LEVEL"
    }
    env.update(
        {
            "DIKLAT_VAR_DIR": str(var),
            "DIKLAT_APPROVAL__POLL_SECONDS": "1",
            "PREFECT_SERVER_API_AUTH_STRING": AUTH,
        }
    )
    env.pop("DIKLAT_DATABASE_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "up",
            "--port",
            str(port),
            "--web-port",
            str(web_port),
            "--tanpa-simulator",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=(var / "up.out").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, (var / "up.out").read_text()
            try:
                r = requests.post(
                    f"{stack.api}/deployments/filter",
                    json={},
                    timeout=5,
                    auth=tuple(AUTH.split(":", 1)),
                )  # type: ignore[arg-type]
                if r.status_code == 200 and len(r.json()) == len(DEPLOYMENTS):
                    break  # every deployment registered (they come one by one)
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the stack never served its deployments"
            time.sleep(1)
        yield stack
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # diklat up stops its children itself
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def at_stack(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """This test reads the stack's database and talks to its Prefect API."""
    monkeypatch.setenv("DIKLAT_VAR_DIR", str(stack.var))
    reset_settings_cache()
    with stack.settings():
        yield stack


# --------------------------------------------------------------------------- access


def test_cli_clients_send_the_servers_auth_string(monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.prefect_server import client_auth_from_server_setting

    monkeypatch.delenv("PREFECT_API_AUTH_STRING", raising=False)
    monkeypatch.setenv("PREFECT_SERVER_API_AUTH_STRING", AUTH)
    client_auth_from_server_setting()
    assert os.environ["PREFECT_API_AUTH_STRING"] == AUTH
    monkeypatch.setenv("PREFECT_API_AUTH_STRING", "lain:lain")  # its own: kept
    client_auth_from_server_setting()
    assert os.environ["PREFECT_API_AUTH_STRING"] == "lain:lain"


@pytest.mark.slow
def test_api_refuses_unauthenticated_and_served_deployments_still_run(at_stack: Stack) -> None:
    from prefect.deployments import run_deployment

    api = at_stack.api
    assert requests.get(f"{api}/health", timeout=10).status_code == 200  # probes stay open
    assert requests.post(f"{api}/deployments/filter", json={}, timeout=10).status_code == 401
    assert (
        requests.post(
            f"{api}/deployments/filter", json={}, timeout=10, auth=("operator", "salah")
        ).status_code
        == 401
    )
    ok = requests.post(
        f"{api}/deployments/filter", json={}, timeout=10, auth=tuple(AUTH.split(":", 1))
    )  # type: ignore[arg-type]
    assert ok.status_code == 200
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:  # this process's client sends the credentials
        served = {f"{c.read_flow(d.flow_id).name}/{d.name}" for d in c.read_deployments()}
    assert served == DEPLOYMENTS
    # the UI knows it must ask for the password
    assert requests.get(f"{at_stack.ui}/ui-settings", timeout=10).json()["auth"] == "BASIC"
    # the process that serves the deployments got the credentials: a cheap run completes
    fr = run_deployment("pantau-tenggat/per-jam", timeout=180, poll_interval=1)
    assert not isinstance(fr, Coroutine)  # called from sync code: the run itself
    assert fr.state is not None and fr.state.is_completed(), fr.state


# --------------------------------------------------------------------------- browser


def _shots_dir(tmp_path: Path) -> Path:
    where = os.environ.get("DIKLAT_SCREENSHOTS")
    out = (ROOT / where) if where and not Path(where).is_absolute() else Path(where or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _until(what: str, fn: Callable[[], T | None], timeout: float = 150) -> T:
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _paused_key(flow_run_id: str) -> str | None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        st = c.read_flow_run(flow_run_id).state  # type: ignore[arg-type]
    return str(st.state_details.pause_key or "") if st is not None and st.is_paused() else None


def _answer_operator_steps_until_an_official_waits(engine: Engine) -> Permintaan:
    """Operators report the outside steps before the first letter (the offer received, the
    dispositions) through the API, with the form each step asks for, as the scripted operator
    of the demo and the SOP tests does; returns the first open request once its run waits
    for the official."""
    from simulator.petugas import Petugas

    operator = Petugas(engine, Path("."))  # only its operator: answers "l<step>-" waits
    answered: set[tuple[str, str]] = set()

    def step() -> Permintaan | None:
        with session_scope(engine) as s:
            p = (
                s.execute(
                    select(Permintaan).where(
                        Permintaan.status == "menunggu", Permintaan.flow_run_id.is_not(None)
                    )
                )
                .scalars()
                .first()
            )
            if p is not None and _paused_key(str(p.flow_run_id)) is not None:
                s.expunge(p)
                return p
            waits = [
                (r.flow_run_id, r.step_no)
                for r in s.execute(
                    select(SopStepLog).where(
                        SopStepLog.status == "menunggu", SopStepLog.flow_run_id.is_not(None)
                    )
                ).scalars()
            ]
        for fr_id, _no in waits:
            key = _paused_key(str(fr_id))
            if key is None or (str(fr_id), key) in answered:
                continue
            if key.startswith("l") and operator._operator(str(fr_id), key):
                answered.add((str(fr_id), key))
        return None

    return _until("the first official's wait", step, timeout=240)


@pytest.mark.slow
def test_operator_starts_and_official_resumes_in_the_prefect_ui(
    at_stack: Stack, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    ui = at_stack.ui
    engine = get_engine()
    shots = _shots_dir(tmp_path)
    d = browser((1280, 800))

    def shot(name: str) -> None:
        """A screenshot without the transient toasts (run created, Prefect Cloud offers)."""
        for b in d.find_elements(By.CSS_SELECTOR, ".p-toast__close-btn"):
            with contextlib.suppress(Exception):
                b.click()
        WebDriverWait(d, 15).until(
            lambda _: (
                not any(
                    t.is_displayed() for t in d.find_elements(By.CSS_SELECTOR, ".p-toast__card")
                )
            )
        )
        d.save_screenshot(str(shots / f"{name}.png"))

    def graph_drawn() -> None:
        """The run's graph has its data (drawn on a canvas in the next frames)."""
        WebDriverWait(d, 30).until(
            lambda _: d.execute_script(
                "return performance.getEntriesByType('resource')"
                ".some(e => e.name.includes('/graph') && e.responseEnd > 0)"
            )
        )
        d.execute_async_script(
            "const done = arguments[0]; requestAnimationFrame(() => "
            "requestAnimationFrame(() => done()))"
        )

    def visible(xpath: str, timeout: float = 60) -> WebElement:
        return WebDriverWait(d, timeout).until(  # type: ignore[no-any-return]
            ec.visibility_of_element_located((By.XPATH, xpath))
        )

    def click(xpath: str, timeout: float = 60) -> None:
        WebDriverWait(d, timeout).until(ec.element_to_be_clickable((By.XPATH, xpath))).click()

    def prop(label: str) -> WebElement:
        """One field of a Prefect schema form, by its label."""
        return d.find_element(
            By.XPATH,
            (
                "//div[contains(concat(' ', @class, ' '), ' schema-form-property ')]"
                "[./div[@class='p-label__header']//span[contains(@class, "
                f"'schema-form-property__label') and normalize-space()='{label}']]"
            ),
        )

    def field(label: str, css: str) -> WebElement:
        def found(_: Any) -> WebElement | bool:
            try:
                els = [
                    e for e in prop(label).find_elements(By.CSS_SELECTOR, css) if e.is_displayed()
                ]
            except StaleElementReferenceException:  # the form re-rendered: look again
                return False
            return els[0] if els else False

        return WebDriverWait(d, 20).until(found)  # type: ignore[return-value]

    def choose(label: str, kind: str) -> None:
        """An optional field: pick its type (the form starts at "None")."""
        prop(label).find_element(By.XPATH, f".//button[normalize-space()='{kind}']").click()

    try:
        # --- login: the UI asks for the auth string once
        d.get(f"{ui}/deployments")
        pw = visible("//input[@type='password']")
        pw.send_keys(AUTH)
        shot("ui-00-login")
        pw.send_keys(Keys.ENTER)
        # in: the password is kept in this browser; a fresh page without the login's toasts
        visible("//a[normalize-space()='sop-pengiriman-peserta']")
        d.get(f"{ui}/deployments")

        # --- the operator: Deployments -> sop-pengiriman-peserta/operator -> Run -> Custom run
        row = (
            "//a[normalize-space()='sop-pengiriman-peserta']/ancestor::tr"
            "//a[normalize-space()='operator']"
        )
        visible(row)
        shot("ui-01-deployments")
        click(row)
        click("//button[normalize-space()='Run']")
        click("//button[normalize-space()='Custom run']")
        visible("//span[normalize-space()='Kode kegiatan']")
        mulai = selesai = today()
        field("Kode kegiatan", "textarea").send_keys(KODE)
        field("SOP", "textarea").send_keys("pengiriman-peserta")
        field("Nama pelatihan", "textarea").send_keys("Diklat Teknis Arsiparis")
        field("Tanggal mulai", "input[type=date]").send_keys(mulai.strftime("%m%d%Y"))
        field("Tanggal selesai", "input[type=date]").send_keys(selesai.strftime("%m%d%Y"))
        choose("Jenis diklat (SIASN) (Optional)", "str")
        field("Jenis diklat (SIASN) (Optional)", "textarea").send_keys("3")
        choose("Tempat (Optional)", "str")
        field("Tempat (Optional)", "textarea").send_keys("Semarang")
        choose("Jumlah JP (Optional)", "int")
        field("Jumlah JP (Optional)", "input").send_keys("40")
        choose("Kuota peserta (Optional)", "int")
        field("Kuota peserta (Optional)", "input").send_keys("1")
        choose("Penyelenggara (Optional)", "str")
        field("Penyelenggara (Optional)", "textarea").send_keys("BPSDMD Provinsi Jawa Tengah")
        prop("Unit kerja (Optional)").find_element(
            By.XPATH, ".//button[normalize-space()='Add item']"
        ).click()
        field("Unit kerja (Optional)", "textarea, input").send_keys("U1")
        d.execute_script(
            "arguments[0].scrollIntoView({block: 'start'})",
            d.find_element(By.XPATH, "//*[normalize-space()='Parameters']"),
        )
        shot("ui-02-run-form")
        click("//button[normalize-space()='Submit']")
        visible("//*[contains(normalize-space(), 'scheduled to start')]")

        # the run carries the typed training the form made
        def started() -> Any:
            with get_client(sync_client=True) as c:
                runs = c.read_flow_runs()
            return next(
                (r for r in runs if r.parameters.get("kegiatan", {}).get("kode") == KODE), None
            )

        fr = _until("the run started from the form", started, timeout=60)
        assert fr.parameters["kegiatan"]["nama"] == "Diklat Teknis Arsiparis"
        assert fr.parameters["kegiatan"]["mulai"] == mulai.isoformat()
        assert fr.parameters["kegiatan"]["kriteria"]["unit"] == ["U1"]

        # --- the outside steps before the first letter: operators, through the API
        p = _answer_operator_steps_until_an_official_waits(engine)
        assert p.flow_run_id == str(fr.id)
        nip = OFFICIALS[p.peran]
        code = _until(
            "the e-mailed code", lambda: codes_for(f"{p.peran}@example.go.id"), timeout=60
        )[-1]

        # --- the official: Runs -> the waiting run -> Resume -> decision, NIP, code
        d.get(f"{ui}/runs")
        click(f"//a[normalize-space()='pd-{KODE}']")
        visible("//*[normalize-space()='Suspended']")
        visible("//button[normalize-space()='Resume']")
        graph_drawn()
        shot("ui-03-paused-run")
        click("//button[normalize-space()='Resume']")
        visible("//span[normalize-space()='NIP Anda']")
        _fill_keputusan(prop, "setuju")
        field("NIP Anda", "textarea, input").send_keys(nip)
        field("Kode verifikasi", "textarea, input").send_keys(code)
        field("Catatan (wajib untuk revisi dan tolak) (Optional)", "textarea, input").send_keys(
            "Setuju, lanjutkan."
        )
        shot("ui-04-resume-form")
        before = _audits(engine)
        click("//div[contains(@class, 'p-modal')]//button[normalize-space()='Submit']")

        # --- the flow continues: the decision is audited, the next official waits (after
        # the operator's report of the next step, which comes first)
        _until("the audited decision", lambda: _audits(engine) > before, timeout=120)
        nxt = _answer_operator_steps_until_an_official_waits(engine)
        assert nxt.id != p.id
        assert nxt.flow_run_id == str(fr.id) and nxt.peran != p.peran
        d.refresh()
        visible("//*[normalize-space()='Suspended']")
        graph_drawn()
        shot("ui-05-continued-run")
    except Exception:
        (tmp_path / "failure.html").write_text(d.page_source)
        d.save_screenshot(str(tmp_path / "failure.png"))
        print(f"browser state at the failure: {tmp_path}/failure.html, failure.png")
        raise
    finally:
        d.quit()

    with session_scope(engine) as s:
        audit = (
            s.execute(select(AuditPersetujuan).where(AuditPersetujuan.permintaan_id == p.id))
            .scalars()
            .all()
        )
        assert [(a.hasil, a.nip, a.peran, a.keputusan, a.catatan) for a in audit] == [
            ("diterima", nip, p.peran, "setuju", "Setuju, lanjutkan.")
        ]
        assert audit[0].flow_run_id == str(fr.id)
        decided = s.get(Permintaan, p.id)
        assert decided is not None and decided.status == "diputuskan"

    # What reached Prefect from the official: the decision, the NIP, the code and the note
    # (Prefect keeps an answer as the run input "<state>-<wait>-response"), and only until the
    # flow has processed it: no code stays readable there.
    with get_client(sync_client=True) as c:
        inputs = c.filter_flow_run_input(fr.id, key_prefix="", limit=200, exclude_keys=set())
    answers = [json.loads(i.value) for i in inputs if i.key.endswith("-response")]
    assert not [a for a in answers if "kode" in a], answers
    assert all(code not in i.value for i in inputs)
    schemas = [
        json.loads(i.value)
        for i in inputs
        if i.key.endswith("-schema") and "kode" in json.loads(i.value).get("properties", {})
    ]
    assert schemas and all(
        set(sc["properties"]) == {"keputusan", "nip", "kode", "catatan", "dokumen"}
        for sc in schemas
    )

    with get_client(sync_client=True) as c:  # leave nothing waiting for the next test
        from prefect.states import Cancelled

        c.set_flow_run_state(fr.id, Cancelled(), force=True)


def _audits(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(AuditPersetujuan)) or 0)


def _fill_keputusan(prop: Callable[[str], Any], value: str) -> None:
    """The decision: an enum, a native select in Prefect's form."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(prop("Keputusan").find_element(By.CSS_SELECTOR, "select")).select_by_value(value)
