"""Schedule expressions and SSM rate/error thresholds (baseline.validate)."""

from __future__ import annotations

import pytest

from secbaseline.baseline import validate


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 day)",
        "rate(7 days)",
        "rate(30 minutes)",
        "rate(1 hour)",
        "cron(0 2 ? * SUN *)",
        "cron(0 2 ? * SUN)",
        "cron(30 3 * * ? *)",
        "cron(0 4 ? * THU#3 *)",
        "cron(0/15 1-5 ? * MON-FRI *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 15W * ? 2030)",
        "cron(0 22 ? JAN,JUL 6L *)",
        "cron(*/10 * ? * * *)",
    ],
)
def test_valid_schedules(expression: str) -> None:
    assert validate.schedule_expression("patching.scanSchedule", expression) == expression


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (5, "is not a schedule expression"),
        ("daily", "is not a schedule expression; expected rate"),
        ("rate(0 days)", "the rate must be at least 1"),
        ("rate(1 days)", "use a singular unit for 1"),
        ("rate(2 day)", "use a singular unit for 1"),
        ("rate(2 weeks)", "is not a schedule expression"),
        ("cron(0 2 * *)", "cron needs 5 or 6 fields"),
        ("cron(0 2 ? * SUN * *)", "cron needs 5 or 6 fields"),
        ("cron(60 2 ? * SUN *)", "bad minutes field '60'"),
        ("cron(0 24 ? * SUN *)", "bad hours field '24'"),
        ("cron(0 2 32 * ? *)", "bad day-of-month field '32'"),
        ("cron(0 2 ? 13 SUN *)", "bad month field '13'"),
        ("cron(0 2 ? * FUNDAY *)", "bad day-of-week field 'FUNDAY'"),
        ("cron(0 2 ? * SUN#6 *)", "bad day-of-week field 'SUN#6'"),
        ("cron(0 2 ? * SUN 1900)", "bad year field '1900'"),
        ("cron(0/0 2 ? * SUN *)", "bad minutes field '0/0'"),
        ("cron(0 2 * * SUN *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 2 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 ? ? * SUN *)", "bad hours field '?'"),
        ("cron(0,,5 2 ? * SUN *)", "bad minutes field"),
    ],
)
def test_invalid_schedules_name_the_field(expression: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        validate.schedule_expression("patching.scanSchedule", expression)
    assert str(err.value).startswith("patching.scanSchedule: ")
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("value", "allow_zero", "expected"),
    [
        ("10%", False, "10%"),
        ("1", False, "1"),
        (5, False, "5"),
        ("0", True, "0"),
        ("100%", False, "100%"),
    ],
)
def test_count_or_percentage(value: object, allow_zero: bool, expected: str) -> None:
    assert validate.count_or_percentage("f", value, allow_zero=allow_zero) == expected


@pytest.mark.parametrize(
    ("value", "allow_zero", "message"),
    [
        ("0", False, "f: '0' is out of range 1-10000"),
        ("0%", False, "f: '0%' is out of range 1-100%"),
        ("101%", True, "f: '101%' is out of range 0-100%"),
        ("ten", False, "f: 'ten' is not a count"),
        (True, False, "f: True is not a count"),
        ("-1", True, "f: '-1' is not a count"),
        (1.5, False, "f: 1.5 is not a count"),
    ],
)
def test_bad_count_or_percentage(value: object, allow_zero: bool, message: str) -> None:
    with pytest.raises(ValueError) as err:
        validate.count_or_percentage("f", value, allow_zero=allow_zero)
    assert str(err.value).startswith(message)


def test_trailing_newline_is_not_a_schedule() -> None:
    with pytest.raises(ValueError, match="is not a schedule expression"):
        validate.schedule_expression("f", "rate(1 day)\n")


def test_log_retention_days() -> None:
    assert validate.log_retention_days("f", 365) == 365
    for bad in (0, 2, True, "30", 30.0):
        with pytest.raises(ValueError, match=r"^f: .* is not a CloudWatch Logs retention"):
            validate.log_retention_days("f", bad)


@pytest.mark.parametrize("name", ["my-logs", "a.b.c", "abc"])
def test_bucket_name(name: str) -> None:
    assert validate.bucket_name("f", name) == name


@pytest.mark.parametrize("name", ["ab", "My-Logs", "-abc", "a..b", "a_b", "a" * 64, 5])
def test_bad_bucket_name(name: object) -> None:
    with pytest.raises(ValueError, match=r"^f: .* is not a valid S3 bucket name"):
        validate.bucket_name("f", name)
