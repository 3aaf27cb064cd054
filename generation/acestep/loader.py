"""Loads an ACE-Step pipeline once per process: catalogue name, hub id or local folder, the Hugging Face cache,
offline mode, device and precision, and CPU offload where the GPU is short of memory."""
from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass
from typing import Any

import autoscore_video.generation.devices as devices
from autoscore_video.common.errors import ModelError
from autoscore_video.common.hub import hub_offline, missing_weights
from autoscore_video.generation.acestep.catalog import cached_snapshot, resolve

log = logging.getLogger(__name__)

OFFLOAD_BELOW_GB = 12.0  # `offload auto`: a GPU with less free memory than this runs with model CPU offload

_LOADED: dict[tuple[str, str, str, bool], "LoadedPipeline"] = {}
_LOCK = threading.Lock()


@dataclass
class LoadedPipeline:
    pipe: Any
    model_id: str
    device: str
    dtype: str
    sample_rate: int
    latents_per_second: float
    turbo: bool
    offloaded: bool


def require_torch():
    return devices.require_torch("acestep", "acestep", "diffusers", "transformers")


def missing_weights_message(model: str, repo_id: str) -> str:
    return missing_weights("ACE-Step", model, f"acestep-{model}", "pipeline")


def _offload(torch, device: str, offload: str) -> bool:
    if offload != "auto" or not device.startswith("cuda"):
        return offload == "on" and device.startswith("cuda")
    free, _ = torch.cuda.mem_get_info(torch.device(device))
    return free / 1024 ** 3 < OFFLOAD_BELOW_GB


def load(model: str = "xl-turbo", device: str = "auto", offload: str = "auto") -> LoadedPipeline:
    """The loaded pipeline for (model, device, offload), loaded on first use and reused by every later job."""
    torch = require_torch()
    source, _, local = resolve(model)
    device = devices.pick_device(torch, device)
    dtype = devices.pick_dtype(torch, device)
    offloaded = _offload(torch, device, offload)
    key = (source, device, str(dtype), offloaded)
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        if not local and hub_offline() and cached_snapshot(source) is None:
            raise ModelError(missing_weights_message(model, source))
        from diffusers.pipelines.ace_step.pipeline_ace_step import AceStepPipeline
        from diffusers.utils import logging as diffusers_logging
        from transformers.utils import logging as transformers_logging

        for library in (diffusers_logging, transformers_logging):
            library.set_verbosity_error()
            library.disable_progress_bar()
        try:
            with warnings.catch_warnings():  # the VAE's weight_norm: torch's deprecation, not the user's concern
                warnings.simplefilter("ignore", FutureWarning)
                pipe: Any = AceStepPipeline.from_pretrained(source, torch_dtype=dtype,
                                                            local_files_only=local or hub_offline())
        except (OSError, ValueError) as exc:
            if local:
                raise ModelError(f"{source}: not an ACE-Step pipeline folder ({exc})") from exc
            raise ModelError(missing_weights_message(model, source)) from exc
        if offloaded:
            pipe.enable_model_cpu_offload(device=device)
        else:
            pipe = pipe.to(device)
        pipe.set_progress_bar_config(disable=True)
        result = LoadedPipeline(pipe=pipe, model_id=source, device=device, dtype=str(dtype).replace("torch.", ""),
                                sample_rate=int(pipe.sample_rate), latents_per_second=float(pipe.latents_per_second),
                                turbo=bool(pipe.is_turbo), offloaded=offloaded)
        log.info("loaded ACE-Step %s on %s (%s%s)", source, device, result.dtype, ", CPU offload" if offloaded else "")
        _LOADED[key] = result
        return result


def forget(model: str) -> None:
    """Drop every loaded copy of `model` (after it ran out of memory) so that its memory can be reused."""
    torch = require_torch()
    source, _, _ = resolve(model)
    with _LOCK:
        for key in [k for k in _LOADED if k[0] == source]:
            del _LOADED[key]
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
