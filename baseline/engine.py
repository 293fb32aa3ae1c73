"""The offline engine: run a Pulumi program under the mock runtime and record what it asks for.

Every registered resource (components and providers included) is recorded with its URN, type
token, ``custom`` flag, parent URN, provider reference and inputs in the form Pulumi
serialises them (camelCase keys, secrets and assets as signatures), which is the shape of
``pulumi stack export``'s ``deployment.resources``. Invokes are answered by
:mod:`baseline.fakes`; an unknown invoke fails the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import runpy
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from secbaseline.baseline import fakes
from secbaseline.baseline.fakes import AccountContext
from secbaseline.baseline.settings import SECRET_PLACEHOLDER

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


class OfflineEngineError(RuntimeError):
    """The program failed under the offline engine (an error was logged or raised)."""


@dataclass(frozen=True)
class RecordedResource:
    """One registered resource, as ``pulumi stack export`` would list it."""

    urn: str
    type: str
    custom: bool
    parent: str | None
    provider: str | None
    inputs: dict[str, Any]
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict, compare=False)
    ignore_changes: tuple[str, ...] = field(default=(), compare=False)
    """The ``ignore_changes`` resource option (camelCase property names)."""
    import_id: str | None = None
    """The ``import_`` resource option: Pulumi imports the existing resource with this id
    instead of creating one (docs/adoption.md)."""

    @property
    def operation(self) -> str | None:
        """What ``pulumi up`` does with a new custom resource: ``create`` or ``import``
        (None for components, the stack and providers)."""
        if not self.custom or self.type.startswith("pulumi:providers:"):
            return None
        return "import" if self.import_id is not None else "create"

    @property
    def name(self) -> str:
        """The logical name (last URN segment)."""
        return self.urn.rsplit("::", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        """The plan-format entry (see docs/plan-format.md)."""
        return {
            "urn": self.urn,
            "type": self.type,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "inputs": self.inputs,
            "operation": self.operation,
            "importId": self.import_id,
        }


@dataclass
class Plan:
    """What a program would deploy, in registration order."""

    project: str
    stack: str
    resources: list[RecordedResource]
    settings: dict[str, Any] | None = None
    log: list[str] = field(default_factory=list)
    """What the program logged below error level (``pulumi.log.info``/``warn``), in order."""
    default_region: str | None = None
    """``aws:region`` of the stack: the region of resources on the default provider."""

    def to_json(self) -> dict[str, Any]:
        """The stable plan contract, schemaVersion 2 (docs/plan-format.md)."""
        return {
            "schemaVersion": 2,
            "project": self.project,
            "stack": self.stack,
            "settings": self.settings or {},
            "resources": [r.to_json() for r in self.resources],
        }

    def dumps(self) -> str:
        """Deterministic JSON text of the plan."""
        return json.dumps(self.to_json(), indent=2, sort_keys=True)

    def of_type(self, type_token: str) -> list[RecordedResource]:
        """Resources of one type token."""
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str) -> RecordedResource:
        """The single resource of a type; fails if there are none or several."""
        found = self.of_type(type_token)
        if len(found) != 1:
            raise AssertionError(f"expected one {type_token}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource:
        """The resource with this URN."""
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)

    def children(self, urn: str) -> list[RecordedResource]:
        """Direct children of a resource."""
        return [r for r in self.resources if r.parent == urn]

    def descendants(self, urn: str) -> Iterator[RecordedResource]:
        """All resources below a resource in the parent tree."""
        for child in self.children(urn):
            yield child
            yield from self.descendants(child.urn)

    def imported(self) -> list[RecordedResource]:
        """Resources ``pulumi up`` would import rather than create."""
        return [r for r in self.resources if r.import_id is not None]

    def custom_resources(self) -> list[RecordedResource]:
        """Resources a provider would create (no components, stack or providers)."""
        return [
            r for r in self.resources if r.custom and not r.type.startswith("pulumi:providers:")
        ]

    def region_of(self, resource: RecordedResource) -> str | None:
        """The region a resource lives in: its ``region`` input, else its provider's.

        None for global resources (IAM, Organizations, account-level S3 settings).
        """
        if fakes.is_global(resource.type):
            return None
        region = resource.inputs.get("region")
        if isinstance(region, str):
            return region
        if resource.provider:
            provider_urn = resource.provider.rsplit("::", 1)[0]
            try:
                provider = self.by_urn(provider_urn)
            except KeyError:  # the default provider is not registered by the program
                return self.default_region
            value = provider.inputs.get("region")
            if isinstance(value, str):
                return value
            # The default provider takes the stack's `aws:region`.
            return self.default_region if provider.name.startswith("default") else None
        return self.default_region


def to_plain(value: Any) -> Any:
    """Turn a protobuf-JSON value into plan JSON: integral floats to ints, secrets masked."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return SECRET_PLACEHOLDER
        if sig == RESOURCE_REF_SIG:
            return value.get("id") or value.get("urn")
        if sig in (ASSET_SIG, ARCHIVE_SIG) and isinstance(value.get("path"), str):
            value = {**value, "path": _portable(value["path"])}
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _portable(path: str) -> str:
    """Asset paths inside this repository relative to it, so plans match across checkouts."""
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path


