"""Pure: validated spec -> compiled artifacts.

Every function here takes the validated :class:`~alabctl.spec.repository.Repository` (or a part of
it) and returns values or bytes: no network, no file writes, no Spark. The same input gives
byte-identical output. Steps, per artifact: :mod:`~alabctl.compile.labelconfig` builds each
project's labeling config (Annotation Lab XML) and its label map, with colors from
:mod:`~alabctl.compile.colors`; :mod:`~alabctl.compile.checks.xmlcheck` checks that XML with the rules the
Label Studio browser applies and turns what it finds into diagnostics.
"""
