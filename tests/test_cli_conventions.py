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
