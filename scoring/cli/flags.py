"""The music flags `score`, `plan`, `watch` and `hook` share, defined once, and turned into one Preferences.

`@music_flags()` adds every flag of Preferences to a command's options and hands the command a built
Preferences as `prefs`; a value autoscore cannot use is a usage error (exit 2), checked once, before any work.
"""
from __future__ import annotations

import functools
import inspect
import typing
from typing import Optional

import typer

from autoscore_video.common.errors import InputError, UsageError
from autoscore_video.scoring.cli.app import errors_reported

HELP = {
    "bpm": "Tempo override (40..240).",
    "mood": "Mood override: joyful, uplifting, driving, calm, reflective, melancholic, tense.",
    "genre": "Genre override: ambient, cinematic, lofi, pop, electronic, rock, orchestral.",
    "prompt": "Prompt text override.",
    "seed": "Random seed (default: derived from the clip).",
    "engine": "Generation engine (default: symbolic).",
    "preset": "Loudness preset: default, youtube, tiktok, instagram (-14 LUFS), broadcast (-23 LUFS).",
    "lufs": "Integrated loudness target, overrides the preset.",
    "replace_audio": "Drop the original audio (default: keep it).",
    "model": "musicgen checkpoint: small, medium, large, a hub id or a local folder.",
    "device": "musicgen device: auto, cuda, mps or cpu.",
    "candidates": "musicgen: render N alternatives, keep all, use the one whose beats fit the cuts best.",
    "fallback": "Engine to use when the chosen one cannot run (e.g. symbolic), or none.",
    "soundfont": "symbolic: the General MIDI bank (.sf2/.sf3) to play (default: $AUTOSCORE_SOUNDFONT, a pulled "
                 "bank, then the system's).",
    "audio_track": "The source's audio track (1, 2, ...) the music is mixed with (default: the one marked default, "
                   "else the first that is not silent). Every other track is kept in the output.",
}
FLAG_NAMES = {"replace_audio": "--replace-audio/--keep-audio"}


def _parameters(fallback: str | None) -> list[inspect.Parameter]:
    from autoscore_video.scoring.planning.preferences import Preferences

    hints = typing.get_type_hints(Preferences)
    parameters = []
    for name in Preferences.names():
        default = fallback if name == "fallback" else None
        option = typer.Option(default, FLAG_NAMES.get(name, "--" + name.replace("_", "-")), help=HELP[name])
        annotation = Optional[typing.get_args(hints[name])[0]]
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option,
                                            annotation=annotation))
    return parameters


# The default of a music_flags command's `prefs` parameter, which the decorator always fills with a Preferences.
# Typed Any, so that the command's body may use it as the Preferences it will be; its module need not import
# Preferences at start-up.
FROM_FLAGS: typing.Any = None


def music_flags(*, fallback: str | None = None):
    """Give the decorated command every music flag; it receives them as `prefs: Preferences`. `fallback`: the
    default of --fallback (unattended commands fall back to the symbolic engine rather than fail)."""

    def decorate(command):
        signature = inspect.signature(command)
        own = [p for p in signature.parameters.values() if p.name != "prefs"]
        added = _parameters(fallback)
        names = [p.name for p in added]

        @functools.wraps(command)
        def with_prefs(**given):
            from autoscore_video.scoring.planning.preferences import Preferences

            values = {name: given.pop(name) for name in names}
            with errors_reported():
                try:
                    prefs = Preferences(**values)
                except InputError as exc:
                    raise UsageError(str(exc)) from exc
            return command(prefs=prefs, **given)

        hints = typing.get_type_hints(command)
        setattr(with_prefs, "__signature__", signature.replace(parameters=own + added))  # what typer reads
        with_prefs.__annotations__ = {**{k: v for k, v in hints.items() if k != "prefs"},
                                      **{p.name: p.annotation for p in added}}
        del with_prefs.__wrapped__  # typer reads the signature above, not the command's own
        return with_prefs

    return decorate
