"""Shared harness: every test gets a fresh offline engine run (mocks reset per run)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from secbaseline.baseline import plan as planning
from secbaseline.baseline.engine import Plan, run
from secbaseline.baseline.fakes import AccountContext

BASE_CONFIG: dict[str, Any] = {
    "homeRegion": "ap-northeast-1",
    "detectionRegions": ["ap-northeast-1", "us-east-1", "eu-west-1"],
    "notificationEmails": ["security@example.com"],
}

ORG_CONFIG: dict[str, Any] = {
    "organizationId": "o-exampleorg1",
    "managementAccountId": "111111111111",
    "securityAccountId": "222222222222",
    # The role that deploys member stacks: the guardrail SCPs must exempt it.
    "guardrails": {"adminRoleArns": ["arn:aws:iam::*:role/secbaseline-deployer"]},
}


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may reach AWS: fake credentials and a fixed default region everywhere."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "PULUMI_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield
    assert "PULUMI_CONFIG" not in os.environ


_PLANS: dict[str, Plan] = {}
_plan_config_uncached = planning.plan_config
_SHARED_PLANS: list[Path] = []
"""The folder the xdist workers of this session share plans through (empty: not shared)."""


def _plan_config_cached(config: Mapping[str, Any], **kwargs: Any) -> Plan:
    """``plan_config`` with one synthesis per distinct call per test session: plans are
    deterministic (``test_plans_are_deterministic`` proves it without the cache) and tests only
    read them, so repeating a tier's synthesis would only cost time. Under pytest-xdist the
    first worker to need a plan makes it and the others load it. Errors are not cached."""
    key = json.dumps([config, kwargs], sort_keys=True, default=str)
    if key not in _PLANS:
        _PLANS[key] = _shared_plan(key, lambda: _plan_config_uncached(config, **kwargs))
    return _PLANS[key]


def _shared_plan(key: str, make: Callable[[], Plan]) -> Plan:
    if not _SHARED_PLANS:
        return make()
    path = _SHARED_PLANS[0] / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.pickle"
    with FileLock(f"{path}.lock"):
        if path.exists():
            plan: Plan = pickle.loads(path.read_bytes())  # written by this session
            return plan
        plan = make()
        path.write_bytes(pickle.dumps(plan))
        return plan


@pytest.fixture(scope="session", autouse=True)
def _plans_shared_between_workers(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[None]:
    """xdist workers of one session share a temp root; plans made there are this session's."""
    if worker_id != "master":
        folder = tmp_path_factory.getbasetemp().parent / "plans"
        folder.mkdir(exist_ok=True)
        _SHARED_PLANS.append(folder)
    yield
    _SHARED_PLANS.clear()


@pytest.fixture(autouse=True)
def _shared_plans(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every tier plan, also those the CLI makes, comes from the per-process cache, except in
    tests marked ``fresh_plans``."""
    if request.node.get_closest_marker("fresh_plans") is None:
        monkeypatch.setattr(planning, "plan_config", _plan_config_cached)


@functools.cache
def _tier_plan(config_json: str) -> Plan:
    return _plan_config_cached(json.loads(config_json), stack="test")


def cached_plan(config: dict[str, Any]) -> Plan:
    """The (shared, read-only) plan of a full project config."""
    return _tier_plan(json.dumps(config, sort_keys=True))


@pytest.fixture
def plan_tier() -> Callable[..., Plan]:
    """Plan a tier from project config (unqualified keys), on top of BASE_CONFIG."""

    def _plan(**config: Any) -> Plan:
        merged = {**BASE_CONFIG, **config}
        if merged.get("tier") == "advanced" or merged.get("role") in {
            "management",
            "security",
            "member",
        }:
            merged = {**ORG_CONFIG, **merged}
        return cached_plan(merged)

    return _plan


@pytest.fixture
def run_program() -> Callable[..., Plan]:
    """Run any Pulumi program function offline: ``run_program(fn, **context_fields)``."""

    def _run(program: Callable[[], object], **context: Any) -> Plan:
        return run(program, project="test", stack="test", context=AccountContext(**context))

    return _run
