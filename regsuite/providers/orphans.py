"""What a killed test run leaves behind, and sweeping it at the next start.

A SIGKILLed run cannot stop its registries. Everything an embedded provider
makes carries its owner, "<hostname>:<pid>": the temporary directory (a file
in it) and the container (a label). The next start on this host removes what
belongs to a process that is gone. Nothing without an owner mark, or owned
by a live process or another host, is touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path

import psutil

OWNER_FILE = ".regsuite-owner"
PID_FILE = ".regsuite-registry-pid"  # a process provider's registry, for the sweep to end it


def owner_tag() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def orphaned(tag: str | None) -> bool:
    """True when `tag` names a process on this host that no longer exists."""
    host, _, pid = (tag or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def make_workdir(prefix: str) -> Path:
    """A temporary directory marked with its owner."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    (workdir / OWNER_FILE).write_text(owner_tag())
    return workdir


def sweep_workdirs(prefix: str) -> list[Path]:
    """Remove orphaned directories named `prefix*`, ending a registry process still running in one."""
    removed: list[Path] = []
    for workdir in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            tag = (workdir / OWNER_FILE).read_text()
        except OSError:
            continue
        if not orphaned(tag):
            continue
        _end_registry(workdir)
        shutil.rmtree(workdir, ignore_errors=True)
        removed.append(workdir)
    return removed


def _end_registry(workdir: Path) -> None:
    """SIGKILL the registry recorded in `workdir`, if that pid still runs a registry serving from it."""
    try:
        pid = int((workdir / PID_FILE).read_text())
        if any(str(workdir) in part for part in psutil.Process(pid).cmdline()):
            os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError, psutil.Error):
        pass
