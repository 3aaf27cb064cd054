"""One exception hierarchy, caught once at each entry point and turned into a one-line message."""


class AutoscoreError(Exception):
    """Base of every error autoscore reports to a user. The message is the whole story: one line.

    Messages quote user data (file names, JSON keys, subtitle text): control characters in them are
    written as escapes, so the line stays one line whatever the input held."""

    exit_code = 1

    def __init__(self, message: str = "", *args):
        super().__init__(one_line(str(message)), *args)


def one_line(text: str) -> str:
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text.strip())


class InputError(AutoscoreError):
    """The input (video, subtitles, plan, option value) is missing, unreadable or malformed."""


class NotFoundError(InputError):
    """A file the command names is not there: a usage error (exit 2), like an unknown option or a bad value;
    a file that is there but cannot be used is a failure (exit 1)."""

    exit_code = 2


class ModelError(AutoscoreError):
    """A generation engine or its model could not be loaded or run."""


class ResourceError(AutoscoreError):
    """The machine said no: an output cannot be written, a disk is full, a tool is missing."""


class UsageError(AutoscoreError):
    """A command-line option has a value autoscore cannot use."""

    exit_code = 2
