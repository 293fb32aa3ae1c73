"""Component arguments, declared once.

Every component's ``...Args`` class is a pydantic dataclass made by :func:`component_args`.
One annotated field with :func:`arg` and a docstring below it is the whole declaration of an
argument; from it come:

* the Python constructor (typed for mypy through ``dataclass_transform``);
* validation of plain values at construction and of ``pulumi.Output`` values when they resolve
  (a bad one fails the deployment naming the argument);
* parsing of the stack-config section (camelCase keys, unknown keys refused with a
  did-you-mean) through :meth:`ComponentArgs.from_config`;
* the inputs table of each ``docs/components/<name>.md`` (:mod:`secbaseline.baseline.docs`);
* the Pulumi component schema (Pulumi's analyzer reads the annotations and docstrings).

Why pydantic dataclasses: pydantic already parses nested config, coerces the text Pulumi
stores for numbers and booleans, maps camelCase aliases and reports every error with its path;
a dataclass keeps plain class annotations, which Pulumi's component analyzer reads.

Errors name the Python argument for Python callers (``vpc_id``) and the config key for stack
files (``database.vpcId``), and never show an object's repr.
"""

import contextvars
import dataclasses
import difflib
import functools
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self, TypeVar, dataclass_transform

import pulumi
import pydantic
from pydantic import AfterValidator, ConfigDict, Field, ValidationError, ValidationInfo
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import rebuild_dataclass
from pydantic_core import ErrorDetails, PydanticUndefined

__all__ = [
    "ArgumentError",
    "ComponentArgs",
    "arg",
    "component_args",
    "config_key",
    "field_hints",
    "input_fields",
]

_T = TypeVar("_T")
_C = TypeVar("_C", bound=type)
# `pulumi.Input[T]` holds the forward reference "Output[T]": pydantic resolves it here.
_NAMESPACE = {"Output": pulumi.Output, "T": _T}
_PLACEHOLDER = "<arg>"
"""Checks raise ``ValueError(f"{field}: ...")``; for plain values ``field`` is this token and
the error's path replaces it."""

ARGS_CONFIG = ConfigDict(
    arbitrary_types_allowed=True,  # pulumi.Output and Awaitable are checked with isinstance
    alias_generator=to_camel,
    validate_by_name=True,
    validate_by_alias=True,
    extra="forbid",
)

Check = Callable[[str, Any], Any]
"""``check(field, value)`` returns the value or raises ``ValueError`` starting with ``field:``."""


class ArgumentError(ValueError):
    """A bad component argument. The message names it and says what is allowed."""


class _Incomplete(Exception):
    """A config section checked on its own holds no bad value; what it lacks the tier sets."""


_SECTION_ONLY = contextvars.ContextVar("section_only", default=False)
"""True while :meth:`ComponentArgs.check_values` checks a section without the tier's values."""
_MISSING = frozenset({"missing", "missing_argument", "missing_keyword_only_argument"})


def config_key(section: str, name: str) -> str:
    """The config key of a Python argument name: ``config_key("db", "vpc_id") == "db.vpcId"``."""
    return f"{section}.{to_camel(name)}" if section else to_camel(name)


def _label(info: ValidationInfo) -> str:
    section = (info.context or {}).get("section")
    name = info.field_name or "?"
    return config_key(section, name) if section is not None else name


def _check_value(check: Check, label: str, value: Any) -> Any:
    """Run ``check`` now on a plain value, or when an Output resolves."""
    if isinstance(value, pulumi.Output):
        return value.apply(lambda resolved: _check_value(check, label, resolved))
    if value is None:
        return value
    return check(label, value)


def _validator(check: Check | None, each: Check | None) -> Callable[[Any, ValidationInfo], Any]:
    def validate(value: Any, info: ValidationInfo) -> Any:
        label = _label(info)
        has_output = _holds_output(value)
        # Plain values: the error is raised now and its path names the argument. Outputs: the
        # check runs when the value resolves and its message carries the label itself.
        name = label if has_output else _PLACEHOLDER
        if each is not None:
            value = _check_value(lambda field, v: _each(each, field, v), name, value)
        if check is not None:
            value = _check_value(check, name, value)
        return value

    return validate


