"""The import rules of docs/architecture.md: the domain and the connectors never import Prefect
(nor the tasks, flows or CLI built on top of them), and the connectors never import the
domain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "diklat": {"prefect", "tasks", "flows", "cli", "bench"},
    # Connectors are built from the settings in ``diklat/clients.py``: they never import
    # the domain (``diklat/`` may import ``connectors/``, never the reverse).
    "connectors": {"prefect", "tasks", "flows", "cli", "bench", "simulator", "diklat"},
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules under {package}/"
    offenders = {
        str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN[package]) for f in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import prefect.tasks\ndef f():\n    from flows import x\n", encoding="utf-8")
    assert imported_roots(sample) == {"prefect", "flows"}


def test_the_command_line_starts_light() -> None:
    """Importing the CLI loads no database layer, orchestrator or PDF signer: quick commands
    and an early Ctrl-C stay cheap (each command imports what it needs)."""
    code = (
        "import sys, cli.main; heavy = [m for m in ('sqlalchemy', 'prefect', 'pyhanko', "
        "'pandas', 'docx') if m in sys.modules]; print(','.join(heavy))"
    )
    assert _in_a_new_process(code) == ""


def test_a_sop_flow_starts_without_pandas() -> None:
    """A deployed SOP run starts a new process at every resume; pandas (about 0.3 s of
    imports) is loaded only by the steps that make a DataFrame."""
    code = (
        "import sys, flows.peningkatan_kapasitas, flows.pengiriman_peserta; "
        "print('pandas' in sys.modules)"
    )
    assert _in_a_new_process(code) == "False"


def _in_a_new_process(code: str) -> str:
    """What ``code`` prints in a fresh interpreter started in the project folder."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()


def test_tasks_hold_no_sql() -> None:
    """Tasks are thin (issue 24): they call the domain, which owns every query. No task
    module imports SQLAlchemy or executes a statement itself."""
    offenders: dict[str, list[str]] = {}
    for f in sorted((ROOT / "tasks").rglob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
        found = sorted(imported_roots(f) & {"sqlalchemy", "sqlite3", "psycopg"})
        found += [
            f"execute() line {n.lineno}"
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("execute", "exec_driver_sql", "scalar", "scalars")
        ]
        if found:
            offenders[str(f.relative_to(ROOT))] = found
    assert offenders == {}


PACKAGES = ("diklat", "connectors", "tasks", "flows", "cli", "web", "simulator", "bench")


def import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports (at the top or inside a function)."""
    modules: dict[str, Path] = {}
    for pkg in PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            parts = f.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = f
    graph: dict[str, set[str]] = {}
    for name, f in modules.items():
        out: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"), filename=str(f))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            else:
                continue
            for t in targets:
                if t in modules and t != name and not name.startswith(f"{t}."):
                    out.add(t)
                    break
        graph[name] = out
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    import sys

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles() -> None:
    """Modules that import each other (directly or round a ring, at the top or inside a
    function) cannot be understood or moved one at a time (issue 24). The command line and
    the web pages had rings through their entry point and their page frame (cut by leaf
    modules: ``cli.berhenti``, ``web.halaman``); the domain had one of nine modules through
    the training record, which imported the readiness check and the letter step to start a
    training (now :mod:`diklat.mulai`, above all three)."""
    assert [sorted(c) for c in circles(import_graph())] == []


def test_the_circle_finder_finds_a_ring() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": set()}) == []


#: The domain's floors, lowest first (docs/architecture.md): a module imports its own floor
#: and the floors below, never one above. The core is every module directly in ``diklat/``
#: but the ones on top, and ``models``, ``rules`` and ``sop``.
FLOORS = ("core", "pegawai", "kegiatan", "naskah", "laporan", "atas")
ON_TOP = {"kesiapan", "mulai", "masukan", "perubahan"}


def floor_of(module: str) -> str:
    part = module.split(".")[1] if module.count(".") else ""
    if part in FLOORS[1:-1]:
        return part
    return "atas" if part in ON_TOP else "core"


def test_the_domain_is_built_in_floors() -> None:
    """No two folders of ``diklat/`` import each other (issue 24): personnel below the
    training record, below the letters, below the reports; the modules that act across them
    (a training's readiness and start, the operators' inputs, corrections) on top."""
    graph = import_graph()
    rank = {f: i for i, f in enumerate(FLOORS)}
    upward = sorted(
        f"{a} -> {b}"
        for a, outs in graph.items()
        if a.startswith("diklat")
        for b in outs
        if b.startswith("diklat.") and rank[floor_of(b)] > rank[floor_of(a)]
    )
    assert upward == []
    assert {floor_of(m) for m in graph if m.startswith("diklat.")} == set(FLOORS)
