"""A closed-loop ``/predict`` client for the server benchmarks (``serve.py``, ``spark.py``)."""

from __future__ import annotations

import http.client
import time


def predict_loop(
    port: int, body: bytes, stop_at: float, out: list[tuple[float, float, int]], timeout: float
) -> None:
    """POST ``body`` to ``/predict`` on 127.0.0.1:``port``, one request at a time on a kept-alive
    connection, until ``stop_at`` (``perf_counter``); append ``(began, ended, status)`` per request
    (status 0 when the connection failed; it is then reopened)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    while (began := time.perf_counter()) < stop_at:
        try:
            conn.request("POST", "/predict", body, headers)
            reply = conn.getresponse()
            reply.read()
            status = reply.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        out.append((began, time.perf_counter(), status))
    conn.close()
