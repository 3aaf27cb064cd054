"""Mixing's own settings and the platform loudness presets."""
from __future__ import annotations

from dataclasses import dataclass

from autoscore_video.common.beat_hits import HIT_TOLERANCE_S
from autoscore_video.common.errors import InputError

# Integrated loudness targets (LUFS). Streaming platforms normalise to about -14; EBU R128 is -23.
LOUDNESS_PRESETS = {"default": -14.0, "youtube": -14.0, "tiktok": -14.0, "instagram": -14.0, "broadcast": -23.0}


@dataclass
class MixSettings:
    preset: str = "default"
    target_lufs: float = -14.0
    true_peak_db: float = -1.0
    # The music sits a few LU under the dialogue outside speech and dips a further 10 dB under it: about
    # 15 LU under the words, and no 20 dB swing at every line.
    duck_depth_db: float = 10.0
    duck_attack_ms: float = 200.0
    duck_release_ms: float = 700.0
    duck_hold_ms: float = 600.0  # pauses between sentences shorter than this keep the music down
    # In a conversation (lines less than this apart) the music rises at most duck_gap_rise_db between lines,
    # and comes back to full level only in a longer pause.
    duck_conversation_gap_ms: float = 2500.0
    duck_gap_rise_db: float = 4.0
    music_vs_dialogue_lu: float = -5.0  # music loudness (outside speech) relative to the dialogue
    music_vs_ambience_lu: float = 6.0  # relative to original audio that has no speech
    # Original audio without speech (room tone, wind, hiss) is raised at most this much on the way to the
    # loudness target: the music makes up the rest.
    max_original_gain_db: float = 6.0
    replace_audio: bool = False
    fade_out_s: float = 3.0  # longest closing fade; it waits for the final chord to ring (or a bar line)
    max_stretch: float = 0.08  # music with measured beats is bent at most this much to put cuts on beats
    beat_tolerance_s: float = HIT_TOLERANCE_S  # a cut within this of a beat is on it
    sample_rate: int = 48000
    audio_bitrate: str = "192k"
    mp3_bitrate: str = "128k"

    def __post_init__(self) -> None:
        """Settings that exist are valid ones: each range is checked here, once, however they were made."""
        if self.preset not in LOUDNESS_PRESETS:
            raise InputError(f"unknown loudness preset {self.preset!r} (choose {', '.join(LOUDNESS_PRESETS)})")
        if not -40.0 <= self.target_lufs <= -5.0:
            raise InputError(f"loudness target {self.target_lufs} LUFS is outside -40..-5")
        if not -12.0 <= self.true_peak_db <= 0.0:
            raise InputError(f"true-peak ceiling {self.true_peak_db} dBTP is outside -12..0")
        if not 0.0 <= self.duck_depth_db <= 60.0:
            raise InputError(f"ducking depth {self.duck_depth_db} dB is outside 0..60")
        if self.duck_attack_ms < 0 or self.duck_release_ms < 0 or self.duck_hold_ms < 0 or self.fade_out_s < 0:
            raise InputError("ducking attack/release/hold and fade must not be negative")
        if self.duck_conversation_gap_ms < self.duck_hold_ms or self.duck_gap_rise_db < 0:
            raise InputError("the conversation gap must be at least the duck's hold, and the rise in it not negative")
        if not 0.0 <= self.max_original_gain_db <= 40.0:
            raise InputError(f"max_original_gain_db {self.max_original_gain_db} dB is outside 0..40")
        if not 0.0 <= self.max_stretch <= 0.25:
            raise InputError(f"max_stretch {self.max_stretch} is outside 0..0.25")


def settings_for_preset(preset: str, **overrides) -> MixSettings:
    return MixSettings(preset=preset, target_lufs=LOUDNESS_PRESETS.get(preset, -14.0), **overrides)
