"""The `autoscore` command line (typer). `app` holds the app and what every command shares, `flags` the music
flags of score/plan/watch/hook; each other module adds a group of commands to the app."""
import sys


def main() -> None:
    from autoscore_video.scoring.cli.stopping import stop_like_ctrl_c, stopped_message

    stop_like_ctrl_c()  # before the imports below: a stop during them exits as a stop anywhere else does
    try:
        from autoscore_video.scoring.cli import score, unattended, editorial, service, tools  # noqa: F401, I001  (in help order)
        from autoscore_video.scoring.cli.app import command_line
    except KeyboardInterrupt as exc:
        message, code = stopped_message(exc)
        print(f"autoscore: error: {message}", file=sys.stderr)
        sys.exit(code)
    command_line()(prog_name="autoscore")
