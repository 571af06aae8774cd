from . import SPEC_BASE, CheckInfo, Level

CHECKS = [
    CheckInfo("ping.v2-200", "GET /v2/ answers 200", "ping", Level.MUST, "end-1", f"{SPEC_BASE}#determining-support"),
    CheckInfo(
        "ping.api-version-header",
        "GET /v2/ carries Docker-Distribution-API-Version: registry/2.0",
        "ping",
        Level.MAY,
        "api-version-check",
        f"{SPEC_BASE}#api-version-check",
        "docker",
    ),
]