def _default_provider_ref(stack: str, project: str, package: str) -> str:
    version = metadata.version(f"pulumi_{package}").replace(".", "_")
    urn = f"urn:pulumi:{stack}::{project}::pulumi:providers:{package}::default_{version}"
    return f"{urn}::{fakes._uuid(urn)}"


class _ErrorLog(logging.Handler):
    """What the program logged (``pulumi.log``): errors fail the run, the rest is shown."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.messages: list[str] = []
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.messages.append(record.getMessage())
        else:
            self.notes.append(f"{record.levelname.lower()}: {record.getMessage()}")


class _OfflineMocks(pulumi.runtime.Mocks):
    def __init__(self, context: AccountContext) -> None:
        self.context = context
        self.facts_by_name: dict[tuple[str, str], fakes.ResourceFacts] = {}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]  # the SDK accepts a bare dict (no check failures)
        return fakes.answer_invoke(args.token, args.args, self.context)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == STACK_REFERENCE_TYPE:
            name = str(args.inputs.get("name") or args.resource_id or args.name)
            outputs = self.context.answers.stack_outputs(name)
            return name, {"name": name, "outputs": outputs, "secretOutputNames": []}
        facts = self.facts_by_name.pop((args.typ, args.name), None)
        if facts is None:  # read resources and anything the monitor did not see first
            facts = fakes.ResourceFacts(
                type=args.typ,
                name=args.name,
                urn=f"{args.typ}::{args.name}",
                inputs=args.inputs,
                region=args.inputs.get("region") or self.context.home_region,
                context=self.context,
            )
        else:
            facts.inputs = args.inputs
        made = fakes.fabricate(facts)
        if args.resource_id:  # imported: the existing resource's id (without "@<region>")
            return args.resource_id.split("@", 1)[0], made.outputs
        return made.id, made.outputs


class _RecordingMonitor(mocks.MockMonitor):
    """A mock monitor that keeps every registration in order, with parent and provider."""

    def __init__(self, mocks_: _OfflineMocks, project: str, stack: str) -> None:
        super().__init__(mocks_)
        self.offline = mocks_
        self.project = project
        self.stack = stack
        self.records: list[RecordedResource] = []
        self.provider_regions: dict[str, str] = {}
        self.provider_tags: dict[str, dict[str, str]] = {}
        self.default_providers: dict[str, RecordedResource] = {}
        self.stack_urn = f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"
        # The SDK calls the monitor from executor threads: keep bookkeeping consistent.
        self.lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # Real Pulumi leaves the root stack out of a child's qualified type.
        # A child's qualified type is its parent's whole qualified type, then its own.
        if parent and parent != self.stack_urn:
            type_ = f"{parent.split('::')[2]}${type_}"
        return f"urn:pulumi:{self.stack}::{self.project}::{type_}::{name}"

    def _provider_for(self, request: Any, custom: bool) -> str | None:
        if not custom or request.type.startswith("pulumi:providers:"):
            return None
        if request.provider:
            return str(request.provider)
        package = request.type.split(":", 1)[0]
        if package not in self.default_providers:
            ref = _default_provider_ref(self.stack, self.project, package)
            record = RecordedResource(
                urn=ref.rsplit("::", 1)[0],
                type=f"pulumi:providers:{package}",
                custom=True,
                parent=None,
                provider=None,
                inputs={},
                id=ref.rsplit("::", 1)[1],
            )
            self.default_providers[package] = record
            self.records.append(record)
        ref_record = self.default_providers[package]
        return f"{ref_record.urn}::{ref_record.id}"

    def RegisterResource(self, request: Any) -> Any:
        with self.lock:
            return self._register(request)

    def _register(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = to_plain(json_format.MessageToDict(request.object))
        if request.type == STACK_TYPE:
            self.records.append(
                RecordedResource(
                    urn=urn, type=STACK_TYPE, custom=False, parent=None, provider=None, inputs={}
                )
            )
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]  # SDK method is untyped
        custom = bool(request.custom)
        provider = self._provider_for(request, custom)
        region = inputs.get("region") if isinstance(inputs.get("region"), str) else None
        if region is None and provider is not None:
            region = self.provider_regions.get(provider.rsplit("::", 1)[0])
        facts = fakes.ResourceFacts(
            type=request.type,
            name=request.name,
            urn=urn,
            inputs={},
            region=region or self.offline.context.home_region,
            context=self.offline.context,
            extra={"default_tags": self.provider_tags.get((provider or "").rsplit("::", 1)[0], {})},
        )
        self.offline.facts_by_name[(request.type, request.name)] = facts
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # SDK method is untyped
        # Pulumi names the parent stack explicitly for top-level resources.
        parent = request.parent or self.stack_urn
        self.records.append(
            RecordedResource(
                urn=urn,
                type=request.type,
                custom=custom,
                parent=parent,
                provider=provider,
                inputs=inputs,
                id=response.id or None,
                outputs=self.resources[urn].state if urn in self.resources else {},
                ignore_changes=tuple(request.ignoreChanges),
                import_id=request.importId or None,
            )
        )
        if request.type.startswith("pulumi:providers:"):
            if isinstance(inputs.get("region"), str):
                self.provider_regions[urn] = inputs["region"]
            tags = inputs.get("defaultTags")
            if isinstance(tags, str):
                tags = json.loads(tags)
            if isinstance(tags, dict):
                self.provider_tags[urn] = dict(tags.get("tags") or {})
        return response


def _ordered(records: list[RecordedResource]) -> list[RecordedResource]:
    """Deterministic order: stack, providers, then the parent tree depth-first by type and name.

    Registration order depends on when outputs resolve, so it is not used.
    """
    by_urn = {r.urn: r for r in records}

    def rank(r: RecordedResource) -> int:
        if r.type == STACK_TYPE:
            return 0
        return 1 if r.type.startswith("pulumi:providers:") else 2

    def path(r: RecordedResource) -> tuple[tuple[int, str, str], ...]:
        chain: list[tuple[int, str, str]] = []
        node: RecordedResource | None = r
        while node is not None:
            chain.append((rank(node), node.type, node.name))
            node = by_urn.get(node.parent) if node.parent else None
        return tuple(reversed(chain))

    return sorted(records, key=path)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Finish pending callbacks, then close the loop the run used."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    asyncio.set_event_loop(None)
    loop.close()
    # The SDK gives each executor thread a loop of its own and never closes it; left to the
    # garbage collector, its socket can be finalised first and closing it then prints a
    # traceback. Close the orphans explicitly.
    for obj in gc.get_objects():
        if (
            isinstance(obj, asyncio.AbstractEventLoop)
            and not obj.is_running()
            and not obj.is_closed()
        ):
            obj.close()


def _config_strings(config: Mapping[str, Any]) -> dict[str, str]:
    """Pulumi keeps config as text: scalars as-is, structures as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def _root_message(error: BaseException) -> str:
    """The message of the error that started it all: Pulumi wraps a failed input in "While
    processing input: ..., value <Output object>" layers, which name nothing useful."""
    seen = {id(error)}
    while isinstance(error.__cause__, ValueError) and id(error.__cause__) not in seen:
        error = error.__cause__
        seen.add(id(error))
    text = str(error)
    return text.rsplit("has risen: ", 1)[-1]


