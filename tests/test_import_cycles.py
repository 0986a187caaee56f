"""
Imports between the package's modules flow one way. A cycle works only as
long as something imports its modules in a lucky order, so none is allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import readonly_scopes

PACKAGE = Path(readonly_scopes.__file__).resolve().parent


def module_name(path: Path, root: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path) -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def runs_at_import(tree: ast.Module) -> list[ast.stmt]:
    """Statements run when the module is imported: not in functions or TYPE_CHECKING."""
    found: list[ast.stmt] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        found.append(node)
        for field in ("body", "orelse", "finalbody", "handlers"):
            pending.extend(getattr(node, field, []))
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that importing ``name`` imports directly."""
    targets: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in runs_at_import(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in known else base)
    return {target for target in targets if target in known and target != name}


def import_graph(root: Path) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imported(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each module that is on any, shortest first."""
    found = []
    for start in sorted(graph):
        paths = [[start]]
        seen = {start}
        while paths:
            path = paths.pop(0)
            for target in sorted(graph[path[-1]]):
                if target == start:
                    found.append([*path, start])
                    paths = []
                    break
                if target not in seen:
                    seen.add(target)
                    paths.append([*path, target])
    return found


def test_no_import_cycle_between_the_package_modules() -> None:
    graph = import_graph(PACKAGE)
    assert "readonly_scopes.backstop.registry" in graph
    assert [" -> ".join(cycle) for cycle in cycles(graph)] == []


def test_a_cycle_is_found(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("from pkg.a import x\n")
    (root / "a.py").write_text("from pkg import sub\nx = 1\n")
    (root / "sub" / "__init__.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg import c\n"
        "def later():\n    from pkg import c\n"
        "from .b import y\n"
    )
    (root / "sub" / "b.py").write_text(
        "try:\n    from .. import a\nfinally:\n    y = 2\n"
    )
    (root / "c.py").write_text("from pkg.sub import b\n")
    graph = import_graph(root)
    assert graph["pkg.sub"] == {"pkg.sub.b"}
    assert cycles(graph) == [
        ["pkg.a", "pkg.sub", "pkg.sub.b", "pkg.a"],
        ["pkg.sub", "pkg.sub.b", "pkg.a", "pkg.sub"],
        ["pkg.sub.b", "pkg.a", "pkg.sub", "pkg.sub.b"],
    ]
