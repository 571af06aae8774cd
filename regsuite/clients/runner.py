"""Running a client program: a timeout on every call, its output kept (redacted) for the report."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..redact import redact_text
from ..target import Target

MESSAGE_LINES = 12  # the tail of stderr shown as "the client's message"
# How docker, skopeo and oras-py word a registry's refusal for load ("toomanyrequests: ...", "error parsing
# HTTP 429 response body", "429 Client Error: Too Many Requests")
_RATE_LIMITED = re.compile(r"\b429\b|toomanyrequests|too many requests", re.IGNORECASE)


class ClientUnavailable(Exception):
    """The client program is missing or cannot work here; the message says why (a skip reason)."""


@dataclass
class ClientResult:
    argv: list[str]
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def command(self) -> str:
        return redact_text(shlex.join(self.argv))

    @property
    def message(self) -> str:
        """The client's own words about what went wrong: the end of its stderr (or stdout)."""
        text = self.stderr.strip() or self.stdout.strip()
        return "\n".join(text.splitlines()[-MESSAGE_LINES:])

    @property
    def rate_limited(self) -> str | None:
        """The line of a failed program's message that shows the registry refused it for load (a 429), if any."""
        if self.ok:
            return None
        lines = (self.stderr + "\n" + self.stdout).splitlines()
        return next((line.strip() for line in reversed(lines) if _RATE_LIMITED.search(line)), None)

    def describe(self) -> str:
        how = "timed out" if self.returncode is None else f"exited {self.returncode}"
        lines = [f"`{self.command}` {how} after {self.seconds:.1f} s"]
        lines += [f"  | {line}" for line in self.message.splitlines()]
        return "\n".join(lines)


def run_program(
    argv: list[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    input: str | None = None,
    cwd: Path | None = None,
) -> ClientResult:
    """Run `argv` to completion or `timeout`; output is redacted of every registered secret."""
    started = time.monotonic()
    full_env = {**os.environ, **(env or {})}
    try:
        proc = subprocess.run(
            argv,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env,
            cwd=cwd,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        code: int | None = proc.returncode
        out, err = proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code = None
        out = _text(exc.stdout)
        err = _text(exc.stderr) + f"\n(killed after {timeout:g} s)"
    except OSError as exc:
        code, out, err = 127, "", f"{argv[0]}: {exc}"
    return ClientResult(argv, code, redact_text(out), redact_text(err), time.monotonic() - started)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


class ClientProgram:
    """A client program bound to one target: its references, a login done once, commands under the timeout."""

    transport = ""  # what the program puts before host/repo (skopeo: "docker://")

    def __init__(self, target: Target, *, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        self._login: ClientResult | None = None
        self._login_lock = threading.Lock()  # checks run side by side share one login

    def ref(self, repo: str, tag_or_digest: str) -> str:
        sep = "@" if ":" in tag_or_digest else ":"
        return f"{self.transport}{self.target.host}/{repo}{sep}{tag_or_digest}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def login_options(self) -> list[str]:
        """What the program's login command needs besides the user, the password (stdin) and the host."""
        return []

    def run(self, *args: str, input: str | None = None) -> ClientResult:
        return run_program([*self.command(), *args], timeout=self.timeout, input=input)

    def login(self) -> ClientResult | None:
        """The program's own login, once, when the target has credentials (None when it has none)."""
        if not self.target.username:
            return None
        with self._login_lock:
            if self._login is None or not self._login.ok:
                self._login = self.run(
                    "login", *self.login_options(), "--username", self.target.username, "--password-stdin",
                    self.target.host, input=self.target.password or "",
                )  # fmt: skip
            return self._login
