"""What alabctl knows about Spark NLP itself, shared by the compiler and the asset store.

- :mod:`.annotators`: the annotator table (class, module, input and output types, licensed or not).
- :mod:`.versions`: the version rule (``Version.parse``, ``isCompatible``, ``compare``) and the
  supported Spark NLP / Spark pairs.
- :mod:`.metadata`: reading a saved model's ``metadata/part-00000`` (class, storageRef, params).
"""
