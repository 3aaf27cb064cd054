"""What any command line answers: `--version`, and `-h` as well as `--help` at every level (issue 34)."""
from __future__ import annotations

import importlib.metadata

import pytest

from tests.conftest import run_cli


def test_version_is_the_installed_distributions():
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"autoscore {importlib.metadata.version('autoscore-video')}"


@pytest.mark.parametrize("words", [[], ["score"], ["models"], ["models", "pull"]])
def test_h_is_help_at_every_level(words):
    short, long = run_cli(*words, "-h"), run_cli(*words, "--help")
    assert short.returncode == 0 and long.returncode == 0, (short.stderr, long.stderr)
    assert "Usage: autoscore" in short.stdout and short.stdout == long.stdout


@pytest.mark.parametrize("words", [[], ["score"], ["watch"], ["serve"], ["export"], ["models", "pull"]])
def test_flags_show_no_value_in_help(words):
    """A flag takes no value; typer 0.29 printed `--json <bool>` and `--help <bool>` as if it took one."""
    shown = run_cli(*words, "--help").stdout
    assert "--help" in shown and "<bool>" not in shown
    if words == ["score"]:
        assert "<path>" in shown and "<float>" in shown  # options that take a value still say what kind
