"""The `acestep` engine: ACE-Step 1.5 through diffusers' AceStepPipeline, following the plan.

- cover (the default): the symbolic engine renders the plan (cuts and accents, form, speech rests, the ending)
  and that audio is the source of a cover whose caption and tagged form come from the plan; the result keeps
  the source's timing, so its beat grid is the planned one.
- text2music: the model writes the piece from the plan's caption, tagged form, bpm, key and time signature;
  its beats are measured (librosa), and the candidate that puts the most cuts on a beat is used.

Candidates run batched, each with its own seed; out of GPU memory, the batch is halved, then the pipeline is
offloaded to the CPU between uses, then the engine gives up (ModelError: `--fallback symbolic` takes over).
The audio is cut or padded to the brief's length, to the sample.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np

from autoscore_video.common.audio import load_audio
from autoscore_video.common.errors import ModelError
from autoscore_video.common.progress import Passes
from autoscore_video.generation.acestep import loader
from autoscore_video.generation.acestep.options import AceStepOptions
from autoscore_video.generation.acestep.request import Request, request_for
from autoscore_video.generation.beats import cut_fit, measure_beats
from autoscore_video.generation.brief import MusicBrief, MusicTrack

log = logging.getLogger(__name__)

SOURCE_SHARE = 0.3  # of a cover's progress: the symbolic render of its source


class OutOfMemory(Exception):
    pass


class AceStepEngine:
    name = "acestep"

    def render(self, brief: MusicBrief, work_dir: Path, *, options: AceStepOptions | None = None,
               progress=None) -> MusicTrack:
        options = options or AceStepOptions()
        work_dir.mkdir(parents=True, exist_ok=True)
        loaded = loader.load(options.model, options.device, options.offload)
        cover = options.mode == "cover"
        passes = Passes(progress, 2 if cover else 1, first_share=SOURCE_SHARE if cover else None)
        source = None
        if cover:
            from autoscore_video.generation.symbolic import SymbolicEngine

            source = SymbolicEngine().render(brief, work_dir / "source", progress=passes.at)
            passes.next_pass()
        request = request_for(brief)
        samples = int(round(brief.target_duration * loaded.sample_rate))
        source_audio = None if source is None else load_audio(Path(source.audio_path), sample_rate=loaded.sample_rate,
                                                              what="the cover's source")
        notes: list[str] = []
        audio = self._generate_fitting(loaded, request, source_audio, samples, options, brief.seed, passes, notes)
        passes.finished()
        return self._track(brief, loaded, audio, source, work_dir, notes, options)

    def render_section(self, brief: MusicBrief, index: int, piece: MusicTrack, work_dir: Path, *,
                       options: AceStepOptions | None = None, progress=None) -> MusicTrack:
        """Section `index` of `brief` repainted over `piece` with its own seed and its own caption; the rest of
        the track is `piece`'s."""
        import soundfile

        from autoscore_video.generation.sections import section_range

        options = options or AceStepOptions()
        work_dir.mkdir(parents=True, exist_ok=True)
        loaded = loader.load(options.model, options.device, options.offload)
        rate = loaded.sample_rate
        audio = load_audio(Path(piece.audio_path), sample_rate=rate, what="the piece to repaint")
        start, end = section_range(brief, index)
        section = brief.sections[index]
        request = request_for(brief)
        request = dataclasses.replace(request, prompt=section.prompt or request.prompt)
        notes = list(piece.notes)
        painted = self._repaint_fitting(loaded, request, audio, (start, min(end, len(audio) / rate)), options,
                                        section.seed or 0, progress, notes)
        path = work_dir / "music.wav"
        soundfile.write(str(path), painted, rate, subtype="FLOAT")
        return dataclasses.replace(piece, audio_path=str(path), sample_rate=rate, candidates=[], notes=notes,
                                   midi_path=None)

    def _repaint_fitting(self, loaded, request: Request, audio: np.ndarray, span: tuple[float, float],
                         options: AceStepOptions, seed: int, progress, notes: list[str]) -> np.ndarray:
        """The repainted track; out of GPU memory, once more with the pipeline offloaded to the CPU."""
        while True:
            try:
                return repaint(loaded, request, audio, span, options, seed, progress)
            except OutOfMemory:
                if loaded.offloaded or not loaded.device.startswith("cuda"):
                    raise ModelError("ACE-Step ran out of GPU memory repainting even with CPU offload") from None
                loader.forget(options.model)
                loaded = loader.load(options.model, options.device, "on")
                step = "out of GPU memory repainting; retrying with the pipeline offloaded to the CPU"
                log.warning(step)
                notes.append(step)

    def _generate_fitting(self, loaded, request: Request, source: np.ndarray | None, samples: int,
                          options: AceStepOptions, seed: int, passes: Passes, notes: list[str]) -> np.ndarray:
        """(candidates, samples, 2), stepping down on out-of-memory: half the batch, then CPU offload."""
        batch = min(options.max_batch, options.candidates)
        while True:
            try:
                return generate(loaded, request, source, samples, options, seed, batch, passes.at)
            except OutOfMemory:
                if batch > 1:
                    batch //= 2
                    step = f"out of GPU memory at batch {batch * 2}; retrying at batch {batch}"
                elif not loaded.offloaded and loaded.device.startswith("cuda"):
                    loader.forget(options.model)
                    loaded = loader.load(options.model, options.device, "on")
                    step = "out of GPU memory at batch 1; retrying with the pipeline offloaded to the CPU"
                else:
                    raise ModelError("ACE-Step ran out of GPU memory even at batch 1 with CPU offload") from None
                log.warning(step)
                notes.append(step)

    def _track(self, brief: MusicBrief, loaded, audio: np.ndarray, source: MusicTrack | None, work_dir: Path,
               notes: list[str], options: AceStepOptions) -> MusicTrack:
        import soundfile

        rate = loaded.sample_rate
        written = []
        for index, candidate in enumerate(audio):
            path = work_dir / f"music.cand{index + 1}.wav"
            soundfile.write(str(path), candidate, rate, subtype="FLOAT")
            written.append(path)
        if source is not None:  # a cover keeps its source's timing: the planned grid
            order = list(range(len(written)))
            beats, downbeats, bpm, grid = source.beats, source.downbeats, source.bpm, "planned"
        else:
            measured = [measure_beats(candidate.mean(axis=1), rate, brief.tempo_map[0].bpm) for candidate in audio]
            fits = [cut_fit(brief.cuts_to_hit, beats) for _, beats, _ in measured]
            order = sorted(range(len(written)), key=lambda i: (-fits[i][0], fits[i][1]))
            bpm, beats, downbeats = measured[order[0]]
            grid = "measured"
            if len(written) > 1:
                notes.append(f"picked candidate {order[0] + 1} of {len(written)}: {fits[order[0]][0]:.0%} of cuts "
                             f"on a beat")
        return MusicTrack(
            audio_path=str(written[order[0]]), sample_rate=rate, duration=round(audio.shape[1] / rate, 6), bpm=bpm,
            beats=beats, downbeats=downbeats, engine=self.name, seed=brief.seed, prompt=brief.prompt,
            model_id=f"{loaded.model_id} ({options.mode})", notes=notes, candidates=[str(written[i]) for i in order],
            grid=grid, final_hit=source.final_hit if source is not None else None,
        )


