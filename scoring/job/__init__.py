"""The job every front door runs (`pipeline.score`), where it writes (`outputs`), what it reports (`report`,
`timeline`), how a scored clip is measured afterwards (`evaluate`), and what the front doors share about
jobs (`states`, `owner`)."""
