"""Coverage-guided fuzzing of the loader and validator with atheris (libFuzzer for Python).

Run by `test_fuzz_loader.py::test_atheris_coverage_guided` (slow) in a virtualenv of its own that holds
atheris, with this repository and the project's packages on PYTHONPATH. Each input is YAML text; it goes
through load -> structure -> render -> semantics, and anything but a located `BundleError` / diagnostic is
a crash that atheris reports with the input that caused it.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["reconciler"]):
    from reconciler.bundle.assemble import bundle_from
    from reconciler.bundle.load import load_text
    from reconciler.bundle.render import Renderer
    from reconciler.errors import BundleError, Diagnostic


def check(problems: list[Diagnostic]) -> None:
    for problem in problems:
        if not (problem.line >= 1 and problem.col >= 1 and problem.message.isprintable()):
            raise AssertionError(f"unlocated or unprintable problem: {problem!r}")


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        documents = load_text(text, "fuzz.yaml")
    except BundleError as exc:
        check(exc.diagnostics)
        return
    renderer = Renderer({"TOKEN": "canary-atheris"})
    for document in documents:
        problems: list[Diagnostic] = []
        bundle_from(document, {}, renderer, problems, [], None)  # no warnings asked (warn_from None)
        check(problems)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
