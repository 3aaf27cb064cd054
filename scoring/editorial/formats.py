"""The formats `autoscore export` writes, each through an OpenTimelineIO adapter, and the writing itself
(a temporary name, renamed when complete)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autoscore_video.common.errors import InputError, ResourceError


@dataclass(frozen=True)
class Format:
    adapter: str  # OpenTimelineIO's adapter name
    suffix: str


# what opens each: README "Timelines for editors"
FORMATS = {
    "otio": Format("otio_json", ".otio"),
    "fcpxml": Format("fcpx_xml", ".fcpxml"),
    "edl": Format("cmx_3600", ".edl"),
    "premiere-xml": Format("fcp_xml", ".xml"),  # FCP 7 XML, which Premiere and Resolve import
}


def format_named(name: str) -> Format:
    if name not in FORMATS:
        raise InputError(f"unknown timeline format {name!r} ({', '.join(FORMATS)})")
    return FORMATS[name]


def write(timeline, out: Path, chosen: Format) -> None:
    import opentimelineio as otio

    partial = out.with_name(f".{out.name}.partial")
    try:
        # the adapter is named: the temporary name's suffix says nothing
        otio.adapters.write_to_file(timeline, str(partial), adapter_name=chosen.adapter)
        os.replace(partial, out)
    except OSError as exc:
        raise ResourceError(f"cannot write {out}: {exc.strerror or exc}") from exc
    except Exception as exc:  # an adapter's refusal (a frame rate with no timecode, say) is one line
        raise InputError(f"cannot write {out} as {chosen.adapter}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
