"""A manifest repository that uses the test-built models, and the CLI chain that builds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.assets.hubserver import license_json
from tests.conftest import EXAMPLES
from tests.sparknlp.models import CLASSIFIER, EMBEDDINGS, NER

SERVER = "newsroom"
PROJECT = "news"


def demo_license() -> str:
    """The examples' demo license (not a real one: enough for compile's checks) with test hub keys."""
    data = json.loads((EXAMPLES / "licenses" / "demo-license.json").read_text(encoding="utf-8"))
    return json.dumps({**data, **json.loads(license_json())})


def manifests(hub_url: str) -> dict[str, str]:
    """Files of a repository: one project with NER (renamed labels) and classification on one server."""
    return {
        "hub.yaml": f"""apiVersion: alabctl/v1
kind: Hub
metadata: {{name: default}}
spec: {{url: "{hub_url}", sparkNlpVersion: "5.5.3", sparkVersion: "3.5"}}
""",
        "models.yaml": f"""apiVersion: alabctl/v1
kind: Model
metadata: {{name: {NER}}}
spec:
  task: ner
  labels: [PER, LOC, ORG]
  embeddings: {EMBEDDINGS}
---
apiVersion: alabctl/v1
kind: Model
metadata: {{name: {CLASSIFIER}}}
spec:
  task: classification
  labels: [sports, business]
  embeddings: {EMBEDDINGS}
---
apiVersion: alabctl/v1
kind: Embeddings
metadata: {{name: {EMBEDDINGS}}}
spec: {{type: word, dimension: 100}}
""",
        "rule.yaml": """apiVersion: alabctl/v1
kind: Rule
metadata: {name: year}
spec:
  entity: Year
  regex: "(19|20)[0-9][0-9]"
  ruleScope: sentence
  matchScope: token
  completeMatchRegex: true
""",
        "license.yaml": """apiVersion: alabctl/v1
kind: License
metadata: {name: jsl}
spec: {fromFile: demo-license.json, scopes: [healthcare:inference]}
""",
        "demo-license.json": demo_license(),
        "server.yaml": f"""apiVersion: alabctl/v1
kind: Server
metadata: {{name: {SERVER}}}
spec: {{engine: auto, port: 8790}}
""",
        "project.yaml": f"""apiVersion: alabctl/v1
kind: Project
metadata: {{name: {PROJECT}}}
spec:
  server: {SERVER}
  license: jsl
  ner:
    models:
      - model: {NER}
        labels: [PER, LOC, ORG]
        rename: {{PER: Person, LOC: Place}}
    rules: [year]
  classification:
    - name: topic
      choices: [sports, business]
      model: {CLASSIFIER}
""",
    }


def alabctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess; fail the test with its output when it fails."""
    proc = subprocess.run(
        [sys.executable, "-m", "alabctl", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, (
        f"alabctl {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


def pull_lock_compile(repo: Path, home: Path) -> Path:
    """``hub pull`` both models (embeddings as a dependency), ``lock``, ``compile``; the build folder."""
    alabctl("hub", "pull", NER, "-f", ".", "--home", str(home), cwd=repo)
    alabctl("hub", "pull", CLASSIFIER, "-f", ".", "--home", str(home), cwd=repo)
    alabctl("lock", "-f", ".", "--home", str(home), cwd=repo)
    alabctl("compile", "-f", ".", "--out", "build", cwd=repo)
    return repo / "build"
