"""Running pipelines: pre-annotation servers (Label Studio's ML-backend protocol) and batch runs.

Spark and Spark NLP are imported lazily and only here, so ``validate`` and ``compile`` never need a
JVM. This layer may import ``alabctl.spec``, ``alabctl.compile`` and ``alabctl.assets``, never
``alabctl.reconcile``.
"""
