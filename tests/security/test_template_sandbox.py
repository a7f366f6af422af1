"""Templates cannot reach Python internals, read credentials with env(), or run long and build gigabytes.

Each hostile template sits in one field of an otherwise valid bundle; `validate` must refuse it with the
file, the line and column of that value, and the field's name, in a bounded time (pytest-timeout), while
ordinary templates keep working. The limits are `reconciler.bundle.templating`'s.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.bundle.templating import MAX_STEPS, MAX_TEXT
from reconciler.bundle.validate import load_bundles
from tests.conftest import run_cli

BUNDLE = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: tpl
target: {{provider: cadenya, workspace: ws}}
vars: {{region: emea, big: {big}}}
schedules:
  - name: s
    agent: a
    when: {{cron: "0 9 * * *"}}
    input:
      data:
        note: {template}
"""
LINE, COL = 12, 15  # where `note`'s value starts
ENV = {"TOKEN": "canary-tpl-secret", "CADENYA_API_KEY": "canary-tpl-key", "GITHUB_TOKEN": "canary-gh"}


def problems(tmp_path: Path, template: str, big: str = "x") -> list[str]:
    path = tmp_path / "b.yaml"
    path.write_text(BUNDLE.format(template=json.dumps(template), big=json.dumps(big)))
    return [str(d) for d in load_bundles([str(path)], environ=ENV).diagnostics]


ESCAPES = {
    "class-mro": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "cycler-globals": "{{ cycler.__init__.__globals__.os }}",
    "joiner-globals": "{{ joiner.__init__.__globals__ }}",
    "lipsum-globals": "{{ lipsum.__globals__['os'] }}",
    "namespace-globals": "{{ namespace.__init__.__globals__ }}",
    "template-reference": "{{ self._TemplateReference__context }}",
    "self-init": "{{ self.__init__ }}",
    "flask-config": "{{ config.items() }}",
    "flask-request": "{{ request.application.__globals__ }}",
    "attr-filter": "{{ ''|attr('__class__') }}",
    "attr-filter-escaped": "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "getitem": "{{ ''['__class__'] }}",
    "format-attr": "{{ '{0.__class__}'.format(1) }}",
    "format-item": "{{ '{0[__class__]}'.format({}) }}",
    "format-map": "{{ '{x.__class__}'.format_map({'x': 1}) }}",
    "percent-format-attr": "{{ '%s'|format(''|attr('__class__')) }}",
    "dict-base": "{{ dict.__base__.__subclasses__() }}",
    "range-self": "{{ range.__self__ }}",
    "int-to-bytes": "{{ (1).to_bytes(1000000000, 'big') }}",
    "expandtabs": "{{ 'a\\tb'.expandtabs(1000000000) }}",
    "mutate-list": "{{ [].append(1) }}",
    "include": "{% include '/etc/passwd' %}",
    "import": "{% import 'os' as os %}",
    "extends": "{% extends '../../etc/passwd' %}",
}


@pytest.mark.parametrize("template", ESCAPES.values(), ids=ESCAPES.keys())
def test_sandbox_escapes_are_refused_at_the_field(tmp_path: Path, template: str) -> None:
    found = problems(tmp_path, template)
    assert len(found) == 1, found
    assert f"b.yaml:{LINE}:{COL}: input.data.note: " in found[0], found
    assert any(word in found[0] for word in ("refused", "undefined", "unsafe", "no loader", "failed")), found


DOS = {
    "lipsum": ("{{ lipsum(1000000) }}", "undefined"),
    "range": ("{{ range(10**9)|list|length }}", "range() of 1000000000 numbers"),
    "string-times": ("{{ 'x' * 10**9 }}", "would build a value of 1000000000 characters"),
    "list-times": ("{{ [0] * 10**9 }}", "would build a value"),
    "power": ("{{ 10 ** (10 ** 8) }}", "bits"),
    "ljust": ("{{ 'x'.ljust(10**9) }}", "ljust(1000000000)"),
    "center-filter": ("{{ 'x'|center(10**9) }}", "the filter 'center' got 1000000000"),
    "indent-filter": ("{{ 'x'|indent(10**9) }}", "the filter 'indent' got"),
    "percent-width": ("{{ '%0999999999d' % 1 }}", "the format '%0999999999'"),
    "percent-star": ("{{ '%*d' % (999999999, 1) }}", "'%*' width"),
    "format-filter-width": ("{{ '%0999999999d'|format(1) }}", "the format '%0999999999'"),
    "format-width": ("{{ '{:>999999999}'.format(1) }}", "the format spec '>999999999'"),
    "format-nested-width": ("{{ '{:{}}'.format(1, 999999999) }}", "nested in a format spec"),
    "nested-loops": (
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        f"more than {MAX_STEPS}",
    ),
    "recursive-loop": (
        "{% for x in range(100) recursive %}{% if loop.depth < 6 %}{{ loop(range(100)) }}{% endif %}{% endfor %}",
        f"more than {MAX_STEPS}",
    ),
    "macro-fan-out": (
        "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
        f"more than {MAX_STEPS}",
    ),
    "macro-recursion": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "RecursionError"),
    "doubling": (
        "{% set ns = namespace(x='x') %}{% for i in range(64) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x }}",
        f"more than {MAX_TEXT} characters",
    ),
    "replace-empty": ("{% set s = 'x' * 100000 %}{{ s.replace('', s) }}", "replace() would build"),
    "replace-filter": ("{% set s = 'x' * 100000 %}{{ s|replace('', s) }}", "replace() would build"),
    "join-separator": ("{% set s = 'x' * 500000 %}{{ (s|list)|join(s) }}", f"more than {MAX_TEXT}"),
    "shared-references": ("{% set s = 'x' * 900000 %}{{ [s] * 900000 }}", "would build a value"),
    "shared-references-tojson": (
        "{% set s = 'x' * 900000 %}{{ ([s] * 900000)|tojson }}",
        "would build a value",
    ),
    "batch-fill": ("{% set s = 'x' * 100000 %}{{ range(100000)|batch(100000, s)|list|length }}", ""),
    "tojson-indent": ("{{ {'a': 1}|tojson(indent=1000000) }}", "tojson(indent=...) is not allowed"),
    "wordwrap-wrapstring": ("{{ ('x ' * 400000)|wordwrap(1, wrapstring='y' * 100) }}", "wordwrap()"),
    "truncate-length": ("{{ 'x'|truncate(10**9) }}", "the filter 'truncate' got"),
    "pprint": ("{{ 'x'|pprint }}", "No filter named 'pprint'"),
    "deep-list": (
        "{% set ns = namespace(x=[1]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}",
        "RecursionError",
    ),
    "huge-var": ("{{ vars.big ~ vars.big }}", f"more than {MAX_TEXT}"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("template", "expected"), DOS.values(), ids=DOS.keys())
