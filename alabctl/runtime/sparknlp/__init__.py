"""The ``sparknlp`` engine: compiled pipelines run by Spark NLP on a local JVM (see :mod:`.engine`).

Spark and Spark NLP are imported only inside this package, and only when an engine is loaded.
"""
