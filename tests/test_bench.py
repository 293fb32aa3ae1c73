"""``make bench``: the floor replays exactly the resources the baseline's program registered."""

from secbaseline.baseline import bench


def test_floor_replays_the_same_resources() -> None:
    row = bench.measure("beginner", 1)
    assert row["resources"] > 50
    assert row["replayed"] == row["resources"]
    assert row["cpu"] > 0 and row["floor_cpu"] > 0
    assert row["rss_ratio"] > 0.5
    table = bench.render([row])
    assert "| beginner | " in table and "x |" in table
