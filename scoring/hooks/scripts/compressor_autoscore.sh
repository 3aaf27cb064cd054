#!/bin/sh
# Apple Compressor / Automator "Run Shell Script" step (pass input: as arguments):
# scores each exported file with autoscore, one after another, and prints the scored paths.
# Set AUTOSCORE_COMMAND to the autoscore executable if it is not on the PATH Automator sees.
status=0
for file in "$@"; do
  ${AUTOSCORE_COMMAND:-autoscore} hook "$file" || status=1
done
exit $status