def _quiet_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed run leaves the other registrations' futures failed with the same error; it is
    reported once by ``run``, not again as "Future exception was never retrieved"."""
    if "never retrieved" in str(context.get("message", "")):
        return
    loop.default_exception_handler(context)


def run(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, Any] | None = None,
    context: AccountContext | None = None,
) -> Plan:
    """Run ``program`` under the mock runtime and return what it registered.

    ``config`` keys are fully qualified (``secbaseline:tier``, ``aws:region``).
    """
    context = context or AccountContext()
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_quiet_unretrieved)
    asyncio.set_event_loop(loop)
    errors = _ErrorLog()
    logger = logging.getLogger(f"secbaseline.offline.{id(errors)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(errors)
    try:
        settings.reset_options(project=project, stack=stack, preview=False)
        set_all_config(_config_strings(config or {}))
        offline = _OfflineMocks(context)
        monitor = _RecordingMonitor(offline, project, stack)
        pulumi.runtime.set_mocks(
            offline, project=project, stack=stack, preview=False, monitor=monitor, logger=logger
        )
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        try:
            _sync_await(run_pulumi_func(program))
        except fakes.UnansweredInvokeError:
            raise
        except ValueError as exc:
            # bad input: the caller reports it as such, without Pulumi's wrapping
            raise ValueError(_root_message(exc)) from exc
        except Exception as exc:
            raise OfflineEngineError(f"program failed: {exc}") from exc
        if errors.messages:
            raise OfflineEngineError("; ".join(errors.messages))
        region = (config or {}).get("aws:region")
        return Plan(
            project=project,
            stack=stack,
            resources=_ordered(monitor.records),
            log=errors.notes,
            default_region=region if isinstance(region, str) else None,
        )
    finally:
        logger.removeHandler(errors)
        set_all_config({})
        _close_loop(loop)


def _modules_named_like(folder: Path) -> dict[str, Any]:
    """Loaded modules whose top-level name is a module or package in ``folder`` (removed from
    ``sys.modules`` and returned, so the folder's own ones are imported afresh)."""
    local = {p.stem for p in folder.glob("*.py")} | {
        p.parent.name for p in folder.glob("*/__init__.py")
    }
    local.discard("__main__")
    found = {name: module for name, module in sys.modules.items() if name.split(".", 1)[0] in local}
    for name in found:
        del sys.modules[name]
    return found


def run_file(
    path: str | Path,
    *,
    project: str = "program",
    stack: str = "offline",
    config: Mapping[str, Any] | None = None,
    context: AccountContext | None = None,
) -> Plan:
    """Run a Python Pulumi program file (or a directory with ``__main__.py``) offline."""
    target = Path(path).resolve()
    if not target.exists():
        raise FileNotFoundError(f"--program: {path} does not exist")
    if target.is_dir() and not (target / "__main__.py").is_file():
        raise FileNotFoundError(
            f"--program: {path} has no __main__.py (name the program file, or the folder of a "
            "Pulumi.yaml whose main: points to it)"
        )
    folder = target if target.is_dir() else target.parent

    def program() -> None:
        sys.path.insert(0, str(folder))
        shadowed = _modules_named_like(folder)
        try:
            runpy.run_path(str(target), run_name="__main__")
        finally:
            sys.path.remove(str(folder))
            # The program's own modules (its `components` package, say) must not leak into
            # the next program run in this process, nor hide what was loaded before.
            for name in _modules_named_like(folder):
                sys.modules.pop(name, None)
            sys.modules.update(shadowed)

    # A program's print() must never mix into the JSON a command writes on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        return run(program, project=project, stack=stack, config=config, context=context)
