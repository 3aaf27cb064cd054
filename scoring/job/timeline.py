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
    import matplotlib.pyplot as plt

    duration = features.duration
    fig, axes = plt.subplots(5, 1, figsize=(12, 7.5), sharex=True, gridspec_kw={"hspace": 0.35})
    ax_cuts, ax_sat, ax_speech, ax_sent, ax_music = axes

    for t in features.cuts.times:
        ax_cuts.axvline(t, color="black", linewidth=1)
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
    for start, end in regions:
        ax_speech.axvspan(start, end, color="tab:green", alpha=0.3)
    ax_speech.set_ylim(-90, 0)
    ax_speech.set_ylabel("speech dB")

    for cue in features.subtitles.cues:
        value = cue.sentiment if cue.sentiment is not None else 0.0
        ax_sent.barh(0, cue.end - cue.start, left=cue.start, height=max(abs(value), 0.05) * (1 if value >= 0 else -1),
                     align="edge", color="tab:blue" if value >= 0 else "tab:orange")
    ax_sent.axhline(0, color="black", linewidth=0.5)
    ax_sent.set_ylim(-1, 1)
    ax_sent.set_ylabel("sentiment")

    colours = ["#cfe2f3", "#d9ead3", "#fff2cc", "#f4cccc"]
    for i, section in enumerate(plan.brief.sections if plan is not None else []):
        ax_music.axvspan(section.start, section.end, color=colours[i % len(colours)])
        ax_music.text((section.start + section.end) / 2, 0.95, f"{section.mood} · {section.energy:.2f} · "
                      f"{section.bpm:.0f} BPM", ha="center", va="top", fontsize=8)
    for b in beats:
        if b <= duration:
            ax_music.axvline(b, ymin=0, ymax=0.25, color="tab:gray", linewidth=0.6)
    for d in downbeats:
        if d <= duration:
            ax_music.axvline(d, ymin=0, ymax=0.45, color="black", linewidth=1.0)
    for t in features.cuts.times:
        ax_music.axvline(t, ymin=0.5, ymax=0.65, color="tab:red", linewidth=1.5)
    ax_music.set_yticks([])
    ax_music.set_ylabel("music")
    ax_music.set_xlim(0, duration)
    ax_music.set_xlabel("seconds")

    fig.savefig(out, dpi=100, format="png", bbox_inches="tight")
    plt.close(fig)
