"""`autoscore watch`: a watched folder (`watcher`) with a SQLite job ledger (`ledger`)."""
