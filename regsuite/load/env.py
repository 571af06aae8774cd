"""Environment variables the runner sets for the locust processes it starts."""

PROFILE = "REGSUITE_LOAD_PROFILE"  # the resolved profile as JSON
POOL = "REGSUITE_LOAD_POOL"  # path of the seeded pull pool (JSON)
NAMESPACE = "REGSUITE_LOAD_NAMESPACE"  # repository prefix of this run
USERNAME = "REGSUITE_USERNAME"
PASSWORD = "REGSUITE_PASSWORD"
CA = "REGSUITE_REGISTRY_CA"
INSECURE = "REGSUITE_REGISTRY_INSECURE"

