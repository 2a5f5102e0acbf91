"""What the compiler's checks need of a memo: results of pure functions kept by a digest of their inputs.

The compile layer stays pure: it only reads and fills the memo it is handed. Where a memo is kept
between runs (the user's cache folder) is the caller's business.
"""

from __future__ import annotations

from typing import Any, Protocol


class Memo(Protocol):
    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...
