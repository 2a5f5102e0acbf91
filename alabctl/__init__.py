"""alabctl: declarative annotation projects for NLP pre-annotation.

Projects, rules and model dependencies are YAML manifests kept in git. alabctl validates them,
compiles them into labeling configs and Spark NLP pipeline specs, fetches models from the Models
Hub and runs pre-annotation servers.
"""

__version__ = "0.1.0"
