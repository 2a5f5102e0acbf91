"""Label Studio's REST API, the calls apply needs, with errors that say what to do.

Project, task and ML-backend calls go through the official ``label-studio-sdk`` client; the calls
it does not cover (strict config validation, bulk prediction import, export, Data Manager actions)
through ``requests`` on the same base URL, token and TLS setting. The token is sent, never logged,
never part of an error message.
"""

from __future__ import annotations

import base64
import json as _json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from alabctl.spec.errors import UserError

TIMEOUT = 60.0
PAGE = 1000
LEAN_TASK_FIELDS = "id,meta,total_annotations,cancelled_annotations,draft_exists,predictions_model_versions"


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
        self._http.verify = connection.verify
        self._sdk_client: Any = None
        self._access: str | None = None
        """The access token a personal access token was exchanged for (``None``: not yet)."""

    @property
    def url(self) -> str:
        return self.connection.url

    def close(self) -> None:
        self._http.close()
        if self._sdk_client is not None:
            self._sdk_client._client_wrapper.httpx_client.httpx_client.close()

    @property
    def sdk(self) -> Any:
        """The official SDK's client on the same URL, token and TLS setting (imported on first use)."""
        if self._sdk_client is None:
            try:
                import httpx
                from label_studio_sdk import LabelStudio
            except ImportError:
                raise LabelStudioError(
                    "Label Studio support needs the label-studio-sdk package",
                    "install it with: pip install 'alabctl[labelstudio]'",
                ) from None
            self._sdk_client = LabelStudio(  # type: ignore[no-untyped-call]
                base_url=self.url,
                api_key=self.connection.token,
                httpx_client=httpx.Client(verify=self.connection.verify, timeout=TIMEOUT),
            )
        return self._sdk_client

    def call(self, what: str, fn: Any, /, **kwargs: Any) -> Any:
        """One SDK call, its answer as plain JSON values; errors as :class:`LabelStudioError`."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        try:
            answer = fn(**kwargs)
        except ApiError as exc:
            raise LabelStudioError(
                f"Label Studio refused {what} (HTTP {exc.status_code}): {_detail(exc.body)}"
            ) from None
        except httpx.ConnectError:
            raise LabelStudioError(
                f"cannot reach Label Studio at {self.url}: connection refused",
                "start Label Studio, or fix 'url' in the LabelStudio manifest",
            ) from None
        except httpx.HTTPError as exc:
            raise LabelStudioError(
                f"Label Studio at {self.url} failed on {what}: {type(exc).__name__}"
            ) from None
        return _plain(answer)

    # -- plumbing -----------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None, auth: str
    ) -> requests.Response:
        where = f"{self.url}{path}"
        headers = {"Authorization": auth} if auth else {}
        try:
            return self._http.request(
                method,
                where,
                json=json,
                params=params,
                headers=headers,
                timeout=TIMEOUT,
                verify=self.connection.verify,  # a session's verify=False loses to REQUESTS_CA_BUNDLE
            )
        except requests.exceptions.SSLError:
            raise LabelStudioError(
                f"Label Studio at {self.url} shows a TLS certificate this machine does not trust",
                "give it a certificate from a CA this machine trusts, or (a self-signed certificate on "
                "a network you trust) set 'tlsVerify: false' in the LabelStudio manifest"
                + (f" '{self.connection.name}'" if self.connection.name else ""),
            ) from None
        except requests.ConnectionError as exc:
            raise LabelStudioError(
                f"cannot reach Label Studio at {self.url}: {self._reason(exc)}",
                "start Label Studio, or fix 'url' in the LabelStudio manifest"
                + (f" '{self.connection.name}'" if self.connection.name else ""),
            ) from None
        except requests.RequestException as exc:
            raise LabelStudioError(
                f"Label Studio at {self.url} failed on {method} {path}: {self._reason(exc)}"
            ) from None

    def _reason(self, exc: requests.RequestException) -> str:
        """Why a call failed, without the token (some errors quote the Authorization header)."""
        if isinstance(exc, requests.exceptions.InvalidHeader):
            return "the API token is not one line of printable characters"
        text = _reason(exc)
        for secret in (self.connection.token, self._access):
            for form in (secret, repr(secret)[1:-1]) if secret else ():
                text = text.replace(form, "<token>")
        return text

    def _refused_token(self, status: int) -> LabelStudioError:
        return LabelStudioError(
            f"Label Studio at {self.url} refused the API token (HTTP {status})",
            "use a token from Account & Settings: a personal access token that has not expired or "
            "been revoked, or a legacy token (legacy tokens must be enabled for the organization)",
        )

    def _authorization(self, *, renew: bool = False) -> str:
        """The Authorization header: ``Token`` for a legacy token; for a personal access token (a
        JWT refresh token), ``Bearer`` with the access token Label Studio exchanges it for."""
        token = self.connection.token
        if not _is_refresh_token(token):
            return f"Token {token}"
        if self._access is None or renew:
            response = self._send("POST", "/api/token/refresh/", json={"refresh": token}, auth="")
            access = _json_body(response).get("access") if response.ok else None
            if not isinstance(access, str) or not access:
                raise self._refused_token(response.status_code)
            self._access = access
        return f"Bearer {self._access}"

    def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """One call; the decoded JSON body (``None`` when empty). Raises :class:`LabelStudioError`."""
        response = self._send(method, path, json=json, params=params, auth=self._authorization())
        if response.status_code == 401 and self._access is not None:  # the access token expired
            auth = self._authorization(renew=True)
            response = self._send(method, path, json=json, params=params, auth=auth)
        if response.status_code in (401, 403) and path.startswith("/api/current-user"):
            raise self._refused_token(response.status_code)
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
        """Raise unless the server answers as Label Studio and accepts the token."""
        try:
            body = self.request("GET", "/api/current-user/whoami")
        except LabelStudioError as exc:
            if "(HTTP 404)" not in exc.message and "non-JSON" not in exc.message:
                raise
            body = None
        if not isinstance(body, dict) or "id" not in body:
            raise LabelStudioError(
                f"{self.url} does not answer as Label Studio (no user at /api/current-user/whoami)",
                "fix 'url' in the LabelStudio manifest"
                + (f" '{self.connection.name}'" if self.connection.name else "")
                + ": Label Studio's own address, e.g. http://localhost:8080",
            )

    # -- projects -----------------------------------------------------------------------------

    def projects(self) -> list[dict[str, Any]]:
        rows = self.call("listing projects", lambda: list(self.sdk.projects.list(page_size=100)))
        return list(rows)

    def project(self, project_id: int) -> dict[str, Any]:
        body: dict[str, Any] = self.call("reading a project", self.sdk.projects.get, id=project_id)
        return body

    def create_project(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = self.call("creating a project", self.sdk.projects.create, **fields)
        return body

    def update_project(self, project_id: int, fields: Mapping[str, Any]) -> None:
        self.call("updating a project", self.sdk.projects.update, id=project_id, **fields)

    def validate_config(self, project_id: int, label_config: str) -> str | None:
        """Label Studio's strict check of a config against the project's annotations: why not, or None."""
        try:
            self.call(
                "validating a config",
                self.sdk.projects.validate_label_config,
                id=project_id,
                label_config=label_config,
            )
        except LabelStudioError as exc:
            if "(HTTP 400)" in exc.message:
                return exc.message.split("): ", 1)[-1]
            raise
        return None

    # -- tasks --------------------------------------------------------------------------------

    def tasks(self, project_id: int, *, full: bool = False) -> Iterator[dict[str, Any]]:
        """Every task's id, meta, annotation count and predictions' model versions (``full``: everything).

        Asking only for those fields is what makes listing fast (about 30x on 1,000 tasks).
        """
        page = 1
        params: dict[str, Any] = {"project": project_id, "page_size": PAGE, "fields": "all"}
        if not full:
            params["include"] = LEAN_TASK_FIELDS
        while True:
            try:
                body = self.request("GET", "/api/tasks", params={**params, "page": page})
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
        body = self.call(
            "importing tasks",
            self.sdk.projects.import_tasks,
            id=project_id,
            request=list(tasks),
            return_task_ids=True,
        )
        return list(body.get("task_ids") or []) if isinstance(body, dict) else []

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
        """Every task with its annotations and predictions (ids and results).

        The task list with all fields, not ``/export``: Label Studio's JSON export gives each
        task's predictions as bare ids, without their results.
        """
        return list(self.tasks(project_id, full=True))

    # -- annotations and predictions ------------------------------------------------------------

    def import_predictions(self, project_id: int, predictions: Sequence[Mapping[str, Any]]) -> int:
        body = self.call(
            "importing predictions",
            self.sdk.projects.import_predictions,
            id=project_id,
            request=list(predictions),
        )
        return int(body.get("created") or 0) if isinstance(body, dict) else 0

    def update_annotation(self, annotation_id: int, result: Sequence[Mapping[str, Any]]) -> None:
        self.call(
            "updating an annotation", self.sdk.annotations.update, id=annotation_id, result=list(result)
        )

    def update_prediction(
        self, prediction_id: int, result: Sequence[Mapping[str, Any]], *, task: int, project: int
    ) -> None:
        """A prediction's new result (Label Studio validates it against the project's config, so
        it needs the task and project even though they do not change)."""
        self.call(
            "updating a prediction",
            self.sdk.predictions.update,
            id=prediction_id,
            result=list(result),
            task=task,
            project=project,
        )

    def create_annotation(self, task_id: int, result: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = self.call(
            "creating an annotation", self.sdk.annotations.create, id=task_id, result=list(result)
        )
        return body

    # -- ML backends ----------------------------------------------------------------------------

    def ml_backends(self, project_id: int) -> list[dict[str, Any]]:
        rows = self.call("listing ML backends", self.sdk.ml.list, project=project_id)
        return list(rows) if isinstance(rows, list) else []

    def ml_backend(self, backend_id: int) -> dict[str, Any]:
        body: dict[str, Any] = self.call("reading an ML backend", self.sdk.ml.get, id=backend_id)
        return body

    def create_ml_backend(self, project_id: int, url: str, title: str) -> dict[str, Any]:
        body: dict[str, Any] = self.call(
            "connecting an ML backend",
            self.sdk.ml.create,
            project=project_id,
            url=url,
            title=title,
            is_interactive=False,
        )
        return body

    def update_ml_backend(self, backend_id: int, project_id: int, url: str) -> dict[str, Any]:
        body: dict[str, Any] = self.call(
            "updating an ML backend", self.sdk.ml.update, id=backend_id, project=project_id, url=url
        )
        return body

    def delete_ml_backend(self, backend_id: int) -> None:
        self.call("removing an ML backend", self.sdk.ml.delete, id=backend_id)


def _plain(value: Any) -> Any:
    """SDK models -> dicts and lists (JSON values), recursively."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("validation_errors", "detail", "label_config", "non_field_errors"):
            if key in body:
                return _flatten(body[key])
    return _flatten(body) if body is not None else "no detail"


def _is_refresh_token(token: str) -> bool:
    """Whether ``token`` is a personal access token: a JWT whose payload says ``token_type: refresh``."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        payload = _json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(payload, dict) and payload.get("token_type") == "refresh"


def _json_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


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
    return _detail(data)


def _flatten(value: Any) -> str:
    """Label Studio's error body as one line; the empty entries it pads lists with are left out."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {text}" for k, v in value.items() if (text := _flatten(v)))
    if isinstance(value, list):
        return "; ".join(text for v in value if (text := _flatten(v)))
    return str(value).strip()
