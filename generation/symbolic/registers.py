"""Who sounds where, once every part is written: no two parts on one pitch at once, and the lead the highest
voice (pads, keys and counter-line under it and under E6). Works on the composer's tracks ("role: instrument")."""
from __future__ import annotations

import bisect

import pretty_midi

HARMONY_TOP = 88  # E6: the pads', keys' and counter-line's highest note; under a lead note, below it
HARMONY_FLOOR = 60  # a note moved down under the lead goes no lower than C4 (it would thicken the low mids): it rests
UNDER_THE_LEAD = ("pad", "keys", "counter")
# Which part keeps a note when two would sound the same pitch at once (the other moves an octave, or rests).
UNISON_PRIORITY = ("bass", "timpani", "lead", "counter", "keys", "pad")
UNISON_OVERLAP_S = 0.05


def melody_on_top(tracks: dict[str, pretty_midi.Instrument]) -> None:
    """The lead stays the highest voice: a pad, keys or counter-line note that would sound at or above the
    lead's note (or above HARMONY_TOP anywhere) moves down by octaves, to a pitch no part holds then, or is
    left out below HARMONY_FLOOR."""
    lead = [n for name, track in tracks.items() if name.split(":")[0] == "lead" for n in track.notes]
    lead.sort(key=lambda n: n.start)
    starts = [n.start for n in lead]
    longest = max((n.end - n.start for n in lead), default=0.0)
    sounding: dict[int, list[tuple[float, float]]] = {}
    for name, track in tracks.items():
        if not track.is_drum:
            for note in track.notes:
                sounding.setdefault(note.pitch, []).append((note.start, note.end))

    def ceiling(start: float, end: float) -> int:
        first = bisect.bisect_left(starts, start - longest)
        over = [n.pitch for n in lead[first:bisect.bisect_left(starts, end)]
                if min(end, n.end) - max(start, n.start) > UNISON_OVERLAP_S]
        return min([HARMONY_TOP, *[p - 1 for p in over]])

    def free(pitch: int, start: float, end: float) -> bool:
        return not any(min(end, e) - max(start, s) > UNISON_OVERLAP_S for s, e in sounding.get(pitch, ()))

    for name, track in tracks.items():
        if name.split(":")[0] not in UNDER_THE_LEAD:
            continue
        kept = []
        for note in track.notes:
            top = ceiling(note.start, note.end)
            pitch = note.pitch
            while pitch >= HARMONY_FLOOR and (pitch > top or (pitch != note.pitch
                                                and not free(pitch, note.start, note.end))):
                pitch -= 12
            if pitch == note.pitch:
                kept.append(note)
            elif pitch >= HARMONY_FLOOR:
                sounding.setdefault(pitch, []).append((note.start, note.end))
                note.pitch = pitch
                kept.append(note)
        track.notes = kept

def resolve_unisons(tracks: dict[str, pretty_midi.Instrument]) -> None:
    """No two parts on the same pitch at once (a doubled note phases and thickens the mix): the part lower
    in UNISON_PRIORITY moves its note an octave up (never down, where it would sink under the chord's root),
    else leaves it out."""
    sounding: dict[int, list[tuple[float, float]]] = {}

    def clashes(pitch: int, start: float, end: float) -> bool:
        return any(min(end, e) - max(start, s) > UNISON_OVERLAP_S for s, e in sounding.get(pitch, ()))

    for role in UNISON_PRIORITY:
        for name, track in tracks.items():
            if name.split(":")[0] != role:
                continue
            kept = []
            for note in track.notes:
                for pitch in (note.pitch, note.pitch + 12):
                    if 0 <= pitch <= 127 and not clashes(pitch, note.start, note.end):
                        note.pitch = pitch
                        sounding.setdefault(pitch, []).append((note.start, note.end))
                        kept.append(note)
                        break
            track.notes = kept
