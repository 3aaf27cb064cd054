"""MusicGen checkpoints with random weights, built from transformers' own config classes.

`tiny` is for tests (saved with save_pretrained, loaded through the same path as real checkpoints);
`small`, `medium` and `large` have the real architectures, hence the real cost, for benchmarks.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

ARCHITECTURES = {  # decoder (hidden, layers, heads, ffn); every size uses T5-base and 32 kHz EnCodec
    "tiny": (32, 2, 4, 64),
    "small": (1024, 24, 16, 4096),
    "medium": (1536, 48, 24, 6144),
    "large": (2048, 48, 32, 8192),
}
WORDS = ("calm joyful uplifting driving reflective melancholic tense ambient cinematic lofi pop electronic rock "
         "orchestral instrumental bpm major minor piano strings bass drums pad lead synth energy low medium "
         "high").split()


def config(size: str):
    from transformers import EncodecConfig, MusicgenConfig, MusicgenDecoderConfig, T5Config

    hidden, layers, heads, ffn = ARCHITECTURES[size]
    tiny = size == "tiny"
    text = (T5Config(vocab_size=len(WORDS) + 8, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4)
            if tiny else T5Config(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12))
    audio = EncodecConfig(sampling_rate=32000, audio_channels=1, codebook_size=2048, upsampling_ratios=[8, 5, 4, 4],
                          target_bandwidths=[2.2], chunk_length_s=None, overlap=None, normalize=False,
                          num_filters=4 if tiny else 64, hidden_size=16 if tiny else 128,
                          codebook_dim=16 if tiny else 128,
                          num_lstm_layers=1 if tiny else 2, num_residual_layers=1, compress=2)
    decoder = MusicgenDecoderConfig(vocab_size=2048, hidden_size=hidden, num_hidden_layers=layers,
                                    num_attention_heads=heads, ffn_dim=ffn, num_codebooks=4, pad_token_id=2048,
                                    bos_token_id=2048, max_position_embeddings=2048 if tiny else 4096)
    return MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder)


def build(size: str = "tiny", seed: int = 0, device: str | None = None):
    """`device`: where the weights are drawn (a GPU draws a full-size model's in seconds, a CPU in minutes)."""
    import torch
    from transformers import MusicgenForConditionalGeneration

    torch.manual_seed(seed)
    with torch.device(device or "cpu"):
        model: Any = MusicgenForConditionalGeneration(config(size))
    with torch.no_grad():  # EnCodec's codebooks start as zero buffers: every code would decode to the same sound
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
    generation = model.generation_config
    generation.decoder_start_token_id = generation.pad_token_id = generation.bos_token_id = 2048
    generation.do_sample, generation.guidance_scale, generation.top_k = True, 3.0, 250
    generation.max_length = 1500
    return model.eval()


def processor():
    """A processor of the real kind (EnCodec feature extractor + T5 tokenizer) over a tiny vocabulary."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import (
        EncodecFeatureExtractor,
        MusicgenProcessor,
        T5TokenizerFast,  # pyright: ignore[reportAttributeAccessIssue]  # 5.x: a lazy alias
    )

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [("\u2581" + w, -1.0 - i) for i, w in enumerate(WORDS)]
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=2))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    t5 = T5TokenizerFast(tokenizer_object=tokenizer, eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
                         extra_ids=0)
    return MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(feature_size=1, sampling_rate=32000),
                             tokenizer=t5)


def save(folder: Path, size: str = "tiny", seed: int = 0) -> Path:
    """Write a loadable checkpoint folder (config, weights, generation config, processor)."""
    folder = Path(folder)
    build(size, seed).save_pretrained(folder)
    processor().save_pretrained(folder)
    return folder
