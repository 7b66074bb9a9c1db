"""The Makefile's Blender venvs (`make blenders`): each is made once, and made again when its pins change."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"
# A stand-in for the venv's Python: `-m venv --clear DIR` makes DIR with itself as DIR/bin/python; anything
# else (pip) is written to $PIP_LOG, so the test sees what would be installed without installing it.
FAKE_PYTHON = """#!/bin/sh
if [ "$2" = venv ]; then rm -rf "$4"; mkdir -p "$4/bin"; cp "$0" "$4/bin/python"; else echo "$*" >> "$PIP_LOG"; fi
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_a_pin_change_rebuilds_that_blender_venv(tmp_path):
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    log = tmp_path / "pip.log"
    env = dict(os.environ, PIP_LOG=str(log))

    def make(*variables):
        subprocess.run(["make", "-s", "-f", str(MAKEFILE), "-C", str(tmp_path), ".venv-bpy42/.installed",
                        f"BLENDER_PYTHON_42={fake}", *variables], env=env, check=True, capture_output=True)
        return [line for line in log.read_text().splitlines() if line.startswith("-m pip install")]

    assert make() == ["-m pip install --quiet bpy==4.2.23 numpy==1.26.4"]
    assert len(make()) == 1  # up to date: not made again
    newer = "BLENDER_PINS_42=bpy==4.2.24 numpy==1.26.4"
    assert make(newer)[1:] == ["-m pip install --quiet bpy==4.2.24 numpy==1.26.4"]
    assert len(make(newer)) == 2
    assert (tmp_path / ".venv-bpy42" / ".installed").is_file()
