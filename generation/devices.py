"""Where a neural engine runs: torch present (or which extra brings it), the device asked for or the best one
there, and the precision it runs in there. Shared by every engine that runs on torch."""
from __future__ import annotations

from autoscore_video.common.errors import ModelError

DEVICES = ("auto", "cuda", "mps", "cpu")


def require_torch(engine: str, extra: str, *modules: str):
    """torch (and `modules`, imported to check they are there), or one ModelError line naming the extra."""
    import importlib

    try:
        import torch

        for name in modules:
            importlib.import_module(name)
    except ImportError as exc:
        needs = " and ".join(("torch", *modules))
        raise ModelError(f"the {engine} engine needs {needs}: pip install 'autoscore-video[{extra}]'") from exc
    return torch


def is_device(name: str) -> bool:
    """A device autoscore can ask torch for: auto, cuda (or cuda:N), mps or cpu."""
    return name in DEVICES or name.startswith("cuda:")


def check_device(requested: str) -> str:
    if not is_device(requested):
        raise ModelError(f"unknown device {requested!r} (auto, cuda, mps or cpu)")
    return requested


def pick_device(torch, requested: str = "auto") -> str:
    """`requested`, or for auto the first of CUDA, MPS and the CPU that is there; ModelError where the one asked
    for is not."""
    check_device(requested)
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "mps" if mps else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError("--device cuda was asked for but no CUDA GPU is visible to torch")
    if requested == "mps" and not mps:
        raise ModelError("--device mps was asked for but MPS is not available")
    return requested


def pick_dtype(torch, device: str):
    """bf16 on a GPU that has it, else fp16 on CUDA; fp32 elsewhere."""
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32
