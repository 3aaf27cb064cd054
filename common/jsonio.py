"""Dataclasses to and from JSON, so every stage's output can be saved, edited and loaded back."""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any, TypeVar

import dacite

from common.errors import InputError

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
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n"


def from_dict(cls: type[T], data: Any, *, what: str) -> T:
    """Build `cls` from parsed JSON; any shape or type mismatch is an InputError naming the field."""
    if not isinstance(data, dict):
        raise InputError(f"{what}: expected a JSON object, got {type(data).__name__}")
    config = dacite.Config(cast=[tuple, float], strict=True)
    try:
        return dacite.from_dict(cls, data, config=config)
    except (dacite.DaciteError, ValueError, TypeError) as exc:
        raise InputError(f"{what}: {exc}") from exc


def load(cls: type[T], path: Path, *, what: str) -> T:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    return from_dict(cls, data, what=f"{what} {path}")
