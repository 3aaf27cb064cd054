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
    "engine": "Generation engine: auto (the default: acestep where its weights and a CUDA GPU are here, else "
              "symbolic), {engines}; `autoscore models` says what each is for.",
    "preset": "Loudness preset: default, youtube, tiktok, instagram (-14 LUFS), broadcast (-23 LUFS).",
    "lufs": "Integrated loudness target, overrides the preset.",
    "replace_audio": "Drop the original audio (default: keep it).",
    "fallback": "Engine to use when the chosen one cannot run (e.g. symbolic), or none.",
    "audio_track": "The source's audio track (1, 2, ...) the music is mixed with (default: the one marked default, "
                   "else the first that is not silent). Every other track is kept in the output.",
}
FLAG_NAMES = {"replace_audio": "--replace-audio/--keep-audio"}


def flag_help() -> dict[str, tuple[type, str]]:
    """(type, help) of every music flag: Preferences' own, then each engine's (generation's registry), the help
    of a flag that several engines take naming each engine's use of it."""
    from autoscore_video.generation import engine_flags, engine_specs
    from autoscore_video.generation.registry import flag_engines
    from autoscore_video.scoring.planning.preferences import Preferences

    types = Preferences.types()
    engines = ", ".join(spec.name for spec in engine_specs())
    found = {name: (types[name], HELP[name].format(engines=engines)) for name in Preferences.own_names()}
    for name, declared in engine_flags().items():
        found[name] = (declared[0].type, " ".join(f"{engine}: {flag.help}"
                                                  for engine, flag in zip(flag_engines(name), declared)))
    return found


def _parameters(fallback: str | None) -> list[inspect.Parameter]:
    parameters = []
    for name, (kind, text) in flag_help().items():
        default = fallback if name == "fallback" else None
        option = typer.Option(default, FLAG_NAMES.get(name, "--" + name.replace("_", "-")), help=text)
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option,
                                            annotation=Optional[kind]))
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
                    prefs = Preferences.of(**values)
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
