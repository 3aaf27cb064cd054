"""Dataclasses to and from JSON, so every stage's output can be saved, edited and loaded back."""
from __future__ import annotations

import dataclasses
import json
import math
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from autoscore_video.common.errors import InputError

if typing.TYPE_CHECKING:
    from pydantic import TypeAdapter

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    item = getattr(value, "item", None)
    if callable(item):  # numpy scalars
        value = item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n"


def from_dict(cls: type[T], data: Any, *, what: str) -> T:
    """Build `cls` from parsed JSON, strictly: an unknown field (a typo in a hand-edited plan), a missing one or a
    value of the wrong type is an InputError naming the field. Whole numbers are taken for floats and arrays
    for tuples, as JSON has nothing else to write them with."""
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise InputError(f"{what}: expected a JSON object, got {type(data).__name__}")
    try:
        built: T = _adapter(cls).validate_json(json.dumps(data), strict=True)
        return built
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InputError(f"{what}: {where}: {first['msg']}{more}") from None


@lru_cache(maxsize=None)
def _adapter(cls: type) -> TypeAdapter:
    from pydantic import ConfigDict, TypeAdapter

    for dataclass_type in _dataclasses_within(cls):
        # NaN and infinities are no times, gains or tempos: JSON's parser takes them, the files refuse them
        dataclass_type.__pydantic_config__ = ConfigDict(extra="forbid", allow_inf_nan=False)
    return TypeAdapter(cls)


def _dataclasses_within(cls: Any, seen: set | None = None) -> set:
    """`cls` and every dataclass its fields hold, however nested in lists, dicts and unions."""
    seen = set() if seen is None else seen
    if dataclasses.is_dataclass(cls) and isinstance(cls, type):
        if cls in seen:
            return seen
        seen.add(cls)
        for hint in typing.get_type_hints(cls).values():
            _dataclasses_within(hint, seen)
    for arg in typing.get_args(cls):
        _dataclasses_within(arg, seen)
    return seen


def read_json(path: Path) -> Any:
    """Parsed JSON from `path`; a missing, unreadable or malformed file is one InputError line."""
    from autoscore_video.common.files import read_text_input

    try:
        text = read_text_input(Path(path), "JSON file").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
