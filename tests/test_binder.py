"""What Binder gives a reader: a fresh environment built from ``requirements.txt`` alone,
on the ``runtime.txt`` Python, executing every live notebook (``notebooks/``, what the
Binder button opens) within a Binder pod's memory (2 GB of address space for the runner
and the kernels it starts).

Slow (it installs the reader's pinned set from PyPI), so it has its own marker and make
target; ``make test`` and CI run it.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.binder

BINDER_MEMORY = 2 * 1024**3  # bytes: a typical Binder pod's limit


def _binder_pod() -> None:
    """Limit the notebook runner, and the kernels it starts, to a Binder pod's memory."""
    resource.setrlimit(resource.RLIMIT_AS, (BINDER_MEMORY, BINDER_MEMORY))


RUN_NOTEBOOKS = """
import pathlib, sys, nbformat
from nbclient import NotebookClient
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    where = {"metadata": {"path": str(pathlib.Path(path).parent)}}
    for attempt in (1, 2):  # one retry: a kernel can, very rarely, lose a message
        try:
            NotebookClient(nb, timeout=120, kernel_name="python3", resources=where).execute()
            break
        except TimeoutError:
            if attempt == 2:
                raise
    print("ok", path, flush=True)
"""


def test_runtime_matches():
    wanted = (ROOT / "runtime.txt").read_text().strip()
    assert wanted == f"python-{sys.version_info.major}.{sys.version_info.minor}", (
        f"tests run on {sys.version.split()[0]}, Binder on {wanted}"
    )


def test_every_notebook_runs_in_an_env_from_requirements_txt(tmp_path: Path):
    venv = tmp_path / "binder-env"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-r", "requirements.txt"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    paths = [str(p) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    assert paths
    # Two runners at once, one per core, each (and each kernel) within a pod's memory.
    runners = [
        subprocess.Popen(
            [python, "-c", RUN_NOTEBOOKS, *paths[half::2]],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_binder_pod,
        )
        for half in (0, 1)
    ]
    outputs = [runner.communicate(timeout=1800) for runner in runners]
    for runner, (_, stderr) in zip(runners, outputs, strict=True):
        assert runner.returncode == 0, stderr[-3000:]
    assert sum(stdout.count("ok ") for stdout, _ in outputs) == len(paths)
