"""Property-based fuzzing of a registry with hypothesis (area `fuzz`).

`profiles` sets the budgets, `runner` runs one property and turns a failure
into its minimal example plus the HTTP requests that reproduce it (`replay`),
`properties` holds the name, tag and manifest properties, `machine` the
stateful model of uploads, tags and manifests. The strategies themselves are
in `regsuite.strategies`.
"""
