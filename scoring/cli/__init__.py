"""The `autoscore` command line (typer): one module per group of commands, sharing `app` and `flags`."""


def main() -> None:
    from autoscore_video.scoring.cli.app import app

    app()
