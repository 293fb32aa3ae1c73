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
from filelock import FileLock

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
    # setuptools builds in the checkout's build/ folder: two builds at once (two xdist workers,
    # two sessions) collide there, so they take turns.
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    with FileLock(Path(tempfile.gettempdir()) / f"secbaseline-wheel-build-{checkout}.lock"):
        built = _run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "-w",
                str(dist),
                str(ROOT),
            ],
            cwd=dist,
        )
    assert built.returncode == 0, built.stderr
    (found,) = dist.glob("*.whl")
    return found


def _dependency_key() -> str:
    """Changes when the declared runtime dependencies (or the Python) change. The checkout's
    path is part of it: each session reinstalls its own wheel into the virtualenv, so two
    checkouts (git worktrees) testing at once must not share one."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    deps = json.dumps([sys.version_info[:2], pyproject["project"]["dependencies"], str(ROOT)])
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
    # Two pip runs in one virtualenv corrupt it: one test session installs at a time.
    with FileLock(f"{home}.lock"):
        return _install_user_python(home, python, ready, wheel)


def _install_user_python(home: Path, python: Path, ready: Path, wheel: Path) -> Path:
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


# --- The policy pack alone (issue 15): a copy of policies/ outside the checkout --------------

PACK_REQUIREMENTS = ROOT / "policies" / "requirements.txt"
DETECTION_POLICIES = ("guardduty-all-regions", "securityhub-all-regions", "config-all-regions")


def _requirement_lines() -> list[str]:
    lines = PACK_REQUIREMENTS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _policy_floor() -> str:
    (spec,) = [r for r in _requirement_lines() if r.startswith("pulumi-policy")]
    floor = spec.split(">=", 1)[1].split(",", 1)[0]
    return floor if floor.count(".") == 2 else f"{floor}.0"


def test_pack_requirements_pin_this_release() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    assert f"pulumi-aws-security-baseline=={version}" in _requirement_lines()
    manifest = (ROOT / "policies" / "PulumiPolicy.yaml").read_text(encoding="utf-8")
    assert "virtualenv: venv" in manifest  # beside the pack: no path into this repository


@pytest.fixture(scope="session")
def pack_python(wheel: Path) -> Path:
    """A virtualenv made from the pack's requirements.txt alone, with the oldest pulumi-policy
    it allows; the built wheel stands in for the pinned release (same version, checked above).
    Kept between sessions like ``clean_python``, keyed by the requirements too."""
    key = hashlib.sha256(
        (_dependency_key() + PACK_REQUIREMENTS.read_text(encoding="utf-8")).encode()
    ).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"secbaseline-pack-venv-{key}"
    python = home / "bin" / "python"
    ready = home / ".dependencies-installed"
    if not ready.is_file():
        shutil.rmtree(home, ignore_errors=True)
        venv.create(home, with_pip=True)
        floor = f"pulumi-policy=={_policy_floor()}"
        done = _run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                str(wheel),
                "-r",
                str(PACK_REQUIREMENTS),
                floor,
            ],
            cwd=home,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        ready.touch()
    done = _run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
        cwd=home,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return python


def _served_findings(python: Path, pack: Path, plan: Any) -> set[tuple[str, str, str | None, str]]:
    """Serve the pack from ``pack`` and send it the plan the way the engine does (gRPC)."""
    import grpc
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

    def struct(value: dict[str, Any]) -> struct_pb2.Struct:
        message = struct_pb2.Struct()
        message.update(json.loads(json.dumps(value)))
        return message

    def resource(r: Any) -> dict[str, Any]:
        region = plan.region_of(r)
        fields: dict[str, Any] = {
            "type": r.type,
            "properties": struct(r.inputs),
            "urn": r.urn,
            "name": r.name,
        }
        if region:
            fields["provider"] = analyzer_pb2.AnalyzerProviderResource(
                type="pulumi:providers:aws",
                properties=struct({"region": region}),
                urn="urn:pulumi:dev::shop::pulumi:providers:aws::default",
                name="default",
            )
        return fields

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    server = subprocess.Popen(
        [str(python), "-u", str(pack)], cwd=pack, stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        detection = {"tier": "intermediate", "regions": ["ap-northeast-1"]}
        stub.Configure(
            analyzer_pb2.ConfigureAnalyzerRequest(
                policyConfig={
                    name: analyzer_pb2.PolicyConfig(
                        enforcementLevel=analyzer_pb2.MANDATORY, properties=struct(detection)
                    )
                    for name in DETECTION_POLICIES
                }
            ),
            timeout=60,
        )
        levels = {analyzer_pb2.MANDATORY: "mandatory", analyzer_pb2.ADVISORY: "advisory"}

        def message(d: Any) -> str:  # the SDK puts the policy's description first
            text: str = d.message
            assert text.startswith(d.description + "\n"), text
            return text.removeprefix(d.description + "\n")

        found: set[tuple[str, str, str | None, str]] = set()
        resources = [resource(r) for r in plan.custom_resources()]
        for fields in resources:
            answer = stub.Analyze(analyzer_pb2.AnalyzeRequest(**fields), timeout=60)
            found |= {
                (d.policyName, levels[d.enforcementLevel], d.urn or fields["urn"], message(d))
                for d in answer.diagnostics
            }
        # The stack view of a deployed stack: the engine sends state, whose outputs carry the id
        # the rules join settings by (a fresh preview joins by property dependencies instead).
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    **{**fields, "properties": struct({**r.inputs, "id": r.id})}
                )
                for r, fields in zip(plan.custom_resources(), resources, strict=True)
            ]
        )
        answer = stub.AnalyzeStack(request, timeout=60)
        found |= {
            (d.policyName, levels[d.enforcementLevel], d.urn or None, message(d))
            for d in answer.diagnostics
        }
        channel.close()
        return found
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.timeout(900)
def test_a_copy_of_the_pack_judges_like_the_repository(pack_python: Path, tmp_path: Path) -> None:
    from secbaseline.baseline.check import check_plan, plan_program
    from secbaseline.policies import rules

    pack = tmp_path / "empty" / "policy-pack"
    shutil.copytree(ROOT / "policies", pack, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    served_from = _run(
        [str(pack_python), "-c", "import pulumi_policy, secbaseline; print(secbaseline.__file__)"],
        cwd=pack,
    )
    assert served_from.returncode == 0, served_from.stderr
    assert not served_from.stdout.startswith(str(ROOT))  # the pack's venv, not this checkout
    floor = _run([str(pack_python), "-m", "pip", "show", "pulumi-policy"], cwd=pack)
    assert f"Version: {_policy_floor()}" in floor.stdout

    plan = plan_program(ROOT / "tests" / "fixtures" / "insecure_program", None)
    expected = {
        (f.policy, f.enforcement, f.urn, f.message)
        for f in check_plan(
            plan, options=rules.StackOptions(tier="intermediate", regions=("ap-northeast-1",))
        )
    }
    served = _served_findings(pack_python, pack, plan)
    assert len(expected) > 30
    assert served == expected
