"""Subcommands of the `regsuite` console command, one module each (see regsuite.cli)."""
