"""The Jinja environment bundle templates render in: sandboxed, and bounded in time and memory.

Used by `render` (third step of the pipeline). Jinja's own sandbox stops templates reaching Python internals
(`''.__class__`, `__globals__`), not templates that run for hours or build gigabytes: `lipsum(10**6)`,
`'x' * 10**9`, `'x'.ljust(10**9)`, `10**10**9`, nested loops, recursive macros. Here every loop iteration,
call, filter, operator and output is counted or checked first, against the limits below, for all the
templates of one run together; going over one raises `TemplateLimit`, which the renderer reports as a
refused template at its place in the bundle.
"""

from __future__ import annotations

import functools
import inspect
import re
import string
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_TEXT = 1_000_000  # characters (or items) in any one value a template builds or works on
MAX_WORK = 50_000_000  # characters built or worked on by all the templates of one run
MAX_STEPS = 200_000  # renders, loop iterations, calls and filters run by all the templates of one run
MAX_RANGE = 100_000  # numbers in one range()
MAX_INT_BITS = 4096  # numbers a template computes (about 1,200 digits)

# Methods a template may call on plain values; others are refused. Some build huge values in one C call
# (`int.to_bytes`, `str.expandtabs`, `str.translate`), and none is needed to fill in a schedule.
_STR_METHODS = frozenset(
    [
        "capitalize",
        "casefold",
        "center",
        "count",
        "endswith",
        "find",
        "format",
        "format_map",
        "index",
        "isalnum",
        "isalpha",
        "isascii",
        "isdecimal",
        "isdigit",
        "islower",
        "isnumeric",
        "isspace",
        "istitle",
        "isupper",
        "join",
        "ljust",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "replace",
        "rfind",
        "rindex",
        "rjust",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
        "zfill",
    ]
)
_SAFE_METHODS: tuple[tuple[type, frozenset[str]], ...] = (
    (str, _STR_METHODS),
    (dict, frozenset({"get", "items", "keys", "values"})),
    (list, frozenset({"count", "index"})),
    (tuple, frozenset({"count", "index"})),
)
_PLAIN_TYPES = (str, bytes, int, float, complex, dict, list, tuple, set, frozenset, range)
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
# Filters left out: pprint (a second, unbounded repr), xmlattr and urlize (HTML helpers, no use here).
_LEFT_OUT_FILTERS = ("pprint", "xmlattr", "urlize")
# Filters whose arguments say how big the result is: checked by name, with their arguments bound.
_SIZED_FILTERS = frozenset({"join", "replace", "indent", "wordwrap", "tojson", "format"})
# Filters whose numbers are values, not sizes.
_VALUE_NUMBER_FILTERS = frozenset({"format", "default", "d", "sum", "round", "int", "float", "abs"})
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?")
_NUMBER = re.compile(r"\d+")
_LOOP_FILTER = "reconciler_loop"  # wraps every `{% for %}` iterable
_TEXT_FILTER = "reconciler_text"  # wraps every output, and every part of a `~` concatenation


