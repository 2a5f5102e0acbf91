"""A pre-annotation server: Label Studio's ML-backend protocol over one server's build.

Routes (each also under ``/p/<project>/``, which names the project a request is for):

- ``GET /health`` (and ``GET /``): ``{"status": "UP", "health", "reason", "server", "build",
  "model_version", "pid", "started"}``;
- ``POST /setup``: ``{"model_version": …}`` of the request's project;
- ``POST /predict``: ``{"tasks": [...]}`` -> ``{"results": [{"result", "score", "model_version"}, …]}``,
  one per task, same order;
- ``POST /webhook``: Label Studio's events, acknowledged (alabctl servers do not train);
- ``GET /versions``: the model versions served;
- ``GET /metrics``: Prometheus text (:mod:`alabctl.runtime.metrics`);
- ``POST /admin/reload`` with ``Authorization: Bearer <token>``: hot reload (:mod:`alabctl.runtime.slot`).

A request's project: the ``/p/<project>/`` prefix, else the compiled config equal to the request's
``label_config`` (``schema`` for ``/setup``), else the server's only project.
"""

from __future__ import annotations

import hmac
import json
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from alabctl.runtime.deployment import Deployment
from alabctl.runtime.metrics import Metrics
from alabctl.runtime.results import Prediction, ProjectView
from alabctl.runtime.slot import Slot
from alabctl.runtime.tasks import TaskError, task_text
from alabctl.runtime.visual.settings import VisualSettings

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_TASKS = 1000
INLINE_CHARS = 20_000
"""Requests with less text than this are predicted on the event loop; bigger ones in a thread."""


class JSONResponse(Response):
    """A JSON response serialised by orjson: the same bytes as Starlette's ``JSONResponse`` (compact,
    UTF-8), several times faster; what orjson cannot serialise goes through ``json``."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:  # keys that are not strings, integers over 64 bits
            return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class HttpError(Exception):
    """A request the server refuses: status, a message, and how to fix it."""

    def __init__(self, status: int, error: str, hint: str = "") -> None:
        super().__init__(error)
        self.status, self.error, self.hint = status, error, hint


@dataclass(frozen=True)
class Limits:
    """What one request may carry."""

    max_body: int = MAX_BODY_BYTES
    max_tasks: int = MAX_TASKS


@dataclass
class ServerState:
    """Everything the routes share."""

    slot: Slot
    admin_token: str
    limits: Limits = field(default_factory=Limits)
    metrics: Metrics = field(default_factory=Metrics)
    visual: VisualSettings = field(default_factory=VisualSettings)
    """Where Visual NER tasks' documents may come from, and what one may cost."""
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def health(self) -> dict[str, Any]:
        current = self.slot.current
        return {
            "status": "UP",
            "health": str(self.slot.health),
            "reason": self.slot.reason,
            "server": current.server,
            "build": current.server_hash,
            "model_version": current.versions,
            "pid": os.getpid(),
            "started": self.started,
        }


# -- request parsing ------------------------------------------------------------------------------


async def _body(request: Request, limits: Limits) -> Mapping[str, Any]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_body:
        raise _too_big(limits)
    raw = bytearray()
    async for part in request.stream():
        raw += part
        if len(raw) > limits.max_body:
            raise _too_big(limits)
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:  # json says what is wrong (and reads what orjson refuses: NaN, huge ints)
        body = _slow_json(raw)
    if not isinstance(body, dict):
        raise HttpError(400, f"the body is a JSON {type(body).__name__}, expected an object")
    return body


