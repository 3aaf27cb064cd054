"""The Hugging Face cache and its offline switch, as every engine that fetches from the hub reads them."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def cache_dir() -> str:
    """Where huggingface_hub keeps models, read from the environment as it reads it (HF_HUB_CACHE, then HF_HOME,
    then XDG_CACHE_HOME), at each call: a process that changes them sees the change."""
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(name):
            return os.path.expanduser(os.environ[name])
    if os.environ.get("HF_HOME"):
        return str(Path(os.path.expanduser(os.environ["HF_HOME"])) / "hub")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return str(Path(base) / "huggingface" / "hub")


def resolve_model(model: str, repos: Mapping[str, str]) -> tuple[str, str | None, bool]:
    """(what to pass to from_pretrained, the catalogue name it is, is a local folder) for a `--model` value: a
    folder on disk, a name of `repos` (name → hub id), or a hub id (which may be one of the catalogue's)."""
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path.resolve()), None, True
    if model in repos:
        return repos[model], model, False
    return model, next((name for name, repo in repos.items() if repo == model), None), False


def missing_weights(engine: str, model: str, pull: str, folder: str) -> str:
    """The one line a user reads where an engine's weights are neither here nor reachable: what to pull where,
    or which folder to pass instead (`folder`: what `save_pretrained` wrote: a checkpoint, a pipeline)."""
    why = " and HF_HUB_OFFLINE is set" if hub_offline() else " and the Hugging Face hub cannot be reached"
    return (f"{engine} weights for {model!r} are not on this machine{why}: run `autoscore models pull {pull}` on a "
            f"connected machine and copy its cache ({cache_dir()}) to this machine's HF_HOME, or pass "
            f"--model /path/to/a/saved/{folder}")


def cached_snapshot(repo_id: str, marker: str) -> Path | None:
    """The folder of `repo_id` already in the Hugging Face cache, found by a file every snapshot of it has
    (`marker`: a checkpoint's config.json, a pipeline's model_index.json); None without huggingface_hub."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, marker, cache_dir=cache_dir())
    return Path(found).parent if isinstance(found, str) else None
