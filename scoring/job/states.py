"""The states a job passes through, the same for the watch folder's ledger and the API's job store.

queued → running → done | failed; a running job whose process died goes back to queued. Only the API's
jobs can be cancelled, and only while queued. The values are what the databases hold.
"""
from enum import StrEnum


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (JobState.QUEUED, JobState.RUNNING)
