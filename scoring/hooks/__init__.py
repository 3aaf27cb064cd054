"""Editors' export hooks: the ready scripts in `scripts/` and `install`, which copies them where each editor
looks for them. The scripts run `autoscore hook FILE`."""
