"""The few API differences between the Blender versions the manifest allows (4.2 to 5.0)."""


def set_media_type(image_settings, media_type):
    """Blender 5.0 chooses image or video output with `media_type`; before, the file format implied it."""
    if hasattr(image_settings, "media_type"):
        image_settings.media_type = media_type


def media_type(image_settings):
    return getattr(image_settings, "media_type", None)


def use_eevee(render):
    """Eevee's engine id was BLENDER_EEVEE_NEXT from 4.2 to 4.5 and is BLENDER_EEVEE again in 5.0."""
    try:
        render.engine = "BLENDER_EEVEE_NEXT"
    except TypeError:
        render.engine = "BLENDER_EEVEE"


def has_action_slots(action):
    """Blender 4.4+ actions hold curves for several data-blocks (slots); older ones for one."""
    return hasattr(action, "fcurve_ensure_for_datablock")


def fcurve(action, owner, data_path, index):
    """The action's F-curve animating `owner.data_path[index]`, created if needed."""
    if has_action_slots(action):
        return action.fcurve_ensure_for_datablock(owner, data_path, index=index)
    return action.fcurves.find(data_path, index=index) or action.fcurves.new(data_path, index=index)
