"""The package's shape: no import cycles among its modules, lazy imports included."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "portrait3d_blender"


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """Modules of the package that `path` imports anywhere in its body (functions too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            for alias in node.names:  # `from . import x` names a module; `from .x import y` names a member
                submodule = f"{target}.{alias.name}"
                found.add(submodule if _file_of(submodule).is_file() else target)
    return found - {name}


def _file_of(module):
    return (PACKAGE.parent / module.replace(".", "/")).with_suffix(".py")


def test_no_module_imports_itself_back():
    graph = {_module_name(path): _imports(path) for path in PACKAGE.rglob("*.py")}
    graph = {name: {target for target in targets if target in graph} for name, targets in graph.items()}
    packages = {name for name in graph if (PACKAGE.parent / name.replace(".", "/") / "__init__.py").is_file()}

    def cycle_from(start):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for target in graph[node] - packages:  # a package's __init__ only registers, and imports lazily
                if target == start:
                    return path + [target]
                if target not in seen:
                    seen.add(target)
                    stack.append((target, path + [target]))
        return None

    cycles = [cycle for cycle in map(cycle_from, sorted(graph)) if cycle]
    assert not cycles, " ; ".join(" → ".join(cycle) for cycle in cycles)
    assert "portrait3d_blender.blender.photo3d" in graph["portrait3d_blender.ui.photo_operators"]
