"""Run a command line in a worker process that Ctrl-C and SIGTERM stop at once, leaving no temporary behind.

Blender does not give a running render back to Python: a Ctrl-C inside Cycles or FFmpeg waits for the whole
render. So the command runs in a child process (its own session, so the terminal's Ctrl-C reaches only us) and
a signal kills it outright. The child writes every temporary file, folder and lock it makes to a journal as it
makes it; after the child ends, however it ends, whatever the journal names that is still there is removed.
A `batch` also journals its running tally, so a cancelled batch still prints its summary.
"""

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from . import journal, output_guard

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal, as shells report them
_SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


def in_worker():
    return journal.active()


def clean_up(path):
    """Remove what the journal at `path` names and is still there (temporaries first, then locks no one
    holds); returns the last batch tally it holds, if any."""
    noted = journal.entries(path)
    for kind, text in reversed(noted):
        if kind == "T":
            journal.remove_path(Path(text))
    for kind, text in noted:
        if kind == "L":
            output_guard.remove_abandoned_lock(Path(text))
    tallies = [text for kind, text in noted if kind == "S"]
    Path(path).unlink(missing_ok=True)
    return tallies[-1] if tallies else None


def _start_worker(argv, journal_path):
    environment = dict(os.environ, **{journal.ENVIRONMENT: journal_path})
    command = [sys.executable, "-m", "portrait3d_blender", *argv]
    if os.name == "nt":
        return subprocess.Popen(command, env=environment, creationflags=subprocess.CREATE_NEW_PROCESS_GROUP)
    return subprocess.Popen(command, env=environment, start_new_session=True, preexec_fn=_die_with_parent)


def _die_with_parent():
    """Linux: the worker gets SIGKILL when we die, even by SIGKILL (prctl PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)


def run(argv):
    """Run `python -m portrait3d_blender argv` as a worker; returns the exit status to leave with."""
    descriptor, journal_path = tempfile.mkstemp(prefix="portrait3d-run-", suffix=".journal")
    os.close(descriptor)
    received = []

    def stop(number, _frame):
        if not received:
            received.append(number)
        if worker is not None:
            worker.kill()

    worker = None
    previous = {number: signal.signal(number, stop) for number in EXIT_CODES}
    try:
        worker = _start_worker(argv, journal_path)
        if received:  # a signal came while it started
            worker.kill()
        status = worker.wait()
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait()
        tally = clean_up(journal_path)
        for number, handler in previous.items():  # once cancelled, further Ctrl-Cs change nothing until we exit
            signal.signal(number, signal.SIG_IGN if received else handler)
    if received:
        number = received[0]
        if tally:
            print(tally)
        print(f"error: cancelled by {_SIGNAL_NAMES[number]}; the unfinished output and its temporary files "
              "were removed", file=sys.stderr)
        return EXIT_CODES[number]
    if status < 0:  # the worker was killed from outside (out of memory, a crash)
        print(f"error: the worker process died of signal {-status}; its temporary files were removed",
              file=sys.stderr)
        return 1
    return status