class TemplateLimit(Exception):
    """A template would exceed a limit; the message says which, for the bundle's author."""


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox plus a budget: one per run (a `Renderer`), shared by all its templates."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=False)
        self.steps = 0
        self.work = 0
        for name in ("lipsum", "cycler", "joiner"):  # lipsum(10**6) alone takes minutes; none fills a field
            self.globals.pop(name, None)
        self.globals["range"] = self._range
        self.filters = {
            name: self._guarded(name, f) for name, f in self.filters.items() if name not in _LEFT_OUT_FILTERS
        }
        # pass_context: Jinja never runs these at compile time (constant folding), so nothing escapes the count
        self.filters[_LOOP_FILTER] = jinja2.pass_context(lambda _context, value: self._counted(value))
        self.filters[_TEXT_FILTER] = jinja2.pass_context(lambda _context, value: self._text(value))

    def compile_bounded(self, source: str) -> jinja2.Template:
        """Parse, route every loop, output and concatenation through the budget, compile."""
        return self.from_string(_Meter().visit(self.parse(source)))

    # -- accounting ---------------------------------------------------------------------------------------

    def spend_steps(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateLimit(
                f"templates run more than {MAX_STEPS} renders, loop iterations, calls and filters in all"
            )

    def spend(self, *values: Any) -> None:
        """Account for values a template built or is about to work on; refuse one too big for a field."""
        size = 0
        for value in values:
            size += _weight(value, MAX_TEXT - size)
        if size > MAX_TEXT:
            raise TemplateLimit(f"a template builds or uses a value of more than {MAX_TEXT} characters")
        self.work += size
        if self.work > MAX_WORK:
            raise TemplateLimit(f"templates build more than {MAX_WORK} characters in all")

    def _text(self, value: Any) -> str:
        self.spend(value)  # before str(): a list holding one big string many times is small until printed
        text = value if isinstance(value, str) else str(value)
        self.spend(text)
        return text

    def _counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.spend_steps()
            yield item

    def _range(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise TemplateLimit(f"range() of {len(numbers)} numbers (the limit is {MAX_RANGE})")
        return numbers

    # -- the sandbox's hooks ------------------------------------------------------------------------------

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if callable(value) and isinstance(obj, _PLAIN_TYPES):
            return any(isinstance(obj, kind) and attr in names for kind, names in _SAFE_METHODS)
        return True

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # (the odd names keep a template's keyword arguments from colliding with ours, as in Jinja)
        __self.spend_steps()
        receiver = getattr(__obj, "__self__", None)
        __self.spend(receiver if isinstance(receiver, str) else None, *args, *kwargs.values())
        if isinstance(receiver, str):
            _check_str_method(getattr(__obj, "__name__", ""), receiver, args, kwargs)
        if isinstance(__obj, LoopContext) and args:  # `loop(children)` in a recursive for loop
            args = (__self._counted(args[0]), *args[1:])
        result = super().call(__context, __obj, *args, **kwargs)
        __self.spend(result)
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        self.spend(left, right)
        _check_binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        self.spend(result)
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format_spec(value.__self__)
        return wrapped

    def _guarded(self, name: str, filter_: Callable[..., Any]) -> Callable[..., Any]:
        """A built-in filter, checked before it runs (the sizes it would build) and after (what it built)."""
        skip = 1 if getattr(filter_, "jinja_pass_arg", None) is not None else 0
        signature = inspect.signature(filter_) if name in _SIZED_FILTERS else None

        @functools.wraps(filter_)  # keeps Jinja's pass_context / pass_eval_context marker
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.spend_steps()
            if name == "join" and len(args) > skip and not isinstance(args[skip], Sized):
                args = (*args[:skip], list(args[skip]), *args[skip + 1 :])  # count what a generator yields
            self.spend(*args[skip:], *kwargs.values())
            _check_numbers(name, args[skip + 1 :], kwargs)
            if signature is not None:
                _check_sized_filter(name, signature.bind(*args, **kwargs).arguments)
            result = filter_(*args, **kwargs)
            self.spend(result)
            return result

        return guarded


class _Meter(NodeTransformer):
    """Rewrites a parsed template so each `{% for %}` iterable, output and `~` part goes through the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, _LOOP_FILTER)
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [_filter(child, _TEXT_FILTER) for child in node.nodes]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [_filter(child, _TEXT_FILTER) for child in node.nodes]
        return _filter(node, _TEXT_FILTER)


def _filter(node: nodes.Node, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


def _weight(value: Any, limit: int) -> int:
    """About how many characters `value` prints as (strings, numbers, every item of every container);
    stops counting past `limit`. Iterative: a template can nest lists deeper than Python recurses."""
    kind = type(value)
    if kind is str:  # the common cases first: this runs for every call, filter and output
        return len(value)
    if value is None or kind is bool or kind is float:
        return 1
    if kind is int:
        return int(value.bit_length() // 3 + 1)
    total = 0
    pending = [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, dict):
            total += 1
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 1
            pending.extend(item)
        elif isinstance(item, range):
            total += len(item)
        else:
            total += 1
    return total


def _too_big(what: str, size: int) -> TemplateLimit:
    return TemplateLimit(f"{what} would build a value of {size} characters (the limit is {MAX_TEXT})")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "**" and ints and right > 0 and abs(left) > 1:
        bits = left.bit_length() * right
        if bits > MAX_INT_BITS:
            raise TemplateLimit(
                f"{left} ** {right} would have about {bits} bits (the limit is {MAX_INT_BITS})"
            )
    elif operator == "*" and not ints:
        repeated, times = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(times, int) and not isinstance(repeated, int | float):
            size = _weight(repeated, MAX_TEXT) * times
            if size > MAX_TEXT:
                raise _too_big("repeating a value", size)
    elif operator == "+" and not ints:
        size = _weight((left, right), MAX_TEXT)
        if size > MAX_TEXT:
            raise _too_big("joining two values", size)
    elif operator == "%" and isinstance(left, str):
        _check_percent_spec(left)


def _check_percent_spec(text: str) -> None:
    for match in _PERCENT_SPEC.finditer(text):
        for number in match.groups():
            if number == "*":
                raise TemplateLimit("a '%*' width taken from the arguments is not allowed in templates")
            if number is not None and int(number) > MAX_TEXT:
                raise _too_big(f"the format '{match.group(0)}'", int(number))


def _check_format_spec(text: str) -> None:
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return  # str.format reports the broken format itself
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            raise TemplateLimit("a '{...}' nested in a format spec is not allowed in templates")
        for number in _NUMBER.findall(spec or ""):
            if int(number) > MAX_TEXT:
                raise _too_big(f"the format spec '{spec}'", int(number))


def _check_str_method(name: str, text: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    params = [*args, *kwargs.values()]
    if name in _WIDTH_METHODS and params and isinstance(params[0], int) and params[0] > MAX_TEXT:
        raise _too_big(f"{name}({params[0]})", params[0])
    elif name == "replace" and len(params) >= 2:
        _check_replace(text, params[0], params[1], params[2] if len(params) > 2 else -1)
    elif name == "join" and params:
        _check_join(text, params[0])


def _check_numbers(name: str, params: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if name in _VALUE_NUMBER_FILTERS:
        return
    for number in (*params, *kwargs.values()):
        if isinstance(number, int) and not isinstance(number, bool) and abs(number) > MAX_TEXT:
            raise TemplateLimit(f"the filter '{name}' got {number}, more than the limit of {MAX_TEXT}")


def _check_sized_filter(name: str, arguments: dict[str, Any]) -> None:
    value = arguments.get("value", arguments.get("s"))
    if name == "format" and isinstance(value, str):
        _check_percent_spec(value)
    elif name == "replace":
        count = arguments.get("count")
        _check_replace(value, arguments.get("old"), arguments.get("new"), -1 if count is None else count)
    elif name == "join":
        _check_join(arguments.get("d", ""), value)
    elif name == "tojson" and arguments.get("indent") is not None:
        raise TemplateLimit("tojson(indent=...) is not allowed in templates; use tojson")
    elif name == "indent" and isinstance(value, str):
        width = arguments.get("width", 4)
        per_line = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        size = len(value) + (value.count("\n") + 1) * per_line
        if size > MAX_TEXT:
            raise _too_big("indent()", size)
    elif name == "wordwrap" and isinstance(value, str) and isinstance(arguments.get("wrapstring"), str):
        size = len(value) * (1 + len(arguments["wrapstring"]))
        if size > MAX_TEXT:
            raise _too_big("wordwrap()", size)


def _check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    size = len(text) + found * (len(new) - len(old))
    if size > MAX_TEXT:
        raise _too_big("replace()", size)


def _check_join(separator: Any, items: Any) -> None:
    if isinstance(items, Sized) and isinstance(separator, str):
        size = len(items) * len(separator) + _weight(items, MAX_TEXT)
        if size > MAX_TEXT:
            raise _too_big("join()", size)
