"""Message templates: checked when saved (``check_template``), rendered in a capped sandbox (``render``).

A template is Jinja2 in an ``ImmutableSandboxedEnvironment`` with ``StrictUndefined`` over plain data
(``sms.context``). What it may contain is a short list, checked on the syntax tree before anything runs:

* names: ``lead``, ``agent_name``, ``campaign``, ``callback`` and loop variables; ``lead.X`` /
  ``lead["X"]`` only for the fields given to ``check_template`` (the lead fields and the imported columns),
  ``campaign.name``, ``callback.date|time|zone``; an attribute or key starting with ``_`` never;
* tags: ``{{ }}``, ``{% if %}``, ``{% for %}`` (not recursive) and ``{% filter %}``; no ``set``,
  ``macro``, ``call``, ``include``, ``import``, ``extends``, ``with``, ``block`` (no way to build a value
  that grows, or to reach another template);
* filters of ``FILTERS`` and calls of the string methods of ``STRING_METHODS`` only; no globals at all
  (``range``, ``cycler``, ``joiner``, ``lipsum``, ``namespace`` are not there).

Rendering is capped, so a template that passed the checks still cannot run away: every loop iteration and
call counts against ``MAX_STEPS`` and the clock against ``MAX_RENDER_S`` (a ``for`` loop's iterable is
wrapped in a counting generator by rewriting the syntax tree; the check raises inside the render, so no
thread is left running), ``*`` on text or lists and ``**`` are bounded, ``%`` on text is refused, and the
output stops at ``MAX_OUTPUT_CHARS``. The sandbox itself still refuses ``_`` attributes at render time.

Errors: ``TemplateRefused`` (a ``ValueError``) with a stable ``code``, its ``params``, the ``field`` it names
(or None) and an English ``reason``; ``RenderFailed`` is the render-time kind (a value missing for this
recipient, a cap reached).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.defaults import DEFAULT_FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from sms.context import CALLBACK_FIELDS, CAMPAIGN_FIELDS, CONTEXT_NAMES
from sms.plain import without_diacritics

MAX_TEMPLATE_CHARS = 2000
MAX_OUTPUT_CHARS = 5000
MAX_STEPS = 5000              # loop iterations and calls in one render
MAX_RENDER_S = 0.25
MAX_POWER_BITS = 4096

ENGLISH: dict[str, str] = {
    "too_long": "the template is longer than {limit} characters",
    "syntax": "line {line}: {message}",
    "unknown_field": "unknown field '{field}'; the fields are {known}",
    "unsafe_name": "'{field}' is not allowed: a name starting with _ would reach Python's internals",
    "dynamic_field": "lead[...] must name a field in quotes, e.g. lead[\"first_name\"]",
    "tag": "{{% {tag} %}} is not allowed in an SMS template",
    "call": "calling {field}() is not allowed; the string methods allowed are {known}",
    "filter": "the filter '{field}' is not available; the filters are {known}",
    "missing_value": "this message has no value for '{field}'",
    "limit": "the template was stopped: {what}",
    "not_allowed": "the template tried something that is not allowed: {detail}",
    "failed": "the template could not be filled in: {detail}",
    "name_missing": "give the template a name (at most 100 characters)",
    "name_taken": "a template named '{name}' already exists for this campaign",
    "empty": "the template is empty",
}

STRING_METHODS = frozenset({"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "casefold",
                            "swapcase", "startswith", "endswith", "isdigit", "isalpha"})
_ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name, nodes.Getattr,
                  nodes.Getitem, nodes.Slice, nodes.Filter, nodes.Test, nodes.CondExpr, nodes.Compare,
                  nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Neg, nodes.Pos, nodes.Concat, nodes.Add,
                  nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow, nodes.List,
                  nodes.Tuple, nodes.Dict, nodes.Pair, nodes.Keyword, nodes.Call, nodes.If, nodes.For,
                  nodes.FilterBlock)
_TAGS = {"Assign": "set", "AssignBlock": "set", "Macro": "macro", "CallBlock": "call", "Include": "include",
         "Import": "import", "FromImport": "from", "Extends": "extends", "Block": "block", "With": "with",
         "ExprStmt": "do", "NSRef": "set", "Scope": "with", "ScopedEvalContextModifier": "autoescape",
         "EvalContextModifier": "autoescape", "Break": "break", "Continue": "continue"}
_GUARD = "sms_counted_loop"    # the name the rewritten loops call; a template cannot name it (no globals)
_MISSING = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'|has no element '?([^']+?)'?$")


class TemplateRefused(ValueError):
    """A template that may not be saved or sent: ``code`` (``ENGLISH``), ``params``, the ``field`` named
    (or None) and the English ``reason``."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = {k: str(v) for k, v in params.items()}
        self.field: str | None = self.params.get("field")
        self.reason = ENGLISH[code].format(**self.params)
        super().__init__(self.reason)


