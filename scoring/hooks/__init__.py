"""Editors' export hooks: the ready scripts in `scripts/`, `install` (writes one, with this autoscore's full
command in it, where its editor looks for scripts) and `exports` (which files `autoscore hook` scores)."""
