"""The Models Hub client, the asset store and the lock file generator (SPEC §5).

The steps, in order:

1. :mod:`home` — where the store is (``--home`` > ``$ALABCTL_HOME`` > ``~/.alabctl``).
2. :mod:`hub` — fetch a folder's ``metadata.json`` (cached for an hour), parsed by :mod:`metadata`.
3. :mod:`resolve` — pure version choice, exactly Spark NLP's (:mod:`alabctl.compile.sparknlp.versions`).
4. :mod:`pull` — the 2 x free-space rule, then :mod:`download` (resume, retry, checksum),
   :mod:`archive` (safe unzip, atomic install into ``cache/<key>/``),
   :mod:`alabctl.compile.sparknlp.metadata` (storageRef), and dependencies; every step recorded in
   :mod:`store` (SQLite).
5. :mod:`lockgen` — resolve every hub asset the manifests need (all a compiled pipeline loads)
   into an ``alabctl.lock``.
6. :mod:`upload` — install a model folder or zip from disk; :mod:`removal` — delete one, refused
   while something needs it; :mod:`keylock` — the per-key file lock installs hold.

Beside the hub: :mod:`rulesio` reads Annotation Lab rule exports (a JSON, or a ZIP read defensively)
and writes the ZIP ``rules export`` produces.

This package may import :mod:`alabctl.spec` and :mod:`alabctl.compile`, never the reconciler, the
runtime, the API or the CLI, and never Spark.
"""
