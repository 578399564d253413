"""The package's layout is its architecture: layers that import only downwards, a private
engine, renderers that only draw, and small public namespaces (read from the source's
import statements, as a newcomer would)."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import scalelab

PACKAGE = Path(scalelab.__file__).resolve().parent
NAMESPACES = ("labs", "plots", "live", "quiz", "theory")

# Layer of each top-level part of the package; a module imports only lower layers, or
# its own part (a module of labs/ may import another module of labs/).
LAYERS = {
    "_validate": 0,
    "_keys": 0,
    "_timelines": 0,
    "distributions": 1,
    "workload": 1,
    "topology": 1,
    "brokers": 1,
    "eventdriven": 1,
    "resilience": 1,
    "results": 2,
    "theory": 2,
    "quiz": 2,
    "_engine": 3,
    "run": 4,
    "labs": 5,
    "plots": 6,
    "live": 7,
    "__init__": 8,
}
MODEL = {"distributions", "workload", "topology", "brokers", "eventdriven", "resilience"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """``(module imported, [names imported from it])`` for every import of ``scalelab``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "scalelab":
                found.append((target, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "scalelab"]
    return found


def _edges() -> dict[str, set[str]]:
    """Module -> the package modules it imports (a name that is a submodule counts)."""
    graph = {}
    for name, path in MODULES.items():
        targets = set()
        for module, names in _imports(name, path):
            subs = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
            targets.update(subs or [module])
            if subs and len(subs) < len(names):
                targets.add(module)
        graph[name] = targets - {name}
    return graph


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_folders_show_the_layers():
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == {
        "_engine",
        "labs",
        "plots",
    }
    assert set(map(_part, MODULES)) == set(LAYERS)


def test_imports_point_down_only():
    wrong = []
    for module, targets in _edges().items():
        mine = _part(module)
        for target in targets:
            theirs = _part(target)
            same_part = theirs == mine or {mine, theirs} <= MODEL
            if not same_part and LAYERS[theirs] >= LAYERS[mine]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_only_run_and_the_engine_import_the_engine():
    users = {m for m, targets in _edges().items() for t in targets if _part(t) == "_engine"}
    assert "scalelab.run" in users
    assert users <= {"scalelab.run"} | {m for m in MODULES if _part(m) == "_engine"}


def test_no_import_cycles():
    graph = _edges()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                raise AssertionError(" -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_no_module_imports_an_underscore_name_from_outside_its_own_package():
    # A name starting with "_" belongs to its parent (a module or a package); only modules
    # inside that parent may import it.
    wrong = []
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for module, names in _imports(name, path):
            for full in [module] + [f"{module}.{n}" for n in names]:
                parts = full.split(".")
                for i, part in enumerate(parts):
                    owner = ".".join(parts[:i])
                    private = part.startswith("_") and not part.startswith("__")
                    if private and not (package + ".").startswith(owner + "."):
                        wrong.append(f"{name}: {full}")
    assert wrong == []


@pytest.mark.parametrize("module", [m for m in MODULES if _part(m) == "plots"])
def test_plots_only_draw(module):
    """A renderer takes what a lab returned: it imports no simulator and no randomness,
    and from the labs only their result types and constants."""
    path = MODULES[module]
    for target, names in _imports(module, path):
        assert _part(target) not in ("run", "_engine"), f"{module} imports {target}"
        if _part(target) == "labs":
            lab = importlib.import_module(target)
            for n in names:
                assert isinstance(getattr(lab, n), type) or n.isupper(), f"{module}: {n}"
    tree = ast.parse(path.read_text())
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not attributes & {"random", "default_rng", "simulate"}, module


def test_no_file_is_over_about_500_lines():
    long = {n: len(p.read_text().splitlines()) for n, p in MODULES.items()}
    assert {n: lines for n, lines in long.items() if lines > 520} == {}


def test_the_public_namespaces_are_small_and_explicit():
    assert len(scalelab.__all__) <= 80
    for name in NAMESPACES:
        assert name in scalelab.__all__
        module = getattr(scalelab, name)
        assert module.__all__, name
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        assert missing == [], name
    assert all(hasattr(scalelab, n) for n in scalelab.__all__)


@pytest.mark.parametrize("namespace", ["scalelab", "scalelab.labs", "scalelab.plots"])
def test_no_public_name_shadows_a_module(namespace):
    package = importlib.import_module(namespace)
    modules = {p.stem for p in Path(package.__file__).parent.glob("*.py")}
    assert set(package.__all__) & modules <= set(NAMESPACES)


def test_importing_scalelab_does_not_import_matplotlib():
    code = "import sys, scalelab; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_api_reference_documents_exactly_each_namespace():
    """As SimPy keeps its ``__all__`` and its table of contents in sync."""
    page = (PACKAGE.parents[1] / "chapters" / "api_reference.md").read_text()
    documented = set(re.findall(r"^\.\. auto(?:class|function|data):: (scalelab\S*)", page, re.M))
    expected = {f"scalelab.{n}" for n in scalelab.__all__ if n not in NAMESPACES}
    for name in ("labs", "plots", "live", "quiz"):
        expected |= {f"scalelab.{name}.{n}" for n in getattr(scalelab, name).__all__}
        assert f".. automodule:: scalelab.{name}" in page
    assert set(scalelab.theory.__all__) <= set(scalelab.__all__)  # promoted, documented
    assert sorted(documented - expected) == [] and sorted(expected - documented) == []
