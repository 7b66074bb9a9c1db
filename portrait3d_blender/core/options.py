"""What each of `pipeline.Settings` means to a user: the one description the panel's PropertyGroup and the
command line's options are both made from (label, tooltip, hard and soft limits, choices, CLI flag).

The defaults are `pipeline.Settings`'s own. `compute_device` is an add-on preference and the CLI's `--device`,
so it is not described here; `tests/core/test_options.py` checks that everything else is, and that the panel
and the CLI agree with it.
"""

from dataclasses import dataclass

from . import camera_path, grading, image


@dataclass(frozen=True)
class Option:
    label: str
    description: str  # the tooltip, and the CLI's help
    min: float | None = None  # hard limits: the panel clamps, the CLI refuses
    max: float | None = None
    soft_min: float | None = None  # the panel slider's range
    soft_max: float | None = None
    step: int | None = None
    precision: int | None = None
    subtype: str | None = None
    choices: tuple = ()  # (key, label, description) of each choice
    flag: str | None = None  # the CLI option; None: the CLI sets this its own way (see cli.py) or not at all
    flag_value: bool | None = None  # for a yes/no setting: what giving the flag sets it to
    live: str | None = None  # "MESH": with Live Update on, a change rebuilds the active 3D photo's mesh;
    #                          "GRADE": a change sets the active 3D photo's grade nodes (live, no re-meshing)
    panel_default: object = None  # where the panel starts when it differs from `pipeline.Settings`'s default

    def cli_choice(self, key):
        """A choice's key as the CLI spells it: "DOLLY_ZOOM" → "dolly-zoom"."""
        return key.lower().replace("_", "-")


def _grade(layer, who):
    """The exposure, saturation and light temperature of one layer of the depth-aware grade."""
    return {
        f"{layer}_exposure": Option(
            f"{layer.title()} Exposure", f"Brighten (+) or darken (−) {who}, in stops (+1 twice as bright)",
            min=-10.0, max=10.0, soft_min=-4.0, soft_max=4.0, step=10, flag=f"--grade-{layer}", live="GRADE",
        ),
        f"{layer}_saturation": Option(
            f"{layer.title()} Saturation", f"Colour of {who}: 0 grey, 1 as shot, more is more vivid",
            min=0.0, max=10.0, soft_max=2.0, flag=f"--saturation-{layer}", live="GRADE",
        ),
        f"{layer}_temperature": Option(
            f"{layer.title()} Temperature",
            f"Colour of the light on {who} in kelvin: {grading.NEUTRAL_KELVIN:g} as shot, lower warmer, higher cooler",
            min=1000.0, max=40000.0, soft_min=2000.0, soft_max=12000.0, step=1000, precision=0,
            flag=f"--temperature-{layer}", live="GRADE",
        ),
    }


MOVE_DESCRIPTIONS = {
    "ORBIT": ("Orbit", "Circle around the capture point, the subject held still"),
    "SWING": ("Swing", "Sway from side to side, the subject held still"),
    "VERTICAL": ("Vertical", "Sway up and down, the subject held still"),
    "DOLLY": ("Dolly", "Move toward the subject"),
    "DOLLY_ZOOM": ("Dolly Zoom", "Move back while zooming in: the face keeps its size, the background grows"),
    "KEN_BURNS": ("Ken Burns", "Zoom in while panning toward the subject"),
}

EASING_DESCRIPTIONS = {
    "EASE": ("Ease In and Out", "Slow at the turning points (sinusoidal)"),
    "LINEAR": ("Linear", "Constant speed"),
}

