"""Compiling again after an edit: only what the edit can change, the rest reused from the last build.

``watch`` keeps one :class:`Rebuild` for its whole life. Each compiled file is kept under a key
that covers every manifest it is compiled from, named by the text of the document that declares it
(its file, its index in the file, the sha256 of the file's text as loaded, templates rendered):

- a project's ``config.xml``: the project, the rules and models it names;
- a server's ``pipeline.json`` / ``pipeline.py``: the server, every project on it, and their rules
  and models;
- a rule's ``rules/<name>.json`` / ``.csv``: the rule and its dictionary's text;

each with the repository's shared manifests (Hub, Embeddings, License, LabelStudio), the lock file
and the repository root. An edit to one rule recompiles that rule, the configs of the projects
naming it and the pipeline of their servers; ``manifest.json`` is rebuilt from the files each
time. The result is byte for byte what :func:`alabctl.compile.build.compile_repository` gives
(``tests/reconcile/test_rebuild.py`` compares them after each edit of a sequence).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from alabctl.spec.names import Kind

if TYPE_CHECKING:
    from alabctl.spec.kinds import ProjectManifest
    from alabctl.spec.repository import Repository
    from alabctl.spec.schema import Resource

_OWN_KINDS = frozenset({Kind.PROJECT, Kind.RULE, Kind.MODEL, Kind.SERVER})
"""Kinds a compiled file depends on by name; every other kind is shared by all of them."""

T = TypeVar("T")


class Rebuild:
    """Compiled files kept between builds by the key of what each is compiled from."""

    def __init__(self) -> None:
        self._configs: dict[str, bytes] = {}
        self._pipelines: dict[str, tuple[bytes, bytes]] = {}
        self._rules: dict[str, dict[str, bytes]] = {}
        self.compiled = 0
        """Files compiled (not reused) by the last :meth:`compile`."""

    def compile(self, repo: Repository, dictionaries: Mapping[str, str]) -> dict[str, bytes]:
        """Every artifact of ``repo``, as :func:`~alabctl.compile.build.compile_repository` makes it."""
        from alabctl.compile.build import build_manifest, canonical_json
        from alabctl.compile.labelconfig import compile_label_config

        keys = _Keys(repo)
        self.compiled = 0
        files: dict[str, bytes] = {}
        configs: dict[str, bytes] = {}
        for project, _ in repo.projects():
            key = keys.project(project)
            xml = self._reuse(self._configs, key, partial(compile_label_config, project, repo))
            configs[key] = xml
            files[f"projects/{project.name}/config.xml"] = xml
        pipelines: dict[str, tuple[bytes, bytes]] = {}
        for server in repo.server_names():
            key = keys.server(server)
            built = self._reuse(self._pipelines, key, partial(_compile_pipeline, server, repo))
            pipelines[key] = built
            files[f"servers/{server}/pipeline.json"], files[f"servers/{server}/pipeline.py"] = built
        rules: dict[str, dict[str, bytes]] = {}
        for name in _used_rules(repo):
            key = keys.rule(name, dictionaries.get(name))
            if repo.rule(name) is None:
                continue
            done = self._reuse(self._rules, key, partial(_compile_rule, repo, name, dictionaries))
            rules[key] = done
            files.update(done)
        self._configs, self._pipelines, self._rules = configs, pipelines, rules  # what is not used is dropped
        files["manifest.json"] = canonical_json(build_manifest(repo, files))
        return files

    def _reuse(self, kept: Mapping[str, T], key: str, make: Callable[[], T]) -> T:
        found = kept.get(key)
        if found is not None:
            return found
        self.compiled += 1
        return make()


def _used_rules(repo: Repository) -> list[str]:
    return sorted({n for p, _ in repo.projects() if p.spec.ner for n in p.spec.ner.rules})


def _compile_pipeline(server: str, repo: Repository) -> tuple[bytes, bytes]:
    from alabctl.compile.build import canonical_json
    from alabctl.compile.pipeline import compile_pipeline
    from alabctl.compile.render import render_pipeline_script

    spec = compile_pipeline(server, repo)
    return canonical_json(spec), render_pipeline_script(spec).encode()


def _compile_rule(repo: Repository, name: str, dictionaries: Mapping[str, str]) -> dict[str, bytes]:
    """``rules/<name>.json`` (and ``.csv``) as :func:`~alabctl.compile.build.compile_rules` writes them."""
    from alabctl.compile.build import canonical_json
    from alabctl.compile.contextual import to_contextual_parser

    rule = repo.rule(name)
    assert rule is not None
    dictionary = rule.spec.dictionary
    text = dictionaries.get(name) if dictionary is not None and dictionary.file is not None else None
    data, csv_text = to_contextual_parser(rule, text)
    out = {f"rules/{name}.json": canonical_json(data)}
    if csv_text is not None:
        out[f"rules/{name}.csv"] = csv_text.encode()
    return out


class _Keys:
    """The key of each compiled file: digests of the documents it is compiled from."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self._texts: dict[str, str] = {}
        lock = repo.lock.model_dump_json() if repo.lock is not None else ""
        shared = sorted(
            self.document(r) for kind in Kind if kind not in _OWN_KINDS for r in repo.of_kind(kind)
        )
        self.shared = _sha("\n".join([str(repo.root), lock, *shared]))

    def document(self, resource: Resource | None) -> str:
        """Which document declares ``resource``, and the digest of its file's text."""
        if resource is None:
            return "-"
        origin = resource.origin
        digest = self._texts.get(origin.file)
        if digest is None:
            digest = self._texts[origin.file] = _sha(origin.sources.texts.get(origin.file, ""))
        return f"{origin.file}#{origin.index}@{digest}"

    def _uses(self, project: ProjectManifest) -> list[str]:
        rules = project.spec.ner.rules if project.spec.ner else []
        return [
            *(self.document(self.repo.get(Kind.RULE, r)) for r in rules),
            *(self.document(self.repo.get(Kind.MODEL, b.model)) for b in project.bindings()),
        ]

    def project(self, project: ProjectManifest) -> str:
        resource = self.repo.get(Kind.PROJECT, project.name)
        return _sha("\n".join([self.shared, self.document(resource), *self._uses(project)]))

    def server(self, name: str) -> str:
        parts = [self.shared, name, self.document(self.repo.get(Kind.SERVER, name))]
        for project, resource in self.repo.projects_on(name):
            parts += [self.document(resource), *self._uses(project)]
        return _sha("\n".join(parts))

    def rule(self, name: str, dictionary: str | None) -> str:
        return _sha("\n".join([self.shared, self.document(self.repo.get(Kind.RULE, name)), repr(dictionary)]))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
