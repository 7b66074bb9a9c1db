"""The extension's wheel sets, checked without installing them: every module the add-on imports, and every
module those imports import in turn when they are loaded, must come from the platform's wheels for that
Python or from Blender itself. So a wheel missing from a zip (or one that only fits the other Python) fails
here, for all four platforms, and not on a user's machine.

The walk reads the wheels' Python sources with `ast`, the way the interpreter would meet them: every import
in the add-on (its lazy imports inside functions run too, when the user presses a button), and in a bundled
module the imports that run when it is loaded (module and class level; not inside functions, not an optional
import guarded by `except ImportError`, not `if TYPE_CHECKING`). Compiled extension modules are leaves.
"""

import ast
import re
import sys
import zipfile
from pathlib import Path

import pytest

import build

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "portrait3d_blender"

# Modules Blender's own Python provides outside site-packages (compiled into Blender or in its scripts).
BLENDER_MODULES = {"bpy", "bpy_extras", "mathutils", "bmesh", "gpu", "gpu_extras", "blf", "bl_ui", "idprop", "aud"}
# Standard modules of Pythons newer than the one running this test, which packages import under a version check.
NEWER_STDLIB = {"annotationlib", "compression", "_interpqueues", "_interpchannels", "_interpreters"}
_GUARDS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
_EXTENSION = re.compile(r"^(?P<name>[^.]+)(\.[^/]*)?\.(so|pyd)$")

CASES = [(platform, python) for platform, (_, pythons) in build.PLATFORMS.items() for python in pythons]


def _catches_import_errors(handler):
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(getattr(name, "id", getattr(name, "attr", None)) in _GUARDS for name in names)


def _load_time_imports(statements):
    """Import nodes that run when a module with these top-level statements is loaded."""
    for node in statements:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            test = ast.unparse(node.test)
            if "TYPE_CHECKING" not in test:
                yield from _load_time_imports(node.body)
            yield from _load_time_imports(node.orelse)
        elif isinstance(node, ast.Try):
            if not any(_catches_import_errors(handler) for handler in node.handlers):
                yield from _load_time_imports(node.body)
            yield from _load_time_imports(node.orelse)
            yield from _load_time_imports(node.finalbody)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            yield from _load_time_imports(node.body)


def _imported_names(node, module, is_package):
    """Absolute dotted names an import node asks for (for `from a import b`: a, and a.b in case it is a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module
    return [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]


class WheelSet:
    """The modules a set of wheels puts into site-packages: dotted name → Python source, or None if compiled."""

    def __init__(self, wheels):
        self.modules = {}
        self.packages = set()
        for wheel in wheels:
            archive = zipfile.ZipFile(wheel)
            for member in archive.namelist():
                parts = member.split("/")
                if parts[0].endswith((".dist-info", ".data")) or len(parts) < 1:
                    continue
                for depth in range(1, len(parts)):  # every folder is at least a namespace package
                    self.packages.add(".".join(parts[:depth]))
                leaf = parts[-1]
                if leaf.endswith(".py"):
                    dotted = ".".join(parts[:-1] if leaf == "__init__.py" else parts[:-1] + [leaf[:-3]])
                    self.modules[dotted] = (archive, member)
                elif match := _EXTENSION.match(leaf):
                    self.modules[".".join(parts[:-1] + [match["name"]])] = None

    def top_level(self):
        return {name.split(".")[0] for name in self.packages | set(self.modules)}

    def has(self, dotted):
        parts = dotted.split(".")
        # A compiled module may define submodules of its own (pybind11's def_submodule).
        compiled_parent = any(self.modules.get(".".join(parts[:depth]), 0) is None for depth in range(1, len(parts)))
        return dotted in self.modules or dotted in self.packages or compiled_parent


def _addon_imports():
    """(absolute name, where, required) for every import in the add-on's sources, at any level of nesting."""
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = _imported_names(node, module, path.name == "__init__.py")
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                yield names[0], where, True
                yield from ((sub, where, False) for sub in names[1:])


def unresolved_imports(wheel_paths, python):
    """Imports reached from the add-on that neither the wheels nor Blender provide, as 'name (from where)'."""
    wheels = WheelSet(wheel_paths)
    stdlib = sys.stdlib_module_names | NEWER_STDLIB | {"__future__"}
    own = {"portrait3d_blender"}
    available = BLENDER_MODULES | set(build.BLENDER_BUNDLED)
    missing, seen = [], set()
    pending = list(_addon_imports())
    while pending:
        name, where, required = pending.pop()
        top = name.split(".")[0]
        if name in seen or top in stdlib or top in own or top in available:
            continue
        seen.add(name)
        if not wheels.has(name):
            # `from a import b` names b as a module only when it is one; `import a.b` and `import a` must exist.
            if required:
                missing.append(f"{name} (from {where})")
            continue
        parts = name.split(".")
        for depth in range(1, len(parts)):  # importing a.b.c runs a/__init__.py and a/b/__init__.py first
            pending.append((".".join(parts[:depth]), where, True))
        source = wheels.modules.get(name)
        if source is None:
            continue  # a compiled module or a namespace package
        archive, member = source
        tree = ast.parse(archive.read(member), filename=member, feature_version=python)
        for node in _load_time_imports(tree.body):
            names = _imported_names(node, name, member.endswith("__init__.py"))
            pending.append((names[0], f"{member}:{node.lineno}", True))
            pending.extend((sub, f"{member}:{node.lineno}", False) for sub in names[1:])
    return sorted(missing)


