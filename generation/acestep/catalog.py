"""The ACE-Step 1.5 checkpoints autoscore knows (diffusers format), and how a `--model` value is found."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autoscore_video.common import hub


@dataclass(frozen=True)
class Checkpoint:
    name: str
    repo_id: str
    steps: int  # what it was distilled or trained for
    turbo: bool


CATALOG = {c.name: c for c in (  # as diffusers' AceStepPipeline documentation lists them
    Checkpoint("xl-turbo", "ACE-Step/acestep-v15-xl-turbo-diffusers", steps=8, turbo=True),
    Checkpoint("base", "ACE-Step/acestep-v15-base", steps=8, turbo=False),  # 30-60 steps for more quality
    Checkpoint("sft", "ACE-Step/acestep-v15-sft", steps=8, turbo=False),
)}
LICENCE = "MIT (ACE-Step 1.5's weights, trained on licensed and royalty-free data: fit for commercial use)"


def resolve(model: str) -> tuple[str, Checkpoint | None, bool]:
    """(what to pass to from_pretrained, catalogue entry if any, is a local folder)."""
    source, name, local = hub.resolve_model(model, {c.name: c.repo_id for c in CATALOG.values()})
    return source, CATALOG[name] if name else None, local


def cached_snapshot(repo_id: str) -> Path | None:
    """The folder of a pipeline already in the Hugging Face cache (HF_HOME / HF_HUB_CACHE honoured)."""
    return hub.cached_snapshot(repo_id, "model_index.json")
