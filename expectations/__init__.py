"""Known deviations of registries, shipped with regsuite (installed as `regsuite.expectations`).

`--expectations distribution-2.8.2` names a file here; any other value is a path.
"""
