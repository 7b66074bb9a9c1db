"""Command line: the same pipeline as the operator, for scripts and batch work.

    python -m portrait3d_blender depth PHOTO -o DEPTH.png
    python -m portrait3d_blender make PHOTO -o OUT.mp4 [--frames N] [--width PX] [--engine cycles|eevee] [--blend F]
"""

import argparse
import contextlib
import os
import sys
import uuid
from pathlib import Path

import numpy as np

from .core import pipeline


class CommandError(Exception):
    """A problem to report to the user in one line."""


def _parser():
    parser = argparse.ArgumentParser(prog="python -m portrait3d_blender", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto", help="where the depth network runs")
    commands = parser.add_subparsers(dest="command", required=True)

    depth = commands.add_parser("depth", help="write a 16-bit depth map (white = near) of the photo's size")
    depth.add_argument("photo", type=Path)
    depth.add_argument("-o", "--output", type=Path, required=True, help="PNG file to write")

    make = commands.add_parser("make", help="build the 3D photo and render its camera loop to a video")
    make.add_argument("photo", type=Path)
    make.add_argument("-o", "--output", type=Path, required=True, help="MP4 video to write")
    make.add_argument("--frames", type=int, default=pipeline.Settings.frames)
    make.add_argument("--fps", type=int, default=pipeline.Settings.fps)
    make.add_argument("--width", type=int, help="video width in pixels (default: 1024 on the long side)")
    make.add_argument("--engine", choices=("cycles", "eevee"), default="cycles")
    make.add_argument("--samples", type=int, default=pipeline.Settings.render_samples)
    make.add_argument("--mesh-resolution", type=int, default=pipeline.Settings.mesh_resolution)
    make.add_argument("--depth-strength", type=float, default=pipeline.Settings.depth_strength)
    make.add_argument("--orbit-size", type=float, default=pipeline.Settings.orbit_size)
    make.add_argument("--blend", type=Path, help="also save the scene as this .blend for refinement")
    return parser


def _check_output(photo, output, suffixes):
    if output.suffix.lower() not in suffixes:
        raise CommandError(f"Output must end in {' or '.join(suffixes)}: {output}")
    if output.exists() and photo.exists() and output.resolve() == photo.resolve():
        raise CommandError(f"Refusing to overwrite the input photo: {output}")
    if not output.parent.is_dir():
        raise CommandError(f"Output folder does not exist: {output.parent}")


@contextlib.contextmanager
def _atomic_output(output):
    """Yield a fresh path beside `output` (not yet created); it replaces `output` only if the block succeeds.

    The path must not exist beforehand: Blender would keep a `.blend1` backup of an existing file.
    """
    temporary = output.with_name(f".{output.stem}.{uuid.uuid4().hex[:8]}.partial{output.suffix}")
    try:
        yield temporary
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)


def write_depth_png(nearness, width, height, path):
    """Nearness → 16-bit grayscale PNG at width×height; white = near, as Facebook's photo_depth maps."""
    import cv2
    from PIL import Image

    full = cv2.resize(nearness.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    levels = np.round(np.clip(full, 0.0, 1.0) * 65535.0).astype(np.uint16)
    Image.fromarray(levels).save(path, format="PNG")


def run_depth(arguments):
    _check_output(arguments.photo, arguments.output, (".png",))
    analysis = pipeline.analyse_photo(arguments.photo, arguments.device.upper())
    with _atomic_output(arguments.output) as temporary:
        write_depth_png(analysis.nearness, analysis.photo.width, analysis.photo.height, temporary)
    _report(analysis, f"Wrote {arguments.output}")


def run_make(arguments):
    _check_output(arguments.photo, arguments.output, (".mp4",))
    if arguments.blend is not None:
        _check_output(arguments.photo, arguments.blend, (".blend",))
    if arguments.frames < 2:
        raise CommandError("--frames must be at least 2")
    import bpy

    from .blender import render as blender_render
    from .blender import scene as blender_scene

    analysis = pipeline.analyse_photo(arguments.photo, arguments.device.upper())
    settings = pipeline.Settings(
        mesh_resolution=arguments.mesh_resolution,
        depth_strength=arguments.depth_strength,
        frames=arguments.frames,
        fps=arguments.fps,
        orbit_size=arguments.orbit_size,
        engine=arguments.engine.upper(),
        render_samples=arguments.samples,
        compute_device=arguments.device.upper(),
    )
    if arguments.width:
        long_over_width = max(analysis.photo.width, analysis.photo.height) / analysis.photo.width
        settings.render_size = max(16, round(arguments.width * long_over_width))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    *_, device = blender_scene.make_3d_photo(scene, arguments.photo, settings, analysis=analysis)
    print(f"Rendering {settings.frames} frames with {device}", file=sys.stderr)
    with _atomic_output(arguments.output) as temporary:
        blender_render.configure_video(scene, temporary)
        bpy.ops.render.render(animation=True)
    if arguments.blend is not None:
        scene.render.filepath = str(arguments.output)
        with _atomic_output(arguments.blend) as temporary:
            bpy.ops.wm.save_as_mainfile(filepath=str(temporary), copy=True)
    _report(analysis, f"Wrote {arguments.output}")


def _report(analysis, message):
    if analysis.notice:
        print(f"Note: {analysis.notice}", file=sys.stderr)
    print(message)


def main(argv=None):
    from .core.depth import WeightsError
    from .core.image import PhotoError

    arguments = _parser().parse_args(argv)
    commands = {"depth": run_depth, "make": run_make}
    try:
        commands[arguments.command](arguments)
    except (CommandError, PhotoError, WeightsError, OSError) as error:
        if arguments.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