def _each(check: Check, field: str, values: Any) -> Any:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValueError(f"{field}: expected a list")
    return [_check_value(check, f"{field}[{i}]", v) for i, v in enumerate(values)]


def _holds_output(value: Any) -> bool:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, list | tuple):
        return any(_holds_output(v) for v in value)
    if isinstance(value, Mapping):
        return any(_holds_output(v) for v in value.values())
    return False


def arg(
    *,
    default: Any = PydanticUndefined,
    default_factory: Callable[[], Any] | None = None,
    check: Check | None = None,
    each: Check | None = None,
    ge: float | None = None,
    le: float | None = None,
    alias: str | None = None,
) -> Any:
    """Declare an argument: its default, range (``ge``/``le``) and checks.

    ``check(field, value)`` validates the whole value, ``each(field, item)`` every item of a
    list; both run on plain values at construction and on ``Output`` values when they resolve.
    The docstring under the field is its documentation (docs table and component schema).
    """
    info: Any = (
        Field(default_factory=default_factory, ge=ge, le=le, alias=alias)
        if default_factory is not None
        else Field(default, ge=ge, le=le, alias=alias)
    )
    if check is not None or each is not None:
        info.metadata.append(AfterValidator(_validator(check, each)))
    return info


class ComponentArgs:
    """Base of every ``...Args`` class: config parsing and the component-package entry."""

    @classmethod
    def from_config(cls, section: str, raw: Mapping[str, Any], **values: Any) -> Self:
        """Build from a stack-config section (camelCase keys); ``values`` are set by the tier
        (Python names). Errors name ``<section>.<key>``."""
        if not isinstance(raw, Mapping):
            raise ArgumentError(f"{section}: expected a mapping of options, got {_kind(raw)}")
        data = {str(k): v for k, v in raw.items()} | values
        adapter = pydantic.TypeAdapter(cls)
        try:
            return adapter.validate_python(data, context={"section": section})
        except ValidationError as error:
            errors = error.errors(include_url=False, include_context=True, include_input=True)
            if _SECTION_ONLY.get():
                # Without the tier's values: required ones are missing and checks across
                # arguments (no location) may not hold yet; only the section's own values count.
                errors = [e for e in errors if e["loc"] and e["type"] not in _MISSING]
                if not errors:
                    raise _Incomplete from None
            raise ArgumentError(describe(errors, cls, section)) from None

    @classmethod
    def check_values(
        cls, section: str, raw: Mapping[str, Any], *, extra: Sequence[str] = ()
    ) -> None:
        """Check the values a config section sets, as :meth:`from_config` would, before the tier
        builds anything: a bad value fails the program before the first resource is
        registered, not halfway through ``pulumi up``. Arguments the tier sets are not needed;
        ``extra`` keys are the tier's own (such as ``enabled``) and are skipped."""
        if not isinstance(raw, Mapping):
            raise ArgumentError(f"{section}: expected a mapping of options, got {_kind(raw)}")
        token = _SECTION_ONLY.set(True)
        try:
            cls.from_config(section, {k: v for k, v in raw.items() if k not in extra})
        except _Incomplete:
            pass
        finally:
            _SECTION_ONLY.reset(token)

    @classmethod
    def check_keys(cls, section: str, raw: Mapping[str, Any], *, extra: Sequence[str] = ()) -> None:
        """Refuse unknown keys in a config section without building the args (for a section
        that is switched off, whose required values may be missing). ``extra`` are keys the
        tier reads itself (such as ``enabled``)."""
        if not isinstance(raw, Mapping):
            raise ArgumentError(f"{section}: expected a mapping of options, got {_kind(raw)}")
        fields = getattr(cls, "__pydantic_fields__", {})
        known = [info.alias or to_camel(name) for name, info in fields.items()] + list(extra)
        problems = [
            _unknown(f"{section}.{key}", str(key), known) for key in raw if key not in known
        ]
        if problems:
            raise ArgumentError("; ".join(problems))

    @classmethod
    def coerce(cls, args: "Self | Mapping[str, Any] | None") -> Self:
        """The args a component was given: an instance, or a mapping of Python names (what the
        Pulumi component provider passes for other languages)."""
        if isinstance(args, cls):
            return args
        if args is None:
            return cls()
        if isinstance(args, Mapping):
            return cls(**args)
        raise ArgumentError(f"args: expected {cls.__name__}, got {_kind(args)}")


