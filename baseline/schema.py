"""The Pulumi component package: schema and provider for every exported component.

Pulumi's component analyzer (``pulumi.provider.experimental``) infers the schema from each
component's ``__init__(self, name, args: XArgs, opts)`` annotation, the args' field annotations
and docstrings, and the component's annotated output attributes. It reads optionality only from
``Optional[...]``; our arguments declare real defaults (:mod:`secbaseline.baseline.args`), so
:class:`BaselineAnalyzer` also marks every argument with a default as optional. Nothing else
differs from Pulumi's analyzer.

``provider/__main__.py`` serves the package (``pulumi package add``); ``schema.json`` at the
repository root is the committed schema, and a test holds it equal to :func:`package_schema`.
"""

import json
from typing import Any

from pulumi.provider.experimental.analyzer import Analyzer, PropertyDefinition
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.schema import generate_schema
from pulumi.provider.provider import Provider
from pulumi.resource import ComponentResource
from pydantic.alias_generators import to_camel

PACKAGE_NAME = "secbaseline"
SCHEMA_VERSION = "0.0.0"
"""The version recorded in ``schema.json`` (the served package reports its own)."""


class BaselineAnalyzer(Analyzer):
    """Pulumi's analyzer, plus: an argument with a default is optional."""

    def analyze_type(
        self, typ: type, *, is_component_output: bool
    ) -> tuple[dict[str, PropertyDefinition], dict[str, str]]:
        properties, mapping = super().analyze_type(typ, is_component_output=is_component_output)
        fields = getattr(typ, "__pydantic_fields__", None)
        if fields and not is_component_output:
            for name, info in fields.items():
                if not info.is_required() and to_camel(name) in properties:
                    properties[to_camel(name)].optional = True
        return properties, mapping


def exported_components() -> list[type[ComponentResource]]:
    """Every component ``secbaseline.components`` exports, in ``__all__`` order."""
    from secbaseline import components

    found = [getattr(components, name) for name in components.__all__]
    return [c for c in found if isinstance(c, type) and issubclass(c, ComponentResource)]


def package_schema(
    components: list[type[ComponentResource]] | None = None, version: str = SCHEMA_VERSION
) -> dict[str, Any]:
    """The package schema Pulumi would infer (as JSON data)."""
    chosen = exported_components() if components is None else components
    result = BaselineAnalyzer(PACKAGE_NAME).analyze(chosen)
    schema = generate_schema(
        PACKAGE_NAME,
        version,
        None,
        result["component_definitions"],
        result["type_definitions"],
        sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}"),
    )
    data: dict[str, Any] = schema.to_json()
    return data


def render_schema() -> str:
    """``schema.json``'s text: sorted keys, two-space indent, final newline."""
    return json.dumps(package_schema(), indent=2, sort_keys=True) + "\n"


class BaselineProvider(ComponentProvider):
    """Pulumi's component provider with :class:`BaselineAnalyzer`."""

    def __init__(self, components: list[type[ComponentResource]], version: str) -> None:
        self._name = PACKAGE_NAME
        self.analyzer = BaselineAnalyzer(PACKAGE_NAME)
        result = self.analyzer.analyze(components)
        self._components = {component.__name__: component for component in components}
        self._component_defs = result["component_definitions"]
        self._type_defs = result["type_definitions"]
        self._external_enum_types = result["external_enum_types"]
        self._dependencies = sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}")
        schema = generate_schema(
            PACKAGE_NAME,
            version,
            None,
            self._component_defs,
            self._type_defs,
            self._dependencies,
        )
        Provider.__init__(self, version, json.dumps(schema.to_json()))


def serve(argv: list[str]) -> None:
    """Run the component provider (what ``pulumi package add`` starts)."""
    from pulumi.provider import main

    from secbaseline import __version__

    main(BaselineProvider(exported_components(), __version__), argv)
