"""A run's journal: every temporary file, folder and lock it creates, noted before it is created, so that
whatever ends the run, what it leaves can be removed (see `supervisor`). A batch notes its tally here too.

Outside a supervised worker (the add-on, tests, benchmarks) there is no journal and noting does nothing.
"""

import os
import shutil
from pathlib import Path

ENVIRONMENT = "PORTRAIT3D_JOURNAL"  # set in the worker: the journal's path


def active():
    return ENVIRONMENT in os.environ


def _note(kind, text, journal=None):
    journal = journal or os.environ.get(ENVIRONMENT)
    if journal:
        with open(journal, "a", encoding="utf-8") as file:
            file.write(f"{kind}\t{text}\n")


def note_worker(journal, pid):
    """The supervisor notes its worker's process id, so a journal is only swept once both are gone."""
    _note("W", str(pid), journal)


def note_temporary(path):
    """Called just before `path` (a file or folder that must not outlive the run) is created."""
    _note("T", os.path.abspath(path))


def note_lock(path):
    """Called just before the lock file `path` is created."""
    _note("L", os.path.abspath(path))


def note_tally(line):
    """A batch's summary so far, printed if the batch is cancelled."""
    _note("S", line)


def entries(journal):
    """[(kind, text)] in the order they were noted; none if the journal is gone."""
    try:
        lines = Path(journal).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [tuple(line.split("\t", 1)) for line in lines if "\t" in line]


def remove_path(path):
    """Remove a file or a folder with what it holds; nothing if it is not there."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
