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
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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
from alabctl.runtime.watchdog import Budget, Overrun

if TYPE_CHECKING:
    from alabctl.runtime.visual.page import Page

Item = TypeVar("Item")
Out = TypeVar("Out")

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_TASKS = 1000
INLINE_CHARS = 20_000
"""Requests with less text than this are predicted on the event loop; bigger ones in a thread
(or, for the native engine under a :class:`Budget`, on the loop in slices of this size)."""
PREDICT_SECONDS = 5.0
"""The native engine's time budget for one slice of a request (at most :data:`INLINE_CHARS`
characters, or one longer task, which gets as much per :data:`INLINE_CHARS` characters)."""


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
    predict_seconds: float = PREDICT_SECONDS

    def seconds_for(self, chars: int) -> float:
        """The budget of a slice of ``chars`` characters."""
        return self.predict_seconds * max(1.0, chars / INLINE_CHARS)


@dataclass
class ServerState:
    """Everything the routes share."""

    slot: Slot
    admin_token: str
    limits: Limits = field(default_factory=Limits)
    metrics: Metrics = field(default_factory=Metrics)
    visual: VisualSettings = field(default_factory=VisualSettings)
    """Where Visual NER tasks' documents may come from, and what one may cost."""
    budget: Budget = field(default_factory=Budget)
    """Bounds the native rules' time on the event loop (installed by ``run_server``)."""
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
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise HttpError(
            400, f"the JSON holds a number too long to read ({exc})", "send shorter numbers"
        ) from exc


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


def _visual_results(
    view: ProjectView, read: list[list[Page] | str], predictions: list[Prediction]
) -> tuple[list[dict[str, Any]], int, int, int]:
    """Visual NER tasks' answers: a document that could not be read gets an empty prediction with
    its ``error``; (results, regions sent, dropped, errors)."""
    found = iter(predictions)
    out: list[dict[str, Any]] = []
    sent = dropped = 0
    for pages in read:
        if isinstance(pages, str):
            out.append({"result": [], "score": 0.0, "model_version": view.model_version, "error": pages})
            continue
        prediction = next(found)
        out.append(prediction.to_json())
        sent += len(prediction.result)
        dropped += prediction.dropped
    return out, sent, dropped, sum(1 for pages in read if isinstance(pages, str))


def _document_chars(pages: list[Page]) -> int:
    return sum(len(word.text) + 1 for page in pages for word in page.words)


async def _predict_visual(
    state: ServerState, deployment: Deployment, view: ProjectView, tasks: list[Any]
) -> tuple[list[dict[str, Any]], int, int, int]:
    """Each task's document read in a thread, all pages predicted (one engine batch, or budgeted
    slices on the loop for the native engine)."""
    from alabctl.runtime.visual.project import predict_documents, read_tasks_pages

    read = await anyio.to_thread.run_sync(read_tasks_pages, tasks, view, state.visual)
    documents = [pages for pages in read if not isinstance(pages, str)]
    if _budgeted(state, deployment):
        predictions = await _in_slices(
            state, documents, _document_chars, lambda part: predict_documents(deployment.engine, view, part)
        )
    else:
        predictions = await anyio.to_thread.run_sync(predict_documents, deployment.engine, view, documents)
    return _visual_results(view, read, predictions)


def _budgeted(state: ServerState, deployment: Deployment) -> bool:
    """Whether predictions run on the loop under the budget: the native engine (pure Python and
    ``re``, which a signal can interrupt), with the budget installed on this thread."""
    return deployment.pipeline.engine == "native" and state.budget.active


async def _in_slices(
    state: ServerState,
    items: list[Item],
    size: Callable[[Item], int],
    work: Callable[[list[Item]], list[Out]],
) -> list[Out]:
    """``work`` over ``items`` on the loop, in slices of at most :data:`INLINE_CHARS` characters
    (or one bigger item), each under its budget; other requests run between slices."""
    out: list[Out] = []
    for number, (part, chars) in enumerate(_slices(items, size)):
        if number:
            await anyio.sleep(0)
        with state.budget.limit(state.limits.seconds_for(chars)):
            out.extend(work(part))
    return out


def _slices(items: list[Item], size: Callable[[Item], int]) -> Iterator[tuple[list[Item], int]]:
    part: list[Item] = []
    chars = 0
    for item in items:
        n = size(item)
        if part and chars + n > INLINE_CHARS:
            yield part, chars
            part, chars = [], 0
        part.append(item)
        chars += n
    if part:
        yield part, chars


def _overrun(state: ServerState, view: ProjectView, tasks: int, exc: Overrun) -> HttpError:
    state.metrics.predicted(view.name, tasks, 0, 0, tasks)
    if exc.stopping:
        return HttpError(503, exc.reason, "send the request again once the server is back")
    return HttpError(
        503,
        f"prediction stopped: {exc.reason} on {tasks} task{'s' if tasks != 1 else ''}",
        "a rule's regex may backtrack catastrophically on these texts: run 'alabctl validate' (ALB332) "
        "and simplify it, or send fewer or shorter tasks",
    )


async def predict(request: Request, state: ServerState) -> Response:
    body = await _body(request, state.limits)
    with state.slot.lease() as deployment:
        view = _view(deployment, request, body.get("label_config"))
        if view.visual:
            tasks = _tasks(body.get("tasks"), state.limits)
            try:
                visual = await _predict_visual(state, deployment, view, tasks)
            except Overrun as exc:
                raise _overrun(state, view, len(tasks), exc) from None
            state.metrics.predicted(view.name, len(tasks), visual[1], visual[2], visual[3])
            return JSONResponse({"results": visual[0]})
        texts = _texts(body.get("tasks"), view, state.limits)
        if _budgeted(state, deployment):
            try:
                predictions, errors = await _predict_budgeted(state, deployment, view.name, texts)
            except Overrun as exc:
                raise _overrun(state, view, len(texts), exc) from None
        elif sum(map(len, texts)) <= INLINE_CHARS:
            predictions, errors = _predict_each(deployment, view.name, texts)
        else:
            predictions, errors = await anyio.to_thread.run_sync(_predict_each, deployment, view.name, texts)
    empty = {"result": [], "score": 0.0, "model_version": view.model_version}
    results = [p.to_json() if p is not None else empty for p in predictions]
    sent = sum(len(p.result) for p in predictions if p is not None)
    dropped = sum(p.dropped for p in predictions if p is not None)
    state.metrics.predicted(view.name, len(texts), sent, dropped, errors)
    return JSONResponse({"results": results})


async def _predict_budgeted(
    state: ServerState, deployment: Deployment, project: str, texts: list[str]
) -> tuple[list[Prediction | None], int]:
    errors = 0

    def work(part: list[str]) -> list[Prediction | None]:
        nonlocal errors
        predictions, failed = _predict_each(deployment, project, part)
        errors += failed
        return predictions

    return await _in_slices(state, texts, len, work), errors


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
    return Starlette(routes=routes, exception_handlers={404: _no_route, 405: _no_route})


_ROUTE_LIST = (
    "GET /health, POST /setup, POST /predict, POST /webhook, GET /versions, GET /metrics, POST /admin/reload"
)


async def _no_route(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods get the same JSON error body as every other refusal."""
    status = getattr(exc, "status_code", 404)
    what = "no route" if status == 404 else "method not allowed for"
    payload = {
        "error": f"{what} {request.method} {request.url.path}",
        "status": status,
        "hint": f"routes: {_ROUTE_LIST} (each also under /p/<project>/)",
    }
    headers = getattr(exc, "headers", None)
    return JSONResponse(payload, status_code=status, headers=headers)