def test_denial_of_service_templates_are_refused_quickly(
    tmp_path: Path, template: str, expected: str
) -> None:
    big = "y" * 600_000 if "vars.big" in template else "x"
    found = problems(tmp_path, template, big)
    if not expected:  # bounded, and small enough to be allowed
        assert found == [], found
        return
    assert len(found) == 1, found
    assert f"b.yaml:{LINE}:{COL}: input.data.note: " in found[0], found
    assert expected in found[0], found


def test_a_bundle_cannot_spend_the_budget_many_times_over_with_for_each(tmp_path: Path) -> None:
    """The budget is per run, not per value: 2,000 items x a 200-iteration loop is refused, not run."""
    path = tmp_path / "b.yaml"
    items = json.dumps(list(range(2000)))
    path.write_text(
        BUNDLE.format(template=json.dumps("{% for i in range(200) %}{{ i }}{% endfor %}"), big='"x"').replace(
            "  - name: s\n", f'  - name: "s-{{{{ item }}}}"\n    for_each: {items}\n'
        )
    )
    found = [str(d) for d in load_bundles([str(path)], environ=ENV).diagnostics]
    assert found and all(f"more than {MAX_STEPS}" in f for f in found), found[:3]
    assert len(found) <= 2  # the fields where it ran out (name, note), not one message per item


def test_for_each_copies_are_bounded(tmp_path: Path) -> None:
    data = {f"k{i}": i for i in range(3000)}
    path = tmp_path / "b.yaml"
    path.write_text(
        BUNDLE.format(template='"n"', big='"x"')
        .replace(
            "  - name: s\n", f'  - name: "s-{{{{ item }}}}"\n    for_each: {json.dumps(list(range(1000)))}\n'
        )
        .replace('        note: "n"\n', f'        note: "n"\n        blob: {json.dumps(data)}\n')
    )
    found = [str(d) for d in load_bundles([str(path)], environ=ENV).diagnostics]
    assert len(found) == 1 and "expand to more than" in found[0], found[:3]


@pytest.mark.parametrize("name", ["CADENYA_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD"])
def test_env_refuses_credentials_and_says_to_use_secret(tmp_path: Path, name: str) -> None:
    found = problems(tmp_path, f"{{{{ env('{name}') }}}}")
    assert len(found) == 1 and f"use secret('{name}')" in found[0].replace("read it with ", "use "), found
    assert "canary" not in found[0]


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ("{{ vars.region|upper }}", "EMEA"),
        ("{{ 'a,b'.split(',')|join('-') }}", "a-b"),
        ("{{ '%05d'|format(42) }} {{ '{:>5}'.format('x') }}", "00042     x"),
        ("{{ range(3)|map('string')|join(',') }} {{ [1, 2, 3]|sum }}", "0,1,2 6"),
        (
            "{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %} {{ 7 // 2 }} {{ 2 ** 10 }}",
            "a=1 3 1024",
        ),
        ("{{ 'x' * 1000 }}", "x" * 1000),
        ("{{ {'b': [1, 2]}|tojson }}", '{"b": [1, 2]}'),
        (
            "{% set ns = namespace(n=0) %}{% for i in range(100) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
            "4950",
        ),
        ("{{ vars.region ~ '-' ~ vars.region }}", "emea-emea"),
    ],
)
def test_ordinary_templates_still_work(tmp_path: Path, template: str, rendered: str) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(BUNDLE.format(template=json.dumps(template), big='"x"'))
    loaded = load_bundles([str(path)], environ=ENV)
    assert not loaded.diagnostics, loaded.diagnostics
    assert loaded.bundles[0].schedules[0].input["data"]["note"] == rendered


def test_cli_reports_a_refused_template_as_an_annotation(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(BUNDLE.format(template=json.dumps("{{ 'x' * 10**9 }}"), big='"x"'))
    result = run_cli("validate", "--format", "github", str(path))
    assert result.code == 1 and "Traceback" not in result.err
    assert f",line={LINE},col={COL}::input.data.note: template refused: " in result.out, result.out
