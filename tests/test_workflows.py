"""The GitHub workflows (.github/workflows): pinned actions, least privilege, no credentials left
in checkouts, concurrency, and the two review paths wired as docs/ci.md says. actionlint and
zizmor lint the same files in `make lint`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses: (\S+) # v\d+\.\d+\.\d+$")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


ALL = sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_the_workflows_exist() -> None:
    assert ALL == [
        "offline-review.yml",
        "preview.yml",
        "pull-request.yml",
        "release.yml",
        "test.yml",
    ]


@pytest.mark.parametrize("name", ALL)
def test_actions_are_pinned_by_commit_with_the_version_beside(name: str) -> None:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    for step in steps(load(name)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
    for line in text.splitlines():
        if "uses:" in line and "$/" not in line:
            assert VERSION_COMMENT.search(line.strip()), line


@pytest.mark.parametrize("name", ALL)
def test_least_privilege_and_no_persisted_credentials(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] == {}
    for job_name, job in workflow["jobs"].items():
        assert "permissions" in job, job_name
        assert job["permissions"].get("contents", "read") in ("read", "write")
        if job["permissions"].get("contents") == "write":
            assert (name, job_name) == ("release.yml", "github-release")
        if "id-token" in job["permissions"]:
            assert (name, job_name) in {("preview.yml", "preview"), ("release.yml", "pypi")}
    for step in steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("name", ["test.yml", "pull-request.yml", "release.yml"])
def test_triggered_workflows_have_a_concurrency_group(name: str) -> None:
    assert "group" in load(name)["concurrency"]


def test_tests_run_on_push_and_pull_request_through_the_ci_entry_point() -> None:
    workflow = load("test.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    assert [s["run"] for s in steps(workflow) if "run" in s] == ["bash .ci/run"]
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_no_workflow_runs_with_a_privileged_trigger() -> None:
    for name in ALL:
        assert not {"pull_request_target", "workflow_run"} & set(load(name)["on"] or {}), name


def test_the_offline_review_is_reusable_and_needs_no_secret() -> None:
    workflow = load("offline-review.yml")
    call = workflow["on"]["workflow_call"]
    assert "secrets" not in call
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    assert call["inputs"]["install"]["default"] == f"pulumi-aws-security-baseline=={version}"
    runs = "\n".join(s.get("run", "") for s in steps(workflow))
    assert "secbaseline review --base" in runs
    assert "GITHUB_STEP_SUMMARY" in runs
    (comment,) = [s for s in steps(workflow) if s.get("name") == "Comment on the pull request"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in comment["if"]
    assert "<!-- secbaseline-review -->" in comment["run"]


def test_the_preview_runs_trusted_stacks_one_at_a_time_with_the_pack() -> None:
    workflow = load("preview.yml")
    (job,) = workflow["jobs"].values()
    assert "head.repo.full_name == github.repository" in job["if"]
    assert job["strategy"]["max-parallel"] == 1
    assert job["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }
    (aws,) = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
    assert aws["with"]["role-to-assume"] == "${{ matrix.target.role-arn }}"
    assert "aws-access-key-id" not in aws["with"]  # OIDC only
    preview = job["steps"][-1]
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["policyPacks"] == "${{ inputs.policy-pack }}"
    assert preview["with"]["comment-on-pr"] is True


def test_this_projects_pull_requests_use_the_offline_review_on_the_example_stack() -> None:
    (job,) = load("pull-request.yml")["jobs"].values()
    assert job["uses"] == "$/.github/workflows/offline-review.yml"
    assert job["with"] == {
        "install": ".",
        "stack-files": "Pulumi.example.yaml",
        "base-code": "ref",
    }


def test_the_release_checks_before_it_publishes_by_trusted_publishing() -> None:
    workflow = load("release.yml")
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    build, pypi, release = (workflow["jobs"][k] for k in ("build", "pypi", "github-release"))
    runs = [s.get("run", "") for s in build["steps"]]
    assert runs.index('python3 baseline/release.py check "$TAG"') < runs.index("bash .ci/run")
    assert pypi["needs"] == "build" and release["needs"] == ["build", "pypi"]
    (publish,) = [s for s in pypi["steps"] if "gh-action-pypi-publish" in s["uses"]]
    assert "password" not in publish["with"]  # trusted publishing: no token
    assert pypi["environment"]["name"] == "pypi"
