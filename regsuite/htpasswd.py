"""htpasswd files with bcrypt entries, the only kind distribution's htpasswd auth accepts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import bcrypt

from .redact import register_secret

# distribution verifies with Go's bcrypt, which takes $2a$, $2b$ and $2y$; cost 5 keeps self-tests fast.
BCRYPT_ROUNDS = 5


def entry(username: str, password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    if ":" in username:
        raise ValueError(f"htpasswd user names cannot hold ':' ({username!r})")
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds)).decode()
    return f"{username}:{hashed}"


def write_htpasswd(path: Path, users: Mapping[str, str], rounds: int = BCRYPT_ROUNDS) -> Path:
    """Write `users` (name -> password) to `path`; the passwords become known secrets."""
    for password in users.values():
        register_secret(password)
    path.write_text("".join(entry(u, p, rounds) + "\n" for u, p in users.items()))
    path.chmod(0o600)
    return path

