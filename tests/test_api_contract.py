"""What client developers expect of an async job API (issue 34): the job as a typed record with its URL,
stage and progress; a listing by page and status; Idempotency-Key; every field's error; 404 for any id that
is not one of yours; downloads as named attachments, the MIDI among them; CORS when asked for; /docs that
works offline; and a server that says where it listens and what each job does."""
from __future__ import annotations

import re
import shutil
import time

import pytest

pytest.importorskip("fastapi")
import httpx  # noqa: E402

from autoscore_video.scoring.service.client import ApiError, Client  # noqa: E402
from tests.test_api import OTHER_TOKEN, TOKEN, start_server  # noqa: E402

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
JOB_FIELDS = {"id", "status", "source", "options", "stage", "progress", "result", "error", "attempts",
              "created_at", "updated_at", "recoveries"}


@pytest.fixture(scope="module")
def served(tmp_path_factory, silent_clip):
    """(base URL, the allowed root, the server process) with CORS for one origin."""
    folder = tmp_path_factory.mktemp("contract")
    root = folder / "root"
    root.mkdir()
    shutil.copyfile(silent_clip.path, root / "clip.mp4")
    process, base = start_server(folder, root, "--cors-origin", "https://app.example")
    yield base, root, process
    process.terminate()
    process.wait(timeout=10)


