"""Render a bundle's templates: Jinja2 in string values only, sandboxed, strict about undefined names.

Third step of the pipeline: one schedule entry (+ `defaults`, `vars`, `for_each`) -> one or more plain
schedule dicts. `secret('NAME')` makes the whole rendered value a `Sensitive`; `env('NAME')` reads plainly.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.bundle.sensitive import Sensitive

if TYPE_CHECKING:
    import jinja2

    from reconciler.bundle.templating import BoundedSandbox

Path_ = tuple[str | int, ...]

# A defaults `when` contributes only these when the schedule names its own timing form.
_WHEN_SHARED = ("timezone", "start", "end")
_TIMING_FORMS = ("cron", "every", "offset", "at", "calendars")
# The platforms' credentials (and anything named like one) are read with secret(), never env(): env() values
# are printed in plans and error messages, so env('CADENYA_API_KEY') would put the key in a CI log.
_CREDENTIAL_VARIABLES = frozenset(
    {
        "CADENYA_API_KEY",
        "AGENTEX_SDK_API_KEY",
        "ORQ_API_KEY",
        "WARP_API_KEY",
        "TBD_AGENTS_TOKEN",
        "RECONCILER_DIGEST_KEY",
    }
)
# `for_each` copies its entry once per item: values copied by all expansions of one run, together. Without a
# bound, 100,000 items times an entry of 100,000 values would be 10**10 copies from a file of a few megabytes.
MAX_EXPANDED_VALUES = 2_000_000
_CREDENTIAL_NAME = re.compile(r"TOKEN|SECRET|PASSW|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.IGNORECASE)


class RenderError(Exception):
    """A template that cannot be rendered; `path` is where, relative to the value being rendered."""

    def __init__(self, path: Path_, message: str) -> None:
        self.path = path
        super().__init__(message)


@dataclass
class RenderedEntry:
    """One schedule after `for_each` expansion, templates and defaults; `from_defaults` names the fields
    that came from `defaults` (so a problem in one is reported where it is written)."""

    data: dict[str, Any]
    source_index: int  # index in the document's `schedules:` list
    from_defaults: set[str] = field(default_factory=set)


class Renderer:
    """Renders values with one sandboxed Jinja environment; remembers every secret value it handed out.

    `read_secrets=False` (the offline commands: `validate`, `preview`, `calendar`) never reads a secret:
    `secret('NAME')` renders a placeholder, still `Sensitive`, so every check that depends on a value being a
    secret runs the same; only `plan` and `apply` need the values.
    """

    def __init__(self, environ: Mapping[str, str] | None = None, *, read_secrets: bool = True) -> None:
        self.environ = os.environ if environ is None else environ
        self.read_secrets = read_secrets
        self.secret_values: set[str] = set()
        self._touched_secret = False
        self.expanded = 0  # values copied by for_each expansions so far (see MAX_EXPANDED_VALUES)
        self._cache: dict[str, jinja2.Template] = {}

    def budget_spent(self) -> tuple[int, int, int]:
        """What the run's templates and expansions have used so far (`restore_budget` takes it back)."""
        env = self.__dict__.get("env")  # not built yet: nothing spent
        return (self.expanded, env.steps if env else 0, env.work if env else 0)

    def restore_budget(self, spent: tuple[int, int, int]) -> None:
        """Back to what `budget_spent` said: a document checked again (with positions) spends only once."""
        self.expanded = spent[0]
        env = self.__dict__.get("env")
        if env is not None:
            env.steps, env.work = spent[1], spent[2]

    @functools.cached_property
    def env(self) -> BoundedSandbox:
        """One budget for every template of this run. Built (and Jinja imported) at the first template: a
        bundle without any, the usual generated one, never pays for it."""
        from reconciler.bundle.templating import BoundedSandbox

        env = BoundedSandbox()
        env.globals.update(env=self._env, secret=self._secret)
        return env

    def _env(self, name: str) -> str:
        if not isinstance(name, str):
            raise RenderError((), "env() takes the name of an environment variable")
        if name in _CREDENTIAL_VARIABLES or _CREDENTIAL_NAME.search(name):
            raise RenderError(
                (),
                f"env('{name}') would print a credential; read it with secret('{name}'), which is never shown",
            )
        if name not in self.environ:
            raise RenderError((), f"environment variable {name} is not set (needed by env('{name}'))")
        return self.environ[name]

    def _secret(self, name: str) -> str:
        if not isinstance(name, str):
            raise RenderError((), "secret() takes the name of an environment variable")
        if not self.read_secrets:
            self._touched_secret = True
            return secret_placeholder(name)
        if name not in self.environ:
            raise RenderError((), f"environment variable {name} is not set (needed by secret('{name}'))")
        value = self.environ[name]
        self.secret_values.add(value)
        self._touched_secret = True
        return value

    def render_string(self, text: str, context: Mapping[str, Any]) -> str | Sensitive:
        if not is_template(text):
            return text
        import jinja2
        from jinja2.exceptions import SecurityError

        from reconciler.bundle.templating import TemplateLimit

        self._touched_secret = False
        try:
            self.env.spend_steps()  # every render counts: for_each can ask for very many
            template = self._cache.get(text)
            if template is None:
                template = self._cache[text] = self.env.compile_bounded(text)
            result = template.render(**context)
        except RenderError:
            raise
        except TemplateLimit as exc:
            raise RenderError((), f"template refused: {exc}") from None
        except SecurityError as exc:
            raise RenderError((), f"template refused: it tries to reach Python internals ({exc})") from None
        except jinja2.UndefinedError as exc:
            raise RenderError((), f"undefined template variable: {_undefined_message(exc)}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError((), f"template syntax error: {exc.message}") from None
        except Exception as exc:  # anything a template expression can raise (1/0, bad filter args)
            reason = str(exc)
            reason = reason if len(reason) <= 300 else reason[:300] + "..."
            raise RenderError((), f"template failed: {type(exc).__name__}: {reason}") from None
        return Sensitive(result) if self._touched_secret else result

    def render_value(self, value: Any, context: Mapping[str, Any], path: Path_ = ()) -> Any:
        """Render every string inside `value` (keys stay as written). Mappings and lists are built anew.

        A plain string (no `{{`, `{%`, `{#`: nearly every value of a generated bundle) is taken as it is
        right where it is met, without a call per value; only templates reach `render_string` and Jinja."""
        if isinstance(value, str):
            if not ("{{" in value or "{%" in value or "{#" in value):  # `is_template`, inlined
                return value
            try:
                return self.render_string(value, context)
            except RenderError as exc:
                raise RenderError(path + exc.path, str(exc)) from None
        if isinstance(value, dict):
            return {
                k: v
                if type(v) is str and not ("{{" in v or "{%" in v or "{#" in v)
                else self.render_value(v, context, (*path, k))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                v
                if type(v) is str and not ("{{" in v or "{%" in v or "{#" in v)
                else self.render_value(v, context, (*path, i))
                for i, v in enumerate(value)
            ]
        return value


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


# Values templates read but that are not rendered themselves: a template there would reach the platform as
# its literal text (Jinja never renders a value twice). Rendering them instead would let a secret lose its
# mark: `vars.token | upper` or `'x' ~ item` builds new text that no longer says it came from secret(), and
# would then be printed in every plan. So a template is refused there, with its place.
NOT_RENDERED = {
    "vars": "templates are not rendered in vars: a variable is data that templates read, used as written. "
    "Write the template in the field that uses it (`{{ secret('NAME') }}` there, never in a variable), "
    "or pass a value with --var",
    "for_each": "templates are not rendered in for_each items: an item is data that the entry's templates "
    "read, used as written. Write the template in the field that uses the item (`{{ secret('NAME') }}` "
    "there, never in an item)",
    "target": "templates are not rendered in target: it is read before any template, to choose the "
    "platform. Write the value itself",
    "--var": "a --var value is used as written, never rendered: pass the value itself (a secret is read "
    "with `{{ secret('NAME') }}` in the field that uses it)",
}


def literal_templates(value: Any, path: Path_ = ()) -> list[Path_]:
    """Where `value` (data that is not rendered) holds a template, in document order. Iterative: data can
    nest deeper than Python recurses."""
    found: list[Path_] = []
    pending: list[tuple[Path_, Any]] = [(path, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str):
            if is_template(item):
                found.append(where)
        elif isinstance(item, dict):
            pending.extend(reversed([((*where, k), v) for k, v in item.items()]))
        elif isinstance(item, list):
            pending.extend(reversed([((*where, i), v) for i, v in enumerate(item)]))
    return found


def secret_placeholder(name: str) -> str:
    """What `secret('NAME')` renders to where secret values are not read (never sent anywhere)."""
    return f"<secret {name}>"


def _count_values(data: Any) -> int:
    count, pending = 0, [data]
    while pending:
        item = pending.pop()
        count += 1
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return count


def field_name(path: Path_) -> str:
    """`input.data.regions[0]`: a field as its author would name it."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _undefined_message(exc: jinja2.UndefinedError) -> str:
    message = exc.message or str(exc)
    return message.replace("'dict object'", "the mapping").replace("jinja2.", "")


def expansions(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The template contexts one entry expands into: one without `for_each`, one per item with it."""
    items = entry.get("for_each")
    if items is None:
        return [{}]
    if isinstance(items, dict):
        return [{"key": k, "value": v, "item": k} for k, v in items.items()]
    return [{"item": item} for item in items]


def merge_defaults(
    defaults: Mapping[str, Any], schedule: Mapping[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    """`defaults` under `schedule`: mappings merge key by key, the schedule wins; returns the fields taken
    from defaults. A schedule that names its own timing form takes only timezone/start/end from defaults.

    Neither input is changed; the result shares the values it took with them (no copies: rendering, which
    comes next, builds every mapping and list it returns anew)."""
    merged = dict(schedule)
    taken: set[str] = set()
    for key, value in defaults.items():
        if key not in merged or merged[key] is None:
            merged[key] = value
            taken.add(key)
        elif key == "when" and isinstance(value, dict) and isinstance(merged[key], dict):
            own = merged[key] = dict(merged[key])
            own_form = any(own.get(f) is not None for f in _TIMING_FORMS)
            for sub, sub_value in value.items():
                if sub in own or (own_form and sub not in _WHEN_SHARED):
                    continue
                own[sub] = sub_value
                taken.add(f"when.{sub}")
        elif isinstance(value, dict) and isinstance(merged[key], dict):
            own = merged[key] = dict(merged[key])
            for sub, sub_value in value.items():
                if sub not in own:
                    own[sub] = sub_value
                    taken.add(f"{key}.{sub}")
    return merged, taken


def render_schedules(
    schedules: list[dict[str, Any]],
    defaults: Mapping[str, Any],
    variables: Mapping[str, Any],
    renderer: Renderer,
    on_error: Callable[[Path_, str], None],
) -> list[RenderedEntry]:
    """Expand and render every entry; report each failure through `on_error(document_path, message)`."""
    rendered: list[RenderedEntry] = []
    from_defaults = _count_values(defaults)
    for index, entry in enumerate(schedules):
        templated = literal_templates(entry.get("for_each"), ("for_each",))
        for path in templated:
            on_error(("schedules", index, *path), f"{field_name(path)}: {NOT_RENDERED['for_each']}")
        if templated:
            continue  # its names and values would be built from the literal text
        contexts = expansions(entry)
        body = {k: v for k, v in entry.items() if k != "for_each"}  # never changed: merged and rendered anew
        copied = _count_values(body) + from_defaults
        renderer.expanded += len(contexts) * copied
        if renderer.expanded > MAX_EXPANDED_VALUES:
            on_error(
                ("schedules", index, "for_each") if "for_each" in entry else ("schedules", index),
                f"schedules expand to more than {MAX_EXPANDED_VALUES} values in all (for_each items times the "
                "values of their entry); split the bundle",
            )
            break
        for extra in contexts:
            context = {"vars": variables, **extra}
            merged, taken = merge_defaults(defaults, body)
            try:
                data = {key: renderer.render_value(value, context, (key,)) for key, value in merged.items()}
            except RenderError as exc:
                top = str(exc.path[0]) if exc.path else ""
                dotted = ".".join(str(p) for p in exc.path[:2])
                base: Path_ = ("defaults",) if top in taken or dotted in taken else ("schedules", index)
                on_error(base + exc.path, f"{field_name(exc.path)}: {exc}" if exc.path else str(exc))
                continue
            rendered.append(RenderedEntry(data, index, taken))
    return rendered
