"""The `musicgen` engine: transformers' MusicGen, windowed past 30 s, candidates batched, OOM ladder."""
from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import numpy as np

from autoscore_video.common.errors import ModelError
from autoscore_video.generation.beats import cut_fit, measure_beats
from autoscore_video.generation.brief import MusicBrief, MusicTrack
from autoscore_video.generation.musicgen import loader
from autoscore_video.generation.musicgen.catalog import CATALOG, resolve
from autoscore_video.generation.musicgen.options import MusicGenOptions

log = logging.getLogger(__name__)

TAIL_S = 1.0  # generated past the target so mixing can end on a bar line


class OutOfMemory(Exception):
    pass


def plan_windows(total: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """Frame spans: the first from 0, each next one starting `overlap` frames before the previous end."""
    spans = [(0, min(window, total))]
    while spans[-1][1] < total:
        start = spans[-1][1] - overlap
        spans.append((start, min(start + window, total)))
    return spans


def undelay(ids, num_codebooks: int):
    """(batch*K, L) ids in MusicGen's delay pattern (BOS first) → (batch, K, L - K) codes."""
    import torch

    length = ids.shape[-1]
    frames = length - num_codebooks
    grid = ids.reshape(-1, num_codebooks, length)
    return torch.stack([grid[:, k, k + 1:k + 1 + frames] for k in range(num_codebooks)], dim=1)


class _Tap:
    """A logits processor that reads the ids each step (progress, and the codes for the next window)."""

    def __init__(self, on_step):
        self.latest = None
        self.on_step = on_step

    def __call__(self, input_ids, scores):
        self.latest = input_ids
        self.on_step()
        return scores


class MusicGenEngine:
    name = "musicgen"

    options_type = MusicGenOptions

    def render(self, brief: MusicBrief, work_dir: Path, *, options: MusicGenOptions | None = None,
               progress=None) -> MusicTrack:
        options = options or MusicGenOptions()
        work_dir.mkdir(parents=True, exist_ok=True)
        notes: list[str] = []
        model, batch = options.model, min(options.max_batch, options.candidates)
        while True:
            loaded = loader.load(model, options.device)
            if loaded.melody:
                raise ModelError("the melody checkpoint needs chroma conditioning, which autoscore does not drive "
                                 "yet; use small, medium or large")
            try:
                audio = self._generate(loaded, brief, options, batch, progress)
                break
            except OutOfMemory:
                step = self._smaller(model, batch)
                if step is None:
                    raise ModelError("out of GPU memory even at batch 1 on the smallest model") from None
                message = (f"out of memory with {model} at batch {batch}; retrying with "
                           f"{step[0]} at batch {step[1]}")
                log.warning(message)
                notes.append(message)
                if step[0] != model:
                    loader.forget(model, options.device)
                model, batch = step
        return self._track(brief, loaded, audio, work_dir, notes)

    def render_section(self, brief: MusicBrief, index: int, piece: MusicTrack, work_dir: Path, *,
                       options: MusicGenOptions | None = None, progress=None) -> MusicTrack:
        """Section `index` of `brief` generated again with its own seed, continuing `piece` from the
        `overlap_s` before it (the piece's audio, encoded, is the prompt), window by window to its end; the rest
        of the track is `piece`'s."""
        import soundfile

        options = options or MusicGenOptions()
        work_dir.mkdir(parents=True, exist_ok=True)
        loaded = loader.load(options.model, options.device)
        audio, rate = soundfile.read(piece.audio_path, dtype="float32", always_2d=True)
        if rate != loaded.sample_rate:
            raise ModelError(f"the piece is at {rate} Hz, the {options.model} model at {loaded.sample_rate} Hz")
        audio = audio.mean(axis=1)
        frames = self._section_frames(loaded, brief, index, len(audio), options)
        done = [0]

        def step() -> None:
            done[0] += 1
            if progress:
                progress(min(1.0, done[0] / frames))

        try:
            audio = self._section(loaded, brief, index, audio, options, step)
        except OutOfMemory:
            raise ModelError("out of GPU memory generating a section again") from None
        path = work_dir / "music.wav"
        soundfile.write(str(path), audio, rate, subtype="FLOAT")
        return dataclasses.replace(piece, audio_path=str(path), candidates=[], notes=list(piece.notes))

    @staticmethod
    def _section_span(loaded, brief: MusicBrief, index: int, samples: int) -> tuple[int, int]:
        """Section `index`'s frames in the piece: from its start to its end (the last: the piece's end)."""
        from autoscore_video.generation.sections import section_range

        fr, hop = loaded.frame_rate, loaded.sample_rate // loaded.frame_rate
        start, end = section_range(brief, index)
        total = samples // hop
        return min(total, int(round(start * fr))), total if end == float("inf") else min(total, math.ceil(end * fr))

    def _section_frames(self, loaded, brief: MusicBrief, index: int, samples: int, options: MusicGenOptions) -> int:
        first, last = self._section_span(loaded, brief, index, samples)
        return max(1, last - first + int(options.overlap_s * loaded.frame_rate))

    def _section(self, loaded, brief: MusicBrief, index: int, audio: np.ndarray, options: MusicGenOptions,
                 step) -> np.ndarray:
        """(samples,): `audio` with section `index` generated again, seeded with its own seed."""
        import torch

        fr, hop = loaded.frame_rate, loaded.sample_rate // loaded.frame_rate
        first, last = self._section_span(loaded, brief, index, len(audio))
        overlap, window = int(options.overlap_s * fr), int(options.window_s * fr)
        seed = brief.sections[index].seed or 0
        codes, codes_from = None, first  # the codes so far, from frame `codes_from`
        made = audio[: first * hop].copy()  # the audio so far
        if first > 0:
            codes_from = max(0, first - overlap)
            codes = self._encode(loaded, audio[codes_from * hop: first * hop])
        previous_end, window_index = first, 0
        while previous_end < last:
            start = max(0, previous_end - overlap) if codes is not None else previous_end
            end = min(start + window, last)
            prompt = None if codes is None else codes[:, :, start - codes_from:previous_end - codes_from]
            new_codes, new_audio = self._window(loaded, [_section_prompt(brief, previous_end / fr)], prompt,
                                                end - start, options, seed + window_index, step)
            if codes is None:
                codes, codes_from = new_codes, start
                made = np.concatenate([made, new_audio[0]])
            else:
                codes = torch.cat([codes, new_codes[:, :, previous_end - start:]], dim=2)
                made = _crossfade(made[None], new_audio, start * hop, int(options.crossfade_s * loaded.sample_rate))[0]
            previous_end, window_index = end, window_index + 1
        made = made[: last * hop]
        return np.concatenate([made, audio[len(made):]]).astype(np.float32)

    @staticmethod
    def _encode(loaded, audio: np.ndarray):
        """(1, codebooks, frames) EnCodec codes of `audio` (mono, the model's rate): a prompt to continue."""
        import torch

        model = loaded.model
        values = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))[None, None].to(loaded.device)
        with torch.inference_mode():
            encoded = model.audio_encoder.encode(values.to(model.audio_encoder.dtype))
        return encoded.audio_codes[0]

    @staticmethod
    def _smaller(model: str, batch: int) -> tuple[str, int] | None:
        if batch > 1:
            return model, batch // 2
        _, info, _ = resolve(model)
        if info is not None and info.smaller:
            return info.smaller, 1
        return None

    def _generate(self, loaded, brief: MusicBrief, options: MusicGenOptions, batch: int, progress) -> np.ndarray:
        """(candidates, samples) float32 audio covering the target plus a tail."""
        fr, hop = loaded.frame_rate, loaded.sample_rate // loaded.frame_rate
        total = math.ceil((brief.target_duration + TAIL_S) * fr)
        spans = plan_windows(total, int(options.window_s * fr), int(options.overlap_s * fr))
        steps_total = sum(end - start for start, end in spans) * math.ceil(options.candidates / batch)
        done = [0]

        def step() -> None:
            done[0] += 1
            if progress:
                progress(min(1.0, done[0] / steps_total))

        made = None  # (codes, audio) of the windows so far
        previous_end = 0
        for index, (start, end) in enumerate(spans):
            text = _section_prompt(brief, previous_end / fr)
            prompt = None if made is None else made[0][:, :, start:previous_end]
            pieces = [self._window(loaded, [text] * len(chunk), None if prompt is None else prompt[chunk],
                                   end - start, options, brief.seed + index, step)
                      for chunk in _chunks(options.candidates, batch)]
            import torch

            new_codes = torch.cat([p[0] for p in pieces])
            new_audio = np.concatenate([p[1] for p in pieces])
            if made is None:
                made = new_codes, new_audio
            else:
                codes, audio = made
                overlap = previous_end - start
                made = (torch.cat([codes, new_codes[:, :, overlap:]], dim=2),
                        _crossfade(audio, new_audio, start * hop, int(options.crossfade_s * loaded.sample_rate)))
            previous_end = end
            log.info("musicgen window %d/%d: frames %d-%d, prompt %r", index + 1, len(spans), start, end, text)
        if made is None:
            raise RuntimeError("MusicGen had no window to generate")
        return made[1]

    def _window(self, loaded, texts: list[str], prompt, frames: int, options: MusicGenOptions, seed: int, step):
        import torch
        from transformers import LogitsProcessorList

        model, processor = loaded.model, loaded.processor
        k = loaded.num_codebooks
        bos = model.generation_config.decoder_start_token_id
        inputs = processor(text=texts, padding=True, return_tensors="pt").to(loaded.device)
        max_length = frames + k + 1  # one step more than needed: the tap sees every id of the wanted frames
        start_ids = torch.full((len(texts) * k, 1), bos, dtype=torch.long)
        extra = {}
        if prompt is not None:
            flat = prompt.reshape(len(texts) * k, -1)
            start_ids = torch.cat([start_ids, flat.cpu()], dim=1)
            extra["decoder_input_ids"] = flat.to(loaded.device)
        if _use_fast(options, loaded.device):
            return self._window_fast(loaded, inputs, start_ids, max_length, options, seed, step)
        _, pattern = model.decoder.build_delay_pattern_mask(start_ids, pad_token_id=bos, max_length=max_length)
        tap = _Tap(step)
        torch.manual_seed(seed)
        try:
            with torch.inference_mode():
                values = model.generate(**inputs, **extra, max_length=max_length, do_sample=True,
                                        guidance_scale=options.guidance, temperature=options.temperature,
                                        top_k=options.top_k, top_p=options.top_p or None,
                                        logits_processor=LogitsProcessorList([tap]))
        except torch.cuda.OutOfMemoryError as exc:
            torch.cuda.empty_cache()
            raise OutOfMemory() from exc
        latest = tap.latest
        if latest is None:
            raise RuntimeError("MusicGen generated no step")
        ids = model.decoder.apply_delay_pattern_mask(latest, pattern.to(latest.device))
        codes = undelay(ids, k)
        hop = loaded.sample_rate // loaded.frame_rate
        audio = values[:, 0, : frames * hop].float().cpu().numpy()
        return codes, audio

    def _window_fast(self, loaded, inputs, start_ids, max_length: int, options: MusicGenOptions, seed: int, step):
        """The same window through the fast decode loop (static cache, guidance and sampling on the device)."""
        import torch

        from autoscore_video.generation.musicgen.fast import FastDecoder, Sampling, encoder_states

        model, k = loaded.model, loaded.num_codebooks
        bos = model.generation_config.decoder_start_token_id
        prefix, pattern = model.decoder.build_delay_pattern_mask(start_ids, pad_token_id=bos, max_length=max_length)
        rows = start_ids.shape[0] // k
        sampling = Sampling(guidance=options.guidance, temperature=options.temperature, top_k=options.top_k,
                            top_p=options.top_p)
        torch.manual_seed(seed)
        try:
            hidden, mask = encoder_states(model, inputs, options.guidance)
            ids = FastDecoder(model, rows, max_length, sampling).generate(prefix, pattern, hidden, mask, on_step=step)
            codes = undelay(ids[:, : max_length - 1], k)
            with torch.inference_mode():
                values = model.audio_encoder.decode(codes[None], audio_scales=[None] * rows).audio_values
        except torch.cuda.OutOfMemoryError as exc:
            torch.cuda.empty_cache()
            raise OutOfMemory() from exc
        hop = loaded.sample_rate // loaded.frame_rate
        frames = max_length - k - 1
        return codes, values[:, 0, : frames * hop].float().cpu().numpy()

    def _track(self, brief: MusicBrief, loaded, audio: np.ndarray, work_dir: Path, notes: list[str]) -> MusicTrack:
        import soundfile

        rate = loaded.sample_rate
        bpm_hint = brief.tempo_map[0].bpm
        measured = []
        for i, candidate in enumerate(audio):
            peak = float(np.max(np.abs(candidate))) or 1.0
            candidate = (candidate / peak * 10 ** (-3 / 20)).astype(np.float32)
            path = work_dir / f"music.cand{i + 1}.wav"
            soundfile.write(str(path), candidate, rate, subtype="FLOAT")
            bpm, beats, downbeats = measure_beats(candidate, rate, bpm_hint)
            measured.append((cut_fit(brief.cuts_to_hit, beats), path, bpm, beats, downbeats))
        order = sorted(range(len(measured)), key=lambda i: (-measured[i][0][0], measured[i][0][1]))
        (share, _), path, bpm, beats, downbeats = measured[order[0]]
        if len(measured) > 1:
            notes.append(f"picked candidate {order[0] + 1} of {len(measured)}: {share:.0%} of cuts on a beat")
        return MusicTrack(
            audio_path=str(path), sample_rate=rate, duration=round(audio.shape[1] / rate, 6), bpm=bpm,
            beats=beats, downbeats=downbeats, engine=self.name, seed=brief.seed, prompt=brief.prompt,
            model_id=loaded.model_id, notes=notes, candidates=[str(measured[i][1]) for i in order], grid="measured",
        )


