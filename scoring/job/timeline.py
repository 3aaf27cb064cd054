"""The timeline PNG: cuts, saturation, speech, sentiment, sections and beats on one time axis."""
from __future__ import annotations

from pathlib import Path

from autoscore_video.analysis import VideoFeatures
from autoscore_video.scoring.planning.score_plan import ScorePlan


def draw_timeline(features: VideoFeatures, plan: ScorePlan | None, beats: list[float], downbeats: list[float],
                  out: Path, *, title: str | None = None, speech: list[tuple[float, float]] | None = None) -> None:
    """Cuts, saturation, speech, sentiment, sections and beats on one time axis, written as PNG to `out`."""
    import matplotlib

    matplotlib.use("Agg")
    # file names, moods and subtitle words are data: a "$" in them is a dollar sign, not TeX math
    with matplotlib.rc_context({"text.parse_math": False}):
        _draw(features, plan, beats, downbeats, out, title, speech)


def _draw(features: VideoFeatures, plan: ScorePlan | None, beats: list[float], downbeats: list[float], out: Path,
          title: str | None, speech: list[tuple[float, float]] | None) -> None:
    import matplotlib.pyplot as plt

    duration = features.duration
    fig, axes = plt.subplots(5, 1, figsize=(12, 7.5), sharex=True, gridspec_kw={"hspace": 0.35})
    ax_cuts, ax_sat, ax_speech, ax_sent, ax_music = axes

    # each kind of mark is one collection: a long clip's thousands of beats are not thousands of artists
    ax_cuts.vlines(features.cuts.times, 0, 1, transform=ax_cuts.get_xaxis_transform(), color="black", linewidth=1)
    rate = features.cuts.rate_per_minute
    ax_cuts.plot(rate.times(), rate.values, color="tab:red", linewidth=1.2)
    ax_cuts.set_ylabel("cuts/min")
    if title is None and plan is not None:
        title = (f"{Path(features.info.path).name}: {features.cuts.count} cuts, "
                 f"{plan.bpm:.0f} BPM, {plan.brief.key} {plan.brief.mode}, {plan.brief.genre}")
    ax_cuts.set_title(title or Path(features.info.path).name, fontsize=10)

    sat = features.saturation.series
    ax_sat.fill_between(sat.times(), sat.values, color="tab:purple", alpha=0.5, step="post")
    ax_sat.set_ylim(0, 1)
    ax_sat.set_ylabel("saturation")

    energy = features.speech.energy_db
    if energy.values:
        ax_speech.plot(energy.times(), energy.values, color="tab:gray", linewidth=0.6)
    regions = [(r.start, r.end) for r in features.speech.regions] if speech is None else speech
    ax_speech.broken_barh([(start, end - start) for start, end in regions], (-90, 90), color="tab:green", alpha=0.3)
    ax_speech.set_ylim(-90, 0)
    ax_speech.set_ylabel("speech dB")

    cues = features.subtitles.cues
    if cues:
        values = [cue.sentiment if cue.sentiment is not None else 0.0 for cue in cues]
        ax_sent.barh([0] * len(cues), [cue.end - cue.start for cue in cues], left=[cue.start for cue in cues],
                     height=[max(abs(v), 0.05) * (1 if v >= 0 else -1) for v in values], align="edge",
                     color=["tab:blue" if v >= 0 else "tab:orange" for v in values])
    ax_sent.axhline(0, color="black", linewidth=0.5)
    ax_sent.set_ylim(-1, 1)
    ax_sent.set_ylabel("sentiment")

    colours = ["#cfe2f3", "#d9ead3", "#fff2cc", "#f4cccc"]
    for i, section in enumerate(plan.brief.sections if plan is not None else []):
        ax_music.axvspan(section.start, section.end, color=colours[i % len(colours)])
        ax_music.text((section.start + section.end) / 2, 0.95, f"{section.mood} · {section.energy:.2f} · "
                      f"{section.bpm:.0f} BPM", ha="center", va="top", fontsize=8)
    marks = ax_music.get_xaxis_transform()
    ax_music.vlines([b for b in beats if b <= duration], 0, 0.25, transform=marks, color="tab:gray", linewidth=0.6)
    ax_music.vlines([d for d in downbeats if d <= duration], 0, 0.45, transform=marks, color="black", linewidth=1.0)
    ax_music.vlines(features.cuts.times, 0.5, 0.65, transform=marks, color="tab:red", linewidth=1.5)
    ax_music.set_ylim(0, 1)
    ax_music.set_yticks([])
    ax_music.set_ylabel("music")
    ax_music.set_xlim(0, duration)
    ax_music.set_xlabel("seconds")

    fig.savefig(out, dpi=100, format="png", bbox_inches="tight")
    plt.close(fig)
