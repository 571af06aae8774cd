"""The locustfile the runner and `regsuite worker` start: the profile's users and its shape.

Locust picks up every User and LoadTestShape found in this module's
namespace. A local process or a master (the runner passes the profile in
REGSUITE_LOAD_* variables, regsuite.load.env) gets the profile's user types
with their weights, the arrival user, or the replay user, and one shape. A
worker knows no profile yet: it gets every user type (the master names the
ones to start) and no shape, and takes the run's settings from its master's
messages (regsuite.loadtest.coordination).
"""

from regsuite.loadtest import arrival as _arrival
from regsuite.loadtest import coordination as _coordination
from regsuite.loadtest import replay as _replay
from regsuite.loadtest import shapes as _shapes
from regsuite.loadtest import users as _users

_coordination.install()
_replay.install()
if not _users.SETTINGS.from_master:
    globals().update(_users.every_user())
    ArrivalUser = _arrival.ArrivalUser
    ReplayUser = _replay.ReplayUser
elif _users.PROFILE.shape.kind == "replay":
    ReplayUser = _replay.ReplayUser
    ProfileShape = _replay.shape_for(_users.PROFILE)
else:
    if _users.PROFILE.shape.is_arrival:
        ArrivalUser = _arrival.ArrivalUser
    else:
        globals().update(_users.selected_users())
    ProfileShape = _shapes.shape_for(_users.PROFILE)
