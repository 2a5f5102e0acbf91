"""Running pipelines: pre-annotation servers (Label Studio's ML-backend protocol) and batch runs.

Steps, in order: ``build`` reads a compiled build folder (schema versions checked) ->
``engines`` loads the engine ``pipeline.json`` names (``native``: ``rules``; ``sparknlp`` lazily)
-> ``engine.Engine.predict`` gives findings per output column -> ``results`` makes them Label
Studio results per project, checked against the config (``labeling``), with a ``version`` ->
``deployment`` holds all of it for one server. ``server`` / ``slot`` / ``runner`` / ``metrics`` /
``admin`` serve a deployment and hot-swap it; ``batch`` / ``taskfile`` / ``tasks`` run it over
task files.

Spark and Spark NLP are imported lazily and only here, so ``validate`` and ``compile`` never need a
JVM. This layer may import ``alabctl.spec``, ``alabctl.compile`` and ``alabctl.assets``, never
``alabctl.reconcile``.
"""
