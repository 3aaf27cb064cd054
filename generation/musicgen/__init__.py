"""The `musicgen` engine (Hugging Face transformers). Needs the [musicgen] extra; imported lazily."""
from generation.musicgen.catalog import CATALOG, ModelInfo
from generation.musicgen.engine import MusicGenEngine, MusicGenOptions

__all__ = ["CATALOG", "ModelInfo", "MusicGenEngine", "MusicGenOptions"]
