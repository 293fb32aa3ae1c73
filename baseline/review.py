"""``secbaseline review``: the offline security review of a pull request, as one command.

For two commits of a git repository it plans every stack file (``Pulumi.*.yaml``) as it is at
the base and at the head, runs the policy pack over the head's plan (``secbaseline check``) and
compares the two plans (``secbaseline diff``), then writes the Markdown a pull request gets as
its comment and job summary. No AWS account, no Pulumi CLI, no secrets: it reads only the
repository, so a pull request from a fork can run it (docs/ci.md).

The head is planned with the installed library. ``--base-code ref`` plans the base with the
base commit's own copy of the library (this repository's own pull requests: the diff then shows
what a code change does to the example stack); by default the installed library plans both.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from secbaseline.baseline.engine import OfflineEngineError
from secbaseline.baseline.fakes import UnansweredInvokeError

MARKER = "<!-- secbaseline-review -->"
"""First line of the report: the comment step edits the comment that carries it."""
DEFAULT_STACK_FILES = ("Pulumi.*.yaml",)
# Rollout order of the accounts (docs/organization.md): management, security, then members.
ROLE_ORDER = {"management": 0, "security": 1, "member": 2, "standalone": 3}
_PLAN_ERRORS = (ValueError, FileNotFoundError, OfflineEngineError, UnansweredInvokeError)


class ReviewError(ValueError):
    """A bad argument or a repository the review cannot read (exit 2)."""


@dataclass
class Side:
    """One stack file at one commit: its plan (JSON text) or why there is none."""

    present: bool
    plan_json: str | None = None
    error: str | None = None
    tier: str | None = None
    role: str | None = None
    resources: int | None = None


@dataclass
class StackReview:
    """What the review found for one stack file."""

    path: str
    base: Side
    head: Side
    check_markdown: str = ""
    mandatory: int = 0
    violations: int = 0
    diff_markdown: str = ""
    weakened: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        head_failed = self.head.present and self.head.error is not None
        return self.weakened or self.mandatory > 0 or head_failed


GIT = shutil.which("git") or "git"
TAR = shutil.which("tar") or "tar"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (git with refs the user named, no shell)
        [GIT, "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ReviewError(f"git {' '.join(args)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def resolve(repo: Path, ref: str, flag: str) -> str:
    """The commit a ref names (ReviewError naming the flag when it names none)."""
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except ReviewError:
        raise ReviewError(f"{flag}: {ref!r} is not a commit of {repo}") from None


def stack_files(repo: Path, commit: str, patterns: Sequence[str]) -> list[str]:
    """Paths (relative to the repository root) of the stack files at ``commit``."""
    listed = _git(repo, "ls-tree", "-r", "--name-only", commit).splitlines()
    return [p for p in listed if any(fnmatch.fnmatchcase(p, pattern) for pattern in patterns)]


def _summary(side: Side) -> None:
    data = json.loads(side.plan_json or "{}")
    settings = data.get("settings") or {}
    side.tier = settings.get("tier")
    side.role = settings.get("role")
    side.resources = sum(
        1
        for r in data.get("resources", [])
        if r.get("custom") and not str(r.get("type", "")).startswith("pulumi:providers:")
    )


def _plan_installed(stack_file: Path) -> tuple[Side, str, int, int]:
    """Plan with the installed library and run the policy pack over it."""
    from secbaseline.baseline.check import check_plan, render_findings, target_from_args

    args = argparse.Namespace(
        config=str(stack_file),
        tier=None,
        role=None,
        regions=None,
        home_region=None,
        program=None,
        mocks=None,
    )
    try:
        plan, options = target_from_args(args)
    except _PLAN_ERRORS as error:
        return Side(present=True, error=str(error)), "", 0, 0
    side = Side(present=True, plan_json=plan.dumps())
    _summary(side)
    findings = check_plan(plan, options=options)
    checked = len(plan.custom_resources())
    mandatory = sum(1 for f in findings if f.enforcement == "mandatory")
    return side, render_findings(findings, "markdown", checked), mandatory, len(findings)


def _plan_with_ref_code(tree: Path, stack_file: Path) -> Side:
    """Plan with the copy of the library in ``tree`` (a commit of this repository)."""
    if not (tree / "secbaseline" / "__init__.py").is_file():
        return Side(present=True, error="--base-code ref: this commit holds no secbaseline/")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tree)
    plan = ["plan", "--config", str(stack_file), "--format", "json"]
    done = subprocess.run(  # noqa: S603 (this interpreter, the commit's own CLI, no shell)
        [sys.executable, "-m", "secbaseline.baseline.cli", *plan],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = (done.stderr.strip() or f"exit {done.returncode}").splitlines()
        return Side(present=True, error=lines[-1])
    side = Side(present=True, plan_json=done.stdout)
    _summary(side)
    return side


def _extract(repo: Path, commit: str, into: Path) -> None:
    """The commit's files (symlinks kept) under ``into``."""
    into.mkdir(parents=True)
    archive = subprocess.run(  # noqa: S603 (a resolved commit id, no shell)
        [GIT, "-C", str(repo), "archive", "--format=tar", commit],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise ReviewError(f"git archive {commit}: {archive.stderr.decode().strip()}")
    subprocess.run([TAR, "-x", "-C", str(into)], input=archive.stdout, check=True)  # noqa: S603


def diff_available() -> bool:
    """Whether this version has ``secbaseline diff`` (the review calls it)."""
    from secbaseline.baseline.cli import build_parser

    commands = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return any("diff" in a.choices for a in commands)


def run_diff(base_json: Path, head_json: Path) -> tuple[str, bool]:
    """``secbaseline diff BASE HEAD --format markdown --fail-on weakening``: text, weakened."""
    from secbaseline.baseline.cli import main

    out = io.StringIO()
    argv = [
        "diff",
        str(base_json),
        str(head_json),
        "--format",
        "markdown",
        "--fail-on",
        "weakening",
    ]
    with contextlib.redirect_stdout(out):
        code = main(argv)
    if code not in (0, 1):
        raise ReviewError(f"secbaseline diff exited {code}")
    return out.getvalue(), code == 1


def _order(review: StackReview) -> tuple[int, str]:
    side = review.head if review.head.present else review.base
    return ROLE_ORDER.get(side.role or "", len(ROLE_ORDER)), review.path


def review(
    repo: Path,
    base: str,
    head: str,
    *,
    patterns: Sequence[str] = DEFAULT_STACK_FILES,
    base_code: str = "installed",
    keep: Path | None = None,
) -> tuple[list[StackReview], str, str]:
    """Review every stack file; returns the reviews (rollout order) and the two commits."""
    base_commit = resolve(repo, base, "--base")
    head_commit = resolve(repo, head, "--head")
    files = sorted(
        set(stack_files(repo, base_commit, patterns))
        | set(stack_files(repo, head_commit, patterns))
    )
    if not files:
        raise ReviewError(f"--stack-files: no file matches {', '.join(patterns)} at either commit")
    reviews: list[StackReview] = []
    with tempfile.TemporaryDirectory(prefix="secbaseline-review-") as tmp:
        trees = {"base": Path(tmp) / "base", "head": Path(tmp) / "head"}
        _extract(repo, base_commit, trees["base"])
        _extract(repo, head_commit, trees["head"])
        plans = keep or Path(tmp) / "plans"
        plans.mkdir(parents=True, exist_ok=True)
        for path in files:
            item = StackReview(path, base=Side(present=False), head=Side(present=False))
            base_file, head_file = trees["base"] / path, trees["head"] / path
            if base_file.is_file():
                if base_code == "ref":
                    item.base = _plan_with_ref_code(trees["base"], base_file)
                else:
                    item.base, _, _, _ = _plan_installed(base_file)
            if head_file.is_file():
                item.head, item.check_markdown, item.mandatory, item.violations = _plan_installed(
                    head_file
                )
            stem = path.replace("/", "__")
            written: dict[str, Path] = {}
            for label, side in (("base", item.base), ("head", item.head)):
                if side.plan_json is not None:
                    written[label] = plans / f"{stem}.{label}.json"
                    written[label].write_text(side.plan_json, encoding="utf-8")
            if len(written) == 2:
                if diff_available():
                    item.diff_markdown, item.weakened = run_diff(written["base"], written["head"])
                else:
                    item.notes.append("`secbaseline diff` is not in this version: no diff.")
            elif not item.base.present:
                item.notes.append("New stack file: everything in it is added.")
            elif not item.head.present:
                item.notes.append("Stack file removed: `pulumi destroy` of its stack is not shown.")
            reviews.append(item)
    reviews.sort(key=_order)
    return reviews, base_commit, head_commit


def _cell(side: Side) -> str:
    if not side.present:
        return "-"
    if side.error is not None:
        return "plan failed"
    return f"{side.resources} ({side.tier}, {side.role})"


COMMENT_LIMIT = 60_000
"""GitHub refuses comments over 65,536 characters; the full report stays in the artifact."""


def render_review(
    reviews: Sequence[StackReview], base: str, head: str, limit: int = COMMENT_LIMIT
) -> str:
    """The pull-request comment (Markdown), cut to ``limit`` characters after the table."""
    blocking = [r for r in reviews if r.blocking]
    verdict = (
        f"**{len(blocking)} of {len(reviews)} stack file(s) need attention.**"
        if blocking
        else f"No weakening, no mandatory violation in {len(reviews)} stack file(s)."
    )
    lines = [
        MARKER,
        "## secbaseline security review",
        "",
        f"Base `{base[:12]}` -> head `{head[:12]}`, planned offline (no AWS account, no "
        "secrets). " + verdict,
        "",
        "| stack file | resources at base | resources at head | policy pack (head) | weakened |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in reviews:
        pack = (
            "-"
            if not r.head.present or r.head.error
            else (f"{r.violations} violation(s), {r.mandatory} mandatory")
        )
        weakened = "**yes**" if r.weakened else ("-" if not r.diff_markdown else "no")
        lines.append(f"| `{r.path}` | {_cell(r.base)} | {_cell(r.head)} | {pack} | {weakened} |")
    table = "\n".join(lines)
    for r in reviews:
        lines += ["", f"### `{r.path}`", ""]
        for label, side in (("base", r.base), ("head", r.head)):
            if side.error is not None:
                lines.append(f"- planning the {label} failed: `{side.error}`")
        lines += [f"- {note}" for note in r.notes]
        if r.diff_markdown:
            lines += ["", r.diff_markdown.rstrip()]
        if r.check_markdown:
            lines += ["", r.check_markdown.rstrip()]
    text = "\n".join(lines) + "\n"
    if len(text) <= limit:
        return text
    cut = (
        "\n\n... cut: the full report is longer than a comment may be; it is in the job's "
        "`secbaseline-review` artifact (`--output` file).\n"
    )
    body = text[len(table) : limit - len(cut)]
    return table + body[: body.rfind("\n")] + cut


def _review(args: argparse.Namespace) -> int:
    repo = Path(args.repo).resolve()
    keep = Path(args.plans).resolve() if args.plans else None
    reviews, base, head = review(
        repo,
        args.base,
        args.head,
        patterns=args.stack_files or DEFAULT_STACK_FILES,
        base_code=args.base_code,
        keep=keep,
    )
    text = render_review(reviews, base, head)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 1 if any(r.blocking for r in reviews) else 0


def add_review_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``secbaseline review``."""
    parser = sub.add_parser(
        "review",
        help="offline security review of two commits: plan, check and diff every stack file",
    )
    parser.add_argument("--base", required=True, help="base commit (e.g. origin/main)")
    parser.add_argument("--head", default="HEAD", help="head commit (default: HEAD)")
    parser.add_argument("--repo", default=".", help="the git repository (default: .)")
    parser.add_argument(
        "--stack-files",
        action="append",
        metavar="GLOB",
        help="stack files to review, relative to the repository root; repeatable "
        f"(default: {' '.join(DEFAULT_STACK_FILES)})",
    )
    parser.add_argument(
        "--base-code",
        choices=["installed", "ref"],
        default="installed",
        help="plan the base with the installed library (default) or with the base commit's "
        "own secbaseline/ (this repository)",
    )
    parser.add_argument(
        "--output", metavar="FILE", help="write the Markdown here (default: stdout)"
    )
    parser.add_argument("--plans", metavar="DIR", help="keep the plan JSON files in DIR")
    parser.set_defaults(run=_review)
