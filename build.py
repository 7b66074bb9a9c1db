"""Build the Portrait 3D Blender extension: a platform-specific .zip with its Python wheels.

Usage (from the repository root):

    .venv/bin/python build.py [--out dist] [--models models] [--skip-validate]

Steps:

1. Stage ``portrait3d_blender/`` (without ``__pycache__``/``*.pyc``/dot-files) into ``build/stage/``
   so that its ``__init__.py`` sits at the root of the archive, next to ``blender_manifest.toml``.
2. Check the depth network's ONNX exports (``models/portrait_depth_*.onnx``, written by
   ``models/export_onnx.py``) with the add-on's own loader, refuse them when they were exported from
   other weights than ``models/portrait_depth.pt``, and copy them to ``build/stage/weights/``. No torch
   is needed: the add-on runs the exports through OpenCV.
3. Fetch the run-time wheels (see ``RUNTIME_WHEELS``) for this platform and CPython 3.11 into
   ``build/wheels-cache/`` with ``pip download --only-binary=:all: --no-deps``. A wheel already in
   the cache is reused, so a second build does not touch the network at all.
4. Copy the wheels to ``build/stage/wheels/`` and write the staged ``blender_manifest.toml``:
   the repository manifest plus the generated ``platforms``, ``wheels`` and ``[build] paths``.
5. Run Blender's own extension tool (``blender_ext.py``, shipped inside the ``bpy`` wheel) to
   ``build`` the archive and ``validate`` it.

The output is ``<out>/portrait3d_blender-<version>-<platform>.zip`` (e.g. ``-linux_x64.zip``).

Determinism: staged files get a fixed modification time (``SOURCE_DATE_EPOCH`` or 2024-01-01) and
mode, the archive's file order is fixed by the sorted ``[build] paths`` list, and the tool runs
with ``TZ=UTC``; two builds from the same inputs give byte-identical archives.

The archive is built with ``--output-filepath`` from a manifest that already lists the single
platform, instead of ``--split-platforms``: for one platform the result is the same, but the
split code path re-writes the manifest with ``ZipFile.writestr`` which stamps it with the current
time, so the archive would differ on every build.
"""

import argparse
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PACKAGE_DIR = ROOT / "portrait3d_blender"
MANIFEST = ROOT / "blender_manifest.toml"
DEFAULT_MODELS = ROOT / "models"
BUILD_DIR = ROOT / "build"
STAGE_DIR = BUILD_DIR / "stage"
CACHE_DIR = BUILD_DIR / "wheels-cache"

# Where the depth models go inside the archive; core/depth.py looks there first.
STAGED_MODELS = Path("weights")

# The add-on targets the Python that Blender 4.2 - 5.0 bundle.
TARGET_PYTHON = (3, 11)

# Fixed timestamp for staged files (reproducible archives); SOURCE_DATE_EPOCH overrides it.
DEFAULT_EPOCH = 1704067200  # 2024-01-01T00:00:00Z

