"""Desired vs actual state: ``observe`` (I/O) -> ``pair`` -> ``diff``/``plan`` (pure) -> ``apply`` (I/O).

This layer compares the compiled repository with what runs (the SQLite state in ``$ALABCTL_HOME``,
the asset store, live pre-annotation servers) and acts on the difference. It may import
``alabctl.spec``, ``alabctl.compile`` and ``alabctl.assets``, never ``alabctl.runtime``.
"""
