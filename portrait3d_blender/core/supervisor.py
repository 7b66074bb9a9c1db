"""Run a command line in a worker process that Ctrl-C and SIGTERM stop at once, leaving no temporary behind.

Blender does not give a running render back to Python: a Ctrl-C inside Cycles or FFmpeg waits for the whole
render. So the command runs in a child process (its own session, so the terminal's Ctrl-C reaches only us) and
a signal kills it outright. The child writes every temporary file, folder and lock it makes to a journal as it
makes it; after the child ends, however it ends, whatever the journal names that is still there is removed.
If the supervisor itself is killed outright, the next run finds the journal of a run that is gone and cleans
up after it.
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
_JOURNAL_PREFIX = "portrait3d-run-"  # then the supervising process's id: portrait3d-run-PID-xxxx.journal


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


def _alive(pid):
    try:
        os.kill(pid, 0)  # POSIX only: on Windows signal 0 is CTRL_C_EVENT
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:  # Linux: a killed process stays a zombie until its new parent reaps it, and zombies write nothing
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def sweep_abandoned():
    """Clean up after runs killed outright (SIGKILL, a power cut): a journal whose run and worker are both
    gone names temporaries nobody will remove otherwise. POSIX only."""
    if os.name == "nt":
        return
    for path in Path(tempfile.gettempdir()).glob(f"{_JOURNAL_PREFIX}*.journal"):
        owner = path.name[len(_JOURNAL_PREFIX):].split("-", 1)[0]
        pids = [int(owner)] if owner.isdigit() else []
        pids += [int(text) for kind, text in journal.entries(path) if kind == "W" and text.isdigit()]
        if pids and not any(_alive(pid) for pid in pids):
            clean_up(path)


def _start_worker(argv, journal_path):
    package_parent = str(Path(__file__).resolve().parents[2])  # the worker imports this very package
    search_path = os.pathsep.join(filter(None, (package_parent, os.environ.get("PYTHONPATH"))))
    environment = dict(os.environ, **{journal.ENVIRONMENT: journal_path, "PYTHONPATH": search_path})
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
    sweep_abandoned()
    descriptor, journal_path = tempfile.mkstemp(prefix=f"{_JOURNAL_PREFIX}{os.getpid()}-", suffix=".journal")
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
        journal.note_worker(journal_path, worker.pid)
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
