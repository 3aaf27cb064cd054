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

# The pipeline's stages in order, as its progress reports name them, with each one's share of a job's time
# (those of a typical clip with speech on two cores): the API's one progress fraction.
STAGE_SHARES = {"analysis": 0.30, "planning": 0.02, "generation": 0.30, "mixing": 0.30, "outputs": 0.08}
