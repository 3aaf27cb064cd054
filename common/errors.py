"""One exception hierarchy, caught once at each entry point and turned into a one-line message."""


class AutoscoreError(Exception):
    """Base of every error autoscore reports to a user. The message is the whole story: one line."""

    exit_code = 1


class InputError(AutoscoreError):
    """The input (video, subtitles, plan, option value) is missing, unreadable or malformed."""


class ModelError(AutoscoreError):
    """A generation engine or its model could not be loaded or run."""


class ResourceError(AutoscoreError):
    """The machine said no: an output cannot be written, a disk is full, a tool is missing."""


class UsageError(AutoscoreError):
    """A command-line option has a value autoscore cannot use."""

    exit_code = 2