# The wheels the add-on needs at run time, installed by Blender into the shared extensions
# site-packages. They are downloaded with --no-deps: this list IS the dependency closure, chosen
# by what the code imports, not by what the packages declare. Findings (clean CPython 3.11 venv
# with only numpy 1.26.4, importing mediapipe and running selfie_segmentation, face_detection,
# face_mesh and pose on a photo, and running the depth U-Net's ONNX export through cv2.dnn):
#
# * numpy is NOT bundled: Blender ships numpy (1.26.x in 4.2 - 5.0), and a second copy in the
#   extensions site-packages would shadow Blender's own for every add-on.
# * No torch: the depth network runs in OpenCV's DNN module (already here for mediapipe).
# * `import mediapipe` needs protobuf (the _framework_bindings extension fails with
#   "initialization failed" without it), attrs (mediapipe.tasks dataclasses) and cv2, and
#   mediapipe/python/solutions/drawing_utils.py does `import matplotlib.pyplot` at module level,
#   which every `import mediapipe` runs (mediapipe/__init__.py imports the solutions package).
#   So matplotlib and what `import matplotlib.pyplot` imports are needed: pillow, pyparsing,
#   cycler, python-dateutil, kiwisolver, fonttools, packaging. contourpy (only used by
#   matplotlib.contour, never imported) and tzdata (dateutil's zoneinfo fallback) are left out.
# * mediapipe also declares jax, jaxlib, sounddevice, sentencepiece, absl-py and flatbuffers; the
#   solutions we use import none of them (jax/jaxlib alone would add ~100 MB).
# * OpenCV: mediapipe declares opencv-contrib-python, but mediapipe and our code only `import cv2`
#   and use core functions (resize, cvtColor, GaussianBlur, erode, remap). The headless build has
#   them all, is smaller and does not drag Qt/X11 libraries into Blender. 4.11.0.86 is the last
#   release that supports numpy 1.x (4.12 requires numpy 2).
# * pillow is also imported directly by core/image.py (photo loading, EXIF orientation).
# * fonttools: its compiled wheel only adds optional Cython accelerators that matplotlib does not
#   need here; the pure-Python wheel is 1.2 MB instead of 5.5 MB.
#
# (requirement, pure): pure=True asks pip for the py3-none-any wheel even when a compiled one exists.
RUNTIME_WHEELS = [
    ("mediapipe==0.10.21", False),
    ("protobuf==4.25.9", False),
    ("attrs==26.1.0", False),
    ("opencv-python-headless==4.11.0.86", False),
    ("matplotlib==3.11.2", False),
    ("pillow==13.0.0", False),
    ("pyparsing==3.3.3", False),
    ("cycler==0.12.1", False),
    ("python-dateutil==4.0.0", False),
    ("kiwisolver==1.5.1", False),
    ("fonttools==4.68.0", True),
    ("packaging==26.3", False),
]

# Keys build.py writes into the staged manifest; the repository manifest must not contain them.
GENERATED_KEYS = ("platforms", "wheels", "build")


class BuildError(RuntimeError):
    pass


def log(message):
    print(f"[build] {message}", flush=True)


# -----------------------------------------------------------------------------
# Blender's extension tool


def find_blender_ext():
    """Path of blender_ext.py inside the installed bpy wheel (found without importing bpy)."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError("the bpy module is not installed in this Python; run with .venv/bin/python")
    bpy_dir = Path(list(spec.submodule_search_locations)[0])
    candidates = sorted(bpy_dir.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not candidates:
        raise BuildError(f"blender_ext.py not found under {bpy_dir}")
    return candidates[-1]


def find_valid_tags(blender_ext):
    """Blender's list of allowed tags (the same file Blender itself passes to the build command)."""
    scripts_dir = blender_ext.parents[3]
    tags = scripts_dir / "modules" / "_bpy_internal" / "extensions" / "tags.py"
    if not tags.is_file():
        raise BuildError(f"Blender's tag list not found at {tags}")
    return tags


def load_blender_ext(blender_ext):
    """Import blender_ext.py as a module to reuse its platform and wheel-tag helpers."""
    spec = importlib.util.spec_from_file_location("_blender_ext", blender_ext)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_blender_ext(blender_ext, *args):
    env = dict(os.environ, TZ="UTC")  # zip entries store local time
    cmd = [sys.executable, str(blender_ext), *map(str, args)]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise BuildError(f"blender_ext.py {args[0]} failed ({result.returncode}):\n{output}")
    return output


# -----------------------------------------------------------------------------
# Wheels


def _packaging():
    try:
        from packaging import tags, utils
    except ImportError:  # pip always vendors it
        from pip._vendor.packaging import tags, utils
    return tags, utils


def _split_requirement(requirement):
    name, _, version = requirement.partition("==")
    return name, version


def _cached_wheel(requirement, pure, tag_rank):
    """The best wheel in the cache for `requirement`, or None."""
    _, utils = _packaging()
    name, version = _split_requirement(requirement)
    best = None
    for path in CACHE_DIR.glob("*.whl"):
        try:
            wheel_name, wheel_version, _build, wheel_tags = utils.parse_wheel_filename(path.name)
        except utils.InvalidWheelFilename:
            continue
        if wheel_name != utils.canonicalize_name(name) or str(wheel_version) != version:
            continue
        if pure and any(t.abi != "none" or t.platform != "any" for t in wheel_tags):
            continue
        ranks = [tag_rank[t] for t in wheel_tags if t in tag_rank]
        if ranks and (best is None or min(ranks) < best[0]):
            best = (min(ranks), path)
    return None if best is None else best[1]


