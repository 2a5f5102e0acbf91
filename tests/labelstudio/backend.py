"""A small pre-annotation server speaking Label Studio's ML-backend protocol, for the tests.

Regex rules per project; ``model_version`` is a hash of a project's rules, so editing a rule
changes it, as a recompiled pipeline does. Served per project under ``/p/<project>`` on a real
HTTP server on 127.0.0.1. It counts the tasks it predicted, per project.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RuleBackend:
    def __init__(self, rules: dict[str, dict[str, str]]) -> None:
        self.rules = rules
        self.predicted: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, body: Any, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._send({"status": "UP", "model_class": "RuleBackend"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                project, _, endpoint = self.path.removeprefix("/p/").partition("/")
                backend.requests[f"{project}/{endpoint}"] += 1
                if endpoint == "setup":
                    self._send({"model_version": backend.version(project)})
                elif endpoint == "predict":
                    tasks = body.get("tasks", [])
                    backend.predicted[project] += len(tasks)
                    self._send({"results": [backend.predict(project, t) for t in tasks]})
                else:
                    self._send({"status": "ok"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def version(self, project: str) -> str:
        rules = json.dumps(self.rules.get(project, {}), sort_keys=True)
        return "rules-" + hashlib.sha256(rules.encode()).hexdigest()[:12]

    def predict(self, project: str, task: dict[str, Any]) -> dict[str, Any]:
        text = str(task.get("data", {}).get("text", ""))
        result = []
        for label, pattern in sorted(self.rules.get(project, {}).items()):
            for n, m in enumerate(re.finditer(pattern, text)):
                result.append(
                    {
                        "id": f"{label}-{n}",
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": m.start(), "end": m.end(), "text": m.group(), "labels": [label]},
                        "score": 0.9,
                    }
                )
        return {"result": result, "score": 0.9, "model_version": self.version(project)}

    def __enter__(self) -> RuleBackend:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
