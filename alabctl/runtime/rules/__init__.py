"""The native rules engine: regex and dictionary rules with ContextualParser semantics (no JVM).

``RuleEngine.from_build(build, names)`` or ``RuleEngine.from_specs(specs, dictionaries)``, then
``engine.annotate(text) -> list[Chunk]``; ``merge_chunks`` resolves overlaps across sources.
The semantics are written down in ``docs/rules.md``.
"""

from alabctl.runtime.rules.engine import RuleEngine
from alabctl.runtime.rules.merge import merge_chunks

__all__ = ["RuleEngine", "merge_chunks"]
