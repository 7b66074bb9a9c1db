"""End-to-end check of the built extension: build the zip, install it into a fresh Blender user
folder the way a user would ("Install from Disk"), then make a 3D photo with it.

Everything Blender-side runs in a subprocess, so this test's own bpy session is untouched, and
that subprocess sees only what a real Blender has: the standard library plus the packages Blender
bundles (bpy, numpy, requests & co.). The repository's .venv also holds torch, mediapipe, cv2...;
if the subprocess could see them, a wheel missing from the extension would go unnoticed. torch must not
be there at all: the depth network runs as an ONNX export in OpenCV.

Run it with `pytest -m slow tests/test_install.py -s` (about a minute; it writes ~1.5 GB to the
pytest temporary folder and removes it again when it passes). Set PORTRAIT3D_TEST_MODELS to bundle
the ONNX depth models of another folder than models/.
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

ROOT = Path(__file__).resolve().parents[1]
ADDON_MODULE = "bl_ext.user_default.portrait3d_blender"

# What Blender 4.2 - 5.0 bundle in their Python (and the bpy wheel declares as dependencies):
# the only third-party modules the add-on may find without its own wheels.
BLENDER_BUNDLED = (
    "bpy", "numpy", "numpy.libs", "requests", "certifi", "idna", "urllib3",
    "charset_normalizer", "zstandard", "Cython", "cython.py",
)

# Modules that must come from the extension's wheels, installed into the user folder.
FROM_WHEELS = (
    "mediapipe", "mediapipe.tasks.python.vision", "cv2", "PIL", "matplotlib",
)

IN_BLENDER = r'''
import importlib.util, json, os, sys, time
sys.path.insert(0, os.environ["P3D_BLENDER_PYTHON"])
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
                info["cameras"].append(obj.name)
        new_collections.append(info)
    result["new_collections"] = new_collections
    result["new_objects"] = sorted(set(bpy.data.objects.keys()) - objects_before)
except BaseException as error:  # report everything to the test, which makes the verdict
    import traceback
    result["error"] = traceback.format_exc()
print("P3D_RESULT " + json.dumps(result), flush=True)
'''


def _site_packages_dir():
    spec = importlib.util.find_spec("bpy")
    return Path(list(spec.submodule_search_locations)[0]).parent


def _blender_like_python(folder):
    """A folder that exposes only the packages Blender bundles, linked from the venv."""
    site_packages = _site_packages_dir()
    folder.mkdir()
    for name in BLENDER_BUNDLED:
        if (site_packages / name).exists():
            (folder / name).symlink_to(site_packages / name)
    assert (folder / "bpy").exists() and (folder / "numpy").exists()
    return folder


def _astronaut_photo():
    spec = importlib.util.find_spec("skimage")
    assert spec is not None, "scikit-image is needed for its sample photo"
    photo = Path(list(spec.submodule_search_locations)[0]) / "data" / "astronaut.png"
    assert photo.is_file(), photo
    return photo


def _build_extension(out_dir):
    cmd = [sys.executable, str(ROOT / "build.py"), "--out", str(out_dir), "--platform", "linux-x64"]
    if os.environ.get("PORTRAIT3D_TEST_MODELS"):
        cmd += ["--models", os.environ["PORTRAIT3D_TEST_MODELS"]]
    started = time.monotonic()
    build = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - started
    assert build.returncode == 0, f"build.py failed:\n{build.stdout}\n{build.stderr}"
    zips = sorted(out_dir.glob("portrait3d_blender-*.zip"))
    assert len(zips) == 1, f"expected one archive in {out_dir}, found {zips}"
    return zips[0], seconds


@pytest.mark.slow
def test_built_extension_installs_and_makes_a_3d_photo(tmp_path):
    archive, build_seconds = _build_extension(tmp_path / "dist")
    user_resources = tmp_path / "blender_user"
    user_resources.mkdir()
    blender_python = _blender_like_python(tmp_path / "blender_python")
    script = tmp_path / "in_blender.py"
    script.write_text(IN_BLENDER)

    # A fresh user: own home (matplotlib's font cache, thumbnails...) and Blender user folder.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "XDG_", "MPL"))}
    (tmp_path / "home").mkdir()
    env.update(
        HOME=str(tmp_path / "home"),
        BLENDER_USER_RESOURCES=str(user_resources),
        P3D_ADDON_MODULE=ADDON_MODULE,
        P3D_BLENDER_PYTHON=str(blender_python),
        P3D_ZIP=str(archive),
        P3D_PHOTO=str(_astronaut_photo()),
        P3D_FROM_WHEELS=",".join(FROM_WHEELS),
    )
    started = time.monotonic()
    # -S: no site-packages (so not the venv's), -I: ignore PYTHON* variables and the user site.
    run = subprocess.run(
        [sys.executable, "-S", "-I", str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    blender_seconds = time.monotonic() - started
    log = f"--- stdout ---\n{run.stdout[-6000:]}\n--- stderr ---\n{run.stderr[-6000:]}"
    lines = [line for line in run.stdout.splitlines() if line.startswith("P3D_RESULT ")]
    assert lines, f"the Blender subprocess gave no result (exit {run.returncode})\n{log}"
    result = json.loads(lines[-1][len("P3D_RESULT "):])
    assert "error" not in result, f"{result['error']}\n{log}"

    # Installed and enabled, with its wheels in the user folder's site-packages.
    assert result["install_result"] == ["FINISHED"], log
    assert ADDON_MODULE in result["enabled_addons"], f"{result['enabled_addons']}\n{log}"
    assert result["addon_preferences"], "the add-on's preferences are not registered under its extension module"
    extension_dir = Path(result["repos"]["user_default"]) / "portrait3d_blender"
    assert extension_dir.is_relative_to(user_resources), extension_dir
    assert (extension_dir / "__init__.py").is_file()
    assert sorted(path.name for path in (extension_dir / "weights").iterdir()) == [
        "portrait_depth_192x256.onnx", "portrait_depth_256x192.onnx"]
    site_packages = user_resources / "extensions" / ".local" / "lib" / "python3.11" / "site-packages"
    installed = {path.name for path in site_packages.iterdir()}
    assert (extension_dir / "LICENSE").is_file() and (extension_dir / "mediapipe_models" / "LICENSE").is_file()
    for name in ("mediapipe", "cv2", "PIL", "matplotlib"):
        assert name in installed, f"{name} not installed into {site_packages}: {sorted(installed)}"
    assert not any(name.startswith("numpy") for name in installed), "numpy must come from Blender"
    assert not any(name.startswith(("torch", "typing_extensions")) for name in installed), sorted(installed)
    assert not result["torch_importable"] and not result["torch_imported"], "torch must not be needed"
    for name, module_file in result["module_files"].items():
        if name == "numpy":
            assert Path(module_file).is_relative_to(blender_python), module_file
        else:
            assert Path(module_file).is_relative_to(site_packages), f"{name} imported from {module_file}"

    # The operator built a collection with a textured, UV-mapped relief mesh and a camera.
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

    print(
        f"\nbuild {build_seconds:.1f} s, archive {archive.stat().st_size / 1e6:.1f} MB, "
        f"install {result['install_seconds']:.1f} s, create_3d_photo {result['operator_seconds']:.1f} s, "
        f"Blender subprocess {blender_seconds:.1f} s; mesh {mesh['vertices']} vertices"
    )
    # ~1.5 GB (archive, installed wheels); pytest keeps the last three runs' folders otherwise.
    shutil.rmtree(tmp_path, ignore_errors=True)
