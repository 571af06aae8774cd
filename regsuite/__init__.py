"""regsuite: conformance and load testing for container image registries.

The package is the core library: it imports neither pytest nor locust, so the
conformance checks, the load users and users' own tools share one
implementation of the protocol.
"""

__version__ = "0.1.0"
