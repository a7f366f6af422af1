"""A template where templates are not rendered (vars, for_each items, target, --var) is refused at its line.

Such a value used to reach the platform as its literal text: `vars: {token: "{{ secret('T') }}"}` and a
message `"{{ vars.token }}"` sent the text `{{ secret('T') }}`, and the secret was never read.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Run, run_cli

BUNDLE = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: team
target: {{provider: cadenya, workspace: {workspace}}}
vars:
  region: emea
  token: {token}
schedules:
  - name: "digest-{{{{ item }}}}"
    for_each: [emea, {item}]
    agent: agent_a
    when: {{cron: "0 9 * * *"}}
    input: {{message: "Digest {{{{ vars.region }}}} {{{{ vars.token }}}}"}}
"""
PLAIN = {"workspace": "ws", "token": "plain", "item": "apac"}


def write(tmp_path: Path, **fields: str) -> Path:
    path = tmp_path / "b.yaml"
    path.write_text(BUNDLE.format(**{**PLAIN, **fields}))
    return path


def validate(*args: str) -> Run:
    return run_cli("validate", *args, env={"T": "canary-unrendered-41d2", "WS": "ws"})


def test_a_plain_bundle_is_valid(tmp_path: Path) -> None:
    result = validate(str(write(tmp_path)))
    assert result.code == 0, result.out + result.err


def test_a_template_in_vars_is_refused_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, token="\"{{ secret('T') }}\"")
    result = validate(str(path))
    assert result.code == 1
    assert f"{path.name}:7:10: vars.token: templates are not rendered in vars" in result.out, result.out


def test_a_template_in_a_for_each_item_is_refused_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, item="\"{{ env('WS') }}\"")
    result = validate(str(path))
    assert result.code == 1
    assert f"{path.name}:10:22: for_each[1]: templates are not rendered in for_each items" in result.out, (
        result.out
    )
    assert "is invalid" not in result.out  # no second problem built from the literal text


def test_a_template_nested_in_a_for_each_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(
        BUNDLE.format(**PLAIN).replace(
            "for_each: [emea, apac]", "for_each: {emea: {token: \"{{ secret('T') }}\"}}"
        )
    )
    result = validate(str(path))
    assert result.code == 1
    assert "b.yaml:10:30: for_each.emea.token: templates are not rendered in for_each items" in result.out, (
        result.out
    )


def test_a_template_in_target_is_refused_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, workspace="\"{{env('WS')}}\"")
    result = validate(str(path))
    assert result.code == 1
    assert f"{path.name}:4:40: target.workspace: templates are not rendered in target" in result.out, (
        result.out
    )


def test_a_template_in_a_var_override_is_refused(tmp_path: Path) -> None:
    result = validate("--var", "token={{ secret('T') }}", str(write(tmp_path)))
    assert result.code == 1
    assert "--var:0:0: token: a --var value is used as written, never rendered" in result.out, result.out


def test_plan_refuses_it_before_any_request(tmp_path: Path) -> None:
    """The literal text never reaches a platform: plan stops at the same problem."""
    path = write(tmp_path, token="\"{{ secret('T') }}\"")
    result = run_cli("plan", "--sandbox", str(path), env={"T": "canary-unrendered-41d2"}, cwd=tmp_path)
    assert result.code == 1
    assert "vars.token: templates are not rendered in vars" in result.out + result.err
    assert not (tmp_path / ".reconciler").exists()
