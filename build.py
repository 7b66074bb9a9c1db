"""Build the Portrait 3D Blender extension: one .zip per platform with the Python wheels for each Python it serves.

Usage (from the repository root):

    .venv/bin/python build.py [--out dist] [--platform linux-x64 ...] [--models models] [--skip-validate]

For each platform (linux-x64, windows-x64, macos-arm64, macos-x64; all of them unless --platform says):

1. Stage ``portrait3d_blender/`` (without ``__pycache__``/``*.pyc``/dot-files) into ``build/stage/``
   so that its ``__init__.py`` sits at the root of the archive, next to ``blender_manifest.toml``;
   with it go the MediaPipe models (``mediapipe_models/``, Apache-2.0, with their LICENSE and NOTICE)
   and the repository's ``LICENSE`` (GPL-3.0).
2. Check the depth network's ONNX exports (``models/portrait_depth_*.onnx``, written by
   ``models/export_onnx.py``) with the add-on's own loader, refuse them when they were exported from
   other weights than ``models/portrait_depth.pt``, and copy them to ``build/stage/weights/``. No torch
   is needed: the add-on runs the exports through OpenCV.
3. Fetch the run-time wheels (see ``runtime_wheels``) for the platform and each Python that Blender
   embeds there (3.11 for Blender 4.2 - 5.0, 3.13 for 5.1+) into ``build/wheels-cache/`` with
   ``pip download --only-binary=:all: --no-deps --platform ... --python-version ...``. A wheel already
   in the cache is reused, so a second build does not touch the network at all. A wheel that serves
   both Pythons (abi3, py3-none) is bundled once; Blender installs the ones that match its Python.
4. Copy the wheels to ``build/stage/wheels/`` and write the staged ``blender_manifest.toml``:
   the repository manifest plus the generated ``platforms``, ``wheels`` and ``[build] paths``.
5. Run Blender's own extension tool (``blender_ext.py``, shipped inside the ``bpy`` wheel) to
   ``build`` the archive and ``validate`` it.

The output is ``<out>/portrait3d_blender-<version>-<platform>.zip`` (e.g. ``-linux_x64.zip``).
The machine that builds does not matter: every platform's wheels are chosen by their tags.

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
LICENSE = ROOT / "LICENSE"
DEFAULT_MODELS = ROOT / "models"
BUILD_DIR = ROOT / "build"
STAGE_DIR = BUILD_DIR / "stage"
CACHE_DIR = BUILD_DIR / "wheels-cache"

# Where the depth models go inside the archive; core/depth.py looks there first.
STAGED_MODELS = Path("weights")

# Fixed timestamp for staged files (reproducible archives); SOURCE_DATE_EPOCH overrides it.
DEFAULT_EPOCH = 1704067200  # 2024-01-01T00:00:00Z

# One archive per Blender platform, each with the wheels for the Pythons that Blender embeds there:
# 3.11 in Blender 4.2 - 5.0, 3.13 in 5.1 and later (Blender installs the wheels that match its Python).
# The pip platform tags are the ones a wheel may carry to run there: glibc 2.28 is what Blender 4.2+
# itself needs on Linux; macOS 13 is what OpenCV 4.11's macOS wheels need. Intel Macs get 3.11 only:
# Blender 4.5 LTS is the last release for them, and no mediapipe >= 0.10.30 (the only ones for 3.13)
# has an x86_64 macOS wheel.
PYTHONS = ((3, 11), (3, 13))
_MANYLINUX = [f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)] + [
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64",
]
_MACOS = [f"macosx_{major}_0_{{arch}}" for major in (13, 12, 11)] + [
    f"macosx_10_{minor}_{{arch}}" for minor in range(16, 8, -1)
]
PLATFORMS = {
    "linux-x64": (_MANYLINUX, PYTHONS),
    "windows-x64": (["win_amd64"], PYTHONS),
    "macos-arm64": ([tag.format(arch=arch) for tag in _MACOS for arch in ("arm64", "universal2")], PYTHONS),
    "macos-x64": ([tag.format(arch=arch) for tag in _MACOS for arch in ("x86_64", "universal2")], ((3, 11),)),
}

# The wheels the add-on needs at run time, installed by Blender into the shared extensions
# site-packages. They are downloaded with --no-deps: this list IS the dependency closure, chosen
# by what the code imports, not by what the packages declare (tests/test_build.py walks the
# imports through the wheels of every platform and Python). Findings, in clean CPython 3.11 and
# 3.13 venvs with only numpy (1.26.4 and 2.x) and certifi (Blender bundles both), running the
# segmentation, face and pose tasks on a photo:
#
# * numpy is NOT bundled: Blender ships numpy (1.26 in 4.2 - 5.0, 2.x in 5.1+), and a second copy in
#   the extensions site-packages would shadow Blender's own for every add-on.
# * No torch: the depth network's ONNX export runs in OpenCV's DNN module (here for mediapipe anyway).
# * mediapipe 0.10.35 is one py3-none wheel per platform for every Python 3 (a ctypes binding to its C
#   library, so it does not care which numpy it gets). Its Tasks API imports certifi (Blender's), cv2
#   and, through mediapipe/tasks/python/vision/drawing_utils.py, `matplotlib.pyplot` at module level.
#   It declares absl-py, flatbuffers, sounddevice and opencv-contrib-python too; the tasks we run
#   import none of them. mediapipe 0.10.21 (Intel Macs) also needs protobuf (its _framework_bindings
#   fail with "initialization failed" without it) and attrs (its tasks' dataclasses).
# * matplotlib and what `import matplotlib.pyplot` imports: pillow, pyparsing, cycler, python-dateutil,
#   kiwisolver, fonttools, packaging. contourpy (only used by matplotlib.contour, never imported) and
#   tzdata (dateutil's zoneinfo fallback) are left out.
# * OpenCV: the headless build has everything mediapipe and our code use (resize, cvtColor, remap,
#   the dnn module that runs the depth network...), and does not drag Qt/X11 libraries into Blender.
#   It is one abi3 wheel per platform for every Python; 4.11.0.86 is the last release that supports
#   numpy 1.x (4.12 requires numpy 2).
# * pillow is also imported directly by core/image.py (photo loading, EXIF orientation).
# * fonttools: its compiled wheel only adds optional Cython accelerators that matplotlib does not
#   need here; the pure-Python wheel is 1.2 MB instead of 5.5 MB.
#
# (requirement, pure): pure=True asks pip for the py3-none-any wheel even when a compiled one exists.
COMMON_WHEELS = [
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
MEDIAPIPE_WHEELS = {
    "macos-x64": [("mediapipe==0.10.21", False), ("protobuf==4.25.9", False), ("attrs==26.1.0", False)],
}
DEFAULT_MEDIAPIPE_WHEELS = [("mediapipe==0.10.35", False)]

# What Blender bundles in its own Python (and the bpy wheel declares as its dependencies): the only
# third-party modules the add-on and its wheels may import without a wheel of their own.
# Blender 5.2 also bundles cattrs and attrs (its extension manager runs on them); 4.2 - 5.0 do not, so
# neither the add-on nor its wheels may rely on them.
BLENDER_BUNDLED = ("bpy", "numpy", "requests", "certifi", "idna", "urllib3", "charset_normalizer", "zstandard",
                   "Cython", "cython")


def runtime_wheels(platform):
    """The (requirement, pure) pairs bundled for a Blender platform."""
    return MEDIAPIPE_WHEELS.get(platform, DEFAULT_MEDIAPIPE_WHEELS) + COMMON_WHEELS


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


def wheel_tag_ranks(platform, python):
    """{tag: rank} of the wheels that run on a Blender platform's CPython `python`; lower is preferred."""
    tags, _ = _packaging()
    pip_platforms = PLATFORMS[platform][0]
    interpreter = f"cp{python[0]}{python[1]}"
    supported = [
        *tags.cpython_tags(python, abis=[interpreter], platforms=pip_platforms),
        *tags.compatible_tags(python, interpreter, pip_platforms),
    ]
    return {tag: rank for rank, tag in reversed(list(enumerate(supported)))}


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


