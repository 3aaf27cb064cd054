"""A copy of a SoundFont that symusic plays as the SoundFont's author wrote it (SoundFont 2.04, .sf2 and .sf3).

symusic's synthesiser (prestosynth, in symusic 0.5) reads three instrument-zone generators differently from
the specification, and with TimGM6mb (pretty_midi's bank) that is heard at once:
- `overridingRootKey` is ignored: every sample plays as if rooted at its header's pitch. TimGM6mb's headers
  all say 60 and put the real root in the zone, so its piano sounded 20 semitones sharp and its synth bass
  20 flat;
- `coarseTune` is clamped to ±120 cents with the fine tune, so a zone tuned by octaves loses them;
- `initialAttenuation` is read as a linear fraction (1 - cB/1000) instead of centibels (10^(-cB/200)): a
  lead written 15 dB down played 1.5 dB down.

`playable_copy` writes, once per bank, a copy in which each zone points at a sample header whose pitch is
the zone's real root (coarse tune folded in) and whose attenuation is the fraction that gives the written
level. The samples are untouched. What symusic does not do at all (filters, velocity to loudness,
controllers) is left to synth.py or not heard.
"""
from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from pathlib import Path

from autoscore_video.common.errors import ModelError

COARSE_TUNE, INITIAL_ATTENUATION, SAMPLE_ID, ROOT_KEY = 51, 48, 53, 58
REWRITE_VERSION = 1  # part of the cached copy's name: bump when the rewrite changes
SAMPLE_HEADER = 46
PITCH_OFFSET = 40  # of originalPitch inside a sample header
CHUNK_NAMES = (b"LIST", b"INFO", b"sdta", b"pdta")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "autoscore" / "soundfonts"


def playable_copy(path: Path) -> Path:
    """The cached copy of `path` that symusic plays as written, made on first use (a few ms for TimGM6mb, about
    a second for a 150 MB bank), in the user's cache, or the temporary folder where the cache cannot be written.
    A copy is known by the bank's path, size and modification time: a bank updated in place is copied again."""
    stat = Path(path).stat()
    key = hashlib.sha256(f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    name = f"{Path(path).stem}-{key}-symusic{REWRITE_VERSION}{Path(path).suffix}"
    folders = (cache_dir(), Path(tempfile.gettempdir()) / "autoscore-soundfonts")
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    data = Path(path).read_bytes()
    try:
        rewritten = rewrite(data)
    except (KeyError, struct.error, ValueError, IndexError) as exc:
        raise ModelError(f"cannot read the SoundFont {path}: {exc}") from exc
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=name, suffix=".partial", delete=False) as out:
                out.write(rewritten)
            os.chmod(out.name, 0o644)  # as readable as the bank it was made from
            os.replace(out.name, folder / name)
            return folder / name
        except OSError:
            continue
    raise ModelError(f"cannot write a playable copy of the SoundFont {path} (cache and temporary folder full or "
                     "read-only)")


def is_soundfont(head: bytes) -> bool:
    """Whether the first 12 bytes of a file are a SoundFont's RIFF header."""
    return head[:4] == b"RIFF" and head[8:12] == b"sfbk"


