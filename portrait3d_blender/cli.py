"""Command line: the same pipeline as the operator, for scripts and batch work.

    python -m portrait3d_blender depth PHOTO -o DEPTH.png [--8bit] [--overwrite]
    python -m portrait3d_blender make PHOTO -o OUT.mp4|OUT.webm|OUT.gif|FOLDER/ [--preset preview|final]
        [--move orbit|swing|vertical|dolly|dolly-zoom|ken-burns] [--easing ease|linear] [--one-way]
        [--frames N] [--fps N] [--width PX] [--samples N] [--engine cycles|eevee] [--lit]
        [--mesh-resolution N] [--depth-strength S] [--single-sheet] [--tear-threshold T] [--orbit-size S]
        [--depth-maps] [--export MESH.glb|.obj|.ply] [--dof F_STOP [--focus-at X,Y]] [--still STILL.png]
        [--stereo sbs|anaglyph] [--blend F] [--overwrite]

The options that set `pipeline.Settings` are made from `core.options`, as the panel's settings are.
"""

import argparse
import sys
from pathlib import Path

from .core import batch_plan, image, journal, output_files, output_guard, pipeline, supervisor, verify
from .core.depth_source import DepthSource
from .core.errors import USER_ERRORS, Portrait3DError, user_message
from .core.options import OPTIONS

OVERWRITE_HINT = "pass --overwrite to replace it"  # the command line's way of allowing an existing output


class CommandError(Portrait3DError):
    """A problem with the command line's arguments, reported in one line."""


