"""The release checks the tag workflow runs (baseline/release.py): tag, version, changelog entry
and pins agree; the notes are the changelog section; the pack archive holds the pack only."""

from __future__ import annotations

import shutil
import tarfile
import tomllib
from pathlib import Path

import pytest

from secbaseline.baseline import release

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
TAG = f"v{VERSION}"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The files the release reads, copied so a test can break them."""
    root = tmp_path / "repo"
    for name in ("pyproject.toml", "CHANGELOG.md", "policies", ".github"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, root / name, ignore=shutil.ignore_patterns("venv", "__pycache__")
            )
        else:
            root.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, root / name)
    return root


def test_this_version_is_ready_to_release() -> None:
    assert release.problems(ROOT, TAG) == []
    assert release.main(["check", TAG, "--root", str(ROOT)]) == 0


def test_a_tag_for_another_version_names_every_mismatch(capsys: pytest.CaptureFixture[str]) -> None:
    assert release.main(["check", "v99.0.0", "--root", str(ROOT)]) == 1
    err = capsys.readouterr().err
    assert f"pyproject.toml: version is {VERSION}, the tag says 99.0.0" in err
    assert "CHANGELOG.md: no '## [99.0.0] - YYYY-MM-DD' section" in err
    assert "policies/requirements.txt: does not pin pulumi-aws-security-baseline==99.0.0" in err
    assert ".github/workflows/offline-review.yml: the default install is not" in err


@pytest.mark.parametrize("tag", ["0.2.0", "v0.2", "release-1", "v0.2.0-beta"])
def test_malformed_tags_are_refused(tag: str) -> None:
    assert release.problems(ROOT, tag) == [f"tag: expected v<major>.<minor>.<patch>, got {tag!r}"]


def test_an_empty_or_undated_changelog_entry_is_refused(checkout: Path) -> None:
    changelog = checkout / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    heading = next(line for line in text.splitlines() if line.startswith(f"## [{VERSION}]"))
    section = release.changelog_section(text, VERSION)
    assert section
    changelog.write_text(text.replace(section, ""), encoding="utf-8")
    assert release.problems(checkout, TAG) == [f"CHANGELOG.md: the {VERSION} section is empty"]
    changelog.write_text(text.replace(heading, f"## [{VERSION}]"), encoding="utf-8")
    assert release.problems(checkout, TAG) == [
        f"CHANGELOG.md: no '## [{VERSION}] - YYYY-MM-DD' section"
    ]


def test_a_stale_pack_pin_is_refused(checkout: Path) -> None:
    requirements = checkout / "policies" / "requirements.txt"
    requirements.write_text(
        requirements.read_text().replace(f"=={VERSION}", "==0.0.1"), encoding="utf-8"
    )
    assert release.problems(checkout, TAG) == [
        f"policies/requirements.txt: does not pin pulumi-aws-security-baseline=={VERSION}"
    ]


def test_notes_are_the_changelog_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert release.main(["notes", TAG, "--root", str(ROOT)]) == 0
    notes = capsys.readouterr().out
    assert notes.startswith("### ")
    assert "## [" not in notes  # stops before the previous release
    assert release.main(["notes", "v99.0.0", "--root", str(ROOT)]) == 1


def test_the_pack_archive_holds_the_pack_and_nothing_else(checkout: Path, tmp_path: Path) -> None:
    (checkout / "policies" / "venv" / "bin").mkdir(parents=True)
    (checkout / "policies" / "__pycache__").mkdir(exist_ok=True)
    archive = release.pack_archive(checkout, TAG, tmp_path / "dist")
    assert archive.name == f"aws-security-baseline-policy-pack-{VERSION}.tar.gz"
    with tarfile.open(archive) as opened:
        names = sorted(Path(n).name for n in opened.getnames())
    assert names == sorted(
        p.name for p in (ROOT / "policies").iterdir() if p.name not in ("venv", "__pycache__")
    )
    assert {"PulumiPolicy.yaml", "requirements.txt", "__main__.py"} <= set(names)
