"""The library as a dependency: the built wheel, installed alone in a clean virtualenv outside
the checkout, used by a program that has its own ``components`` package (issue 12).

The wheel is built once per test session and reinstalled into a virtualenv kept between
sessions (see ``clean_python``); every test here then runs from an empty folder.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

# One worker builds the wheel and the virtualenv (pytest-xdist --dist loadgroup).
pytestmark = pytest.mark.xdist_group("wheel")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "own-network"
RUNNER = """
import json, sys
from secbaseline.baseline.engine import run_file
config = {"own-network:originVerifySecret": "s" * 40, "aws:region": "ap-northeast-1"}
plan = run_file(sys.argv[1], project="own-network", stack="dev", config=config)
print(json.dumps([
    {"type": r.type, "name": r.name, "id": r.id, "inputs": r.inputs, "outputs": r.outputs}
    for r in plan.resources
], default=str))
"""


def _run(args: list[str], cwd: Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env=env, timeout=600, check=False, **kw
    )


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
        cwd=dist,
    )
    assert built.returncode == 0, built.stderr
    (found,) = dist.glob("*.whl")
    return found


def _dependency_key() -> str:
    """Changes when the declared runtime dependencies (or the Python) change."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    deps = json.dumps([sys.version_info[:2], pyproject["project"]["dependencies"]])
    return hashlib.sha256(deps.encode()).hexdigest()[:12]


@pytest.fixture(scope="session")
def clean_python(wheel: Path) -> Path:
    """A virtualenv outside the checkout holding only the wheel and its declared dependencies.

    The virtualenv is kept between sessions under the system's temp folder, keyed by the
    dependency list, so a session only reinstalls the wheel (``--no-deps --force-reinstall``)
    and mypy's cache for pulumi-aws stays warm; a dependency change builds a new one.
    """
    home = Path(tempfile.gettempdir()) / f"secbaseline-user-venv-{_dependency_key()}"
    python = home / "bin" / "python"
    ready = home / ".dependencies-installed"
    if not ready.is_file():
        shutil.rmtree(home, ignore_errors=True)
        venv.create(home, with_pip=True)
        done = _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=home)
        assert done.returncode == 0, done.stdout + done.stderr
        ready.touch()
    done = _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        cwd=home,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    listed = _run([str(python), "-m", "pip", "list", "--format", "json"], cwd=home)
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "moto" not in names and "pytest" not in names, "the user's virtualenv is not clean"
    return python


@pytest.mark.timeout(900)
def test_the_wheel_holds_one_import_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"secbaseline"}
    for needed in (
        "secbaseline/py.typed",
        "secbaseline/baseline/Pulumi.example.yaml",
        "secbaseline/components/lambdas/ec2_isolation/handler.py",
    ):
        assert needed in names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    runtime = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    assert not [r for r in runtime if "moto" in r and "extra ==" not in r]
    assert any("extra == " in r and "moto" in r for r in runtime)


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    project = tmp_path / "shop"
    shutil.copytree(EXAMPLE, project)
    return project


def _by_name(plan: list[dict[str, Any]], type_token: str, name: str) -> dict[str, Any]:
    return next(r for r in plan if r["type"] == type_token and r["name"] == name)


@pytest.mark.timeout(900)
def test_a_user_program_wires_its_own_resources(clean_python: Path, user_project: Path) -> None:
    assert (user_project / "components" / "__init__.py").is_file()
    done = _run([str(clean_python), "-c", RUNNER, str(user_project)], cwd=user_project)
    assert done.returncode == 0, done.stderr[-3000:]
    plan = json.loads(done.stdout.strip().splitlines()[-1])
    key = _by_name(plan, "aws:kms/key:Key", "app-key")
    subnets = [
        _by_name(plan, "aws:ec2/subnet:Subnet", f"app-private-{zone}")["id"] for zone in "ac"
    ]
    app = _by_name(plan, "aws:ec2/securityGroup:SecurityGroup", "app")
    alb = _by_name(plan, "aws:lb/loadBalancer:LoadBalancer", "web")
    cert = _by_name(plan, "aws:acm/certificate:Certificate", "edge")
    key_arn = key["outputs"]["arn"]

    groups = [r for r in plan if r["type"] == "aws:rds/subnetGroup:SubnetGroup"]
    assert [g["inputs"]["subnetIds"] for g in groups] == [subnets]
    databases = [r for r in plan if r["type"] in ("aws:rds/instance:Instance",)]
    assert databases and all(d["inputs"]["kmsKeyId"] == key_arn for d in databases)
    ingress = [r for r in plan if r["type"].startswith("aws:vpc/securityGroupIngressRule")]
    assert any(r["inputs"].get("referencedSecurityGroupId") == app["id"] for r in ingress)

    (instance,) = [r for r in plan if r["type"] == "aws:ec2/instance:Instance"]
    assert instance["inputs"]["subnetId"] == subnets[0]
    assert instance["inputs"]["rootBlockDevice"]["kmsKeyId"] == key_arn

    (distribution,) = [r for r in plan if r["type"] == "aws:cloudfront/distribution:Distribution"]
    assert distribution["inputs"]["origins"][0]["domainName"] == alb["outputs"]["dnsName"]
    assert (
        distribution["inputs"]["viewerCertificate"]["acmCertificateArn"] == cert["outputs"]["arn"]
    )
    associations = [r for r in plan if r["type"] == "aws:wafv2/webAclAssociation:WebAclAssociation"]
    assert [a["inputs"]["resourceArn"] for a in associations] == [alb["outputs"]["arn"]]

    encryption = [
        r
        for r in plan
        if r["type"].endswith("BucketServerSideEncryptionConfiguration")
        and r["name"] == "uploads-encryption"
    ]
    rule = encryption[0]["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["kmsMasterKeyId"] == key_arn


@pytest.mark.timeout(900)
def test_mypy_strict_accepts_the_user_program(clean_python: Path, user_project: Path) -> None:
    mypy = Path(sys.executable).with_name("mypy")
    done = _run(
        [
            str(mypy),
            "--strict",
            "--python-executable",
            str(clean_python),
            "--cache-dir",
            str(clean_python.parent.parent / ".mypy_cache"),
            "__main__.py",
            "components",
        ],
        cwd=user_project,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(900)
def test_the_cli_works_from_an_empty_folder(clean_python: Path, tmp_path: Path) -> None:
    cli = clean_python.with_name("secbaseline")
    done = _run([str(cli), "plan", "--tier", "beginner", "--format", "json"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(json.loads(done.stdout)["resources"]) > 50
    drill = _run([str(cli), "drill", "ec2-isolation"], cwd=tmp_path)
    assert drill.returncode == 2
    assert "pulumi-aws-security-baseline[drill]" in drill.stdout + drill.stderr