def _parser():
    parser = argparse.ArgumentParser(prog="python -m portrait3d_blender", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    commands = parser.add_subparsers(dest="command", required=True)

    depth = commands.add_parser("depth", help="write a 16-bit depth map (white = near) of the photo's size")
    depth.add_argument("photo", type=Path)
    depth.add_argument("-o", "--output", type=Path, required=True, help="PNG file to write")
    depth.add_argument("--8bit", dest="eight_bit", action="store_true", help="8-bit PNG instead of 16-bit")
    depth.add_argument("--overwrite", action="store_true", help="replace an existing output")

    make = commands.add_parser("make", help="build the 3D photo and render its camera loop to a video")
    make.add_argument("photo", type=Path)
    make.add_argument(
        "-o", "--output", required=True,
        help="what to render, by its suffix: .mp4 (H.264), .webm (VP9), .gif, or a folder/ of PNG frames",
    )
    _add_make_options(make)

    batch = commands.add_parser(
        "batch", help="make a 3D photo of every photo in a folder; skips finished ones, goes on past bad ones"
    )
    batch.add_argument("folder", type=Path)
    batch.add_argument("-o", "--output", type=Path, required=True, help="folder for the results")
    batch.add_argument(
        "--format", choices=tuple(fmt.lower() for fmt in output_files.FORMATS), default="mp4",
        help="what each photo becomes: <name>.mp4, .webm, .gif, or a folder of PNG frames",
    )
    _add_make_options(batch)
    return parser


def _add_make_options(make):
    """Options shared by `make` and `batch`."""
    make.add_argument(
        "--preset", choices=tuple(output_files.PRESETS),
        help="preview: small and fast (384 px, 4 samples); final: the photo's resolution, 64 samples. "
        "--width, --samples and --mesh-resolution override it",
    )
    make.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    make.add_argument(
        "--depth-maps", action="store_true",
        help="also write OUTPUT_depth.png (8-bit, white = near) and OUTPUT_mask.png beside the output",
    )
    make.add_argument(
        "--export", type=Path, action="append", default=[], metavar="MESH",
        help="also export the 3D photo's meshes: .glb (binary glTF, texture embedded), .obj (+ .mtl, textures) "
        "or .ply; may be given more than once",
    )
    make.add_argument("--dof", type=float, metavar="F_STOP",
                      help="depth of field focused on the face at this f-stop (e.g. 2.8; lower blurs more)")
    make.add_argument("--focus", choices=("face", "all-faces"), default="face",
                      help="with --dof: the biggest face, or every face in the photo: focus between them and stop "
                      "down as far as needed for each to stay within one output pixel's blur (says which f-stop)")
    make.add_argument("--focus-at", type=_pixel, metavar="X,Y",
                      help="with --dof: focus on this pixel of the photo (as displayed) instead of the face")
    make.add_argument("--still", type=Path, metavar="PNG",
                      help="also render the first frame as a still PNG ('refocus' with --dof)")
    make.add_argument("--stereo", choices=("sbs", "anaglyph"),
                      help="render left and right views side by side (twice as wide) or as a red/cyan anaglyph")
    for kind, size in (("text", 80.0), ("sticker", 240.0)):
        placed = make.add_argument_group(f"{kind} in depth (hidden by whatever is nearer as the camera moves)")
        if kind == "text":
            placed.add_argument("--text", metavar="TEXT", help="add this text, facing the capture camera")
        else:
            placed.add_argument("--sticker", type=Path, metavar="IMAGE", help="add this image (its alpha kept)")
        placed.add_argument(f"--{kind}-at", type=_pixel, metavar="X,Y",
                            help=f"the {kind}'s centre: a pixel of the photo")
        placed.add_argument(f"--{kind}-depth", type=float, default=1.0, metavar="SHARE",
                            help="0 at the nearest person, 1 (the default) just in front of the wall behind the pixel")
        placed.add_argument(f"--{kind}-size", type=float, default=size, metavar="PX",
                            help=f"height in photo pixels (default {size:g})")
    make.add_argument(
        "--depth-map", metavar="PATH|auto",
        help="use this depth map instead of the network's: 16-bit or 8-bit PNG, JPEG, float TIFF or EXR, "
        "white = near, stretched to the photo (same aspect within 1%%); 'auto': PHOTO_depth.jpg beside the "
        "photo (Facebook's convention), else the depth a phone embedded in it (Google Camera GDepth or Dynamic Depth)",
    )
    make.add_argument("--depth-map-far-is-white", action="store_true",
                      help="the depth map is white far away (a float map then holds distances)")
    make.add_argument("--device", choices=("auto", "cpu"), default="auto",
                      help="where Cycles renders: auto takes a GPU when Cycles finds one (the depth network always "
                      "runs on the CPU)")
    make.add_argument("--width", type=int, help="video width in pixels (default: 1024 on the long side)")
    make.add_argument("--blend", type=Path, help="also save the scene as this .blend for refinement")
    _add_setting_options(make)


def _add_setting_options(make):
    """One option for each `pipeline.Settings` field that `core.options` gives a flag (default: unchanged)."""
    defaults = pipeline.Settings()
    for name, option in OPTIONS.items():
        if option.flag is None:
            continue
        default = getattr(defaults, name)
        if option.flag_value is not None:
            help_text = option.description if option.flag_value else f"{option.label} off ({option.description})"
            make.add_argument(option.flag, dest=name, action="store_const", const=option.flag_value, help=help_text)
        elif option.choices:
            make.add_argument(option.flag, dest=name, choices=[option.cli_choice(key) for key, *_ in option.choices],
                              help=f"{option.description} (default: {option.cli_choice(default)})")
        else:
            make.add_argument(option.flag, dest=name, type=type(default), metavar="N" if type(default) is int else "X",
                              help=f"{option.description} (default: {default})")


def _given_settings(arguments):
    """{field: value} of the setting options given, in Settings' terms; CommandError for one out of range."""
    given = {}
    for name, option in OPTIONS.items():
        value = getattr(arguments, name, None) if option.flag else None
        if value is None:
            continue
        if option.choices:
            value = {option.cli_choice(key): key for key, *_ in option.choices}[value]
        elif option.flag_value is None and not option.min <= value <= option.max:
            raise CommandError(f"{option.flag} must be from {option.min:g} to {option.max:g}, not {value:g}")
        given[name] = value
    return given


def _check_output(photo, output, suffixes=None, overwrite=False):
    """Raise unless `output` may be written; `suffixes` limit a single file, None: a render."""
    output = Path(output)
    if suffixes is not None and output.suffix.lower() not in suffixes:
        raise CommandError(f"Output must end in {' or '.join(suffixes)}: {output}")
    output_files.check_output(output, photo, overwrite, fmt="FILE" if suffixes else None)


def write_depth_png(nearness, width, height, path, bits=16):
    """Nearness → grayscale PNG at width×height; white = near, as Facebook's photo_depth maps."""
    output_files.write_map_png(nearness, width, height, path, bits)


def run_depth(arguments):
    _check_output(arguments.photo, arguments.output, (".png",), arguments.overwrite)
    with output_guard.claim([arguments.output]):
        _check_output(arguments.photo, arguments.output, (".png",), arguments.overwrite)  # no one came first
        analysis = pipeline.analyse_photo(arguments.photo)
        width, height = analysis.photo.width, analysis.photo.height

        def reads_back(written):
            verify.image(written, (width, height))

        with output_files.atomic_file(arguments.output, reads_back) as temporary:
            write_depth_png(analysis.nearness, width, height, temporary, 8 if arguments.eight_bit else 16)
    _report(analysis, f"Wrote {arguments.output}")


def _pixel(text):
    """'X,Y' → (x, y) floats: a pixel of the photo as displayed."""
    try:
        x, y = (float(value) for value in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y in pixels, got {text!r}") from None
    return x, y


def _make_settings(arguments, photo_width, photo_height):
    """Settings from the preset (if any), then the options given explicitly, for a photo of this size."""
    settings = pipeline.Settings(compute_device=arguments.device.upper())
    if arguments.preset:
        for name, value in output_files.preset_settings(arguments.preset, max(photo_width, photo_height)).items():
            setattr(settings, name, value)
    for name, value in _given_settings(arguments).items():
        setattr(settings, name, value)
    if arguments.width:
        long_over_width = max(photo_width, photo_height) / photo_width
        settings.render_size = max(16, round(arguments.width * long_over_width))
    return settings


def _depth_source(arguments):
    if arguments.depth_map_far_is_white and arguments.depth_map is None:
        raise CommandError("--depth-map-far-is-white goes with --depth-map PATH|auto")
    return DepthSource.from_option(arguments.depth_map, arguments.depth_map_far_is_white)


def _in_depth_requests(arguments):
    """(kind, content, pixel, share, size) for each --text / --sticker, checked before any work starts."""
    requests = []
    for kind, what in (("text", "TEXT"), ("sticker", "IMAGE")):
        content, pixel = getattr(arguments, kind), getattr(arguments, f"{kind}_at")
        share, size = getattr(arguments, f"{kind}_depth"), getattr(arguments, f"{kind}_size")
        if (content is None) != (pixel is None):
            raise CommandError(f"--{kind} and --{kind}-at go together")
        if content is None:
            continue
        if not 0.0 <= share <= 1.0:
            raise CommandError(f"--{kind}-depth is a share from 0 (nearest person) to 1 (the wall): got {share:g}")
        if size <= 0:
            raise CommandError(f"--{kind}-size must be a positive number of photo pixels")
        if kind == "sticker" and not Path(content).is_file():
            raise CommandError(f"Sticker image not found: {content}")
        requests.append((what, str(content), pixel, share, size))
    return requests


def _make_outputs(arguments, output):
    """Every file `make` will write, each checked (not taken, not the photo, a folder we can write in) before
    any work."""
    _check_output(arguments.photo, output, overwrite=arguments.overwrite)
    files = [output]
    maps = output_files.map_paths(output) if arguments.depth_maps else ()
    for path, suffixes in ((arguments.blend, (".blend",)), (arguments.still, (".png",)), *((m, (".png",)) for m in maps)):
        if path is not None:
            _check_output(arguments.photo, path, suffixes, arguments.overwrite)
            files.append(path)
    for path in arguments.export:
        output_files.check_mesh_export(path, arguments.photo, arguments.overwrite)
        files += output_files.mesh_export_files(path)
    return files


def _frame_size(arguments, settings, photo_size):
    """The size of the frames `make` renders for a photo of `photo_size` (twice as wide side by side)."""
    width, height = output_files.render_size(*photo_size, settings.render_size)
    return (width * 2, height) if arguments.stereo == "sbs" else (width, height)


def _check_frames(arguments, fmt, settings, photo_size):
    """Refuse in one line a frame size the encoder cannot take, or a disk that clearly cannot hold the render."""
    frame = _frame_size(arguments, settings, photo_size)
    what = f"--width {arguments.width} on a {photo_size[0]}×{photo_size[1]} photo " if arguments.width else ""
    output_guard.check_frames(fmt, *frame, settings.fps, settings.frames, Path(arguments.output).parent, what)


def run_make(arguments):
    fmt = output_files.format_of(arguments.output)
    output = Path(arguments.output)
    files = _make_outputs(arguments, output)
    if arguments.dof is not None and arguments.dof <= 0:
        raise CommandError("--dof must be a positive f-stop")
    if arguments.focus_at is not None and arguments.dof is None:
        raise CommandError("--focus-at goes with --dof F_STOP")
    if arguments.focus == "all-faces" and (arguments.dof is None or arguments.focus_at is not None):
        raise CommandError("--focus all-faces goes with --dof F_STOP, and not with --focus-at")
    _given_settings(arguments)  # refuses a setting out of range before any work
    depth_source = _depth_source(arguments)
    in_depth_requests = _in_depth_requests(arguments)
    photo_size = image.displayed_size(arguments.photo)
    settings = _make_settings(arguments, *photo_size)
    _check_frames(arguments, fmt, settings, photo_size)
    with output_guard.claim(files):
        _make_outputs(arguments, output)  # again, holding the locks: a run that finished meanwhile wins
        _make_claimed(arguments, output, fmt, settings, depth_source, in_depth_requests)


def _make_claimed(arguments, output, fmt, settings, depth_source, in_depth_requests):
    """`make` once every output is checked and locked."""
    import bpy

    from .blender import export, focus, in_depth, outputs
    from .blender import scene as blender_scene

    analysis = pipeline.analyse_photo(arguments.photo, depth_source=depth_source)
    focus_point = (0.0, 0.0, 0.0)  # the face
    if arguments.focus_at is not None:
        x, y = arguments.focus_at
        width, height = analysis.photo.width, analysis.photo.height
        if not (0 <= x <= width and 0 <= y <= height):
            raise CommandError(f"--focus-at {x:g},{y:g} is outside the photo ({width}×{height} pixels)")
        focus_point = tuple(pipeline.surface_point(analysis, settings, x, y))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    empty_scene = bpy.context.scene
    photo, device = blender_scene.make_3d_photo(empty_scene, arguments.photo, settings, analysis=analysis)
    scene = bpy.context.window.scene = photo.scene
    bpy.data.scenes.remove(empty_scene)  # the .blend holds the 3D photo's scene only
    for request in in_depth_requests:
        in_depth.place_in_depth(photo, settings, *request)
    written = []
    for path in arguments.export:  # before the render: quick, and a problem shows before the long part
        written += export.export_meshes(bpy.context, photo, path, arguments.overwrite)
    width, height = scene.render.resolution_x, scene.render.resolution_y
    print(f"Rendering {settings.frames} frames of {width}×{height} as {fmt} with {device}", file=sys.stderr)
    stereo_mode = {None: "NONE", "sbs": "SIDE_BY_SIDE", "anaglyph": "ANAGLYPH"}[arguments.stereo]
    f_stop = arguments.dof
    if arguments.focus == "all-faces":
        all_faces = focus.all_faces_focus(scene, photo, settings, arguments.dof)
        f_stop, focus_point = all_faces.f_stop, tuple(all_faces.point)
        print(focus.all_faces_line(all_faces), file=sys.stderr)
    focus.set_up_camera(scene, photo, stereo_mode, f_stop=f_stop, point=focus_point)
    if arguments.still is not None:
        focus.render_still(scene, arguments.still, frame=scene.frame_start)
        written.append(arguments.still)
    outputs.render_animation(scene, output, fmt)
    written.insert(0, output)
    if arguments.depth_maps:
        depth_path, mask_path = output_files.map_paths(output)
        output_files.write_maps(analysis, depth_path, mask_path, bits=8)
        written += [depth_path, mask_path]
    if arguments.blend is not None:
        _keep_settings(photo.scene, settings)
        written.append(outputs.save_blend_copy(arguments.blend))
    _report(analysis, "\n".join(f"Wrote {path}" for path in written))


def _keep_settings(scene, settings):
    """Give the 3D photo's scene the panel's settings as this run made it, so Update and Render in Blender go on
    from there; the add-on's classes are registered for that (this process is a plain bpy module)."""
    import bpy

    if not hasattr(bpy.types.Scene, "portrait3d"):
        from . import register

        register()
    from .ui.context import store_settings

    store_settings(scene, settings)


def _return_freed_memory():
    """Hand freed heap pages back to the system (glibc keeps them otherwise); elsewhere, do nothing."""
    import ctypes
    import ctypes.util

    library = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(library), "malloc_trim", None) if library and sys.platform == "linux" else None
    if trim is not None:
        trim(0)


def _one_line(error):
    """A failure as one line: our errors and OSErrors say what they mean; anything else is named by its type."""
    if isinstance(error, USER_ERRORS):
        return user_message(error, OVERWRITE_HINT)
    return f"{type(error).__name__}: {verify.blender_error_line(error)}"


def run_batch(arguments, on_photo_done=None):
    """`make` for every photo in a folder, one at a time in this process, with a fresh scene for each.

    A result the manifest records as complete is skipped (so a stopped batch resumes); any photo that fails,
    whatever the error, is reported and the batch goes on; the summary, always printed, names every failure.
    `on_photo_done(path, status)` lets a benchmark watch.
    """
    single_files = [flag for flag, value in (("--export", arguments.export), ("--blend", arguments.blend),
                                             ("--still", getattr(arguments, "still", None))) if value]
    if single_files:
        raise CommandError(f"{', '.join(single_files)} name one file; batch writes one result per photo")
    if arguments.text is not None or arguments.sticker is not None:
        raise CommandError("--text and --sticker go at a pixel of one photo: use make")
    if arguments.depth_map is not None and arguments.depth_map.lower() != "auto":
        raise CommandError("batch takes --depth-map auto (each photo's own depth); one depth map fits one photo")
    if not arguments.folder.is_dir():
        raise CommandError(f"Not a folder: {arguments.folder}")
    if arguments.output.exists() and not arguments.output.is_dir():
        raise CommandError(f"Output for a batch is a file, not a folder: {arguments.output}")
    arguments.output.mkdir(parents=True, exist_ok=True)
    output_guard.probe_writable(arguments.output)
    fmt = arguments.format.upper()
    with output_guard.claim([arguments.output / batch_plan.MANIFEST_NAME]):
        manifest = batch_plan.Manifest(arguments.output)  # read once, after the claim: no other batch writes it
        work, own = batch_plan.plan(arguments.folder, arguments.output, fmt, manifest)
        _batch(arguments, fmt, manifest, work, own, on_photo_done)


def _batch(arguments, fmt, manifest, work, own, on_photo_done):
    import gc

    counts = {"made": 0, "skipped": 0, "failed": 0}
    failures = []

    def tally():
        left_out = f"; {len(own)} of its own outputs left out" if own else ""
        return (f"Batch: {counts['made']} made, {counts['skipped']} skipped (already there), "
                f"{counts['failed']} failed, of {len(work)} photos in {arguments.folder}{left_out}")

    journal.note_tally(tally())  # a batch cancelled in its first photo still says where it stood
    try:
        for photo, output in work:
            try:
                status = _batch_photo(arguments, fmt, manifest, photo, output)
            except Exception as error:  # noqa: BLE001 - any failure of one photo is reported, the batch goes on
                status = "failed"
                failures.append(f"{photo.name}: {_one_line(error)}")
                print(f"error: {failures[-1]}", file=sys.stderr)
            if status != "skipped":
                from .blender import photo3d

                photo3d.forget_analyses()
                gc.collect()
                _return_freed_memory()
            counts[status] += 1
            journal.note_tally(tally())
            if on_photo_done is not None:
                on_photo_done(photo, status)
    finally:
        print(tally())
    if failures:
        raise CommandError(f"{len(failures)} of {len(work)} photos failed: " + "; ".join(failures))


def _batch_photo(arguments, fmt, manifest, photo, output):
    """Make one photo's result unless the manifest (or reading it back) shows it is done; 'made' or 'skipped'."""
    def files():
        return batch_plan.result_files(output, fmt, arguments.depth_maps)

    if not arguments.overwrite and manifest.is_done(output):  # hashing the files only when it can matter
        return "skipped"
    single = argparse.Namespace(**vars(arguments))
    single.photo, single.output = photo, str(output) + ("/" if fmt == "PNG" else "")
    exists = output.is_dir() if fmt == "PNG" else output.exists()
    if exists and not arguments.overwrite:
        photo_size = image.displayed_size(photo)
        settings = _make_settings(single, *photo_size)
        frame = _frame_size(single, settings, photo_size)
        state = batch_plan.check_existing(output, fmt, settings.frames, frame, settings.fps)
        if state == "complete" and all(path.is_file() for path in files()):
            manifest.record(output, photo, files())  # made before the manifest existed: adopted
            return "skipped"
        single.overwrite = True  # unreadable or incomplete: nothing of value is lost by making it again
        why = "its depth and mask maps are missing" if state == "complete" else "the one there does not read back"
        print(f"Remaking {output.name}: {why}", file=sys.stderr)
    run_make(single)
    manifest.record(output, photo, files())
    return "made"


def _report(analysis, message):
    if analysis.notice:
        print(f"Note: {analysis.notice}", file=sys.stderr)
    print(message)


def main(argv=None):
    """Run the command line: in a worker process that Ctrl-C and SIGTERM stop at once (see `supervisor`),
    unless this is that worker."""
    arguments = _parser().parse_args(argv)  # usage errors from here, before a worker starts
    if not supervisor.in_worker():
        return supervisor.run(sys.argv[1:] if argv is None else [str(argument) for argument in argv])
    commands = {"depth": run_depth, "make": run_make, "batch": run_batch}
    try:
        commands[arguments.command](arguments)
    except USER_ERRORS as error:
        if arguments.debug:
            raise
        print(f"error: {user_message(error, OVERWRITE_HINT)}", file=sys.stderr)
        return 1
    return 0
