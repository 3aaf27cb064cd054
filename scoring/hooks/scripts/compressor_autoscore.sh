#!/bin/sh
# Apple Compressor / Automator step: hands every exported file to autoscore, which scores them one after
# another in the background, so the Automator action (and Compressor's job) ends at once.
# Install with `autoscore hooks install compressor`, which writes the full autoscore command below (Automator's
# shell reads no shell profile, so neither PATH nor AUTOSCORE_COMMAND from one reaches it). Then in Automator,
# a "Run Shell Script" action, Shell: /bin/sh, Pass input: as arguments, running: /bin/sh THIS_FILE "$@"
# What autoscore prints goes to AUTOSCORE_LOG (default: $TMPDIR/autoscore-hook.log).
autoscore_command() { autoscore "$@"; }  # `autoscore hooks install` writes the full command here
if [ -n "$AUTOSCORE_COMMAND" ]; then
  autoscore_command() { $AUTOSCORE_COMMAND "$@"; }
fi
if [ "$#" -eq 0 ]; then
  echo "autoscore: no files were passed (set the action's Pass input to: as arguments)" >&2
  exit 1
fi
log="${AUTOSCORE_LOG:-${TMPDIR:-/tmp}/autoscore-hook.log}"
( trap '' HUP; autoscore_command hook "$@" ) </dev/null >>"$log" 2>&1 &
echo "autoscore: scoring $# file(s) in the background; log: $log"
