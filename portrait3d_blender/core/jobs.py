"""Run the photo analysis (the networks) on a worker thread, so Blender's UI never freezes.

The job touches no Blender data: the operator polls it from a modal timer on the main thread and builds the
scene there once the arrays are ready.
"""

import threading

from . import pipeline


class AnalysisJob:
    """`pipeline.analyse_photo` on a daemon thread, with progress, cancellation and the result or error.

    `data`: the photo's bytes (read from a .blend on the main thread), `photo_path` then only names it."""

    def __init__(self, photo_path, depth_source=None, data=None):
        self.progress = 0.0
        self.stage = "Starting"
        self.result = None
        self.error = None
        self._cancel = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(photo_path, depth_source, data), name="portrait3d-analysis", daemon=True
        )

    def start(self):
        self._thread.start()
        return self

    def cancel(self):
        """Ask the job to stop at its next stage boundary (a network call is never interrupted midway)."""
        self._cancel.set()

    @property
    def done(self):
        return not self._thread.is_alive() and self._thread.ident is not None

    def wait(self, timeout=None):
        self._thread.join(timeout)
        return self.done

    def _report(self, share, text):
        self.progress, self.stage = share, text

    def _run(self, photo_path, depth_source, data):
        try:
            self.result = pipeline.analyse_photo(
                photo_path, progress=self._report, cancel=self._cancel.is_set, depth_source=depth_source, data=data
            )
        except BaseException as error:  # handed to the main thread, which reports it
            self.error = error
