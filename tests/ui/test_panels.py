"""The sidebar's layout: Create first, sub-panels by topic, photo-specific ones only with a 3D photo active."""

from types import SimpleNamespace

import pytest

bpy = pytest.importorskip("bpy")

from portrait3d_blender.ui import panels  # noqa: E402
from tests.conftest import ASTRONAUT  # noqa: E402


class _Layout:
    """Records what a panel draws, checking each property and operator exists as it goes."""

    def __init__(self, drawn):
        self.drawn = drawn

    def __getattr__(self, name):  # use_property_split, active, scale_y, ...: plain attributes
        raise AttributeError(name)

    def prop(self, data, name, **options):
        assert name in data.bl_rna.properties.keys(), name
        self.drawn.append(("prop", name))

    def operator(self, idname, **options):
        category, name = idname.split(".")
        assert hasattr(getattr(bpy.types, f"{category.upper()}_OT_{name}", None), "bl_idname"), idname
        self.drawn.append(("operator", idname))
        return SimpleNamespace()

    def label(self, text="", **options):
        self.drawn.append(("label", text))

    def row(self, **options):
        return _Layout(self.drawn)

    column = row
    separator = row


def _draw(panel_class):
    drawn = []
    panel_class.draw(SimpleNamespace(layout=_Layout(drawn)), bpy.context)
    return drawn


def _shown(context):
    return [cls.bl_label for cls in panels.CLASSES if not hasattr(cls, "poll") or cls.poll(context)]


def test_create_comes_first_and_photo_sections_only_with_a_3d_photo(empty_scene):
    assert _draw(panels.PORTRAIT3D_PT_main)[0] == ("operator", "portrait3d.create_3d_photo")
    assert _shown(bpy.context) == ["Portrait 3D", "Depth", "Mesh", "Camera"]
    empty_scene.portrait3d.mesh_resolution = 16
    bpy.ops.portrait3d.create_3d_photo(filepath=str(ASTRONAUT))
    assert _shown(bpy.context) == [
        "Portrait 3D", "Depth", "Mesh", "Camera", "Grade", "Render", "Text & Stickers", "Export", "Focus"]
    main = _draw(panels.PORTRAIT3D_PT_main)
    assert main[:2] == [("operator", "portrait3d.create_3d_photo"), ("operator", "portrait3d.refine_3d_photo")]
    bpy.context.scene.portrait3d.depth_source = "FILE"  # the depth map's own settings show then
    drawn = [item for cls in panels.CLASSES[1:] for item in _draw(cls)]
    described = {name for kind, name in drawn if kind == "prop"}
    assert described == set(bpy.context.scene.portrait3d.bl_rna.properties.keys()) - {
        "rna_type", "name", "live_update_error"}  # every setting is in the panel (the error shows as a label)
    for cls in panels.CLASSES[1:]:
        assert cls.bl_parent_id == "PORTRAIT3D_PT_main"
    assert {cls.bl_label for cls in panels.CLASSES if "DEFAULT_CLOSED" in getattr(cls, "bl_options", ())} == {
        "Depth", "Grade", "Text & Stickers", "Export", "Focus"}
