"""Depth-aware grading in the material: one node group per 3D photo, used by every material of its layers.

Per shaded point the group mixes the foreground's and the background's exposure, saturation and white balance
by the point's `Foreground` attribute (1 on the subject layer, the person mask on a single sheet, 0 elsewhere),
then adds haze by the point's depth from the rendering camera (along its view) beyond the people. So
the grade travels with the mesh, follows any camera, is saved in the .blend, and a slider only changes a node.
"""

import bpy

from ..core import grading
from .mesh import FOREGROUND_NAME

GRADE_PROPERTY = "portrait3d_grade"  # ID property on the 3D photo's collection: its grade node group


def _socket(sockets, identifier):
    """A node socket by its identifier: ShaderNodeMix has an "A" for each data type, told apart only so."""
    return next(socket for socket in sockets if socket.identifier == identifier)


class _GroupBuilder:
    def __init__(self, group):
        self.nodes, self.links = group.nodes, group.links
        self.column = 0

    def add(self, node_type, name=None, **properties):
        node = self.nodes.new(node_type)
        if name:
            node.name = node.label = name
        for key, value in properties.items():
            setattr(node, key, value)
        node.location = (self.column * 180.0, -(self.column % 3) * 160.0)
        self.column += 1
        return node

    def mix(self, data_type, factor, a, b, clamp=True):
        suffix = {"FLOAT": "Float", "VECTOR": "Vector", "RGBA": "Color"}[data_type]
        node = self.add("ShaderNodeMix", data_type=data_type, clamp_factor=clamp)
        self.links.new(factor, _socket(node.inputs, "Factor_Float"))
        self.links.new(a, _socket(node.inputs, f"A_{suffix}"))
        self.links.new(b, _socket(node.inputs, f"B_{suffix}"))
        return _socket(node.outputs, f"Result_{suffix}")

    def math(self, operation, a, b=None, node_type="ShaderNodeMath", **properties):
        node = self.add(node_type, operation=operation, **properties)
        for socket, value in zip(node.inputs, (a, b)):
            if value is None:
                continue
            if isinstance(value, (int, float)):
                socket.default_value = value
            else:
                self.links.new(value, socket)
        return node.outputs[0]


def new_grade_group(name):
    """The grade's node group: Color and Foreground in, the graded Color out; its settings are named nodes."""
    group = bpy.data.node_groups.new(name, "ShaderNodeTree")
    group.interface.new_socket("Color", in_out="INPUT", socket_type="NodeSocketColor")
    group.interface.new_socket("Foreground", in_out="INPUT", socket_type="NodeSocketFloat")
    group.interface.new_socket("Color", in_out="OUTPUT", socket_type="NodeSocketColor")
    build = _GroupBuilder(group)
    inputs = build.add("NodeGroupInput")
    color, foreground = inputs.outputs["Color"], inputs.outputs["Foreground"]

    def value(name):
        return build.add("ShaderNodeValue", name).outputs[0]

    def by_layer(data_type, setting, node_type="ShaderNodeValue"):
        background = build.add(node_type, f"Background {setting}").outputs[0]
        front = build.add(node_type, f"Foreground {setting}").outputs[0]
        return build.mix(data_type, foreground, background, front)

    exposure = build.math("POWER", 2.0, by_layer("FLOAT", "Exposure"))
    balanced = build.math("MULTIPLY", color, by_layer("VECTOR", "Gains", "ShaderNodeCombineXYZ"),
                          node_type="ShaderNodeVectorMath")
    exposed = build.add("ShaderNodeVectorMath", operation="SCALE")
    build.links.new(balanced, exposed.inputs[0])
    build.links.new(exposure, _socket(exposed.inputs, "Scale"))
    grey = build.add("ShaderNodeRGBToBW")
    build.links.new(exposed.outputs[0], grey.inputs[0])
    # Saturation past 1 extrapolates away from grey: the mix's factor must not be clamped.
    saturated = build.mix("RGBA", by_layer("FLOAT", "Saturation"), grey.outputs[0], exposed.outputs[0], clamp=False)
    distance = build.add("ShaderNodeCameraData").outputs["View Z Depth"]
    beyond = build.math("MAXIMUM", build.math("SUBTRACT", distance, value("Haze Start")), 0.0)
    haze = build.math("SUBTRACT", 1.0, build.math("EXPONENT", build.math("MULTIPLY", beyond, value("Haze Rate"))))
    hazed = build.mix("RGBA", haze, saturated, build.add("ShaderNodeRGB", "Haze Color").outputs[0])
    build.links.new(hazed, build.add("NodeGroupOutput").inputs["Color"])
    return group


def set_grade(group, settings, haze_start=None):
    """Write `settings`' grade (a `core.pipeline.Settings`) into the group's nodes: no re-meshing.

    `haze_start` (the plan's: the depth just behind the people) is kept in the group; None leaves it as it is.
    """
    nodes = group.nodes
    if haze_start is None:
        haze_start = nodes["Haze Start"].outputs[0].default_value
    for layer in ("Foreground", "Background"):
        prefix = layer.lower()
        nodes[f"{layer} Exposure"].outputs[0].default_value = getattr(settings, f"{prefix}_exposure")
        nodes[f"{layer} Saturation"].outputs[0].default_value = getattr(settings, f"{prefix}_saturation")
        gains = grading.white_balance_gains(getattr(settings, f"{prefix}_temperature"))
        for socket, gain in zip(nodes[f"{layer} Gains"].inputs, gains):
            socket.default_value = float(gain)
    nodes["Haze Start"].outputs[0].default_value = haze_start
    nodes["Haze Rate"].outputs[0].default_value = grading.haze_rate(settings.haze_density, haze_start)
    nodes["Haze Color"].outputs[0].default_value = (*settings.haze_color, 1.0)


def graded(node_tree, color_socket, group, location):
    """`color_socket` through the grade group, its foreground taken from the mesh's attribute."""
    node = node_tree.nodes.new("ShaderNodeGroup")
    node.node_tree = group
    node.location = location
    attribute = node_tree.nodes.new("ShaderNodeAttribute")
    attribute.attribute_name = FOREGROUND_NAME
    attribute.location = (location[0] - 200.0, location[1] - 220.0)
    node_tree.links.new(color_socket, node.inputs["Color"])
    node_tree.links.new(attribute.outputs["Fac"], node.inputs["Foreground"])
    return node.outputs["Color"]
