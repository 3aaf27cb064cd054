"""`--engine auto`, the default: ACE-Step where its default weights are in the Hugging Face cache and a CUDA GPU is
visible to torch, else the symbolic engine; with the reason, in words a user can act on."""
from __future__ import annotations

AUTO = "auto"
CHOSEN = "(auto)"  # in the reason's first words: the rationale line a report repeats among its notes


def choose_engine() -> tuple[str, str]:
    """(engine, why). torch is imported only where the weights are there (most machines stop before)."""
    from autoscore_video.generation.acestep.catalog import cached_snapshot, resolve
    from autoscore_video.generation.acestep.options import AceStepOptions

    model = AceStepOptions().model
    repo, _, _ = resolve(model)
    if cached_snapshot(repo) is None:
        return "symbolic", (f"engine symbolic {CHOSEN}: ACE-Step's {model} weights are not in the Hugging Face cache "
                            f"(`autoscore models pull acestep-{model}` on a connected machine)")
    try:
        import diffusers  # noqa: F401
        import torch
    except ImportError:
        return "symbolic", (f"engine symbolic {CHOSEN}: ACE-Step's weights are here but not diffusers: "
                            "pip install 'autoscore-video[acestep]'")
    if not torch.cuda.is_available():
        return "symbolic", f"engine symbolic {CHOSEN}: ACE-Step's weights are here, but no CUDA GPU is visible to torch"
    return "acestep", (f"engine acestep {CHOSEN}: ACE-Step's {model} weights and a CUDA GPU "
                       f"({torch.cuda.get_device_name(0)}) are here")
