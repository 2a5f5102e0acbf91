"""The reconciler's words: health, sync status, actions and results."""

from __future__ import annotations

from enum import StrEnum


class Health(StrEnum):
    """How a running server is doing (separate from whether it runs what the manifests say)."""

    HEALTHY = "Healthy"
    """Answers ``/health`` and serves its build."""
    PROGRESSING = "Progressing"
    """Starting or reloading; not answering yet."""
    DEGRADED = "Degraded"
    """Answers, but reports a problem (e.g. a failed reload: it keeps serving the last good build)."""
    MISSING = "Missing"
    """Declared but not running (never deployed, its process is gone, or it failed to start)."""
    UNKNOWN = "Unknown"
    """Its process runs but does not answer."""
    STOPPED = "Stopped"
    """Stopped on purpose with ``alabctl down``; the next ``apply`` starts it again."""


class Sync(StrEnum):
    """Whether what runs matches what the manifests declare."""

    SYNCED = "Synced"
    """Runs exactly the compiled build."""
    OUT_OF_SYNC = "OutOfSync"
    """Runs another build, or nothing."""


class Action(StrEnum):
    """What a plan step does."""

    DOWNLOAD = "download"
    """Fetch a hub asset that is not in the store."""
    REDOWNLOAD = "redownload"
    """Fetch again an asset whose files are missing or corrupted (drift)."""
    DEPLOY = "deploy"
    """Start a server that does not run."""
    REDEPLOY = "redeploy"
    """Hot-reload a running server onto a new build (same URL)."""
    RESTART = "restart"
    """Start again a server whose process is gone or unhealthy (drift)."""
    STOP = "stop"
    """Stop a server (``alabctl down``)."""
    PRUNE = "prune"
    """Stop and forget a server no manifest declares any more (``--prune``)."""


class Result(StrEnum):
    """What applying a step did to its resource (kubectl's words)."""

    CREATED = "created"
    """It did not exist and now does."""
    CONFIGURED = "configured"
    """It existed and was changed or repaired."""
    UNCHANGED = "unchanged"
    """It was already right."""
    STOPPED = "stopped"
    """It was stopped (``alabctl down``); its record and port stay."""
    PRUNED = "pruned"
    """It was stopped and forgotten."""
    FAILED = "failed"
    """The step failed; the rest went on."""
