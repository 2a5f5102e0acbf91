"""Pure: validated spec -> compiled artifacts, and the checks that decide whether to compile.

Every function here takes the validated :class:`~alabctl.spec.repository.Repository` (or a part of
it) and returns values or bytes: no network, no file writes, no Spark. The same input gives
byte-identical output. The rooms:

- compilers: :mod:`.labelconfig` (each project's labeling config and label map, colors from
  :mod:`.colors`), :mod:`.pipeline` and :mod:`.render` (each server's Spark NLP pipeline spec and
  script), :mod:`.contextual` (rule JSON), :mod:`.exchange` (rules to and from Annotation Lab),
  :mod:`.build` (every artifact and ``manifest.json``);
- checkers: :mod:`.checks` (limits, embeddings, licenses, labels, versions, and
  :mod:`.checks.regexcheck`, :mod:`.checks.rulecheck`, :mod:`.checks.xmlcheck`), run in order by
  :mod:`.verify`; :mod:`.dictionary` parses dictionaries for them and for the compilers;
- Spark NLP knowledge: :mod:`.sparknlp` (annotator table, version rule, model metadata), which
  :mod:`alabctl.assets` imports too;
- cache glue: :mod:`.memo` (what a check memo must offer) and :mod:`.dependencies` (what a
  validation read besides the manifests, for replaying it).

The reads this layer still does are the inputs a check needs: dictionary files, License files and
model folders (or zips) named by manifests in the repository.
"""
