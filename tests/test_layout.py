"""The layout holds its shape: imports run one way (no cycle, counting TYPE_CHECKING and function-level
imports), no shipped module over 400 lines, bot/ grouped into packages, no provider named outside its package."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("bot", "handlers", "request_bridge", "sandbox")


def modules() -> dict[str, Path]:
    found = {}
    for package in SHIPPED:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of ours that `name` imports, wherever in the file the import is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for imported in names:
            while imported and imported not in known:
                imported = imported.rpartition(".")[0]
            # A package's __init__ importing its own modules is how it presents them, not a dependency.
            if imported and imported != name and not imported.startswith(name + "."):
                targets.add(imported)
    return targets


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert cycles(graph) == []


def test_entry_points_sit_above_bot_and_handlers() -> None:
    known = modules()
    for name, path in known.items():
        if name.startswith(("bot", "handlers")):
            assert not any(t.startswith("request_bridge") for t in imports_of(name, path, known)), name
        if name.startswith("sandbox"):  # the demo's fakes stand alone
            assert not any(t.startswith(("bot", "handlers", "request_bridge"))
                           for t in imports_of(name, path, known)), name


def test_no_shipped_module_over_400_lines() -> None:
    big = {str(p.relative_to(ROOT)): n for p in modules().values() if (n := len(p.read_text().splitlines())) > 400}
    assert big == {}


def test_bot_is_grouped_into_packages() -> None:
    top = [p.name for p in (ROOT / "bot").glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(top) <= 12, sorted(top)
    for package in (ROOT / "bot").iterdir():
        if (package / "__init__.py").exists():
            assert ast.get_docstring(ast.parse((package / "__init__.py").read_text())), package.name


def test_providers_are_named_only_in_their_packages() -> None:
    for name, path in modules().items():
        if name.startswith("bot.providers") or name.startswith("sandbox"):
            continue
        text = path.read_text()
        assert not any(word in text for word in ("HUAWEI_", "JITSUDO_", "CLOUDFLARE_")), name
