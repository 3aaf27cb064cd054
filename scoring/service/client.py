"""A small client for `autoscore serve`: submit, wait, download."""
from __future__ import annotations

import json
import time
from pathlib import Path

import httpx


class ApiError(Exception):
    def __init__(self, status: int, detail: str, retry_after: str | None = None):
        super().__init__(f"HTTP {status}: {detail}")
        self.status, self.detail, self.retry_after = status, detail, retry_after


class Client:
    def __init__(self, base_url: str, token: str, timeout: float = 60.0):
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, str(detail), response.headers.get("Retry-After"))
        return response

    def submit(self, video: Path | None = None, *, path: str | None = None, options: dict | None = None,
               callback_url: str | None = None) -> str:
        if video is not None:
            data = {"options": json.dumps(options or {})}
            if callback_url:
                data["callback_url"] = callback_url
            with Path(video).open("rb") as handle:
                response = self.http.post("/v1/jobs", files={"file": (Path(video).name, handle)}, data=data)
        else:
            response = self.http.post("/v1/jobs", json={"path": path, "options": options or {},
                                                        "callback_url": callback_url})
        return self._check(response).json()["id"]

    def status(self, job_id: str) -> dict:
        return self._check(self.http.get(f"/v1/jobs/{job_id}")).json()

    def wait(self, job_id: str, timeout: float = 600.0, poll: float = 0.3) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            state = self.status(job_id)
            if state["status"] in ("done", "failed", "cancelled"):
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {state['status']} after {timeout} s")
            time.sleep(poll)

    def download(self, job_id: str, dest: Path, file: str = "video") -> Path:
        with self.http.stream("GET", f"/v1/jobs/{job_id}/result", params={"file": file}) as response:
            if response.status_code >= 400:
                response.read()
                self._check(response)
            with Path(dest).open("wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
        return Path(dest)

    def cancel(self, job_id: str) -> dict:
        return self._check(self.http.delete(f"/v1/jobs/{job_id}")).json()
