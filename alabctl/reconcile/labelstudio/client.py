"""Label Studio's REST API, the calls apply needs, with errors that say what to do.

Project, task and ML-backend calls go through the official ``label-studio-sdk`` client; the calls
it does not cover (strict config validation, bulk prediction import, export, Data Manager actions)
through ``requests`` on the same base URL, token and TLS setting. The token is sent, never logged,
never part of an error message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from alabctl.spec.errors import UserError

TIMEOUT = 60.0
PAGE = 1000


class LabelStudioError(UserError):
    """Label Studio cannot be reached, refused the token, or refused a call."""


@dataclass(frozen=True)
class Connection:
    """Where a Label Studio is and how to talk to it. ``token`` is a secret: not in ``repr``."""

    url: str
    token: str
    verify: bool = True
    name: str = ""

    def __repr__(self) -> str:
        return f"Connection(url={self.url!r}, name={self.name!r})"


class LabelStudioClient:
    """One session with one Label Studio."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Token {connection.token}"
        self._http.verify = connection.verify

    @property
    def url(self) -> str:
        return self.connection.url

    def close(self) -> None:
        self._http.close()

    # -- plumbing -----------------------------------------------------------------------------

    def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """One call; the decoded JSON body (``None`` when empty). Raises :class:`LabelStudioError`."""
        where = f"{self.url}{path}"
        try:
            response = self._http.request(method, where, json=json, params=params, timeout=TIMEOUT)
        except requests.ConnectionError as exc:
            raise LabelStudioError(
                f"cannot reach Label Studio at {self.url}: {_reason(exc)}",
                "start Label Studio, or fix 'url' in the LabelStudio manifest"
                + (f" '{self.connection.name}'" if self.connection.name else ""),
            ) from None
        except requests.RequestException as exc:
            raise LabelStudioError(
                f"Label Studio at {self.url} failed on {method} {path}: {_reason(exc)}"
            ) from None
        if response.status_code in (401, 403) and path.startswith("/api/current-user"):
            raise LabelStudioError(
                f"Label Studio at {self.url} refused the API token (HTTP {response.status_code})",
                "use a token from Account & Settings (legacy tokens must be enabled for the organization)",
            )
        if response.status_code >= 400:
            raise LabelStudioError(
                f"Label Studio refused {method} {path} (HTTP {response.status_code}): {_body(response)}"
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise LabelStudioError(f"Label Studio sent a non-JSON answer to {method} {path}") from None

    # -- identity -----------------------------------------------------------------------------

    def check(self) -> None:
        """Raise unless the server answers and accepts the token."""
        self.request("GET", "/api/current-user/whoami")

    # -- projects -----------------------------------------------------------------------------

    def projects(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.request("GET", "/api/projects", params={"page": page, "page_size": 100})
            rows = body.get("results", []) if isinstance(body, dict) else body
            out.extend(rows)
            if not isinstance(body, dict) or not body.get("next"):
                return out
            page += 1

    def project(self, project_id: int) -> dict[str, Any]:
        body: dict[str, Any] = self.request("GET", f"/api/projects/{project_id}")
        return body

    def create_project(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = self.request("POST", "/api/projects", json=dict(fields))
        return body

    def update_project(self, project_id: int, fields: Mapping[str, Any]) -> None:
        self.request("PATCH", f"/api/projects/{project_id}", json=dict(fields))

    def validate_config(self, project_id: int, label_config: str) -> str | None:
        """Label Studio's strict check of a config against the project's annotations: why not, or None."""
        try:
            self.request("POST", f"/api/projects/{project_id}/validate/", json={"label_config": label_config})
        except LabelStudioError as exc:
            if "(HTTP 400)" in exc.message:
                return exc.message.split("): ", 1)[-1]
            raise
        return None

    # -- tasks --------------------------------------------------------------------------------

    def tasks(self, project_id: int) -> Iterator[dict[str, Any]]:
        """Every task with its meta, annotation count and predictions' model versions."""
        page = 1
        while True:
            try:
                body = self.request(
                    "GET",
                    "/api/tasks",
                    params={"project": project_id, "page": page, "page_size": PAGE, "fields": "all"},
                )
            except LabelStudioError as exc:
                if "(HTTP 404)" in exc.message:
                    return
                raise
            rows = body.get("tasks", []) if isinstance(body, dict) else []
            yield from rows
            if len(rows) < PAGE:
                return
            page += 1

    def import_tasks(self, project_id: int, tasks: Sequence[Mapping[str, Any]]) -> list[int]:
        body = self.request(
            "POST", f"/api/projects/{project_id}/import", params={"return_task_ids": "true"}, json=list(tasks)
        )
        return list(body.get("task_ids", [])) if isinstance(body, dict) else []

    def delete_tasks(self, project_id: int, task_ids: Sequence[int]) -> None:
        self._action(project_id, "delete_tasks", task_ids)

    def _action(self, project_id: int, action: str, task_ids: Sequence[int]) -> Any:
        return self.request(
            "POST",
            "/api/dm/actions",
            params={"id": action, "project": project_id},
            json={"selectedItems": {"all": False, "included": list(task_ids)}},
        )

    def export(self, project_id: int) -> list[dict[str, Any]]:
        """Every task with its annotations and predictions (ids and results)."""
        body = self.request(
            "GET",
            f"/api/projects/{project_id}/export",
            params={"exportType": "JSON", "download_all_tasks": "true"},
        )
        return list(body) if isinstance(body, list) else []

    # -- annotations and predictions ------------------------------------------------------------

    def import_predictions(self, project_id: int, predictions: Sequence[Mapping[str, Any]]) -> int:
        body = self.request("POST", f"/api/projects/{project_id}/import/predictions", json=list(predictions))
        return int(body.get("created", 0)) if isinstance(body, dict) else 0

    def update_annotation(self, annotation_id: int, result: Sequence[Mapping[str, Any]]) -> None:
        self.request("PATCH", f"/api/annotations/{annotation_id}", json={"result": list(result)})

    def update_prediction(self, prediction_id: int, result: Sequence[Mapping[str, Any]]) -> None:
        self.request("PATCH", f"/api/predictions/{prediction_id}", json={"result": list(result)})

    def create_annotation(self, task_id: int, result: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = self.request(
            "POST", f"/api/tasks/{task_id}/annotations", json={"result": list(result)}
        )
        return body

    # -- ML backends ----------------------------------------------------------------------------

    def ml_backends(self, project_id: int) -> list[dict[str, Any]]:
        body = self.request("GET", "/api/ml", params={"project": project_id})
        return list(body) if isinstance(body, list) else []

    def ml_backend(self, backend_id: int) -> dict[str, Any]:
        body: dict[str, Any] = self.request("GET", f"/api/ml/{backend_id}")
        return body

    def create_ml_backend(self, project_id: int, url: str, title: str) -> dict[str, Any]:
        body: dict[str, Any] = self.request(
            "POST",
            "/api/ml",
            json={"url": url, "project": project_id, "title": title, "is_interactive": False},
        )
        return body

    def update_ml_backend(self, backend_id: int, project_id: int, url: str) -> dict[str, Any]:
        body: dict[str, Any] = self.request(
            "PATCH", f"/api/ml/{backend_id}", json={"url": url, "project": project_id}
        )
        return body

    def delete_ml_backend(self, backend_id: int) -> None:
        self.request("DELETE", f"/api/ml/{backend_id}")


def _reason(exc: requests.RequestException) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _body(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason
    if isinstance(data, dict):
        for key in ("validation_errors", "detail", "label_config", "non_field_errors"):
            if key in data:
                return _flatten(data[key])
    return _flatten(data)


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value)
    return str(value)
