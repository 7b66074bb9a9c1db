"""Render the scene's animation to MP4 (H.264), WebM (VP9), an animated GIF or a folder of PNG frames.

Blender renders into a temporary file or folder beside the destination (a folder of PNG frames for a GIF); only
a render that reads back whole — every video frame decodes, every PNG frame loads, at the size asked — is renamed
into place. The same `PendingOutput` serves the synchronous render
of the CLI and tests and the UI's render job, which finishes it from a timer once Blender reports completion.
"""

from pathlib import Path

import bpy

from ..core import journal, output_files, output_guard, verify
from . import compat
from . import render as blender_render


class PendingOutput:
    """One animation render on its way to `output`: configure, render, then `commit()` or `discard()`."""

    def __init__(self, output, fmt=None):
        self.output = Path(output)
        self.format = fmt or output_files.format_of(output)
        self.state = "RENDERING"  # then COMPLETE or CANCELLED (set by the render handlers), then DONE
        self.error = ""
        if self.format in ("MP4", "WEBM"):
            self.target = output_files.temporary_name(self.output)
            for view in self._view_files():  # a stereo video's name, journaled so a kill leaves none
                journal.note_temporary(view)
        else:
            self.target = output_files.temporary_folder(self.output, "frames")

    def configure(self, scene):
        """Point the scene's output at the temporary target in this format (OutputError if the encoder cannot
        take the scene's frame size or rate)."""
        self.fps = scene.render.fps / scene.render.fps_base
        self.previous_filepath = scene.render.filepath
        self.frame_count = scene.frame_end - scene.frame_start + 1
        self.size = blender_render.frame_size(scene)
        output_guard.check_frames(self.format, *self.size, self.fps, self.frame_count, self.output.parent)
        if self.format == "MP4":
            blender_render.configure_video(scene, self.target)
        elif self.format == "WEBM":
            blender_render.configure_video(scene, self.target, container="WEBM", codec="WEBM")
        else:
            configure_frames(scene, self.target)

    def _view_files(self):
        return [self.target.with_name(f"{self.target.stem}{view}{self.target.suffix}") for view in ("_L", "_R")]

    def _video_file(self):
        """The file Blender wrote: a stereo 3D video is named after its first view (`_L`), both views in it."""
        return next((path for path in [self.target, *self._view_files()] if path.is_file()), None)

    def commit(self):
        """Move the finished render into place once it reads back whole; otherwise raise OutputError (naming a
        full disk as such) after cleaning up, leaving no final file."""
        try:
            if self.format in ("MP4", "WEBM"):
                video = self._video_file()
                if video is None:
                    raise output_files.OutputError("Blender wrote no video")
                verify.video(video, self.frame_count, self.size)
                video.replace(self.output)
                return
            frames = output_files.frame_files(self.target)
            if self.format == "GIF":  # each frame checked as it is decoded for the GIF
                output_files.write_gif_atomic(frames, self.output, self.fps, self.size, self.frame_count)
            else:
                verify.frames_folder(frames, self.frame_count, self.size)
                output_files.commit_folder(self.target, self.output)
        except (OSError, output_files.OutputError) as error:
            raise verify.write_failure(self.output, error) from None
        finally:
            self.state = "DONE"
            self.discard()

    def discard(self):
        journal.remove_path(self.target)
        if self.format in ("MP4", "WEBM"):
            for view in self._view_files():
                view.unlink(missing_ok=True)


def configure_frames(scene, folder):
    """Render each frame as an 8-bit RGB PNG named frame_0001.png … in `folder`."""
    settings = scene.render.image_settings
    compat.set_media_type(settings, "IMAGE")
    settings.file_format = "PNG"
    settings.color_mode = "RGB"
    settings.color_depth = "8"
    scene.render.filepath = str(Path(folder) / output_files.FRAME_PREFIX)
    scene.render.use_file_extension = True


def render_animation(scene, output, fmt=None):
    """Render the animation synchronously to `output` (checks are the caller's: `output_files.check_output`)."""
    pending = PendingOutput(output, fmt)
    try:
        pending.configure(scene)
        bpy.ops.render.render(animation=True, scene=scene.name)
    except RuntimeError as error:  # Blender could not write (its message may be a whole traceback)
        pending.discard()
        raise verify.write_failure(pending.output, error) from None
    except BaseException:
        pending.discard()
        raise
    pending.commit()
    _point_scene_at(scene, pending)
    return pending.output


