"""`secbaseline review`: the offline pull-request review as one command over two commits of a
git repository (plan base and head of every stack file, check the head, diff the two)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from secbaseline.baseline import review
from secbaseline.baseline.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "Pulumi.example.yaml").read_text(encoding="utf-8")
GIT = shutil.which("git") or "git"
REVIEW = ("review", "--base", "HEAD~1", "--head", "HEAD", "--repo")


def beginner_resources() -> int:
    """Resources a provider would create for the example stack's beginner tier."""
    from secbaseline.baseline.cost import example_plan

    return len(example_plan("beginner", "standalone").custom_resources())


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [GIT, "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Commit 1: one stack file. Commit 2: it changes, a broken one and a README appear."""
    repo = tmp_path / "infra"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "Pulumi.prod.yaml").write_text(EXAMPLE, encoding="utf-8")
    (repo / "README.md").write_text("infra\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    changed = EXAMPLE.replace("security-team@example.com", "soc@example.com")
    assert changed != EXAMPLE
    (repo / "Pulumi.prod.yaml").write_text(changed, encoding="utf-8")
    (repo / "Pulumi.broken.yaml").write_text(
        EXAMPLE.replace("secbaseline:tier: beginner", "secbaseline:tier: expert"),
        encoding="utf-8",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "head")
    return repo


def test_one_command_writes_the_pull_request_comment(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.md"
    plans = tmp_path / "plans"
    code = main([*REVIEW, str(repo), "--output", str(out), "--plans", str(plans)])
    text = out.read_text(encoding="utf-8")
    assert text.startswith(review.MARKER + "\n## secbaseline security review")
    assert f"Base `{git(repo, 'rev-parse', 'HEAD~1')[:12]}`" in text
    # the changed stack: planned at both commits, checked at the head
    n = beginner_resources()
    assert (
        f"| `Pulumi.prod.yaml` | {n} (beginner, standalone) | {n} (beginner, standalone) |" in text
    )
    assert f"{n} resources checked: no policy violations." in text
    assert sorted(p.name for p in plans.iterdir()) == [
        "Pulumi.prod.yaml.base.json",
        "Pulumi.prod.yaml.head.json",
    ]
    assert "soc@example.com" in (plans / "Pulumi.prod.yaml.head.json").read_text()
    # the new, broken stack file: named with the key and the allowed values, and blocking
    assert "| `Pulumi.broken.yaml` | - | plan failed |" in text
    assert "New stack file" in text
    assert "planning the head failed: `" in text and "expert" in text
    assert "README" not in text
    assert code == 1
    if review.diff_available():
        assert "no diff" not in text
    else:
        assert "`secbaseline diff` is not in this version" in text


def test_a_review_without_findings_exits_zero(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*REVIEW, str(repo), "--stack-files", "Pulumi.prod.yaml"])
    out = capsys.readouterr().out
    assert "No weakening, no mandatory violation in 1 stack file(s)." in out
    assert "Pulumi.broken.yaml" not in out
    assert code == 0


def test_stacks_are_listed_in_rollout_order() -> None:
    def item(path: str, role: str | None) -> review.StackReview:
        side = review.Side(present=True, role=role)
        return review.StackReview(path, base=side, head=side)

    items = [item("a", "member"), item("b", "standalone"), item("c", "security")]
    items += [item("d", "management"), item("e", None)]
    assert [i.path for i in sorted(items, key=review._order)] == ["d", "c", "a", "b", "e"]


def test_bad_refs_and_patterns_are_named(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--repo", str(repo), "--base", "nope"]) == 2
    assert "--base: 'nope' is not a commit" in capsys.readouterr().err
    assert main(["review", "--repo", str(repo), "--base", "HEAD", "--head", "zzz"]) == 2
    assert "--head: 'zzz' is not a commit" in capsys.readouterr().err
    code = main(["review", "--repo", str(repo), "--base", "HEAD~1", "--stack-files", "*.json"])
    assert code == 2
    assert "--stack-files: no file matches *.json" in capsys.readouterr().err


def test_base_code_ref_needs_the_library_in_the_commit(repo: Path) -> None:
    reviews, _, _ = review.review(
        repo, "HEAD~1", "HEAD", patterns=["Pulumi.prod.yaml"], base_code="ref"
    )
    (item,) = reviews
    assert item.base.error == "--base-code ref: this commit holds no secbaseline/"
    assert item.head.error is None and item.head.resources == beginner_resources()


@pytest.mark.timeout(300)
def test_this_repository_reviews_itself_with_the_commits_own_code(tmp_path: Path) -> None:
    """What this project's pull-request workflow runs (`--base-code ref`), on its own HEAD: the
    base is planned by the commit's copy of the library in a subprocess, the head in-process."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    plans = tmp_path / "plans"
    reviews, base, head = review.review(
        ROOT,
        "HEAD",
        "HEAD",
        patterns=["Pulumi.example.yaml"],
        base_code="ref",
        keep=plans,
    )
    (item,) = reviews
    assert base == head
    assert item.base.error is None, item.base.error
    assert item.base.resources == item.head.resources == beginner_resources()
    assert (item.base.tier, item.base.role) == ("beginner", "standalone")
    assert (plans / "Pulumi.example.yaml.base.json").is_file()


def test_a_long_report_is_cut_to_what_a_comment_may_hold() -> None:
    side = review.Side(present=True, tier="beginner", role="standalone", resources=1)
    item = review.StackReview("Pulumi.big.yaml", base=side, head=side)
    item.diff_markdown = "\n".join(f"| changed | resource-{i} |" for i in range(10_000))
    text = review.render_review([item], "a" * 40, "b" * 40, limit=5_000)
    assert len(text) <= 5_000
    assert "| `Pulumi.big.yaml` |" in text  # the table is always whole
    assert text.endswith("(`--output` file).\n")
    assert "resource-9999" not in text
    short = review.render_review([item], "a" * 40, "b" * 40)
    assert "resource-9999" not in short and len(short) <= review.COMMENT_LIMIT