class RenderFailed(TemplateRefused):
    """Rendering for one recipient failed (a value missing, a cap reached, a refused operation)."""


class _RenderLimit(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class _Budget:
    __slots__ = ("deadline", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + MAX_RENDER_S

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _RenderLimit(f"more than {MAX_STEPS} loop iterations and calls")
        if time.monotonic() > self.deadline:
            raise _RenderLimit(f"it ran longer than {MAX_RENDER_S} s")


_budget: ContextVar[_Budget] = ContextVar("sms_template_budget")


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _budget.get()
    for item in iterable:
        budget.step()
        yield item


def _bounded_size(value: Any, times: Any) -> None:
    if isinstance(value, (str, list, tuple)) and isinstance(times, int) and len(value) * times > MAX_OUTPUT_CHARS:
        raise _RenderLimit(f"repeating a text or list makes more than {MAX_OUTPUT_CHARS} items")


def _replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if count is not None:
        hits = min(hits, max(count, 0))
    if len(text) + hits * len(new) > MAX_OUTPUT_CHARS:
        raise _RenderLimit(f"replace makes more than {MAX_OUTPUT_CHARS} characters")
    return text.replace(old, new, -1 if count is None else count)


_SAFE_FILTER_NAMES = ("upper", "lower", "title", "capitalize", "trim", "default", "d", "truncate", "length",
                      "count", "first", "last", "join", "int", "float", "round", "string", "abs", "wordcount")
FILTERS: dict[str, Any] = {**{name: DEFAULT_FILTERS[name] for name in _SAFE_FILTER_NAMES},
                           "replace": _replace, "plain": without_diacritics}


class _SmsSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with no globals, a short list of filters, counted calls and bounded operators."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if obj is _counted:
            return _counted(*args)
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        allowed = (isinstance(owner, str) and name in STRING_METHODS) or \
            (isinstance(owner, LoopContext) and name in ("cycle", "changed"))
        if not allowed:
            raise SecurityError(f"{name or type(obj).__name__}() may not be called")
        _budget.get().step()
        return super().call(context, obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        # the context is dicts of plain data: read a key first (the sandbox tries the attribute first,
        # and the AttributeError that raises costs more than the rest of a lookup)
        if type(obj) is dict and attribute in obj and not attribute.startswith("_"):
            return obj[attribute]
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            _bounded_size(left, right)
            _bounded_size(right, left)
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and \
                    max(abs(left).bit_length(), 1) * abs(right) > MAX_POWER_BITS:
                raise _RenderLimit(f"a power larger than {MAX_POWER_BITS} bits")
        elif operator == "%" and isinstance(left, str):
            raise SecurityError("formatting text with % is not allowed; write {{ value }} instead")
        return super().call_binop(context, operator, left, right)


_ENV = _SmsSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_ENV.globals.clear()
_ENV.filters = FILTERS


def _known(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def _check_tree(tree: nodes.Template) -> None:
    """Refuse what a template may not contain (module docstring), naming it."""
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED_NODES):
            raise TemplateRefused("tag", tag=_TAGS.get(type(node).__name__, type(node).__name__.lower()))
        if isinstance(node, nodes.For) and node.recursive:
            raise TemplateRefused("tag", tag="for ... recursive")
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            raise TemplateRefused("unsafe_name", field=node.attr)
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and \
                isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            raise TemplateRefused("unsafe_name", field=node.arg.value)
        if isinstance(node, nodes.Call):
            callee = node.node
            if not isinstance(callee, nodes.Getattr) or callee.attr not in STRING_METHODS | {"cycle", "changed"}:
                name = callee.attr if isinstance(callee, nodes.Getattr) else getattr(callee, "name", "?")
                raise TemplateRefused("call", field=name, known=_known(STRING_METHODS))
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise TemplateRefused("filter", field=node.name, known=_known(FILTERS))
    unknown = sorted(meta.find_undeclared_variables(tree) - set(CONTEXT_NAMES))
    if unknown:
        raise TemplateRefused("unknown_field", field=unknown[0], known=_known(CONTEXT_NAMES))


def _count_loops(tree: nodes.Template) -> nodes.Template:
    """Every ``for`` loop iterates through ``_counted``, which charges the render's budget per item."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Call(nodes.Name(_GUARD, "load"), [loop.iter], [], None, None)
    return tree


def _parse(body: str) -> nodes.Template:
    if len(body) > MAX_TEMPLATE_CHARS:
        raise TemplateRefused("too_long", limit=MAX_TEMPLATE_CHARS)
    try:
        return _ENV.parse(body)
    except TemplateSyntaxError as exc:
        raise TemplateRefused("syntax", line=exc.lineno, message=exc.message or "syntax error") from None


@lru_cache(maxsize=512)
def _compiled(body: str) -> Template:
    tree = _parse(body)
    _check_tree(tree)
    try:
        code = _ENV.compile(_count_loops(tree))
    except TemplateSyntaxError as exc:              # e.g. an assertion the compiler makes
        raise TemplateRefused("syntax", line=exc.lineno, message=exc.message or "syntax error") from None
    return _ENV.template_class.from_code(_ENV, code, {_GUARD: _counted}, None)


def _field_of(node: nodes.Node, owner: str) -> tuple[str | None, bool]:
    """The field ``node`` reads from the context name ``owner`` (``owner.X`` or ``owner["X"]``), and
    whether it is read with a key that is not a constant."""
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == owner:
        return node.attr, False
    if isinstance(node, nodes.Getitem) and isinstance(node.node, nodes.Name) and node.node.name == owner:
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            return node.arg.value, False
        return None, True
    return None, False


def check_template(body: str, fields: frozenset[str]) -> None:
    """Refuse (``TemplateRefused``) a template that may not be saved: too long, a syntax error, a name, tag,
    filter or call not allowed, or a lead field not in ``fields`` (the field is named)."""
    _compiled(body)
    tree = _parse(body)
    allowed = {"lead": fields, "campaign": CAMPAIGN_FIELDS, "callback": CALLBACK_FIELDS}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        for owner, known in allowed.items():
            field, dynamic = _field_of(node, owner)
            if dynamic:
                raise TemplateRefused("dynamic_field", field=owner)
            if field is not None and field not in known:
                raise TemplateRefused("unknown_field", field=f"{owner}.{field}" if owner != "lead" else field,
                                      known=_known(known))


def render(body: str, context: Mapping[str, Any], *, plain: bool = False) -> str:
    """``body`` filled in with ``context`` (``sms.context.message_context``), without diacritics when
    ``plain``; ``TemplateRefused`` for a template that could not be saved, ``RenderFailed`` when this
    context lacks a value it needs or a cap is reached."""
    template = _compiled(body)
    token = _budget.set(_Budget())
    try:
        out: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise _RenderLimit(f"the message grew over {MAX_OUTPUT_CHARS} characters")
            out.append(chunk)
        text = "".join(out)
    except _RenderLimit as exc:
        raise RenderFailed("limit", what=exc.what) from None
    except SecurityError as exc:
        raise RenderFailed("not_allowed", detail=str(exc)) from None
    except UndefinedError as exc:
        found = _MISSING.search(str(exc.message or ""))
        field = next((g for g in found.groups() if g), None) if found else None
        if field is None:
            raise RenderFailed("failed", detail=str(exc.message or exc)) from None
        raise RenderFailed("missing_value", field=field) from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, RecursionError) as exc:
        raise RenderFailed("failed", detail=str(exc)) from None
    finally:
        _budget.reset(token)
    return without_diacritics(text) if plain else text
