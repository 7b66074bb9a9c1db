"""One description of the settings: `pipeline.Settings`, the panel's PropertyGroup and the CLI agree with it."""

import dataclasses
import pytest

from portrait3d_blender import cli
from portrait3d_blender.core import pipeline
from portrait3d_blender.core.options import OPTIONS

DEFAULTS = pipeline.Settings()


def test_every_setting_is_described_once_with_its_default_inside_its_limits():
    assert set(OPTIONS) == {field.name for field in dataclasses.fields(pipeline.Settings)} - {"compute_device"}
    for name, option in OPTIONS.items():
        assert option.label and option.description and not option.description.endswith("."), name
        default = getattr(DEFAULTS, name)
        if option.choices:
            assert default in [key for key, *_ in option.choices], name
        elif not isinstance(default, bool):
            for value in default if isinstance(default, tuple) else (default,):  # a colour: each channel
                assert option.min <= (option.soft_min if option.soft_min is not None else option.min) <= value, name
                assert value <= (option.soft_max if option.soft_max is not None else option.max) <= option.max, name


def test_the_panel_properties_are_made_from_the_description(addon):
    import bpy

    properties = bpy.context.scene.portrait3d.bl_rna.properties
    for name, option in OPTIONS.items():
        prop = properties[name]
        assert (prop.name, prop.description) == (option.label, option.description), name
        default = option.panel_default if option.panel_default is not None else getattr(DEFAULTS, name)
        if option.choices:
            assert [item.identifier for item in prop.enum_items] == [key for key, *_ in option.choices]
            assert prop.default == default
        elif prop.type != "BOOLEAN":
            assert (prop.hard_min, prop.hard_max) == pytest.approx((option.min, option.max)), name
            panel_default = tuple(prop.default_array) if isinstance(default, tuple) else prop.default
            assert panel_default == pytest.approx(default), name
    for name in properties.keys():  # the panel's own properties too: every one has a tooltip
        assert name == "rna_type" or properties[name].description, name
    # The mesh cannot be finer than the working copy the depth is estimated on.
    assert properties["mesh_resolution"].hard_max == 1024 and properties["depth_strength"].hard_max == 5.0


def _settings(*options):
    arguments = cli._parser().parse_args(["make", "photo.jpg", "-o", "out.mp4", *options])
    return cli._make_settings(arguments, 600, 800)


def test_the_cli_options_are_made_from_the_description():
    assert _settings() == DEFAULTS  # no option given: every setting as `pipeline.Settings` has it
    settings = _settings("--move", "dolly-zoom", "--single-sheet", "--one-way", "--lit", "--engine", "eevee",
                         "--depth-strength", "2.5", "--tear-threshold", "0.05", "--samples", "8", "--fps", "24")
    assert (settings.camera_move, settings.layered, settings.camera_loop, settings.lit, settings.engine) == (
        "DOLLY_ZOOM", False, False, True, "EEVEE")
    assert (settings.depth_strength, settings.tear_threshold, settings.render_samples, settings.fps) == (
        2.5, 0.05, 8, 24)
    preview = _settings("--preset", "preview", "--samples", "2")  # the explicit option wins over the preset
    assert (preview.render_size, preview.render_samples) == (384, 2)


@pytest.mark.parametrize("option, value, limits", [
    ("--depth-strength", "1e6", "from 0 to 5"), ("--mesh-resolution", "4096", "from 8 to 1024"),
    ("--frames", "1", "from 2 to 10000"),
])
def test_the_cli_refuses_a_setting_out_of_range_in_one_line(option, value, limits, tmp_path):
    from tests.test_cli import run_cli

    result = run_cli("make", tmp_path / "photo.jpg", "-o", tmp_path / "out.mp4", option, value)
    assert result.returncode == 1 and sorted(tmp_path.iterdir()) == []
    assert result.stderr == f"error: {option} must be {limits}, not {float(value):g}\n"
