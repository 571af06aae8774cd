"""Capacity scenarios: the workloads capacity planners ask about, as load profiles.

Each scenario is a load profile (regsuite.load.profiles) without a shape: the
capacity search sets the users of every step. `--scenario` also accepts any
profile name of the load profiles file, whose shape is then ignored the same
way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..load.profiles import Profile, from_dict, load_profiles

# The bodiless closing PUT of a chunked or streamed upload: the registry verifies the
# digest and moves the blob here, so on large blobs its own latency is worth reporting.
FINAL_PUT_ROW = "PUT /v2/[repo]/blobs/uploads/[id] (finish)"


@dataclass(frozen=True)
class Scenario:
    name: str
    question: str  # what a capacity planner learns from it
    profile: dict[str, Any]  # a load profile without its shape (see loadtest/profiles.yml)


_PUSH_1MIB = {"sizes": ["1MiB"], "methods": ["post-put"]}

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("push-same-repo",
             "how many pushes per second one repository takes when every client pushes into it",
             {"mix": {"push": 1}, "push": {**_PUSH_1MIB, "repositories": "shared"},
              "slo": {"p95_ms": {"image-push": 2000}, "max_error_rate": 0.01}}),
    Scenario("push-many-repos",
             "the same pushes spread over one repository per client (compare with push-same-repo "
             "to see repository contention)",
             {"mix": {"push": 1}, "push": {**_PUSH_1MIB, "repositories": "many"},
              "slo": {"p95_ms": {"image-push": 2000}, "max_error_rate": 0.01}}),
    Scenario("hot-image",
             "how many clients can pull one popular image (a 1 MiB layer) at once, as after a deploy",
             {"mix": {"pull": 1}, "pull": {"sizes": ["1MiB"], "layers": 1},
              "slo": {"p95_ms": {"image-pull": 1000}, "max_error_rate": 0.01}}),
    Scenario("mixed-75-25",
             "a day-to-day mix: 75 % pulls of small and medium images, 25 % pushes into many repositories",
             {"mix": {"pull": 3, "push": 1}, "pull": {"sizes": ["64KiB", "1MiB"]},
              "push": {**_PUSH_1MIB, "repositories": "many"},
              "slo": {"p95_ms": {"image-pull": 1000, "image-push": 2000}, "max_error_rate": 0.01}}),
    Scenario("large-upload",
             "how many concurrent 64 MiB uploads the registry absorbs, and what its closing PUT "
             "(digest check and commit of the whole blob) costs on its own",
             {"mix": {"push": 1}, "push": {"sizes": ["64MiB"], "methods": ["chunked"], "chunk_size": "16MiB",
                                           "repositories": "many"},
              "slo": {"p95_ms": {"image-push": 20000}, "max_error_rate": 0.01}}),
)}


def scenario_profile(name: str, profiles_file: Path | None = None) -> Profile:
    """The scenario's profile, or the load profile of that name from `profiles_file`."""
    if name in SCENARIOS:
        return from_dict({"name": name, "description": SCENARIOS[name].question, **SCENARIOS[name].profile})
    profiles = load_profiles(profiles_file) if profiles_file is not None and profiles_file.exists() else {}
    if name in profiles:
        return profiles[name]
    known = sorted(SCENARIOS) + sorted(profiles)
    raise UsageError(f"no capacity scenario or load profile {name!r}; known: {', '.join(known)}")