def _use_fast(options: MusicGenOptions, device) -> bool:
    if options.decoder == "auto":
        return getattr(device, "type", str(device)).startswith("cuda")
    return options.decoder == "fast"


def _chunks(count: int, size: int) -> list[list[int]]:
    return [list(range(i, min(i + size, count))) for i in range(0, count, size)]


def _section_prompt(brief: MusicBrief, at: float) -> str:
    """The prompt of the section under way at `at` (a window starts its section's prompt)."""
    current = brief.sections[0]
    for section in brief.sections:
        if section.start <= at + 1e-6:
            current = section
    return current.prompt or brief.prompt


def _crossfade(before: np.ndarray, after: np.ndarray, after_starts_at: int, fade: int) -> np.ndarray:
    """Join `after` (which starts at sample `after_starts_at`) onto `before` with an equal-power crossfade
    ending where `before` ends."""
    end = before.shape[1]
    fade = max(1, min(fade, end - after_starts_at))
    begin = end - fade
    t = np.linspace(0.0, np.pi / 2, fade, dtype=np.float32)
    mixed = before[:, begin:end] * np.cos(t) + after[:, begin - after_starts_at:end - after_starts_at] * np.sin(t)
    return np.concatenate([before[:, :begin], mixed, after[:, end - after_starts_at:]], axis=1)


__all__ = ["CATALOG", "MusicGenEngine", "MusicGenOptions", "plan_windows", "undelay"]
