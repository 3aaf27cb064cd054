"""Loads a MusicGen checkpoint once per process: model id or local folder, HF cache, offline mode, device."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import autoscore_video.generation.devices as devices
from autoscore_video.common.errors import ModelError
from autoscore_video.common.hub import hub_offline, missing_weights
from autoscore_video.generation.musicgen.catalog import cached_snapshot, resolve

log = logging.getLogger(__name__)

_LOADED: dict[tuple[str, str, str], "LoadedModel"] = {}
_LOCK = threading.Lock()


@dataclass
class LoadedModel:
    model: object
    processor: object
    model_id: str
    device: str
    dtype: str
    sample_rate: int
    frame_rate: int
    num_codebooks: int
    melody: bool


def require_torch():
    return devices.require_torch("musicgen", "musicgen", "transformers")


def pick_device(requested: str = "auto") -> str:
    return devices.pick_device(require_torch(), requested)


def pick_dtype(device: str):
    return devices.pick_dtype(require_torch(), device)


def missing_weights_message(model: str, repo_id: str) -> str:
    return missing_weights("MusicGen", model, model, "checkpoint")


def load(model: str = "small", device: str = "auto") -> LoadedModel:
    """The loaded model for (model, device), loaded on first use and reused by every later job."""
    require_torch()
    source, info, local = resolve(model)
    device = pick_device(device)
    dtype = pick_dtype(device)
    key = (source, device, str(dtype))
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        if not local and hub_offline() and cached_snapshot(source) is None:
            raise ModelError(missing_weights_message(model, source))
        from transformers import AutoProcessor
        from transformers import logging as hf_logging

        melody = bool(info and info.melody) or "melody" in source.lower()
        if melody:
            from transformers import MusicgenMelodyForConditionalGeneration as ModelClass
        else:
            from transformers import MusicgenForConditionalGeneration as ModelClass
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()  # transformers 5 draws a bar over the weights it loads
        attention = {"text_encoder": "sdpa", "decoder": "sdpa", "audio_encoder": "eager", "": "sdpa"}
        try:
            processor = AutoProcessor.from_pretrained(source, local_files_only=local or hub_offline())
            loaded: Any = ModelClass.from_pretrained(source, dtype=dtype, attn_implementation=attention,
                                                local_files_only=local or hub_offline())
        except OSError as exc:
            if local:
                raise ModelError(f"{source}: not a MusicGen checkpoint folder ({exc})") from exc
            raise ModelError(missing_weights_message(model, source)) from exc
        loaded = loaded.to(device).eval()
        compact_recurrent_weights(loaded)
        result = LoadedModel(
            model=loaded, processor=processor, model_id=source, device=device, dtype=str(dtype).replace("torch.", ""),
            sample_rate=int(loaded.config.audio_encoder.sampling_rate),
            frame_rate=int(loaded.config.audio_encoder.frame_rate),
            num_codebooks=int(loaded.decoder.num_codebooks), melody=melody,
        )
        log.info("loaded MusicGen %s on %s (%s)", source, device, result.dtype)
        _LOADED[key] = result
        return result


def compact_recurrent_weights(model) -> None:
    """EnCodec's LSTMs: one contiguous weight block after a move or dtype change, or cuDNN copies the
    weights on every decode (and warns each time)."""
    import torch

    for module in model.modules():
        if isinstance(module, torch.nn.LSTM):
            module.flatten_parameters()


def forget(model: str, device: str) -> None:
    """Drop a loaded model (after it ran out of memory) so that its memory can be reused."""
    torch = require_torch()
    source, _, _ = resolve(model)
    with _LOCK:
        for key in [k for k in _LOADED if k[0] == source and k[1] == pick_device(device)]:
            del _LOADED[key]
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