def _pip_download(requirement, pure, platform, python):
    """Download one wheel (no dependencies) for a platform and Python into the cache, through a temporary folder."""
    tmp = CACHE_DIR / ".download"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    version = f"{python[0]}.{python[1]}"
    cmd = [
        sys.executable, "-m", "pip", "download",
        "--only-binary=:all:", "--no-deps", "--disable-pip-version-check", "--quiet",
        "--dest", str(tmp), "--python-version", version,
    ]
    if pure:
        cmd += ["--platform", "any", "--implementation", "py", "--abi", "none"]
    else:
        cmd += ["--implementation", "cp", "--abi", f"cp{python[0]}{python[1]}"]
        for tag in PLATFORMS[platform][0]:
            cmd += ["--platform", tag]
    cmd.append(requirement)
    log(f"downloading {requirement} for {platform}, Python {version}{' (pure Python)' if pure else ''}")
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"pip download {requirement} ({platform}, Python {version}) failed:\n"
                         f"{result.stdout}{result.stderr}")
    wheels = list(tmp.glob("*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"pip download {requirement} gave {[w.name for w in wheels]}, expected one wheel")
    target = CACHE_DIR / wheels[0].name
    os.replace(wheels[0], target)
    shutil.rmtree(tmp, ignore_errors=True)
    return target


def fetch_wheels(platform):
    """{python: [wheel paths]} for a Blender platform, from the cache, downloading only the missing ones."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    by_python = {}
    for python in PLATFORMS[platform][1]:
        tag_rank = wheel_tag_ranks(platform, python)
        wheels = by_python[python] = []
        for requirement, pure in runtime_wheels(platform):
            wheel = _cached_wheel(requirement, pure, tag_rank)
            if wheel is None:
                _pip_download(requirement, pure, platform, python)
                wheel = _cached_wheel(requirement, pure, tag_rank)
                if wheel is None:
                    raise BuildError(f"pip downloaded a wheel for {requirement} that does not fit {platform}")
            wheels.append(wheel)
    return by_python


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
    shutil.copyfile(LICENSE, STAGE_DIR / LICENSE.name)  # GPL-3.0; the models' and wheels' licences travel inside them

    wheel_dir = STAGE_DIR / "wheels"
    wheel_dir.mkdir()
    for wheel in wheels:
        target = wheel_dir / wheel.name
        try:
            os.link(wheel, target)  # a zip's wheels are ~100 MB; avoid a second copy when possible
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
    weights_sha256 = sha256(weights) if weights.is_file() else None
    paths = []
    for size in depth.NETWORK_SIZES:
        path = models_dir / depth.model_file_name(size)
        try:
            depth.load_model(path, size)
        except depth.WeightsError as error:
            raise BuildError(str(error)) from None
        source = onnx_file.read_model(path.read_bytes()).metadata["source_sha256"]
        if weights_sha256 is not None and source != weights_sha256:
            raise BuildError(f"{path} was exported from other weights than {weights}: run models/export_onnx.py")
        paths.append(path)
    return paths


def build_platform(out_dir, models, platform, blender_ext_path, blender_ext, valid_tags, manifest, validate=True):
    """Build (and validate) the archive for one Blender platform and return its path.

    `blender_ext` is blender_ext.py loaded as a module, `valid_tags` Blender's tag list, `manifest` the parsed
    source manifest: the same for every platform, so `build` works them out once."""
    started = time.monotonic()
    wheels = sorted({wheel for python_wheels in fetch_wheels(platform).values() for wheel in python_wheels})
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

    log(f"built in {time.monotonic() - started:.1f} s, sha256 {sha256(archive)[:16]}")
    print(f"{archive} ({archive.stat().st_size / 1e6:.1f} MB)")
    return archive


def build(out_dir, models_dir, platforms=tuple(PLATFORMS), validate=True):
    """Build the extension archive of each Blender platform and return their paths."""
    models = depth_models(models_dir)
    unknown = sorted(set(platforms) - set(PLATFORMS))
    if unknown:
        raise BuildError(f"unknown platform {', '.join(unknown)}; known: {', '.join(PLATFORMS)}")
    blender_ext_path = find_blender_ext()
    blender_ext = load_blender_ext(blender_ext_path)
    valid_tags = find_valid_tags(blender_ext_path)
    manifest = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))
    return [build_platform(out_dir, models, platform, blender_ext_path, blender_ext, valid_tags, manifest, validate)
            for platform in platforms]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist)")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS,
                        help="folder with the depth network's ONNX exports to bundle (default: models)")
    parser.add_argument("--platform", action="append", choices=list(PLATFORMS), dest="platforms",
                        help="build only this platform's archive (repeatable; default: all)")
    parser.add_argument("--skip-validate", action="store_true", help="do not run blender_ext.py validate")
    args = parser.parse_args(argv)
    try:
        build(args.out.resolve(), args.models.resolve(), platforms=args.platforms or tuple(PLATFORMS),
              validate=not args.skip_validate)
    except BuildError as ex:
        print(f"build.py: error: {ex}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