def _pip_download(requirement, pure):
    """Download one wheel (no dependencies) into the cache, through a temporary folder."""
    tmp = CACHE_DIR / ".download"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    cmd = [
        sys.executable, "-m", "pip", "download",
        "--only-binary=:all:", "--no-deps", "--disable-pip-version-check", "--quiet",
        "--dest", str(tmp),
    ]
    if pure:
        major, minor = TARGET_PYTHON
        cmd += ["--platform", "any", "--implementation", "py", "--abi", "none",
                "--python-version", f"{major}.{minor}"]
    cmd.append(requirement)
    log(f"downloading {requirement}{' (pure Python)' if pure else ''}")
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"pip download {requirement} failed:\n{result.stdout}{result.stderr}")
    wheels = list(tmp.glob("*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"pip download {requirement} gave {[w.name for w in wheels]}, expected one wheel")
    target = CACHE_DIR / wheels[0].name
    os.replace(wheels[0], target)
    shutil.rmtree(tmp, ignore_errors=True)
    return target


def fetch_wheels():
    """Return the cached wheel for every run-time requirement, downloading only the missing ones."""
    if sys.version_info[:2] != TARGET_PYTHON:
        raise BuildError(
            f"run build.py with Python {TARGET_PYTHON[0]}.{TARGET_PYTHON[1]} (.venv/bin/python): the wheels "
            f"are chosen for the running interpreter, this is {sys.version.split()[0]}"
        )
    tags, _ = _packaging()
    tag_rank = {tag: rank for rank, tag in enumerate(tags.sys_tags())}
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    wheels = []
    for requirement, pure in RUNTIME_WHEELS:
        wheel = _cached_wheel(requirement, pure, tag_rank)
        if wheel is None:
            _pip_download(requirement, pure)
            wheel = _cached_wheel(requirement, pure, tag_rank)
            if wheel is None:
                raise BuildError(f"pip downloaded a wheel for {requirement} that does not fit this platform")
        else:
            log(f"cached      {wheel.name}")
        wheels.append(wheel)
    return wheels


# -----------------------------------------------------------------------------
# Staging


def _ignore(directory, names):
    ignored = {n for n in names if n == "__pycache__" or n.startswith(".") or n.endswith((".pyc", ".pyo"))}
    if Path(directory) == PACKAGE_DIR and "weights" in names:
        # A local (git-ignored) copy of the models beside the package is left out: the archive
        # gets exactly the files from --models.
        ignored.add("weights")
    return ignored


def _toml_string(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(values):
    return "[\n" + "".join(f"  {_toml_string(v)},\n" for v in values) + "]"


def staged_manifest_text(platform, wheel_paths, build_paths):
    """The repository manifest with the generated keys added.

    Top-level keys must come before the first [table] in TOML, so platforms/wheels are inserted
    there; the [build] table goes at the end.
    """
    text = MANIFEST.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for key in GENERATED_KEYS:
        if key in data:
            raise BuildError(f"{MANIFEST.name} must not set '{key}': build.py generates it in the staged copy")
    generated = (
        "# BEGIN generated by build.py\n"
        f"platforms = {_toml_list([platform])}\n"
        f"wheels = {_toml_list(wheel_paths)}\n"
        "# END generated by build.py\n\n"
    )
    lines = text.splitlines(keepends=True)
    first_table = next((i for i, line in enumerate(lines) if re.match(r"\s*\[", line)), len(lines))
    text = "".join(lines[:first_table]) + generated + "".join(lines[first_table:])
    text = text.rstrip("\n") + (
        "\n\n# BEGIN generated by build.py: the files of the archive besides the manifest and wheels\n"
        f"[build]\npaths = {_toml_list(build_paths)}\n"
        "# END generated by build.py\n"
    )
    tomllib.loads(text)  # must still parse
    return text


def stage(models, wheels, platform):
    if not (PACKAGE_DIR / "__init__.py").is_file():
        raise BuildError(f"{PACKAGE_DIR / '__init__.py'} is missing")
    shutil.rmtree(STAGE_DIR, ignore_errors=True)
    shutil.copytree(PACKAGE_DIR, STAGE_DIR, ignore=_ignore)
    if (STAGE_DIR / "blender_manifest.toml").exists() or (STAGE_DIR / "wheels").exists():
        raise BuildError("the package must not contain blender_manifest.toml or wheels/ of its own")
    (STAGE_DIR / STAGED_MODELS).mkdir(parents=True, exist_ok=True)
    for model in models:
        shutil.copyfile(model, STAGE_DIR / STAGED_MODELS / model.name)

    wheel_dir = STAGE_DIR / "wheels"
    wheel_dir.mkdir()
    for wheel in wheels:
        target = wheel_dir / wheel.name
        try:
            os.link(wheel, target)  # the cache holds ~290 MB; avoid a second copy when possible
        except OSError:
            shutil.copyfile(wheel, target)
    wheel_paths = sorted(f"./wheels/{w.name}" for w in wheels)

    build_paths = sorted(
        p.relative_to(STAGE_DIR).as_posix()
        for p in STAGE_DIR.rglob("*")
        if p.is_file() and p.parent != wheel_dir
    )
    (STAGE_DIR / "blender_manifest.toml").write_text(
        staged_manifest_text(platform, wheel_paths, build_paths), encoding="utf-8"
    )

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_EPOCH))
    for path in sorted(STAGE_DIR.rglob("*"), reverse=True):
        if path.is_file():
            path.chmod(0o644)
            os.utime(path, (epoch, epoch))


# -----------------------------------------------------------------------------
# Main


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def depth_models(models_dir):
    """The depth network's ONNX exports in `models_dir`, checked as the add-on checks them at load.

    When the training weights (portrait_depth.pt) are beside them, the exports must come from exactly
    those weights: a retrained .pt without a new export would otherwise ship the old network.
    """
    from portrait3d_blender.core import depth, onnx_file

    weights = models_dir / "portrait_depth.pt"
    paths = []
    for size in depth.NETWORK_SIZES:
        path = models_dir / depth.model_file_name(size)
        try:
            depth.load_model(path, size)
        except depth.WeightsError as error:
            raise BuildError(str(error)) from None
        source = onnx_file.read_model(path.read_bytes()).metadata["source_sha256"]
        if weights.is_file() and source != sha256(weights):
            raise BuildError(f"{path} was exported from other weights than {weights}: run models/export_onnx.py")
        paths.append(path)
    return paths


def build(out_dir, models_dir, validate=True):
    """Build the extension archive and return its path."""
    started = time.monotonic()
    models = depth_models(models_dir)
    blender_ext_path = find_blender_ext()
    blender_ext = load_blender_ext(blender_ext_path)
    valid_tags = find_valid_tags(blender_ext_path)
    platform = blender_ext.platform_from_this_system()  # e.g. "linux-x64"

    manifest = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))
    wheels = fetch_wheels()
    for wheel in wheels:
        if not blender_ext.blender_platform_compatible_with_wheel_platform_from_filepath(platform, wheel.name):
            raise BuildError(f"{wheel.name} does not run on {platform}")

    stage(models, wheels, platform)
    log(f"staged {STAGE_DIR.relative_to(ROOT)} for {platform} with {len(wheels)} wheels")

    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / f"{manifest['id']}-{manifest['version']}-{platform.replace('-', '_')}.zip"
    run_blender_ext(
        blender_ext_path, "build",
        "--source-dir", STAGE_DIR,
        "--output-filepath", archive,
        "--valid-tags", valid_tags,
    )
    if validate:
        run_blender_ext(blender_ext_path, "validate", "--valid-tags", valid_tags, archive)
        log("blender_ext.py validate: ok")

    size_mb = archive.stat().st_size / 1e6
    log(f"built in {time.monotonic() - started:.1f} s, sha256 {sha256(archive)[:16]}")
    print(f"{archive} ({size_mb:.1f} MB)")
    return archive


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist)")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS,
                        help="folder with the depth network's ONNX exports to bundle (default: models)")
    parser.add_argument("--skip-validate", action="store_true", help="do not run blender_ext.py validate")
    args = parser.parse_args(argv)
    try:
        build(args.out.resolve(), args.models.resolve(), validate=not args.skip_validate)
    except BuildError as ex:
        print(f"build.py: error: {ex}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
