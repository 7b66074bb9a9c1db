"""One family of errors: everything the add-on reports to a user as a single line.

Operators and the CLI catch `Portrait3DError` (plus `OSError`) and show its message; anything else is a bug.
Each error keeps the builtin parent callers already relied on (a bad photo is still a `ValueError`).
"""


class Portrait3DError(Exception):
    """Base of every user-facing error; its message is one line that says what is wrong and what to do."""


class PhotoError(Portrait3DError, ValueError):
    """A photo that cannot be used."""


class WeightsError(Portrait3DError, RuntimeError):
    """The depth network's model file is missing, damaged, unsafe or not what the network expects."""


class OutputError(Portrait3DError):
    """An output that cannot or must not be written."""


class ExportError(Portrait3DError):
    """A mesh or depth-map export that cannot be done."""
