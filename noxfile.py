"""nox sessions: the conformance run, regsuite's own tests, a load run, and lint."""

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def conformance(session: nox.Session) -> None:
    """Conformance checks against the embedded registry, or pass --registry-url URL after --."""
    session.install("-e", ".[dev]")
    session.run("pytest", "conformance", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """regsuite's own tests (needs docker-registry installed; ./dev test also installs it)."""
    session.install("-e", ".[dev]")
    session.run("pytest", "tests", "-n", "2", *session.posargs)


@nox.session
def load(session: nox.Session) -> None:
    """A load run: `nox -s load -- --host http://127.0.0.1:5000 --profile smoke`."""
    session.install("-e", ".[dev]")
    session.run("regsuite", "load", *(session.posargs or ["--profile", "smoke"]))


@nox.session
def lint(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "regsuite", "fixtures", "conformance", "loadtest", "tests", "benchmarks")
    session.run("scripts/typecheck.sh", external=True, env={"MYPY": "mypy"})
