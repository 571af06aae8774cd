"""Self-tests of regsuite. The fixtures live in the plugin (fixtures/proxy.py and friends)."""
