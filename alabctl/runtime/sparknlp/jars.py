"""Where the Spark NLP jar and its dependencies are: handed to Spark as ``spark.jars``, never downloaded.

``ALABCTL_SPARK_JARS`` names a folder of jars (what ``alabctl jars fetch --dir DIR`` fills) or a
list of jar files separated by commas; without it, ``$ALABCTL_HOME/jars`` is used when it holds
jars. Pure apart from listing folders.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from alabctl.spec.errors import UserError

JARS_ENV = "ALABCTL_SPARK_JARS"
FETCH_HINT = (
    "run 'alabctl jars fetch' (Maven Central -> $ALABCTL_HOME/jars, where the engine finds them), "
    "or set ALABCTL_SPARK_JARS to a folder of the Spark NLP jars (a fat 'assembly' jar will do)"
)


def _folder_jars(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.jar") if p.is_file())


def find_jars(home_root: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """The jars to pass as ``spark.jars``; a UserError that says how to get them when there are none.

    Entries with a scheme (``local:///opt/sparknlp/x.jar``, ``hdfs://…``) are passed as they are:
    they name files on the cluster's nodes, not here.
    """
    env = os.environ if env is None else env
    given = env.get(JARS_ENV, "").strip()
    if given:
        entries = [p.strip() for p in given.split(",") if p.strip()]
        if len(entries) == 1 and Path(entries[0]).expanduser().is_dir():
            found = _folder_jars(Path(entries[0]).expanduser())
            if not found:
                raise UserError(f"{JARS_ENV}={given}: the folder holds no .jar file", FETCH_HINT)
            return [str(p) for p in found]
        local = [e for e in entries if "://" not in e]
        missing = [e for e in local if not Path(e).expanduser().is_file()]
        if missing:
            raise UserError(f"{JARS_ENV}: no such jar file: {', '.join(missing)}", FETCH_HINT)
        return [e if "://" in e else str(Path(e).expanduser()) for e in entries]
    found = _folder_jars(home_root / "jars") if (home_root / "jars").is_dir() else []
    if not found:
        raise UserError("no Spark NLP jar: the sparknlp engine needs it on this machine", FETCH_HINT)
    return [str(p) for p in found]


def has_sparknlp(jars: list[str]) -> bool:
    """Whether one of the jars is Spark NLP itself (thin or assembly)."""
    return any(j.rsplit("/", 1)[-1].startswith(("spark-nlp_", "spark-nlp-assembly")) for j in jars)
