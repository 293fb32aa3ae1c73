"""Every Python snippet in README.md and docs/ runs as written, under the offline engine."""

import re
from pathlib import Path

import pytest

from secbaseline.baseline.engine import run

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def snippets() -> list[tuple[str, str]]:
    """``(id, code)`` for every fenced ``python`` block."""
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for index, match in enumerate(FENCE.finditer(text), start=1):
            found.append((f"{page.relative_to(ROOT)}#{index}", match.group(1)))
    return found


SNIPPETS = snippets()


def test_there_are_snippets() -> None:
    assert len(SNIPPETS) >= 20


# What a reader's stack would have set with `pulumi config set` before running a snippet.
SNIPPET_CONFIG = {
    "snippet:originVerifySecret": "an-origin-verify-secret-of-32-chars-or-more",
    "snippet:pagerdutyToken": "Token token=example",
    "snippet:pagerdutyRoutingKey": "R0123456789ABCDEF0123456789ABCDE",
}


@pytest.mark.parametrize(("where", "code"), SNIPPETS, ids=[w for w, _ in SNIPPETS])
def test_snippet_runs(where: str, code: str) -> None:
    def program() -> None:
        exec(compile(code, where, "exec"), {"__name__": "__snippet__"})

    plan = run(program, project="snippet", stack="docs", config=SNIPPET_CONFIG)
    assert plan.resources, f"{where} created no resource"