def generate(loaded, request: Request, source: np.ndarray | None, samples: int, options: AceStepOptions, seed: int,
             batch: int, progress=None) -> np.ndarray:
    """(candidates, samples, 2) float32: the candidates in batches of `batch`, candidate i seeded `seed + i`."""
    import torch

    pipe = loaded.pipe
    calls = [list(range(start, min(start + batch, options.candidates)))
             for start in range(0, options.candidates, batch)]
    steps_total = options.steps * len(calls) * (2 if source is not None and options.cover_strength < 1 else 1)
    done = [0]

    def step(_pipe, _index, _timestep, _tensors) -> dict:
        done[0] += 1
        if progress is not None:
            progress(min(1.0, done[0] / steps_total))
        return {}

    made = []
    for call in calls:
        arguments: dict[str, Any] = {}
        if source is not None:
            arguments = {"task_type": "cover", "src_audio": torch.from_numpy(np.ascontiguousarray(source.T)),
                         "audio_cover_strength": options.cover_strength}
        torch.manual_seed(seed + call[0])  # the pipeline samples the source's latents from torch's own generator
        try:
            out = pipe(prompt=[request.prompt] * len(call), lyrics=[request.lyrics] * len(call),
                       audio_duration=request.duration, num_inference_steps=options.steps, shift=options.shift,
                       guidance_scale=1.0 if loaded.turbo else options.guidance, bpm=request.bpm,
                       keyscale=request.keyscale, timesignature=request.timesignature, output_type="np",
                       generator=[torch.Generator("cpu").manual_seed(seed + i) for i in call],
                       callback_on_step_end=step, **arguments)
        except torch.cuda.OutOfMemoryError as exc:
            torch.cuda.empty_cache()
            raise OutOfMemory() from exc
        made.append(np.asarray(out.audios, dtype=np.float32))
    audio = np.concatenate(made).transpose(0, 2, 1)  # (candidates, samples, channels)
    return exact_length(audio, samples)


def repaint(loaded, request: Request, audio: np.ndarray, span: tuple[float, float], options: AceStepOptions,
            seed: int, progress=None) -> np.ndarray:
    """(samples, 2) float32: `audio` (samples, 2) with `span` (seconds) made again by ACE-Step's repaint task,
    seeded `seed`; the same length as `audio`."""
    import torch

    done = [0]

    def step(_pipe, _index, _timestep, _tensors) -> dict:
        done[0] += 1
        if progress is not None:
            progress(min(1.0, done[0] / options.steps))
        return {}

    torch.manual_seed(seed)  # the pipeline samples the source's latents from torch's own generator
    try:
        out = loaded.pipe(prompt=[request.prompt], lyrics=[request.lyrics],
                          audio_duration=len(audio) / loaded.sample_rate,
                          num_inference_steps=options.steps, shift=options.shift,
                          guidance_scale=1.0 if loaded.turbo else options.guidance, bpm=request.bpm,
                          keyscale=request.keyscale, timesignature=request.timesignature, output_type="np",
                          generator=[torch.Generator("cpu").manual_seed(seed)], callback_on_step_end=step,
                          task_type="repaint", src_audio=torch.from_numpy(np.ascontiguousarray(audio.T)),
                          repainting_start=float(span[0]), repainting_end=float(span[1]))
    except torch.cuda.OutOfMemoryError as exc:
        torch.cuda.empty_cache()
        raise OutOfMemory() from exc
    painted = np.asarray(out.audios, dtype=np.float32).transpose(0, 2, 1)
    return exact_length(painted, len(audio))[0]


def exact_length(audio: np.ndarray, samples: int) -> np.ndarray:
    """(candidates, `samples`, channels): cut where the latents ran past the length, silence where short."""
    if audio.shape[1] >= samples:
        return np.ascontiguousarray(audio[:, :samples])
    return np.pad(audio, ((0, 0), (0, samples - audio.shape[1]), (0, 0)))
