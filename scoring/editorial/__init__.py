"""`autoscore export`: a scored clip as an editorial timeline (OpenTimelineIO) that Resolve, Premiere and Final Cut
import, with the cuts, downbeats and sections as markers."""
