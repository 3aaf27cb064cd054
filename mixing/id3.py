"""ID3v2.4 tags for the music stem's MP3: title (TIT2), artist (TPE1), comment (COMM) and the encoder (TSSE).

ffmpeg writes a comment as a TXXX:comment frame, which players do not show; the tag is small enough to write
here (ID3v2.4 structure, section 3-4; frames, section 4.2 and 4.10), which keeps a GPL tagging library out of
the default install. The tag replaces the one at the file's head (ffmpeg's), leaving the audio as it is.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

HEADER_BYTES = 10
UTF8 = b"\x03"


def syncsafe(value: int) -> bytes:
    """A 28-bit size in four bytes of seven bits each (ID3v2.4: no byte looks like an MPEG sync)."""
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))


def unsyncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def frame(frame_id: str, body: bytes) -> bytes:
    return frame_id.encode("ascii") + syncsafe(len(body)) + b"\x00\x00" + body


def text_frame(frame_id: str, text: str) -> bytes:
    return frame(frame_id, UTF8 + text.encode("utf-8"))


def comment_frame(text: str, language: str = "eng") -> bytes:
    return frame("COMM", UTF8 + language.encode("ascii") + b"\x00" + text.encode("utf-8"))


def tag(frames: list[bytes]) -> bytes:
    body = b"".join(frames)
    return b"ID3\x04\x00\x00" + syncsafe(len(body)) + body


def head_tag_end(head: bytes) -> int:
    """Where the ID3v2 tag at the start of a file ends (0: there is none)."""
    if len(head) < HEADER_BYTES or head[:3] != b"ID3" or any(b & 0x80 for b in head[6:10]):
        return 0
    footer = HEADER_BYTES if head[5] & 0x10 else 0
    return HEADER_BYTES + unsyncsafe(head[6:10]) + footer


def write_tags(path: Path, *, title: str, artist: str, comment: str, encoder: str = "") -> None:
    """Put a tag with these frames at the head of the MP3 at `path`, in place of any there (written beside it
    and renamed over it)."""
    path = Path(path)
    frames = [text_frame("TIT2", title), text_frame("TPE1", artist), comment_frame(comment)]
    if encoder:
        frames.append(text_frame("TSSE", encoder))
    staged = path.with_name(f".{path.name}.tagging-{os.getpid()}")
    try:
        with open(path, "rb") as source, open(staged, "wb") as out:
            source.seek(head_tag_end(source.read(HEADER_BYTES)))
            out.write(tag(frames))
            shutil.copyfileobj(source, out)
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