def rewrite(data: bytes) -> bytes:
    if not is_soundfont(data):
        raise ValueError("not a SoundFont (no RIFF sfbk header)")
    pieces, offset = [], 12
    while offset + 8 <= len(data):
        name, size = data[offset:offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        end = offset + 8 + size
        if size & 1 and data[end + 1:end + 5] in CHUNK_NAMES:
            end += 1  # the pad byte RIFF asks after an odd chunk (MuseScore's .sf3 files leave it out)
        body = data[offset + 8:offset + 8 + size]
        if name == b"LIST" and body[:4] == b"pdta":
            pieces.append(_chunk(name, b"pdta" + _rewrite_pdta(body[4:])))
        else:
            pieces.append(data[offset:end])  # as it was, padded or not
        offset = end
    if not any(piece[8:12] == b"pdta" for piece in pieces):
        raise ValueError("no preset data (pdta): truncated or not a SoundFont")
    payload = b"sfbk" + b"".join(pieces)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def _rewrite_pdta(body: bytes) -> bytes:
    chunks: list[list] = []
    offset = 0
    while offset + 8 <= len(body):
        name, size = body[offset:offset + 4].decode("ascii"), struct.unpack_from("<I", body, offset + 4)[0]
        chunks.append([name, bytearray(body[offset + 8:offset + 8 + size])])
        offset += 8 + size + (size & 1)
    named = {name: chunk for name, chunk in chunks}
    named["shdr"][:] = _retune(named["inst"], named["ibag"], named["igen"], named["shdr"])
    return b"".join(_chunk(name.encode("ascii"), bytes(chunk)) for name, chunk in chunks)


def _chunk(name: bytes, body: bytes) -> bytes:
    return name + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")


def linear_attenuation(centibels: int) -> int:
    """The amount symusic reads as the fraction 1 - amount/1000 that the specification's centibels give."""
    return round(1000 * (1 - 10 ** (-max(0, centibels) / 200)))


def _retune(inst: bytearray, ibag: bytearray, igen: bytearray, shdr: bytearray) -> bytes:
    """Rewrites igen in place (sample ids, coarse tune, attenuation); returns the sample headers with one added
    for each (sample, real root) a zone needs, before the terminal record."""
    headers = [bytes(shdr[i:i + SAMPLE_HEADER]) for i in range(0, len(shdr), SAMPLE_HEADER)]
    samples, terminal = headers[:-1], headers[-1]
    added: dict[tuple[int, int], int] = {}
    extra: list[bytes] = []
    for number in range(len(inst) // 22 - 1):
        first, last = (struct.unpack_from("<H", inst, 22 * n + 20)[0] for n in (number, number + 1))
        inherited: dict[int, int] = {}
        for bag in range(first, last):
            start, end = (struct.unpack_from("<H", ibag, 4 * b)[0] for b in (bag, bag + 1))
            where = {struct.unpack_from("<H", igen, 4 * i)[0]: i for i in range(start, end)}
            values = {**inherited, **{op: struct.unpack_from("<h", igen, 4 * i + 2)[0] for op, i in where.items()}}
            if SAMPLE_ID not in where:
                if bag == first:  # the global zone: its values hold for every zone that does not set its own
                    inherited = values
                    _fix_levels(igen, where)
                continue
            sample = struct.unpack_from("<H", igen, 4 * where[SAMPLE_ID] + 2)[0]
            if sample >= len(samples):
                continue
            header_pitch = samples[sample][PITCH_OFFSET]
            root = values.get(ROOT_KEY, -1)
            root = root if 0 <= root <= 127 else header_pitch
            pitch = min(127, max(0, root - values.get(COARSE_TUNE, 0)))  # coarse tune folded into the root
            if pitch != header_pitch:
                if (sample, pitch) not in added:
                    header = bytearray(samples[sample])
                    header[PITCH_OFFSET] = pitch
                    added[(sample, pitch)] = len(samples) + len(extra)
                    extra.append(bytes(header))
                struct.pack_into("<H", igen, 4 * where[SAMPLE_ID] + 2, added[(sample, pitch)])
            _fix_levels(igen, where)
        _zero_coarse_tune(ibag, igen, first, last)
    return b"".join(samples) + b"".join(extra) + terminal


def _zero_coarse_tune(ibag: bytearray, igen: bytearray, first: int, last: int) -> None:
    """Once every zone of an instrument has its coarse tune in its root, no zone (global included) keeps one."""
    for bag in range(first, last):
        start, end = (struct.unpack_from("<H", ibag, 4 * b)[0] for b in (bag, bag + 1))
        for index in range(start, end):
            if struct.unpack_from("<H", igen, 4 * index)[0] == COARSE_TUNE:
                struct.pack_into("<h", igen, 4 * index + 2, 0)


def _fix_levels(igen: bytearray, where: dict[int, int]) -> None:
    if INITIAL_ATTENUATION in where:
        index = 4 * where[INITIAL_ATTENUATION] + 2
        struct.pack_into("<h", igen, index, linear_attenuation(struct.unpack_from("<h", igen, index)[0]))
