"""The `autoscore` command line (typer). `app` holds the app and what every command shares, `flags` the music
flags of score/plan/watch/hook; each other module adds a group of commands to the app."""


def main() -> None:
    from autoscore_video.scoring.cli import score, unattended, editorial, service, tools  # noqa: F401, I001  (in help order)
    from autoscore_video.scoring.cli.app import app, stop_like_ctrl_c

    stop_like_ctrl_c()
    app()
