"""What a locust process needs to load a registry: profile, pull pool, namespace, credentials, trust.

A local locust process (or a master) gets them from the environment the
runner sets (credentials never on a command line). A worker gets nothing
there: it starts with `WAITING` and receives the master's settings over
locust's messages (`to_message`/`from_message`), so a worker machine needs
no file of the run, and its credentials stay in memory.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regsuite.load import env as load_env
from regsuite.load.profiles import Profile
from regsuite.load.seed import PoolImage, pool_from_data, pool_to_data, read_pool


@dataclass(frozen=True)
class LoadSettings:
    profile: Profile
    pool: list[PoolImage]
    namespace: str
    username: str | None
    password: str | None = field(repr=False)
    ca_pem: str | None = field(default=None, repr=False)  # the trusted CA bundle's text, never a path
    insecure: bool = False
    from_master: bool = True  # False: a worker still waiting for its master's settings
    next_within: float = 0.0  # > 0: one step of a series; workers wait this long for the next step's master

    def ssl_context(self) -> ssl.SSLContext:
        if self.insecure:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        return ssl.create_default_context(cadata=self.ca_pem) if self.ca_pem else ssl.create_default_context()

    def to_message(self) -> dict[str, Any]:
        return {"profile": self.profile.to_json(), "pool": pool_to_data(self.pool), "namespace": self.namespace,
                "username": self.username, "password": self.password, "ca_pem": self.ca_pem,
                "insecure": self.insecure, "next_within": self.next_within}

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> LoadSettings:
        return cls(Profile.from_json(data["profile"]), pool_from_data(data["pool"]), data["namespace"],
                   data["username"], data["password"], data["ca_pem"], bool(data["insecure"]),
                   next_within=float(data.get("next_within") or 0.0))


# A worker before its master spoke: no pool and a placeholder profile (every user type, for locust).
WAITING = LoadSettings(Profile("waiting-for-master", mix={"pull": 1, "push": 1, "list": 1}), [], "",
                       None, None, from_master=False)


def from_environment() -> LoadSettings:
    env = os.environ
    if load_env.PROFILE not in env:
        return WAITING
    pool_path = env.get(load_env.POOL)
    ca_path = env.get(load_env.CA)
    return LoadSettings(
        profile=Profile.from_json(env[load_env.PROFILE]),
        pool=read_pool(Path(pool_path)) if pool_path else [],
        namespace=env.get(load_env.NAMESPACE, "regsuite-load/adhoc"),
        username=env.get(load_env.USERNAME) or None,
        password=env.get(load_env.PASSWORD) or None,
        ca_pem=Path(ca_path).read_text() if ca_path else None,
        insecure=env.get(load_env.INSECURE, "") == "1",
        next_within=float(env.get(load_env.NEXT_WITHIN) or 0.0),
    )
