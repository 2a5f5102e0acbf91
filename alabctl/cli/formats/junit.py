"""``-o junit``: one test case per file, a failure per error (CI dashboards read this)."""

from __future__ import annotations

from collections import defaultdict

from lxml import etree

from alabctl.api import ValidationReport
from alabctl.spec.diagnostics import Diagnostic


def render(report: ValidationReport, color: bool = False) -> str:
    by_file: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in report.diagnostics:
        by_file[d.file or "alabctl"].append(d)
    for file in report.sources.texts:
        by_file.setdefault(file, [])
    errors = sum(1 for d in report.diagnostics if d.is_error)
    suites = etree.Element(
        "testsuites", name="alabctl validate", tests=str(len(by_file)), failures=str(errors)
    )
    suite = etree.SubElement(
        suites,
        "testsuite",
        name="alabctl validate",
        tests=str(len(by_file)),
        failures=str(errors),
        errors="0",
        skipped="0",
    )
    for file in sorted(by_file):
        problems = by_file[file]
        case = etree.SubElement(suite, "testcase", classname="alabctl.validate", name=file, file=file)
        for d in problems:
            if d.is_error:
                failure = etree.SubElement(case, "failure", type=d.code, message=d.summary)
                failure.text = f"{d.file}:{d.line}:{d.column}: {d.summary}\n{d.detail}".rstrip()
        warnings = [d for d in problems if not d.is_error]
        if warnings:
            out = etree.SubElement(case, "system-out")
            out.text = "\n".join(
                f"{d.file}:{d.line}:{d.column}: warning[{d.code}]: {d.summary}" for d in warnings
            )
    return etree.tostring(suites, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode()
