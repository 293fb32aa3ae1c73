"""Generated parts of the docs: each component page's inputs table, and ``schema.json``.

The tables come from the argument declarations (:mod:`secbaseline.baseline.args`): Python name,
config key, type, whether it takes an ``Output``, default, allowed values and the field's
docstring. ``make docs`` rewrites them between the markers below; a test fails when a page or
the schema is stale.
"""

import dataclasses
import enum
import inspect
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.resource import ComponentResource
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticUndefined

from secbaseline.baseline.args import field_hints, input_fields
from secbaseline.baseline.schema import exported_components, render_schema

ROOT = Path(__file__).resolve().parent.parent
DOCS_DIR = ROOT / "docs" / "components"
SCHEMA_FILE = ROOT / "schema.json"
BEGIN = "<!-- inputs:begin (generated from the argument declarations by `make docs`) -->"
END = "<!-- inputs:end -->"

_DOCSTRINGS = Analyzer("secbaseline")


def args_class(component: type[ComponentResource]) -> type:
    """The ``args`` class a component's ``__init__`` declares."""
    hint = inspect.get_annotations(component.__init__)["args"]
    if not isinstance(hint, type):
        raise TypeError(f"{component.__name__}.__init__: `args` must be annotated with a class")
    return hint


def page_of(component: type[ComponentResource]) -> Path:
    """``docs/components/<module>.md``."""
    return DOCS_DIR / f"{component.__module__.rsplit('.', 1)[-1]}.md"


def _unwrap(hint: Any) -> Any:
    """Drop ``None`` and the Awaitable/Output branches of ``pulumi.Input``."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        plain = [
            a
            for a in args
            if a is not type(None)
            and typing.get_origin(a) is not typing.get_origin(typing.Awaitable[int])
            and not isinstance(a, typing.ForwardRef)
            and "Output" not in getattr(a, "__name__", "")
            and "Output" not in str(typing.get_origin(a))
        ]
        if len(plain) == 1:
            return _unwrap(plain[0])
    return hint


def type_text(hint: Any) -> str:
    """A short readable type: ``str``, ``list of str``, ``map of str``, ``ObjectLock``."""
    hint = _unwrap(hint)
    origin = typing.get_origin(hint)
    if origin in (list, Sequence, typing.Sequence) or origin is tuple:
        return f"list of {type_text(typing.get_args(hint)[0])}"
    if origin in (dict, Mapping, typing.Mapping):
        return f"map of {type_text(typing.get_args(hint)[1])}"
    if hint is Any:
        return "any"
    if isinstance(hint, type):
        return hint.__name__
    return str(hint).replace("typing.", "")


def _default(info: Any) -> str:
    if info.default_factory is not None:
        value = info.default_factory()
    elif info.default is PydanticUndefined:
        return "**required**"
    else:
        value = info.default
    if isinstance(value, enum.Enum):
        return f"`{value.value}`"
    if value is None:
        return "None"
    if isinstance(value, Mapping) and not value:
        return "`{}`"
    if isinstance(value, list | tuple) and not value:
        return "`[]`"
    return f"`{value!r}`" if not dataclasses.is_dataclass(value) else type(value).__name__


def _allowed(hint: Any, info: Any) -> str:
    inner = _unwrap(hint)
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return ", ".join(f"`{m.value}`" for m in inner)
    low = high = None
    for item in info.metadata:
        low = getattr(item, "ge", low)
        high = getattr(item, "le", high)
    if low is not None or high is not None:
        return f"{low if low is not None else ''}-{high if high is not None else ''}"
    return ""


def _nested(hint: Any) -> list[type]:
    """Args dataclasses used inside a field's type."""
    found: list[type] = []
    inner = _unwrap(hint)
    if isinstance(inner, type) and dataclasses.is_dataclass(inner):
        found.append(inner)
    for arg in typing.get_args(inner):
        found += _nested(arg)
    return found


def _docstring(cls: type, name: str) -> str:
    text = _DOCSTRINGS.get_docstring(cls, name) or ""
    return " ".join(text.split()).replace("|", "\\|")


def inputs_table(cls: type, seen: set[type] | None = None) -> list[str]:
    """The markdown table of one args class, then one for each nested args class."""
    seen = set() if seen is None else seen
    seen.add(cls)
    hints = field_hints(cls)
    takes_output = input_fields(cls)
    lines = [
        f"`{cls.__name__}`:",
        "",
        "| argument | config key | type | Output | default | allowed | description |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    nested: list[type] = []
    for name, info in cls.__pydantic_fields__.items():  # type: ignore[attr-defined]
        hint = hints[name]
        lines.append(
            f"| `{name}` | `{info.alias or to_camel(name)}` | {type_text(hint)} | "
            f"{'yes' if takes_output[name] else ''} | {_default(info)} | "
            f"{_allowed(hint, info)} | {_docstring(cls, name)} |"
        )
        nested += [n for n in _nested(hint) if n not in seen and n not in nested]
    for inner in nested:
        lines += ["", *inputs_table(inner, seen)]
    return lines


def render_inputs(component: type[ComponentResource]) -> str:
    """The generated block for a component page (markers included)."""
    body = inputs_table(args_class(component))
    note = (
        "Arguments marked **Output** also take values built in the same program (another "
        "resource's `Output`); they are checked when they resolve. The config key is the "
        "name in the tier's stack-config section."
    )
    return "\n".join([BEGIN, "", note, "", *body, "", END])


def updated_page(text: str, component: type[ComponentResource]) -> str:
    """The page with its generated block replaced (appended under ``## Inputs`` if missing)."""
    block = render_inputs(component)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        return head + block + tail
    raise ValueError(
        f"{page_of(component).name}: no generated inputs block; add the lines\n{BEGIN}\n{END}\n"
        "under its '## Inputs' heading"
    )


def stale_files(components: Sequence[type[ComponentResource]] | None = None) -> list[Path]:
    """Docs pages and schema.json (all components only) that ``make docs`` would change."""
    stale = []
    for component in components or exported_components():
        page = page_of(component)
        text = page.read_text(encoding="utf-8")
        if updated_page(text, component) != text:
            stale.append(page)
    if components is None and (
        not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text(encoding="utf-8") != render_schema()
    ):
        stale.append(SCHEMA_FILE)
    return stale


def write_all(components: Sequence[type[ComponentResource]] | None = None) -> list[Path]:
    """Rewrite every stale generated part; returns what changed."""
    changed = stale_files(components)
    for component in components or exported_components():
        page = page_of(component)
        if page in changed:
            page.write_text(updated_page(page.read_text(encoding="utf-8"), component), "utf-8")
    if SCHEMA_FILE in changed:
        SCHEMA_FILE.write_text(render_schema(), encoding="utf-8")
    return changed


def main(argv: Sequence[str] = ()) -> int:
    """``python -m secbaseline.baseline.docs [Component ...]``: regenerate, print what changed."""
    chosen = [c for c in exported_components() if c.__name__ in argv] if argv else None
    for path in write_all(chosen):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
