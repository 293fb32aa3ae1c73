"""boto3 clients per service and region, and a recorder of what a run did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from . import log

# boto3 clients are generated at runtime; the Lambda must not depend on boto3-stubs, so
# clients are typed loosely here.
Client = Any
ClientFactory = Callable[[str, str | None], Client]
"""``factory(service, region)``; region None means the function's own region."""
T = TypeVar("T")


def boto3_factory(service: str, region: str | None) -> Client:
    """The default factory: plain boto3 clients."""
    import boto3

    return boto3.client(service, region_name=region)  # type: ignore[call-overload]  # service is dynamic


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


class Clients:
    """Clients for the finding's region, created on first use."""

    def __init__(self, factory: ClientFactory, region: str) -> None:
        self._factory = factory
        self.region = region
        self._cache: dict[tuple[str, str | None], Client] = {}

    def get(self, service: str, region: str | None) -> Client:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self._factory(service, region)
        return self._cache[key]

    @property
    def ec2(self) -> Client:
        return self.get("ec2", self.region)

    @property
    def autoscaling(self) -> Client:
        return self.get("autoscaling", self.region)

    @property
    def elbv2(self) -> Client:
        return self.get("elbv2", self.region)

    def s3(self) -> Client:
        """S3 in the function's own region (the evidence bucket lives there)."""
        return self.get("s3", None)

    def sns(self, topic_arn: str) -> Client:
        """SNS in the topic's region (the fourth field of its ARN)."""
        return self.get("sns", topic_arn.split(":")[3])


@dataclass
class Recorder:
    """The timeline of a run: every step taken or, in a dry run, that would be taken."""

    dry_run: bool
    actions: list[dict[str, Any]] = field(default_factory=list)

    def note(self, step: str, detail: str, **fields: Any) -> None:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "step": step,
            "detail": detail,
            **fields,
        }
        self.actions.append(entry)
        log.info(detail, step=step, **fields)

    def change(self, step: str, detail: str, call: Callable[[], T], **fields: Any) -> T | None:
        """Make a change, or in a dry run only note that it would be made."""
        if self.dry_run:
            self.note(step, f"would {detail}", dryRun=True, **fields)
            return None
        result = call()
        self.note(step, detail, **fields)
        return result
