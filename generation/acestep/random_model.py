"""ACE-Step 1.5 pipelines with random weights, built from diffusers' and transformers' own classes and saved with
`save_pretrained`, so that they load through the same path as the real checkpoints (loader.py).

`tiny` is for tests: every part of the real pipeline (Qwen3 text encoder, condition encoder, DiT, audio tokenizer
and detokenizer, Oobleck VAE at 48 kHz with the real 1920x downsampling, so 25 latents a second), each a few
thousand weights. `full` has the sizes of the released 2B turbo for benchmarks (bench/acestep.py): the DiT and
condition encoder at diffusers' defaults (which are that model's), Qwen3-Embedding-0.6B's text encoder, and a
Stable Audio style Oobleck VAE at 48 kHz (the released VAE's exact widths are not read here).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

SAMPLE_RATE = 48000
DOWNSAMPLING = [2, 4, 4, 6, 10]  # 1920 samples a latent: 25 latents a second, as the real VAE
LATENT = 4  # acoustic latent width (the real one: 64)
WORDS = ("calm joyful uplifting driving reflective melancholic tense ambient cinematic lofi pop electronic rock "
         "orchestral instrumental bpm major minor piano strings bass drums pad lead synth energy low medium "
         "high intro verse chorus bridge outro").split()


def tokenizer():
    """A fast tokenizer of the real kind (byte-level would be Qwen's) over a tiny word vocabulary."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {word: i for i, word in enumerate(["<|endoftext|>", "<unk>", *WORDS])}
    words = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>", pad_token="<|endoftext|>",
                                   eos_token="<|endoftext|>")


def build(seed: int = 0, size: str = "tiny") -> Any:
    import torch
    from diffusers.models.autoencoders.autoencoder_oobleck import AutoencoderOobleck
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel
    from diffusers.pipelines.ace_step.modeling_ace_step import (
        AceStepAudioTokenDetokenizer,
        AceStepAudioTokenizer,
        AceStepConditionEncoder,
    )
    from diffusers.pipelines.ace_step.pipeline_ace_step import AceStepPipeline
    from diffusers.schedulers.scheduling_flow_match_euler_discrete import FlowMatchEulerDiscreteScheduler
    from transformers import Qwen3Config, Qwen3Model

    torch.manual_seed(seed)
    if size == "full":
        return _full(AutoencoderOobleck, FlowMatchEulerDiscreteScheduler, AceStepTransformer1DModel,
                     AceStepConditionEncoder, AceStepAudioTokenizer, AceStepAudioTokenDetokenizer, AceStepPipeline)
    attention = {"num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "rope_theta": 10000.0,
                 "sliding_window": 16}
    text = Qwen3Model(Qwen3Config(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                  num_key_value_heads=2, head_dim=8, vocab_size=len(WORDS) + 2,
                                  max_position_embeddings=512))
    parts = {
        "transformer": AceStepTransformer1DModel(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                                 in_channels=3 * LATENT, audio_acoustic_hidden_dim=LATENT, patch_size=2,
                                                 is_turbo=True, **attention),
        "condition_encoder": AceStepConditionEncoder(hidden_size=32, intermediate_size=64, text_hidden_dim=32,
                                                     timbre_hidden_dim=LATENT, num_lyric_encoder_hidden_layers=1,
                                                     num_timbre_encoder_hidden_layers=1, **attention),
        "audio_tokenizer": AceStepAudioTokenizer(hidden_size=32, intermediate_size=64,
                                                 audio_acoustic_hidden_dim=LATENT, pool_window_size=5, fsq_dim=32,
                                                 fsq_input_levels=[4, 4, 4], num_attention_pooler_hidden_layers=1,
                                                 **attention),
        "audio_token_detokenizer": AceStepAudioTokenDetokenizer(hidden_size=32, intermediate_size=64,
                                                                audio_acoustic_hidden_dim=LATENT, pool_window_size=5,
                                                                num_attention_pooler_hidden_layers=1, **attention),
        # the encoder's last layer gives each latent's mean and scale: twice the latent's width
        "vae": AutoencoderOobleck(encoder_hidden_size=2 * LATENT, downsampling_ratios=DOWNSAMPLING,
                                  decoder_channels=4, decoder_input_channels=LATENT, audio_channels=2,
                                  channel_multiples=[1, 1, 1, 1, 1], sampling_rate=SAMPLE_RATE),
        "scheduler": FlowMatchEulerDiscreteScheduler(num_train_timesteps=1, shift=1.0),
    }
    return AceStepPipeline(text_encoder=text, tokenizer=tokenizer(), **parts)


def _full(vae, scheduler, transformer, condition, tokenizer_class, detokenizer_class, pipeline) -> Any:
    from transformers import Qwen3Config, Qwen3Model

    text = Qwen3Model(Qwen3Config(hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
                                  num_attention_heads=16, num_key_value_heads=8, head_dim=128, vocab_size=151669))
    return pipeline(
        text_encoder=text, tokenizer=tokenizer(),
        transformer=transformer(is_turbo=True), condition_encoder=condition(text_hidden_dim=1024),
        audio_tokenizer=tokenizer_class(), audio_token_detokenizer=detokenizer_class(),
        vae=vae(encoder_hidden_size=128, downsampling_ratios=DOWNSAMPLING, channel_multiples=[1, 2, 4, 8, 16],
                decoder_channels=128, decoder_input_channels=64, audio_channels=2, sampling_rate=SAMPLE_RATE),
        scheduler=scheduler(num_train_timesteps=1, shift=1.0))


def save(folder: Path, seed: int = 0) -> Path:
    """Write a loadable pipeline folder (model_index.json and each part)."""
    import warnings

    folder = Path(folder)
    with warnings.catch_warnings():  # the VAE's weight_norm: torch's deprecation
        warnings.simplefilter("ignore", FutureWarning)
        build(seed).save_pretrained(folder)
    return folder
