"""What the runner hands a locust process: profile, pull pool, namespace, credentials.

Everything arrives through environment variables (credentials never on a
command line); the runner in regsuite.load.runner sets them.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from regsuite.load import env as load_env
from regsuite.load.profiles import Profile
from regsuite.load.seed import PoolImage, read_pool


@dataclass(frozen=True)
class LoadSettings:
    profile: Profile
    pool: list[PoolImage]
    namespace: str
    username: str | None
    password: str | None = field(repr=False)
    ca: Path | None
    insecure: bool

    def ssl_context(self) -> ssl.SSLContext:
        if self.insecure:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        return ssl.create_default_context(cafile=str(self.ca) if self.ca else None)


def from_environment() -> LoadSettings:
    env = os.environ
    pool_path = env.get(load_env.POOL)
    return LoadSettings(
        profile=Profile.from_json(env[load_env.PROFILE]) if load_env.PROFILE in env else Profile("adhoc"),
        pool=read_pool(Path(pool_path)) if pool_path else [],
        namespace=env.get(load_env.NAMESPACE, "regsuite-load/adhoc"),
        username=env.get(load_env.USERNAME) or None,
        password=env.get(load_env.PASSWORD) or None,
        ca=Path(env[load_env.CA]) if env.get(load_env.CA) else None,
        insecure=env.get(load_env.INSECURE, "") == "1",
    )
