"""`python -m autoscore_video`: the same command line as `autoscore`."""
from autoscore_video.scoring.cli import main

main()
