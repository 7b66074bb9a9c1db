"""End-to-end check of the built extension in four real Blenders: build the linux zip, install it into a
fresh Blender user folder the way a user would ("Install from Disk"), enable it, then make a 3D photo with it.

Blender 4.2.23, 4.5.15 and 5.0.1 (Python 3.11, numpy 1.26) and 5.2.3 (Python 3.13, numpy 2.3) each run from a
venv of their own (`make blenders`: .venv-bpy42, .venv-bpy45, .venv-bpy50, .venv-bpy52) that holds bpy and
nothing but what the bpy wheel depends on, which is what Blender bundles in its Python. Everything Blender-side runs in a
subprocess of that venv's Python in isolated mode (-I: no PYTHON* variables, no user site), with its own HOME
and BLENDER_USER_RESOURCES in a fresh temporary folder, so the development venv (torch, mediapipe, cv2...)
is out of sight: a wheel missing from the extension would fail here.

`make test` runs these (and requires the venvs). A direct `pytest` run skips a Blender whose venv is missing,
unless P3D_REQUIRE_BLENDERS is set. Run them alone with `pytest -m slow tests/test_install.py -s`
(about a minute per Blender; the installs are removed again when they pass). Set PORTRAIT3D_TEST_MODELS to
bundle the ONNX depth models of another folder than models/. torch must not be there at all: the depth network
runs as an ONNX export in OpenCV.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from build import PLATFORMS, find_valid_tags

ROOT = Path(__file__).resolve().parents[1]
ADDON_MODULE = "bl_ext.user_default.portrait3d_blender"

# (Blender version, its venv, its Python): the releases the manifest's version range is drawn from.
BLENDERS = (("4.2.23", ".venv-bpy42", "3.11"), ("4.5.15", ".venv-bpy45", "3.11"), ("5.0.1", ".venv-bpy50", "3.11"),
            ("5.2.3", ".venv-bpy52", "3.13"))

# Modules that must come from the extension's wheels, installed into the user folder.
FROM_WHEELS = ("mediapipe", "mediapipe.tasks.python.vision", "cv2", "PIL", "matplotlib")

IN_BLENDER = r'''
import importlib.util, json, os, sys, time
result = {}
try:
    import bpy

    result["torch_importable"] = importlib.util.find_spec("torch") is not None

    prefs = bpy.context.preferences
    result["repos"] = {r.module: r.directory for r in prefs.extensions.repos}
    collections_before = set(bpy.data.collections.keys())
    objects_before = set(bpy.data.objects.keys())

    started = time.monotonic()
    result["install_result"] = sorted(bpy.ops.extensions.package_install_files(
        filepath=os.environ["P3D_ZIP"], repo="user_default", enable_on_install=True,
    ))
    result["install_seconds"] = time.monotonic() - started
    result["enabled_addons"] = [addon.module for addon in prefs.addons]
    addon = prefs.addons.get(os.environ["P3D_ADDON_MODULE"])
    result["addon_preferences"] = type(addon.preferences).__name__ if addon and addon.preferences else None

    import numpy
    result["module_files"] = {"numpy": numpy.__file__}
    result["numpy_version"] = numpy.__version__
    # Blender 5.2's extension manager (bl_pkg) runs on cattrs/attrs, which Blender bundles: they come from
    # Blender's own site-packages, not from the extension.
    result["bundled_for_bl_pkg"] = {}
    for name in ("cattrs", "attrs", "attr"):
        try:
            result["bundled_for_bl_pkg"][name] = __import__(name).__file__
        except ImportError:
            result["bundled_for_bl_pkg"][name] = None
    for name in os.environ["P3D_FROM_WHEELS"].split(","):
        module = __import__(name, fromlist=["_"])
        result["module_files"][name] = module.__file__

    started = time.monotonic()
    result["operator_result"] = sorted(
        bpy.ops.portrait3d.create_3d_photo(filepath=os.environ["P3D_PHOTO"])
    )
    result["operator_seconds"] = time.monotonic() - started
    result["torch_imported"] = "torch" in sys.modules

    new_collections = []
    for name in sorted(set(bpy.data.collections.keys()) - collections_before):
        collection = bpy.data.collections[name]
        in_scene = any(c.name == name for c in bpy.context.scene.collection.children_recursive)
        info = {"name": name, "in_scene": in_scene, "meshes": [], "cameras": []}
        for obj in collection.all_objects:
            if obj.type == "MESH":
                mesh = obj.data
                coords = [0.0] * (3 * len(mesh.vertices))
                mesh.vertices.foreach_get("co", coords)
                extent = [max(coords[i::3]) - min(coords[i::3]) for i in range(3)] if coords else [0, 0, 0]
                uv_span = [0.0, 0.0]
                if mesh.uv_layers:
                    uvs = [0.0] * (2 * len(mesh.loops))
                    mesh.uv_layers[0].data.foreach_get("uv", uvs)
                    uv_span = [max(uvs[i::2]) - min(uvs[i::2]) for i in range(2)] if uvs else [0, 0]
                materials = []
                for material in mesh.materials:
                    if material is None:
                        continue
                    images = []
                    if material.node_tree is not None:
                        for node in material.node_tree.nodes:
                            if node.type == "TEX_IMAGE" and node.image is not None:
                                images.append({"name": node.image.name, "size": list(node.image.size)})
                    materials.append({"name": material.name, "image_textures": images})
                info["meshes"].append({
                    "name": obj.name, "vertices": len(mesh.vertices), "faces": len(mesh.polygons),
                    "uv_layers": len(mesh.uv_layers), "uv_span": uv_span, "extent": extent,
                    "materials": materials,
                })
            elif obj.type == "CAMERA":
                scene = bpy.context.scene
                positions = []
                for frame in (scene.frame_start, (scene.frame_start + scene.frame_end) // 2):
                    scene.frame_set(frame)
                    positions.append(list(obj.matrix_world.translation))
                info["cameras"].append({
                    "name": obj.name, "type": obj.data.type, "lens": obj.data.lens,
                    "is_scene_camera": scene.camera == obj, "positions": positions,
                    "frames": [scene.frame_start, scene.frame_end],
                })
        new_collections.append(info)
    result["new_collections"] = new_collections
    result["new_objects"] = sorted(set(bpy.data.objects.keys()) - objects_before)
except BaseException as error:  # report everything to the test, which makes the verdict
    import traceback
    result["error"] = traceback.format_exc()
print("P3D_RESULT " + json.dumps(result), flush=True)
'''


def _blender_python(venv):
    python = ROOT / venv / "bin" / "python"
    if not python.is_file():
        message = f"{venv} is missing: `make blenders` creates it"
        if os.environ.get("P3D_REQUIRE_BLENDERS"):
            pytest.fail(message)
        pytest.skip(message)
    return python


def _astronaut_photo():
    spec = importlib.util.find_spec("skimage")
    assert spec is not None, "scikit-image is needed for its sample photo"
    photo = Path(list(spec.submodule_search_locations)[0]) / "data" / "astronaut.png"
    assert photo.is_file(), photo
    return photo


def _build(out_dir):
    """{platform: archive} from `build.py`, as a user (or CI) runs it."""
    cmd = [sys.executable, str(ROOT / "build.py"), "--out", str(out_dir)]
    if os.environ.get("PORTRAIT3D_TEST_MODELS"):
        cmd += ["--models", os.environ["PORTRAIT3D_TEST_MODELS"]]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, f"build.py failed:\n{run.stdout}\n{run.stderr}"
    zips = {path.stem.rsplit("-", 1)[1].replace("_", "-"): path for path in out_dir.glob("portrait3d_blender-*.zip")}
    assert sorted(zips) == sorted(PLATFORMS), f"expected one archive per platform in {out_dir}, found {zips}"
    return zips


@pytest.fixture(scope="module")
def built_zips(tmp_path_factory):
    """{platform: archive}, built once for the tests below."""
    out_dir = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    zips = _build(out_dir)
    sizes = ", ".join(f"{platform} {path.stat().st_size / 1e6:.1f} MB" for platform, path in sorted(zips.items()))
    print(f"\nbuild {time.monotonic() - started:.1f} s: {sizes}")
    yield zips
    shutil.rmtree(out_dir, ignore_errors=True)


@pytest.mark.slow
def test_builds_are_reproducible(built_zips, tmp_path):
    again = _build(tmp_path)
    for platform, archive in built_zips.items():
        assert archive.read_bytes() == again[platform].read_bytes(), f"{platform}: two builds differ"


@pytest.mark.slow
def test_every_zip_is_at_most_150_mb(built_zips):
    for archive in built_zips.values():
        assert archive.stat().st_size <= 150e6, f"{archive.name}: {archive.stat().st_size / 1e6:.1f} MB"


@pytest.mark.slow
@pytest.mark.parametrize("version,venv,python", BLENDERS, ids=[f"blender-{b[0]}" for b in BLENDERS])
def test_every_zip_passes_blenders_own_validation(version, venv, python, built_zips):
    blender_python = _blender_python(venv)
    cli = sorted((ROOT / venv).glob("lib/python*/site-packages/bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    assert len(cli) == 1, cli
    tags = find_valid_tags(cli[0])
    for platform, archive in built_zips.items():
        run = subprocess.run([str(blender_python), "-I", str(cli[0]), "validate", "--valid-tags", str(tags), str(archive)],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"Blender {version} rejects {archive.name}:\n{run.stdout}{run.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("version,venv,python", BLENDERS, ids=[f"blender-{b[0]}" for b in BLENDERS])
def test_built_extension_installs_and_makes_a_3d_photo(version, venv, python, built_zips, tmp_path):
    linux_zip = built_zips["linux-x64"]
    blender_python = _blender_python(venv)
    user_resources = tmp_path / "blender_user"
    user_resources.mkdir()
    script = tmp_path / "in_blender.py"
    script.write_text(IN_BLENDER)

    # A fresh user: own home (matplotlib's font cache, thumbnails...) and Blender user folder.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "XDG_", "MPL", "P3D_"))}
    (tmp_path / "home").mkdir()
    env.update(
        HOME=str(tmp_path / "home"),
        BLENDER_USER_RESOURCES=str(user_resources),
        P3D_ADDON_MODULE=ADDON_MODULE,
        P3D_ZIP=str(linux_zip),
        P3D_PHOTO=str(_astronaut_photo()),
        P3D_FROM_WHEELS=",".join(FROM_WHEELS),
    )
    started = time.monotonic()
    # -I: isolated mode (no PYTHON* variables, no user site-packages); the venv's own site-packages is
    # exactly bpy and what it bundles.
    run = subprocess.run(
        [str(blender_python), "-I", str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    blender_seconds = time.monotonic() - started
    log = f"--- stdout ---\n{run.stdout[-6000:]}\n--- stderr ---\n{run.stderr[-6000:]}"
    lines = [line for line in run.stdout.splitlines() if line.startswith("P3D_RESULT ")]
    assert lines, f"the Blender subprocess gave no result (exit {run.returncode})\n{log}"
    result = json.loads(lines[-1][len("P3D_RESULT "):])
    assert "error" not in result, f"{result['error']}\n{log}"
    # Nothing may print a traceback, not even at exit (mediapipe 0.10.3x's finalisers do, unless closed in order).
    assert "Traceback" not in run.stderr, log

    # Installed and enabled, with its wheels (this Python's) in the user folder's site-packages.
    assert result["install_result"] == ["FINISHED"], log
    assert ADDON_MODULE in result["enabled_addons"], f"{result['enabled_addons']}\n{log}"
    assert result["addon_preferences"], "the add-on's preferences are not registered under its extension module"
    extension_dir = Path(result["repos"]["user_default"]) / "portrait3d_blender"
    assert extension_dir.is_relative_to(user_resources), extension_dir
    assert (extension_dir / "__init__.py").is_file()
    assert sorted(path.name for path in (extension_dir / "weights").iterdir()) == [
        "portrait_depth_192x256.onnx", "portrait_depth_256x192.onnx"]
    assert (extension_dir / "LICENSE").is_file() and (extension_dir / "mediapipe_models" / "LICENSE").is_file()
    site_packages = user_resources / "extensions" / ".local" / "lib" / f"python{python}" / "site-packages"
    installed = {path.name for path in site_packages.iterdir()}
    for name in ("mediapipe", "cv2", "PIL", "matplotlib"):
        assert name in installed, f"{name} not installed into {site_packages}: {sorted(installed)}"
    assert not any(name.startswith(("numpy", "torch", "typing_extensions")) for name in installed), sorted(installed)
    assert not result["torch_importable"] and not result["torch_imported"], "torch must not be needed"
    blender_site_packages = blender_python.parents[1] / "lib" / f"python{python}" / "site-packages"
    for name, module_file in result["module_files"].items():
        home = blender_site_packages if name == "numpy" else site_packages
        assert Path(module_file).is_relative_to(home), f"{name} imported from {module_file}"
    assert result["numpy_version"].startswith("1.26." if python == "3.11" else "2."), result["numpy_version"]
    if version.startswith("5.2"):
        for name, module_file in result["bundled_for_bl_pkg"].items():
            assert module_file and Path(module_file).is_relative_to(blender_site_packages), (name, module_file)

    # The operator built a collection with textured, UV-mapped relief meshes and an animated camera.
    assert result["operator_result"] == ["FINISHED"], log
    collections = [c for c in result["new_collections"] if c["meshes"] and c["cameras"]]
    assert collections, f"no new collection holding a mesh and a camera: {result['new_collections']}"
    assert all(c["in_scene"] for c in collections), f"collection not linked to the scene: {collections}"
    meshes = [mesh for collection in collections for mesh in collection["meshes"]]
    mesh = max(meshes, key=lambda m: m["vertices"])
    assert mesh["vertices"] >= 1000, mesh
    assert mesh["faces"] >= 1000, mesh
    assert mesh["uv_layers"] >= 1, mesh
    assert min(mesh["uv_span"]) > 0.5, f"UVs do not span the photo: {mesh}"
    assert min(mesh["extent"]) > 1e-3 * max(mesh["extent"]), f"mesh has no depth relief: {mesh}"
    textures = [image for material in mesh["materials"] for image in material["image_textures"]]
    assert textures, f"no material with an image texture on {mesh}"
    assert all(min(image["size"]) > 0 for image in textures), textures
    camera = collections[0]["cameras"][0]
    assert camera["type"] == "PERSP" and camera["lens"] > 0 and camera["is_scene_camera"], camera
    start, middle = camera["positions"]
    assert camera["frames"][1] > camera["frames"][0], camera
    assert max(abs(a - b) for a, b in zip(start, middle)) > 1e-3, f"the camera does not move: {camera}"

    print(
        f"\nBlender {version} (Python {python}, numpy {result['numpy_version']}): "
        f"install {result['install_seconds']:.1f} s, create_3d_photo {result['operator_seconds']:.1f} s, "
        f"subprocess {blender_seconds:.1f} s; mesh {mesh['vertices']} vertices; "
        f"installed {sum(f.stat().st_size for f in site_packages.rglob('*') if f.is_file()) / 1e6:.0f} MB"
    )
    # The installed wheels; pytest keeps the last three runs' folders otherwise.
    shutil.rmtree(tmp_path, ignore_errors=True)