def _slow_json(raw: bytearray) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(400, f"the body is not UTF-8 text (byte {exc.start})", "send JSON") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise HttpError(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise HttpError(400, "the JSON is nested too deeply", "send tasks as flat JSON objects") from exc


def _too_big(limits: Limits) -> HttpError:
    return HttpError(
        413,
        f"the body is over {limits.max_body:,} bytes",
        "send fewer tasks per request (--max-body to raise)",
    )


def _view(deployment: Deployment, request: Request, label_config: Any) -> ProjectView:
    named = request.path_params.get("project")
    if named is not None:
        if named not in deployment.views:
            known = ", ".join(sorted(deployment.views))
            raise HttpError(404, f"no project '{named}' on server '{deployment.server}' (projects: {known})")
        return deployment.views[named]
    if isinstance(label_config, str) and label_config.strip():
        found = deployment.project_for_config(label_config)
        if found is not None:
            return deployment.views[found]
    if len(deployment.views) == 1:
        return next(iter(deployment.views.values()))
    raise HttpError(
        400,
        f"server '{deployment.server}' hosts several projects and the request's label_config matches none",
        "give Label Studio the backend URL http://HOST:PORT/p/<project>",
    )


def _tasks(tasks: Any, limits: Limits) -> list[Any]:
    if not isinstance(tasks, list):
        raise HttpError(400, "'tasks' must be a JSON array of tasks", 'send {"tasks": [{"data": {...}}]}')
    if len(tasks) > limits.max_tasks:
        raise HttpError(
            413,
            f"{len(tasks):,} tasks in one request; at most {limits.max_tasks:,}",
            "send the tasks in batches (--max-tasks to raise the cap)",
        )
    return tasks


def _texts(tasks: Any, view: ProjectView, limits: Limits) -> list[str]:
    tasks = _tasks(tasks, limits)
    texts: list[str] = []
    for index, task in enumerate(tasks):
        try:
            texts.append(task_text(task, view.text_key))
        except TaskError as exc:
            raise HttpError(
                400, f"task {index}: {exc}", f"project '{view.name}' reads data.{view.text_key}"
            ) from exc
    return texts


def _predict_each(
    deployment: Deployment, project: str, texts: list[str]
) -> tuple[list[Prediction | None], int]:
    """Predict all texts; when that fails, one by one, a failing task getting None."""
    try:
        return list(deployment.predict(project, texts)), 0
    except Exception:
        out: list[Prediction | None] = []
        for text in texts:
            try:
                out.append(deployment.predict(project, [text])[0])
            except Exception:
                out.append(None)
        return out, sum(1 for p in out if p is None)


# -- routes ---------------------------------------------------------------------------------------

Handler = Callable[[Request, ServerState], Awaitable[Response]]


def _route(name: str, handler: Handler, state: ServerState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        began = time.perf_counter()
        try:
            response = await handler(request, state)
        except HttpError as exc:
            payload = {"error": exc.error, "status": exc.status} | ({"hint": exc.hint} if exc.hint else {})
            response = JSONResponse(payload, status_code=exc.status)
        except Exception as exc:
            response = JSONResponse(
                {"error": f"internal error: {type(exc).__name__}: {exc}", "status": 500}, status_code=500
            )
        state.metrics.request(name, response.status_code, time.perf_counter() - began)
        return response

    return endpoint


async def health(request: Request, state: ServerState) -> Response:
    return JSONResponse(state.health())


async def setup(request: Request, state: ServerState) -> Response:
    body = await _body(request, state.limits)
    with state.slot.lease() as deployment:
        view = _view(deployment, request, body.get("schema") or body.get("label_config"))
        return JSONResponse({"model_version": view.model_version})


def _predict_visual(
    deployment: Deployment, view: ProjectView, tasks: list[Any], settings: VisualSettings
) -> tuple[list[dict[str, Any]], int, int, int]:
    """Visual NER tasks: each task's document read (a bad one gets an empty prediction with its
    ``error``), all pages predicted in one batch; (results, regions sent, dropped, errors)."""
    from alabctl.runtime.visual.project import predict_documents, read_tasks_pages

    read = read_tasks_pages(tasks, view, settings)
    documents = [pages for pages in read if not isinstance(pages, str)]
    predictions = iter(predict_documents(deployment.engine, view, documents))
    out: list[dict[str, Any]] = []
    sent = dropped = 0
    for pages in read:
        if isinstance(pages, str):
            out.append({"result": [], "score": 0.0, "model_version": view.model_version, "error": pages})
            continue
        prediction = next(predictions)
        out.append(prediction.to_json())
        sent += len(prediction.result)
        dropped += prediction.dropped
    return out, sent, dropped, sum(1 for pages in read if isinstance(pages, str))


async def predict(request: Request, state: ServerState) -> Response:
    body = await _body(request, state.limits)
    with state.slot.lease() as deployment:
        view = _view(deployment, request, body.get("label_config"))
        if view.visual:
            tasks = _tasks(body.get("tasks"), state.limits)
            visual = await anyio.to_thread.run_sync(_predict_visual, deployment, view, tasks, state.visual)
            state.metrics.predicted(view.name, len(tasks), visual[1], visual[2], visual[3])
            return JSONResponse({"results": visual[0]})
        texts = _texts(body.get("tasks"), view, state.limits)
        if sum(map(len, texts)) <= INLINE_CHARS:
            predictions, errors = _predict_each(deployment, view.name, texts)
        else:
            predictions, errors = await anyio.to_thread.run_sync(_predict_each, deployment, view.name, texts)
    empty = {"result": [], "score": 0.0, "model_version": view.model_version}
    results = [p.to_json() if p is not None else empty for p in predictions]
    sent = sum(len(p.result) for p in predictions if p is not None)
    dropped = sum(p.dropped for p in predictions if p is not None)
    state.metrics.predicted(view.name, len(texts), sent, dropped, errors)
    return JSONResponse({"results": results})


async def webhook(request: Request, state: ServerState) -> Response:
    try:
        body = await _body(request, state.limits)
    except HttpError:
        body = {}
    action = body.get("action") if isinstance(body.get("action"), str) else None
    return JSONResponse({"status": "ok", "action": action, "note": "alabctl servers do not train"})


async def versions(request: Request, state: ServerState) -> Response:
    with state.slot.lease() as deployment:
        return JSONResponse({"versions": sorted(deployment.versions.values())})


async def metrics(request: Request, state: ServerState) -> Response:
    return PlainTextResponse(state.metrics.render(), media_type="text/plain; version=0.0.4")


def _authorized(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


async def reload(request: Request, state: ServerState) -> Response:
    if not _authorized(request, state.admin_token):
        raise HttpError(
            401, "missing or wrong admin token", "send 'Authorization: Bearer <$ALABCTL_HOME/admin-token>'"
        )
    body = await _body(request, state.limits)
    build = body.get("build")
    if build is not None and not isinstance(build, str):
        raise HttpError(400, "'build' must be a folder path", '{"build": "/path/to/build"}')
    try:
        await anyio.to_thread.run_sync(state.slot.reload, Path(build) if build else None)
    except Exception:
        state.metrics.reloaded(False)
        return JSONResponse(state.health(), status_code=422)
    state.metrics.reloaded(True)
    return JSONResponse(state.health())


ROUTES: list[tuple[str, str, Handler, list[str]]] = [
    ("/", "health", health, ["GET"]),
    ("/health", "health", health, ["GET"]),
    ("/setup", "setup", setup, ["POST"]),
    ("/predict", "predict", predict, ["POST"]),
    ("/webhook", "webhook", webhook, ["POST"]),
    ("/versions", "versions", versions, ["GET"]),
]


def create_app(state: ServerState) -> Starlette:
    """The ASGI app; ``state.slot`` holds the deployment it serves."""
    routes: list[Route] = []
    for path, name, handler, methods in ROUTES:
        routes.append(Route(path, _route(name, handler, state), methods=methods))
        routes.append(Route(f"/p/{{project}}{path}", _route(name, handler, state), methods=methods))
    routes.append(Route("/metrics", _route("metrics", metrics, state), methods=["GET"]))
    routes.append(Route("/admin/reload", _route("reload", reload, state), methods=["POST"]))
    return Starlette(routes=routes)
