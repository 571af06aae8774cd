"""The repository root.

regsuite's pytest plugin (fixtures/, installed as `regsuite.fixtures`) loads
through its `pytest11` entry point, so it is active whatever the rootdir and
is not registered here a second time. `./dev setup` installs the checkout in
editable mode; without an install, run `pip install -e .` first.
"""
