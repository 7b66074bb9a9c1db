"""One family of errors: everything the add-on reports to a user as a single line.

Operators and the CLI catch `USER_ERRORS` (the family plus `OSError`) and show `user_message(error, hint)`;
anything else is a bug. Each error keeps the builtin parent callers already relied on (a bad photo is still a
`ValueError`). How to get past an error (a CLI flag, a checkbox) is the caller's to say, never the error's.
"""


class Portrait3DError(Exception):
    """Base of every user-facing error; its message is one line that says what is wrong."""


class PhotoError(Portrait3DError, ValueError):
    """A photo that cannot be used."""


class WeightsError(Portrait3DError, RuntimeError):
    """The depth network's model file is missing, damaged, unsafe or not what the network expects."""


class OutputError(Portrait3DError):
    """An output that cannot or must not be written."""


class OutputExistsError(OutputError):
    """An output that is already there and is only replaced when the user says so (the caller's hint says how)."""

    def __init__(self, path):
        self.path = path
        super().__init__(f"Output exists: {path}")


class ExportError(Portrait3DError):
    """A mesh or depth-map export that cannot be done."""


class NotA3DPhotoError(Portrait3DError, ValueError):
    """A collection, object or file that is not a 3D photo this add-on made."""


class EditModeError(Portrait3DError, ValueError):
    """A 3D photo's layer is in Edit Mode, where a rebuild would be overwritten on leaving it."""


class NoFaceError(Portrait3DError, ValueError):
    """Something that needs a face (focus on every face) on a photo where none was found."""


class InDepthError(Portrait3DError, ValueError):
    """A text or sticker that cannot be added in depth (no text, an unreadable image, a spot off the photo)."""


class DepthMapError(Portrait3DError, ValueError):
    """A depth map the user gave (a file, a `_depth` sibling, depth inside the photo) that cannot be used."""


USER_ERRORS = (Portrait3DError, OSError)


def user_message(error, overwrite_hint):
    """The one line shown for a `USER_ERRORS` error; `overwrite_hint` says how to allow replacing an output."""
    text = " ".join(str(error).split())
    return f"{text} ({overwrite_hint})" if isinstance(error, OutputExistsError) else text