def auth(token: str = TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_submission_answers_the_job_with_its_location_and_the_job_reports_its_progress(served):
    base, root, _ = served
    reply = httpx.post(base + "/v1/jobs", json={"path": str(root / "clip.mp4"), "options": {"seed": 3}},
                       headers=auth())
    assert reply.status_code == 202, reply.text
    job = reply.json()
    assert set(job) == JOB_FIELDS and job["status"] == "queued" and job["progress"] == 0.0
    assert reply.headers["location"] == f"/v1/jobs/{job['id']}"
    assert ISO.match(job["created_at"]) and ISO.match(job["updated_at"])
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = httpx.get(base + reply.headers["location"], headers=auth()).json()
        seen.append(state["progress"])
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert state["status"] == "done", state
    assert seen == sorted(seen) and seen[-1] == 1.0 and state["stage"] == "outputs"


def test_idempotency_key_makes_a_retry_return_the_first_job(served):
    base, root, _ = served
    client, other = Client(base, TOKEN), Client(base, OTHER_TOKEN)
    first = client.submit(path=str(root / "clip.mp4"), options={"seed": 11}, idempotency_key="order-77")
    again = httpx.post(base + "/v1/jobs", json={"path": str(root / "clip.mp4"), "options": {"seed": 11}},
                       headers={**auth(), "Idempotency-Key": "order-77"})
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first["id"]
    with pytest.raises(ApiError) as changed:  # the same key for another submission
        client.submit(path=str(root / "clip.mp4"), options={"seed": 12}, idempotency_key="order-77")
    assert changed.value.status == 422 and "Idempotency-Key" in changed.value.detail
    theirs = other.submit(path=str(root / "clip.mp4"), options={"seed": 11}, idempotency_key="order-77")
    assert theirs["id"] != first["id"]  # keys are per token
    for job in (first, theirs):
        assert Client(base, TOKEN if job is first else OTHER_TOKEN).wait(job, timeout=120)["status"] == "done"


def test_jobs_are_listed_newest_first_by_page_and_status(served):
    base, root, _ = served
    client = Client(base, OTHER_TOKEN)
    made = [client.submit(path=str(root / "clip.mp4"), options={"seed": 20 + i})["id"] for i in range(3)]
    client.cancel(made[2])
    first = httpx.get(base + "/v1/jobs", params={"limit": 2}, headers=auth(OTHER_TOKEN)).json()
    assert len(first["jobs"]) == 2 and first["next_cursor"]
    listed = [job["id"] for job in client.jobs(page_size=2)]
    assert listed[:3] == made[::-1] and len(listed) == len(set(listed))
    assert [job["id"] for job in client.jobs(status="cancelled")] == [made[2]]
    assert not set(made) & {job["id"] for job in Client(base, TOKEN).jobs()}  # only the token's own
    for job in made[:2]:
        client.wait(job, timeout=120)


def test_errors_name_every_field_and_any_unknown_id_is_404(served):
    base, root, _ = served
    bad = httpx.post(base + "/v1/jobs", json={"path": str(root / "clip.mp4"),
                                              "options": {"bpm": "fast", "volume": 11}}, headers=auth())
    assert bad.status_code == 422
    body = bad.json()
    assert body["detail"].endswith("(and 1 more)")
    assert sorted(error["field"] for error in body["errors"]) == ["options.bpm", "options.volume"]
    for wrong in ("not-an-id", "00000000-0000-0000-0000-000000000000"):
        missing = httpx.get(f"{base}/v1/jobs/{wrong}", headers=auth())
        assert missing.status_code == 404 and missing.json()["detail"] == f"no job {wrong}"
    long_key = httpx.post(base + "/v1/jobs", json={"path": str(root / "clip.mp4")},
                          headers={**auth(), "Idempotency-Key": "k" * 300})
    assert long_key.status_code == 422 and long_key.json()["detail"].startswith("Idempotency-Key:")
    for cursor in ("not-a-cursor", "00000000-0000-0000-0000-000000000000"):  # malformed; no page of theirs
        paged = httpx.get(base + "/v1/jobs", params={"cursor": cursor}, headers=auth())
        assert paged.status_code == 422 and paged.json()["errors"][0]["field"] == "cursor", paged.text
    typo = httpx.get(base + "/v1/jobs", params={"stauts": "done"}, headers=auth())
    assert typo.status_code == 422 and typo.json()["errors"] == [{"field": "stauts",
                                                                   "message": "unknown query parameter"}]


def test_downloads_are_named_attachments_and_the_midi_is_one(served, tmp_path):
    base, root, _ = served
    client = Client(base, TOKEN)
    job = client.submit(path=str(root / "clip.mp4"), options={"seed": 5})
    assert client.wait(job, timeout=120)["status"] == "done"
    midi = httpx.get(f"{base}/v1/jobs/{job['id']}/result", params={"file": "midi"}, headers=auth())
    assert midi.status_code == 200 and midi.content[:4] == b"MThd"
    assert midi.headers["content-disposition"].startswith('attachment; filename="clip.music.mid"')
    written = client.download(job, tmp_path)  # a folder: the server's name for the file
    assert written == tmp_path / "clip.scored.mp4" and written.stat().st_size > 10_000
    assert client.download(job, tmp_path, file="report").name == "clip.report.json"


def test_cors_answers_the_origin_it_was_given_only(served):
    base, _, _ = served
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type,idempotency-key"}
    allowed = httpx.options(base + "/v1/jobs", headers=preflight)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "idempotency-key" in allowed.headers["access-control-allow-headers"].lower()
    other = httpx.options(base + "/v1/jobs", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    listed = httpx.get(base + "/v1/jobs", headers={**auth(), "Origin": "https://app.example"})
    assert "location" in listed.headers["access-control-expose-headers"].lower()


def test_docs_load_nothing_from_outside_and_the_job_model_is_typed(served):
    base, _, _ = served
    page = httpx.get(base + "/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
    for source in sources:
        assert httpx.get(base + source).status_code == 200, source
    spec = httpx.get(base + "/openapi.json").json()
    job = spec["components"]["schemas"]["Job"]
    assert JOB_FIELDS <= set(job["properties"]) and job["properties"]["progress"]["maximum"] == 1.0
    answer = spec["paths"]["/v1/jobs/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/Job"}
    assert "midi" in str(spec["paths"]["/v1/jobs/{job_id}/result"]["get"]["parameters"])


def test_the_server_says_where_it_listens_and_what_each_job_does(tmp_path, silent_clip):
    root = tmp_path / "root"
    root.mkdir()
    shutil.copyfile(silent_clip.path, root / "clip.mp4")
    process, base = start_server(tmp_path, root)
    try:
        job = Client(base, TOKEN).submit(path=str(root / "clip.mp4"))
        assert Client(base, TOKEN).wait(job, timeout=120)["status"] == "done"
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    said = " ".join(output.split())
    assert f"listening on {base}" in said
    for event in ("accepted (clip.mp4)", "started (clip.mp4, attempt 1)", "done in"):
        assert f"job {job['id']}: {event}" in said, (event, said[-3000:])