# The UI's render job: the handlers only flag the end (they may run on the render thread); a main-thread timer
# then finishes the output, so Blender data is never touched from another thread.
_pending = None


def _on_render_complete(*_args):
    if _pending is not None:
        _pending.state = "COMPLETE"


def _on_render_cancel(*_args):
    if _pending is not None:
        _pending.state = "CANCELLED"


def _remove_handlers():
    for handlers, handler in (
        (bpy.app.handlers.render_complete, _on_render_complete),
        (bpy.app.handlers.render_cancel, _on_render_cancel),
    ):
        while handler in handlers:
            handlers.remove(handler)


def start_render_job(scene, output, fmt=None, on_finished=None):
    """Start Blender's render job for the animation and finish `output` when it ends.

    `on_finished(message, is_error)` is called on the main thread. In background mode (no event loop, so no
    timers) the render runs synchronously and the output is finished before this returns.
    """
    global _pending
    if _pending is not None and _pending.state != "DONE":
        raise output_files.OutputError("A Portrait 3D render is already running")
    claim = output_guard.Claim([output]).acquire()  # no other run (another Blender, the CLI) writes it meanwhile
    pending = None
    try:
        pending = PendingOutput(output, fmt)
        pending.configure(scene)
    except BaseException:
        if pending is not None:
            pending.discard()
        claim.release()
        raise
    scene_name = scene.name
    _pending = pending
    bpy.app.handlers.render_complete.append(_on_render_complete)
    bpy.app.handlers.render_cancel.append(_on_render_cancel)

    def finish():
        global _pending
        if pending.state == "RENDERING":
            if bpy.app.is_job_running("RENDER"):
                return 0.5  # poll again
            pending.state = "COMPLETE"  # the job ended without a handler call: commit checks every frame is there
        _remove_handlers()
        _pending = None
        message, is_error = f"Wrote {pending.output}", False
        try:
            if pending.state == "CANCELLED":
                pending.discard()
                message, is_error = f"Render cancelled; {pending.output} was not written", True
            else:
                pending.commit()
                scene = bpy.data.scenes.get(scene_name)
                if scene is not None:
                    _point_scene_at(scene, pending)
        except (output_files.OutputError, OSError) as error:
            message, is_error = str(error), True
        finally:
            claim.release()
        pending.state = "DONE"
        pending.error = message if is_error else ""
        if on_finished is not None:
            on_finished(message, is_error)
        return None

    try:
        if bpy.app.background:
            bpy.ops.render.render(animation=True, scene=scene_name)
            if pending.state == "RENDERING":  # no handler fired: treat as complete, commit checks the frames
                pending.state = "COMPLETE"
            finish()
        else:
            bpy.ops.render.render("INVOKE_DEFAULT", animation=True)
            bpy.app.timers.register(finish, first_interval=0.5)
    except BaseException as error:
        _remove_handlers()
        _pending = None
        pending.discard()
        claim.release()
        if isinstance(error, RuntimeError):  # Blender could not render or write: one line
            raise verify.write_failure(pending.output, error) from None
        raise
    return pending


def _point_scene_at(scene, pending):
    """Leave the scene's output on the result, so a saved .blend does not name a deleted temporary file."""
    if pending.format in ("MP4", "WEBM"):
        scene.render.filepath = str(pending.output)
    elif pending.format == "PNG":
        scene.render.filepath = str(pending.output / output_files.FRAME_PREFIX)
    else:  # Blender cannot write a GIF itself: the output is back where it was
        scene.render.filepath = pending.previous_filepath


def save_blend_copy(path):
    """Save the open file as a copy at `path`, renamed into place only once it reopens with every object."""
    objects = len(bpy.data.objects)

    def reopens(written):
        verify.blend_bytes(written)
        try:
            with bpy.data.libraries.load(str(written)) as (data_from, _):
                found = len(data_from.objects)
        except OSError as error:
            raise output_files.OutputError(f"the .blend does not reopen ({error})") from None
        if found != objects:
            raise output_files.OutputError(f"the .blend reopens with {found} of {objects} objects")

    with output_files.atomic_file(path, reopens) as temporary:
        bpy.ops.wm.save_as_mainfile(filepath=str(temporary), copy=True)
    return Path(path)