@pytest.mark.parametrize("platform,python", CASES, ids=[f"{p}-py{v[0]}{v[1]}" for p, v in CASES])
def test_every_import_resolves_in_the_platforms_wheels(platform, python):
    wheels = build.fetch_wheels(platform)[python]
    assert not unresolved_imports(wheels, python), (
        f"{platform}, Python {python[0]}.{python[1]}: imports no bundled wheel (nor Blender) provides"
    )


def test_the_walk_finds_a_missing_wheel():
    # Without matplotlib, mediapipe's Tasks API cannot load (vision/drawing_utils.py imports pyplot).
    wheels = [w for w in build.fetch_wheels("linux-x64")[(3, 13)] if not w.name.startswith("matplotlib-")]
    missing = unresolved_imports(wheels, (3, 13))
    assert any(entry.startswith("matplotlib") and "mediapipe/" in entry for entry in missing), missing


# Each platform's OS and CPU as a wheel's platform tag spells them, written out here rather than taken from
# build.PLATFORMS (what fetching picks by), so a wrong tag there (an arm64 Mac's in the Intel Macs' list) fails.
WHEEL_PLATFORMS = {
    "linux-x64": re.compile(r"manylinux(1|2010|2014|_2_\d+)_x86_64"),
    "windows-x64": re.compile(r"win_amd64"),
    "macos-arm64": re.compile(r"macosx_\d+_\d+_(arm64|universal2)"),
    "macos-x64": re.compile(r"macosx_\d+_\d+_(x86_64|universal2)"),
}


def _runs_on(wheel_name, platform, python):
    """Whether a wheel (by its file name's tags) runs on `platform` in CPython `python`, by the tag rules."""
    _, utils = build._packaging()
    cpython = f"cp{python[0]}{python[1]}"
    for tag in utils.parse_wheel_filename(wheel_name)[3]:
        if tag.abi == "none":
            fits_python = tag.interpreter in (f"py{python[0]}", f"py{python[0]}{python[1]}", cpython)
        elif tag.abi == "abi3":  # the stable ABI: this CPython or any older 3.x
            fits_python = tag.interpreter.startswith("cp3") and int(tag.interpreter[3:]) <= python[1]
        else:
            fits_python = tag.interpreter == cpython and tag.abi == cpython
        if fits_python and (tag.platform == "any" or WHEEL_PLATFORMS[platform].fullmatch(tag.platform)):
            return True
    return False


def test_the_platform_check_refuses_another_platform_or_python():
    assert _runs_on("kiwisolver-1.5.1-cp311-cp311-macosx_10_9_x86_64.whl", "macos-x64", (3, 11))
    assert not _runs_on("kiwisolver-1.5.1-cp311-cp311-macosx_11_0_arm64.whl", "macos-x64", (3, 11))
    assert not _runs_on("pillow-13.0.0-cp313-cp313-win_amd64.whl", "windows-x64", (3, 11))
    assert not _runs_on("opencv_python_headless-4.11.0.86-cp37-abi3-win_amd64.whl", "linux-x64", (3, 13))
    assert _runs_on("opencv_python_headless-4.11.0.86-cp37-abi3-win_amd64.whl", "windows-x64", (3, 13))
    assert _runs_on("mediapipe-0.10.35-py3-none-manylinux_2_28_x86_64.whl", "linux-x64", (3, 13))
    assert not _runs_on("mediapipe-0.10.35-py3-none-manylinux_2_28_aarch64.whl", "linux-x64", (3, 13))


@pytest.mark.parametrize("platform", list(build.PLATFORMS))
def test_no_wheel_shadows_blender_or_serves_the_wrong_platform(platform):
    by_python = build.fetch_wheels(platform)
    for python, wheels in by_python.items():
        for wheel in wheels:
            provided = WheelSet([wheel]).top_level()
            assert not provided & set(build.BLENDER_BUNDLED), f"{wheel.name} would shadow Blender's {provided}"
            assert _runs_on(wheel.name, platform, python), f"{wheel.name} does not run on {platform} {python}"


def test_every_bundled_wheel_carries_its_licence():
    for platform in build.PLATFORMS:
        for wheels in build.fetch_wheels(platform).values():
            for wheel in wheels:
                names = zipfile.ZipFile(wheel).namelist()
                licences = [n for n in names if re.search(r"\.dist-info/(licenses/)?(LICEN[CS]E|COPYING)", n, re.I)]
                assert licences, f"{wheel.name} has no licence file in its dist-info"
