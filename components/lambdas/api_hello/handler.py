"""Default ApiFunction handler: a JSON hello that echoes no request data."""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Answer API Gateway (HTTP API v2 or REST proxy) with a fixed JSON body."""
    del event, context
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": "hello from a secure API function"}),
    }
