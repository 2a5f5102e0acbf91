"""The server's counters and latency histogram, in Prometheus' text exposition format (0.0.4).

One :class:`Metrics` per server process; updated from the event loop and worker threads under a
lock. Series: ``alabctl_requests_total{route,code}``, ``alabctl_request_seconds`` (histogram per
route), ``alabctl_tasks_total``, ``alabctl_predictions_total{project}`` (results sent),
``alabctl_dropped_total{project}`` (results the config check dropped), ``alabctl_task_errors_total``
and ``alabctl_reloads_total{result}``.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _labels(**labels: str) -> str:
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels.items()
    )
    return "{" + ",".join(escaped) + "}"


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: int = 0
    sum: float = 0.0

    def observe(self, seconds: float) -> None:
        self.total += 1
        self.sum += seconds
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1


@dataclass
class Metrics:
    """Everything ``GET /metrics`` reports."""

    requests: Counter[tuple[str, int]] = field(default_factory=Counter)
    latency: dict[str, _Histogram] = field(default_factory=dict)
    tasks: int = 0
    task_errors: int = 0
    predictions: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    reloads: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def request(self, route: str, code: int, seconds: float) -> None:
        with self._lock:
            self.requests[(route, code)] += 1
            self.latency.setdefault(route, _Histogram()).observe(seconds)

    def predicted(self, project: str, tasks: int, results: int, dropped: int, errors: int) -> None:
        with self._lock:
            self.tasks += tasks
            self.task_errors += errors
            self.predictions[project] += results
            self.dropped[project] += dropped

    def reloaded(self, ok: bool) -> None:
        with self._lock:
            self.reloads["ok" if ok else "failed"] += 1

    def _histograms(self) -> list[str]:
        lines = [
            "# HELP alabctl_request_seconds Request latency.",
            "# TYPE alabctl_request_seconds histogram",
        ]
        for route, hist in sorted(self.latency.items()):
            for bound, count in zip(BUCKETS, hist.counts, strict=True):
                lines.append(f"alabctl_request_seconds_bucket{_labels(route=route, le=str(bound))} {count}")
            lines.append(f"alabctl_request_seconds_bucket{_labels(route=route, le='+Inf')} {hist.total}")
            lines.append(f"alabctl_request_seconds_sum{_labels(route=route)} {hist.sum:.6f}")
            lines.append(f"alabctl_request_seconds_count{_labels(route=route)} {hist.total}")
        return lines

    def render(self) -> str:
        """The exposition text."""
        with self._lock:
            lines = ["# HELP alabctl_requests_total HTTP requests.", "# TYPE alabctl_requests_total counter"]
            for (route, code), n in sorted(self.requests.items()):
                lines.append(f"alabctl_requests_total{_labels(route=route, code=str(code))} {n}")
            lines += self._histograms()
            lines += ["# HELP alabctl_tasks_total Tasks predicted.", "# TYPE alabctl_tasks_total counter"]
            lines.append(f"alabctl_tasks_total {self.tasks}")
            lines += ["# HELP alabctl_task_errors_total Tasks answered with an empty result after an error."]
            lines += [
                "# TYPE alabctl_task_errors_total counter",
                f"alabctl_task_errors_total {self.task_errors}",
            ]
            for name, table, help_ in (
                ("predictions", self.predictions, "Results sent."),
                ("dropped", self.dropped, "Results dropped by the labeling-config check."),
            ):
                lines += [f"# HELP alabctl_{name}_total {help_}", f"# TYPE alabctl_{name}_total counter"]
                lines += [f"alabctl_{name}_total{_labels(project=p)} {n}" for p, n in sorted(table.items())]
            lines += ["# HELP alabctl_reloads_total Hot reloads.", "# TYPE alabctl_reloads_total counter"]
            lines += [
                f"alabctl_reloads_total{_labels(result=r)} {n}" for r, n in sorted(self.reloads.items())
            ]
            return "\n".join(lines) + "\n"
