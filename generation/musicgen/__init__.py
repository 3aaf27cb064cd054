"""The `musicgen` engine (Hugging Face transformers). Needs the [musicgen] extra; imported lazily."""
from autoscore_video.generation.musicgen.catalog import CATALOG, ModelInfo
from autoscore_video.generation.musicgen.engine import MusicGenEngine, MusicGenOptions

__all__ = ["CATALOG", "ModelInfo", "MusicGenEngine", "MusicGenOptions"]
