"""The locustfile the runner starts: the profile's users and its shape.

Locust picks up every User and LoadTestShape found in this module's
namespace, so only the profile's user types (with their weights) and one
shape are placed here. Run it through `regsuite load` (which seeds the pull
pool and passes the profile); started by hand it needs the REGSUITE_LOAD_*
variables of regsuite.load.env.
"""

from regsuite.loadtest import shapes as _shapes
from regsuite.loadtest import users as _users

globals().update(_users.selected_users())
ProfileShape = _shapes.shape_for(_users.PROFILE)
