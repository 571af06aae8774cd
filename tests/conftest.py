"""Self-tests of regsuite: they load the opt-in self-test plugin (real registries, fault proxies)."""

pytest_plugins = ["regsuite.testing"]