OPTIONS = {
    "mesh_resolution": Option(
        "Mesh Resolution",
        "Quads along the photo's long side: more follows the depth more closely and takes longer to build",
        min=8, max=image.WORKING_LONG_SIDE, soft_max=1024, flag="--mesh-resolution", live="MESH",
    ),
    "depth_strength": Option(
        "Depth Strength", "Relief of the 3D photo: 0 is the flat photo, 1 a natural relief, more exaggerates it",
        min=0.0, max=5.0, soft_max=3.0, step=10, precision=2, flag="--depth-strength", live="MESH",
    ),
    "layered": Option(
        "Layered",
        "Tear the mesh at depth edges and fill in what lies behind, instead of one stretched sheet",
        flag="--single-sheet", flag_value=False, live="MESH",
    ),
    "tear_threshold": Option(
        "Tear Threshold", "Depth step, as a share of the distance, where the mesh tears: lower tears more",
        min=0.002, max=1.0, soft_max=0.2, step=1, precision=3, flag="--tear-threshold", live="MESH",
    ),
    **_grade("foreground", "the person"),
    **_grade("background", "everything behind the person"),
    "haze_density": Option(
        "Haze", "Distance haze behind the people: optical depth added by as much air again as lies between the "
        "camera and them (0.5 light, 2 thick)",
        min=0.0, max=100.0, soft_max=4.0, flag="--haze", live="GRADE",
    ),
    "haze_color": Option("Haze Color", "Colour of the haze (linear RGB)", min=0.0, max=1.0, subtype="COLOR",
                         live="GRADE"),
    "max_texture_size": Option(
        "Texture Limit", "Photos longer than this on their long side are scaled down for the texture (memory)",
        min=256, max=32768, soft_max=16384, subtype="PIXEL", flag="--max-texture-size",
    ),
    "frames": Option(
        "Frames", "Length of the camera's loop (or its one-way move) in frames", min=2, max=10000, soft_max=600,
        flag="--frames",
    ),
    "fps": Option("Frame Rate", "Frames per second of the rendered animation", min=1, max=120, flag="--fps"),
    "orbit_size": Option(
        "Orbit Size", "How far the camera moves, as a share of its distance to the subject",
        min=0.0, max=0.5, soft_max=0.2, step=1, precision=3, subtype="FACTOR", flag="--orbit-size",
    ),
    "camera_move": Option(
        "Camera Move", "How the camera moves; Orbit Size sets how far",
        choices=tuple((move, *MOVE_DESCRIPTIONS[move]) for move in camera_path.MOVES), flag="--move",
    ),
    "camera_easing": Option(
        "Easing", "Speed along the move",
        choices=tuple((easing, *EASING_DESCRIPTIONS[easing]) for easing in camera_path.EASINGS),
        flag="--easing",
    ),
    "camera_loop": Option(
        "Loop", "Go there and back for a seamless loop; off: one way (an orbit always loops)",
        flag="--one-way", flag_value=False,
    ),
    "engine": Option(
        "Engine", "What renders the animation",
        choices=(("CYCLES", "Cycles", "Path tracer: a GPU when Blender finds one, else the CPU"),
                 ("EEVEE", "Eevee", "Rasteriser on the GPU (on a machine without one, slow software OpenGL)")),
        flag="--engine",
    ),
    "lit": Option(
        "Lit by Scene", "Shade the photo with the scene's lights instead of showing its colours unchanged",
        flag="--lit", flag_value=True,
    ),
    "render_preset": Option(
        "Quality", "How the animation renders: a quick preview, the final quality, or Render Size and Samples",
        choices=(("PREVIEW", "Preview", "Small and quick, to judge the move: 384 px on the long side, 4 samples"),
                 ("FINAL", "Final", "The photo's own resolution (up to 4096 px), 64 samples"),
                 ("CUSTOM", "Custom", "Render Size and Samples as set")),
        panel_default="PREVIEW",
    ),
    "render_size": Option(
        "Render Size", "Long side of the rendered frames (Custom quality)", min=16, max=8192, soft_max=4096,
        subtype="PIXEL",
    ),
    "render_samples": Option(
        "Samples", "Samples per pixel (Custom quality): more is smoother and slower", min=1, max=4096,
        soft_max=256, flag="--samples",
    ),
}
