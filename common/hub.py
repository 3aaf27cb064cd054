"""The Hugging Face cache and its offline switch, as every engine that fetches from the hub reads them."""
from __future__ import annotations

import os
from pathlib import Path


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
