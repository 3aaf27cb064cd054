"""The API's one schema: what a job submission may hold, checked before a job is accepted, and shown in the
OpenAPI document. Job options are the flags of `autoscore score` (Preferences), less those that name a file
on the server's disk; each value is checked by the same rule the CLI uses."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from autoscore_video.common.errors import InputError
from autoscore_video.scoring.job.states import STAGE_SHARES
from autoscore_video.scoring.planning.preferences import Preferences

# Options that name a file on the server's disk: a caller may not choose them.
ResultFile = Literal["video", "music_wav", "music_mp3", "midi", "plan", "report", "timeline"]
TEXT_LIMIT = 2000  # a prompt is a sentence or two; nothing an option holds is longer
PATH_LIMIT = 4096  # PATH_MAX on Linux
JOB_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class OptionsBase(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _checked_as_the_cli_checks(self):
        try:
            Preferences.of(**self.model_dump(exclude_none=True))
        except InputError as exc:
            raise ValueError(str(exc)) from None
        return self


def _choices() -> dict[str, tuple[str, ...]]:
    """The options with a closed set of values, from the homes of those values."""
    from autoscore_video.generation.registry import engine_names
    from autoscore_video.mixing import LOUDNESS_PRESETS
    from autoscore_video.scoring.planning.rules import GENRES, MOODS

    return {"mood": tuple(MOODS), "genre": tuple(GENRES), "preset": tuple(LOUDNESS_PRESETS),
            "engine": ("auto", *engine_names()), "fallback": ("none", *engine_names())}


def _server_only() -> dict[str, str]:
    """The engines' options an API job may not set, and why."""
    from autoscore_video.generation import engine_flags

    return {name: flags[0].server_only for name, flags in engine_flags().items() if flags[0].server_only}


def _option_field(name: str, base: type) -> tuple:
    """(type, Field) of one option: its flag's type, made optional and bounded."""
    constraints: dict[str, Any] = {"max_length": TEXT_LIMIT} if base is str else {}
    if name == "seed":
        from autoscore_video.scoring.planning.rules import SEED_MAX

        constraints = {"ge": 0, "le": SEED_MAX}
    if name in _choices():
        return Optional[Literal[_choices()[name]]], Field(None)
    return Optional[base], Field(None, **constraints)


_OPTION_FIELDS: dict[str, Any] = {name: _option_field(name, kind) for name, kind in Preferences.types().items()
                                  if name not in _server_only()}
JobOptions = create_model(
    "JobOptions", __base__=OptionsBase,
    __doc__="The flags of `autoscore score`, each optional; unknown names are refused.", **_OPTION_FIELDS)


class PathSubmission(BaseModel):
    """A job for a file already on the server, inside one of its --allow-root folders."""
    model_config = ConfigDict(extra="forbid", strict=True)

    path: str = Field(min_length=1, max_length=PATH_LIMIT)
    options: JobOptions = Field(default_factory=JobOptions)  # type: ignore[valid-type]
    callback_url: Optional[str] = Field(None, max_length=2048)

    @field_validator("path")
    @classmethod
    def _no_nul(cls, path: str) -> str:
        if "\x00" in path:
            raise ValueError("a path cannot hold a NUL byte")
        return path


class UploadSubmission(BaseModel):
    """A job for an uploaded file (multipart/form-data)."""
    file: bytes = Field(json_schema_extra={"format": "binary"})
    options: Optional[JobOptions] = Field(None, description="JSON, as a form field.")  # type: ignore[valid-type]
    callback_url: Optional[str] = Field(None, max_length=2048)


class FieldError(BaseModel):
    field: str = Field(description="Where: a dotted path (`options.bpm`), `body`, a header or a query name.")
    message: str


class ErrorBody(BaseModel):
    detail: str = Field(description="One line: the first error, and how many more there are.")
    errors: list[FieldError] = Field(default_factory=list, description="Every error, where there are fields to "
                                                                        "name (a 422).")


class Recovery(BaseModel):
    at: str = Field(description="ISO 8601, UTC.")
    reason: str


class Job(BaseModel):
    """A job as its owner sees it: files by name, never the server's folders."""
    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    source: str = Field(description="The submitted file's name.")
    options: JobOptions  # type: ignore[valid-type]
    stage: Optional[Literal[tuple(STAGE_SHARES)]] = Field(  # type: ignore[valid-type]
        None, description="The stage running now (the last one run, once the job has ended).")
    progress: float = Field(ge=0.0, le=1.0, description="The share of the job done, 0 to 1.")
    result: Optional[dict[str, Any]] = Field(None, description="Once done: the report; its `outputs` name the "
                                                               "files /result serves.")
    error: Optional[str] = Field(None, description="Once failed: why, in one line.")
    attempts: int = Field(description="Times a runner started it.")
    created_at: str = Field(description="ISO 8601, UTC.")
    updated_at: str = Field(description="ISO 8601, UTC.")
    recoveries: list[Recovery] = Field(description="Each time it was taken back from a runner that was lost.")


class JobList(BaseModel):
    jobs: list[Job] = Field(description="Newest first.")
    next_cursor: Optional[str] = Field(None, description="Pass as `cursor` for the next page; null on the last.")


def iso8601(seconds: float) -> str:
    """A POSIX time as ISO 8601 in UTC, to the millisecond: 2026-12-07T17:43:27.123Z."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00",
                                                                                                         "Z")


class InvalidFields(InputError):
    """A request with fields that cannot be used: every field's error ({field, message}), and as its message
    the first of them and how many more there are."""

    def __init__(self, errors: list[dict]):
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]['field']}: {errors[0]['message']}{more}")
        self.errors = errors


def parse_options(text: str) -> dict:
    """A multipart submission's options field (JSON text) as the job will run them, or InvalidFields."""
    try:
        return JobOptions.model_validate_json(text).model_dump(exclude_none=True)
    except ValidationError as exc:
        raise invalid(exc, prefix="options") from None


def parse_path_submission(body: bytes) -> PathSubmission:
    try:
        return PathSubmission.model_validate_json(body)
    except ValidationError as exc:
        raise invalid(exc) from None


def invalid(exc: ValidationError, prefix: str = "") -> InvalidFields:
    return InvalidFields(field_errors(exc.errors(include_url=False), prefix))


def field_errors(errors: Sequence[Mapping[str, Any]], prefix: str = "", skip: tuple[str, ...] = ()) -> list[dict]:
    """Each error of a validation as {field, message}, the field a dotted path (`options.bpm`); the messages
    say what a user can act on (an option set on the server, an unknown option)."""
    found = []
    for error in errors:
        where = ".".join(str(part) for part in (prefix, *error["loc"]) if part != "" and part not in skip)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden" and error["loc"] and error["loc"][-1] in _server_only():
            name = error["loc"][-1]
            message = f"option {name!r} is set on the server, not per job: {_server_only()[name]}"
        elif error["type"] == "extra_forbidden":
            message = "unknown option" if where.startswith("options.") else "unknown field"
        found.append({"field": where or "body", "message": message})
    return found


def component_schemas() -> dict:
    """The submission schemas for the OpenAPI document's components."""
    from pydantic.json_schema import models_json_schema

    _, schemas = models_json_schema([(PathSubmission, "validation"), (UploadSubmission, "validation")],
                                    ref_template="#/components/schemas/{model}")
    return schemas["$defs"]
