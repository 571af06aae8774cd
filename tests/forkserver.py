"""A warm start for the self-tests' conformance runs: a process that has imported pytest and the libraries a run
loads, and forks a child for each run.

A conformance run in a fresh interpreter spends about a second importing pytest, its plugins and the
libraries regsuite uses before it collects anything; the self-tests start a few hundred such runs. A child
forked from here starts with those imports done and is otherwise what `python -m pytest ARGS` in a subprocess
is: its own process, working directory, environment, standard streams and exit code. Only third-party modules
are imported ahead: pytest rewrites the asserts of regsuite's own modules as it imports them, so those are
imported in the child, as in any run.

The protocol (one JSON object a line): the parent writes {"args", "cwd", "env", "output"}; this process forks,
answers {"pid"} at once and {"returncode"} once the child ended. One run at a time; the parent (tests.support)
kills a child that overruns its timeout.
"""

from __future__ import annotations

import json
import os
import sys

WARM = (
    "pytest", "_pytest.config", "_pytest.main", "_pytest.python", "_pytest.fixtures", "_pytest.assertion.rewrite",
    "_pytest.terminal", "_pytest.capture", "_pytest.logging", "_pytest.junitxml", "_pytest.doctest",
    "_pytest.legacypath", "xdist.plugin", "hypothesis", "hypothesis.strategies", "httpx", "httpcore", "anyio",
    "cryptography.x509", "OpenSSL.SSL", "trustme", "jwt", "yaml", "psutil", "execnet", "pygments", "click",
)


def _child(request: dict[str, object]) -> None:
    """Become `python -m pytest ARGS` as a subprocess of the parent would be; never returns."""
    code = 70
    try:
        os.chdir(str(request["cwd"]))
        os.environ.clear()
        os.environ.update(request["env"])  # type: ignore[arg-type]
        devnull = os.open(os.devnull, os.O_RDONLY)
        output = os.open(str(request["output"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(devnull, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        sys.path[0] = os.getcwd()  # what `python -m` puts first
        args: list[str] = list(request["args"])  # type: ignore[call-overload]
        sys.argv = [sys.executable, *args]
        import pytest

        code = int(pytest.main(args))
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1  # as the interpreter exits
    except BaseException:  # noqa: BLE001 - shown in the run's output, as a crashed interpreter's would be
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    for name in WARM:
        __import__(name)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    serve()
