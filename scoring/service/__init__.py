"""`autoscore serve` and `autoscore worker`: the HTTP API (`api`), its job records (`jobstore`), the job
runner both share (`jobs`), Celery scale-out (`distributed`) and a Python client (`client`)."""
