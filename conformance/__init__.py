"""regsuite's conformance checks: one module per area (test_<area>.py), each test marked with its check id.

Installed, this is `regsuite.conformance`: `pytest --pyargs regsuite.conformance`
or `regsuite conformance` runs it from any folder.
"""
