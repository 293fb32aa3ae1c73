"""``secbaseline drill ec2-isolation``: the real handler against an in-process moto account."""

from __future__ import annotations

import os
import sys

import pytest

from secbaseline.baseline.cli import main


def test_drill_shows_a_complete_isolation(capsys: pytest.CaptureFixture[str]) -> None:
    before_env = dict(os.environ)
    code = main(["drill", "ec2-isolation"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Finding CryptoCurrency:EC2/BitcoinTool.B!DNS (severity 8)" in out
    # The approve path (the default): request, one step, nothing changed, then the approval.
    assert "mode approve" in out
    assert "Notification: [secbaseline] Approve isolation of i-" in out
    assert "aws lambda invoke --function-name secbaseline-ec2-isolation" in out
    assert "nothing else changed: the instance keeps serving until a person approves" in out
    assert "Approved by drill responder: isolating" in out
    for step in (
        "protect",
        "auto-scaling",
        "load-balancing",
        "network",
        "instance-profile",
        "snapshot",
    ):
        assert f"  {step}  " in out, step
    assert "entered standby in web" in out
    assert "move eni-" in out and "to transit group" in out and "to isolation group" in out
    state = out.split("Instance state", 1)[1]
    rows = {line.split("  ")[0]: line for line in state.splitlines() if "  " in line}
    assert "web: InService" in rows["auto scaling"] and "web: Standby" in rows["auto scaling"]
    assert "registered" in rows["target group web"] and "not registered" in rows["target group web"]
    assert rows["termination protection"].split()[-2:] == ["False", "True"]
    assert (
        "web-app" in rows["instance profile"]
        and "secbaseline-quarantine" in rows["instance profile"]
    )
    assert (
        "0 of 2 volumes" in rows["volume snapshots"]
        and "2 of 2 volumes" in rows["volume snapshots"]
    )
    assert sum(1 for line in state.splitlines() if line.startswith("security groups: eni-")) == 2
    assert all(
        line.rstrip().endswith("secbaseline-isolation")
        for line in state.splitlines()
        if line.startswith("security groups: eni-")
    )
    assert "isolation/i-" in out and "state.json" in out
    assert "Notification: [secbaseline] Isolated i-" in out
    assert "RESULT: i-" in out and "isolated completely" in out
    assert '{"time"' not in out  # the function's JSON logs are replaced by the timeline
    assert dict(os.environ) == before_env  # fake credentials were only set during the drill


def test_drill_with_restore(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drill", "ec2-isolation", "--restore"]) == 0
    out = capsys.readouterr().out
    restored = out.split("Restore (false positive)", 1)[1]
    assert "exit standby in web" in restored
    assert "replace the quarantine profile with" in restored
    rows = {line.split("  ")[0]: line for line in restored.splitlines() if "  " in line}
    assert rows["auto scaling"].rstrip().endswith("web: InService")
    assert rows["instance profile"].rstrip().endswith("web-app")


def test_drill_without_moto_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)
    assert main(["drill", "ec2-isolation"]) == 2
    assert "moto is not installed" in capsys.readouterr().out


def test_unknown_drill_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["drill", "s3-breach"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_drill_automatic_mode_isolates_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drill", "ec2-isolation", "--mode", "automatic"]) == 0
    out = capsys.readouterr().out
    assert "mode automatic" in out and "Approve isolation" not in out
    assert "RESULT: i-" in out and "isolated completely" in out
