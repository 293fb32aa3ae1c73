"""Release checks the tag workflow runs (.github/workflows/release.yml), testable offline.

``python -m secbaseline.baseline.release check v0.2.0 [--root DIR]``
    the tag names the version in ``pyproject.toml``; ``CHANGELOG.md`` has a dated section for
    it with content; the policy pack's ``requirements.txt`` and the reusable review workflow pin
    that version. Exit 1 with one line per problem.
``python -m secbaseline.baseline.release notes v0.2.0``
    that CHANGELOG section (the GitHub release notes).
``python -m secbaseline.baseline.release pack v0.2.0 DIST``
    the policy pack as ``DIST/aws-security-baseline-policy-pack-0.2.0.tar.gz`` (the folder
    ``pulumi policy publish`` uploads, without a virtualenv or caches).
"""

from __future__ import annotations

import argparse
import re
import sys
import tarfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

DISTRIBUTION = "pulumi-aws-security-baseline"
PACK_ARCHIVE = "aws-security-baseline-policy-pack"
REVIEW_WORKFLOW = Path(".github") / "workflows" / "offline-review.yml"
_SKIPPED = {"venv", "__pycache__"}


def version_of_tag(tag: str) -> str:
    """``v1.2.3`` -> ``1.2.3`` (ValueError naming the tag otherwise)."""
    match = re.fullmatch(r"v(\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)", tag)
    if not match:
        raise ValueError(f"tag: expected v<major>.<minor>.<patch>, got {tag!r}")
    return match.group(1)


def changelog_section(text: str, version: str) -> str | None:
    """The body of ``## [version] - YYYY-MM-DD`` up to the next ``## `` heading."""
    heading = re.compile(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}\s*$", re.M)
    found = heading.search(text)
    if not found:
        return None
    rest = text[found.end() :]
    following = re.search(r"^## ", rest, re.M)
    return (rest[: following.start()] if following else rest).strip()


def problems(root: Path, tag: str) -> list[str]:
    """Everything that keeps ``tag`` from being released from ``root`` (empty: ready)."""
    try:
        version = version_of_tag(tag)
    except ValueError as error:
        return [str(error)]
    found: list[str] = []
    declared = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    if declared != version:
        found.append(f"pyproject.toml: version is {declared}, the tag says {version}")
    section = changelog_section((root / "CHANGELOG.md").read_text(encoding="utf-8"), version)
    if section is None:
        found.append(f"CHANGELOG.md: no '## [{version}] - YYYY-MM-DD' section")
    elif not section:
        found.append(f"CHANGELOG.md: the {version} section is empty")
    pin = f"{DISTRIBUTION}=={version}"
    requirements = (root / "policies" / "requirements.txt").read_text(encoding="utf-8")
    if pin not in requirements.split():
        found.append(f"policies/requirements.txt: does not pin {pin}")
    if pin not in (root / REVIEW_WORKFLOW).read_text(encoding="utf-8"):
        found.append(f"{REVIEW_WORKFLOW}: the default install is not {pin}")
    return found


def pack_archive(root: Path, tag: str, dist: Path) -> Path:
    """The policy pack folder as a tarball named for the release."""
    version = version_of_tag(tag)
    dist.mkdir(parents=True, exist_ok=True)
    target = dist / f"{PACK_ARCHIVE}-{version}.tar.gz"
    folder = f"{PACK_ARCHIVE}-{version}"

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts
        return None if _SKIPPED & set(parts) else info

    with tarfile.open(target, "w:gz") as archive:
        for path in sorted((root / "policies").iterdir()):
            if path.name not in _SKIPPED:
                archive.add(path, arcname=f"{folder}/{path.name}", filter=keep)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m secbaseline.baseline.release")
    parser.add_argument("command", choices=["check", "notes", "pack"])
    parser.add_argument("tag", help="the release tag, v<major>.<minor>.<patch>")
    parser.add_argument("dist", nargs="?", default="dist", help="pack: output folder")
    parser.add_argument("--root", default=".", help="the repository (default: .)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if args.command == "check":
        found = problems(root, args.tag)
        for problem in found:
            sys.stderr.write(f"release: {problem}\n")
        return 1 if found else 0
    try:
        version = version_of_tag(args.tag)
    except ValueError as error:
        sys.stderr.write(f"release: {error}\n")
        return 2
    if args.command == "notes":
        section = changelog_section((root / "CHANGELOG.md").read_text(encoding="utf-8"), version)
        if not section:
            sys.stderr.write(f"release: CHANGELOG.md has no {version} section\n")
            return 1
        sys.stdout.write(section + "\n")
        return 0
    sys.stdout.write(f"{pack_archive(root, args.tag, Path(args.dist))}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
