"""A small client for `autoscore serve` (the `serve` extra): submit, wait, download, cancel.

    from autoscore_video.scoring.service.client import Client

    with Client("http://127.0.0.1:8000", token="T") as client:
        job = client.submit("clip.mp4", options={"genre": "lofi"})
        if client.wait(job)["status"] == "done":
            client.download(job, "clip.scored.mp4")

Jobs are the API's records (dicts, as GET /v1/jobs/{id} gives them); every call takes a record or its id.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Iterator, Union

import httpx

FINISHED = ("done", "failed", "cancelled")
JobRef = Union[str, dict]  # a job's id, or its record


def job_id(job: JobRef) -> str:
    return job["id"] if isinstance(job, dict) else str(job)


class ApiError(Exception):
    """A reply of 400 or more: `status`, the server's one-line `detail`, and `retry_after` (seconds, as the
    server sent it) on a 503 or 507."""

    def __init__(self, status: int, detail: str, retry_after: str | None = None):
        super().__init__(f"HTTP {status}: {detail}")
        self.status, self.detail, self.retry_after = status, detail, retry_after


class Client:
    """One server and one token (a job is visible only to the token that submitted it). Errors are `ApiError`;
    use it as a context manager, or call `close()`, to close its connections."""

    def __init__(self, base_url: str, token: str, timeout: float = 60.0):
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, str(detail), response.headers.get("Retry-After"))
        return response

    def submit(self, video: str | Path | None = None, *, path: str | None = None, options: dict | None = None,
               callback_url: str | None = None, idempotency_key: str | None = None) -> dict:
        """Queue a job and return its record. `video` is uploaded; `path` names a file on the server's side
        (under one of its --allow-root folders) instead. `options` are the score flags by name ({"genre":
        "lofi", "seed": 5}); `callback_url` receives the signed webhook when the job ends. With an
        `idempotency_key`, a retry of the same submission returns the first one's job instead of a second."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        if video is not None:
            data = {"options": json.dumps(options or {})}
            if callback_url:
                data["callback_url"] = callback_url
            with Path(video).open("rb") as handle:
                response = self.http.post("/v1/jobs", files={"file": (Path(video).name, handle)}, data=data,
                                          headers=headers)
        else:
            response = self.http.post("/v1/jobs", json={"path": path, "options": options or {},
                                                        "callback_url": callback_url}, headers=headers)
        return self._check(response).json()

    def jobs(self, status: str | list[str] | None = None, page_size: int = 50) -> Iterator[dict]:
        """This token's jobs, newest first (`status`: only those in that state or states), fetched a page at a
        time as the iteration goes."""
        params: dict = {"limit": page_size}
        if status:
            params["status"] = [status] if isinstance(status, str) else list(status)
        while True:
            page = self._check(self.http.get("/v1/jobs", params=params)).json()
            yield from page["jobs"]
            if not page["next_cursor"]:
                return
            params["cursor"] = page["next_cursor"]

    def status(self, job: JobRef) -> dict:
        """The job's record: `status` (queued, running, done, failed, cancelled), `progress`, `error`, and once
        done `result` (the report, with `outputs` naming the files `download` fetches)."""
        return self._check(self.http.get(f"/v1/jobs/{job_id(job)}")).json()

    def wait(self, job: JobRef, timeout: float = 600.0, poll: float = 0.3) -> dict:
        """The job's record once it has ended (done, failed or cancelled: look at `status`); TimeoutError if it
        has not after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.status(job)
            if state["status"] in FINISHED:
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id(job)} still {state['status']} after {timeout} s")
            time.sleep(poll)

    def download(self, job: JobRef, dest: str | Path = ".", file: str = "video") -> Path:
        """Write one of a done job's files and return its path: `video` (the scored clip), `music_wav`,
        `music_mp3`, `midi`, `report`, `plan`, `timeline`. `dest` is a file name, or a folder to write it into
        under the name the server gives (Content-Disposition). Written under a temporary name and renamed when
        complete: an interrupted download leaves no file behind."""
        from email.message import Message

        dest = Path(dest)
        partial = None
        try:
            with self.http.stream("GET", f"/v1/jobs/{job_id(job)}/result", params={"file": file}) as response:
                if response.status_code >= 400:
                    response.read()
                    self._check(response)
                if dest.is_dir():
                    header = Message()
                    header["content-disposition"] = response.headers.get("content-disposition", "")
                    dest = dest / Path(header.get_filename() or f"{job_id(job)}.{file}").name
                partial = dest.with_name(f".{dest.name}.download-{os.getpid()}")
                with partial.open("wb") as handle:
                    for chunk in response.iter_bytes():
                        handle.write(chunk)
            os.replace(partial, dest)
        finally:
            if partial is not None:
                partial.unlink(missing_ok=True)
        return dest

    def cancel(self, job: JobRef) -> dict:
        """Cancel a queued job; its record afterwards."""
        return self._check(self.http.delete(f"/v1/jobs/{job_id(job)}")).json()