@dataclass_transform(field_specifiers=(arg, Field))
def component_args(cls: _C) -> _C:
    """Make ``cls`` a validated arguments dataclass (see the module docstring)."""
    made: Any = pydantic.dataclasses.dataclass(cls, config=ARGS_CONFIG)
    rebuild_dataclass(made, _types_namespace=_NAMESPACE, force=True)
    validated_init = made.__init__

    @functools.wraps(validated_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            validated_init(self, *args, **kwargs)
        except ValidationError as error:
            details = error.errors(include_url=False, include_context=True, include_input=True)
            raise ArgumentError(describe(details, made, None)) from None

    made.__init__ = __init__
    return typing.cast(_C, made)


# --- turning pydantic's errors into one line per argument ------------------------------------

_BRANCH = re.compile(r"^(is-instance\[.*\]|str|int|float|bool|list\[.*\]|dict\[.*\]|function-.*)$")


def _kind(value: object) -> str:
    """What a value is, for messages (never an object repr)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return repr(value)
    if isinstance(value, pulumi.Output):
        return "an Output"
    return f"a {type(value).__name__}"


def _dataclass_of(annotation: Any) -> type | None:
    """The args dataclass inside an annotation (through Optional, lists and mappings)."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return annotation
    for inner in typing.get_args(annotation):
        found = _dataclass_of(inner)
        if found is not None:
            return found
    return None


def field_hints(cls: type | None) -> dict[str, Any]:
    """Each field's resolved annotation (empty for anything but an args dataclass)."""
    if cls is None or not dataclasses.is_dataclass(cls):
        return {}
    hints = typing.get_type_hints(cls, localns=_NAMESPACE)
    return {f.name: hints.get(f.name) for f in dataclasses.fields(cls)}


_fields = field_hints


def _path(root: type, loc: Sequence[int | str], section: str | None) -> tuple[str, type | None]:
    """The label of a location and the dataclass that holds its last part."""
    parts: list[str] = [section] if section else []
    cls: type | None = root
    owner: type | None = root
    for item in loc:
        if isinstance(item, int):
            if parts:
                parts[-1] += f"[{item}]"
            continue
        if _BRANCH.match(item):
            continue
        fields = _fields(cls)
        name = item
        if name not in fields:  # given by alias
            name = next((f for f in fields if to_camel(f) == item), item)
        owner = cls
        # Field names become config keys; mapping keys (regions, ...) stay as written.
        parts.append(to_camel(name) if section is not None and name in fields else name)
        cls = _dataclass_of(fields.get(name))
    return ".".join(parts), owner


def _rename(message: str, cls: type | None, section: str | None) -> str:
    """Python argument names in a check's message become config keys for stack files."""
    if section is None:
        return message
    for name in _fields(cls):
        if "_" in name:
            message = re.sub(rf"\b{name}\b", to_camel(name), message)
    return message


def describe(errors: Sequence[ErrorDetails], root: type, section: str | None) -> str:
    """One line per bad argument, each naming it; union branches are folded into one."""
    lines: dict[str, str] = {}
    for item in errors:
        loc = item["loc"]
        kind = item["type"]
        label, owner = _path(root, loc, section)
        if kind in ("unexpected_keyword_argument", "extra_forbidden"):
            key = str(loc[-1])
            parent_label, _ = _path(root, loc[:-1], section)
            parent = _dataclass_of(root) if len(loc) == 1 else _class_at(root, loc[:-1])
            known = [to_camel(f) if section is not None else f for f in _fields(parent)]
            where = f"{parent_label}.{key}" if parent_label else key
            lines.setdefault(where, _unknown(where, key, known))
            continue
        if kind in _MISSING:
            lines.setdefault(label, f"{label}: required")
            continue
        message = item["msg"]
        if kind == "value_error":
            text = message.removeprefix("Value error, ")
            text = _rename(text, owner if _PLACEHOLDER in text else _class_at(root, loc), section)
            if _PLACEHOLDER in text:
                text = text.replace(_PLACEHOLDER, label or "args")
            elif label and not text.startswith((f"{label}.", f"{label}:")):
                text = f"{label}.{text}" if re.match(r"^\w+:", text) else f"{label}: {text}"
            lines[label] = text
            continue
        if label in lines:  # another branch of the same union already explained it
            continue
        got = _kind(item.get("input"))
        bounds = _bounds(owner, loc)
        if kind in _RANGE_ERRORS and bounds:
            lines[label] = f"{label}: {got} is out of range {bounds}"
            continue
        if kind == "is_instance_of" or _BRANCH.match(str(loc[-1]) if loc else ""):
            message = message.replace("Input should be", "expected")
        lines[label] = (
            f"{label or 'args'}: {message.replace('Input should be', 'expected')}, got {got}"
        )
    return "; ".join(lines.values())


def _unknown(where: str, key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(known)}"
    return f"{where}: unknown option; {hint}"


_RANGE_ERRORS = frozenset({"greater_than_equal", "less_than_equal", "greater_than", "less_than"})


def _bounds(owner: type | None, loc: Sequence[int | str]) -> str:
    """``"1-3650"`` for a field declared with ``ge=1, le=3650`` (empty when it has none)."""
    names = [item for item in loc if isinstance(item, str) and not _BRANCH.match(item)]
    fields = getattr(owner, "__pydantic_fields__", {}) if names else {}
    info = fields.get(names[-1]) if names else None
    if info is None:
        info = next((f for n, f in fields.items() if to_camel(n) == names[-1]), None)
    low = high = None
    for item in getattr(info, "metadata", ()):
        low = getattr(item, "ge", low)
        high = getattr(item, "le", high)
    if low is None and high is None:
        return ""
    return (
        f"{_number(low)}-{_number(high)}"
        if low is not None and high is not None
        else (f"at least {_number(low)}" if low is not None else f"at most {_number(high)}")
    )


def _number(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _class_at(root: type, loc: Sequence[int | str]) -> type | None:
    cls: type | None = root
    for item in loc:
        if isinstance(item, int) or _BRANCH.match(item):
            continue
        fields = _fields(cls)
        name = item if item in fields else next((f for f in fields if to_camel(f) == item), item)
        cls = _dataclass_of(fields.get(name))
    return cls


def input_fields(cls: type) -> dict[str, bool]:
    """Each argument's Python name and whether it accepts an ``Output``."""
    out: dict[str, bool] = {}
    for name, hint in _fields(cls).items():
        out[name] = _accepts_output(hint)
    return out


def _accepts_output(hint: Any) -> bool:
    if hint is pulumi.Output or typing.get_origin(hint) is pulumi.Output:
        return True
    if isinstance(hint, typing.ForwardRef) and hint.__forward_arg__.startswith("Output"):
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_accepts_output(a) for a in typing.get_args(hint))
    if origin in (list, tuple, Sequence, dict, Mapping):
        # Sequence[Input[str]] and Mapping[str, Input[str]]: the items may be Outputs.
        return any(_accepts_output(a) for a in typing.get_args(hint))
    return False
