"""`network.ip_headroom_percent`: the share of each subnet `plan ips` keeps free. A number
from 0 to 90 (default 10); anything else is refused naming the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.config import load_config
from eks_blueprint.config.network import NetworkConfig, check_ip_headroom
from tests.unit.test_config import mutate, problems, write


def test_the_default_is_10_and_a_file_may_set_a_whole_or_decimal_percentage(
    tmp_path: Path,
) -> None:
    assert NetworkConfig(cidr="10.0.0.0/16").ip_headroom_percent == 10.0
    for value in (0, 12.5, 90):
        config = load_config(write(tmp_path, mutate(network__ip_headroom_percent=value)))
        assert config.network.ip_headroom_percent == float(value)
        assert isinstance(config.network.ip_headroom_percent, float)


@pytest.mark.parametrize(
    "value",
    [90.5, 100, -1, -0.1, True, "10", "10%", None, [10]],
)
def test_a_value_outside_0_to_90_or_not_a_number_is_refused(tmp_path: Path, value: Any) -> None:
    found = problems(tmp_path, mutate(network__ip_headroom_percent=value))
    (line,) = [p for p in found if "network.ip_headroom_percent" in p]
    assert "not a percentage from 0 to 90" in line
    assert "use a number such as 10 (the default)" in line


def test_nan_and_infinity_in_yaml_are_refused(tmp_path: Path) -> None:
    for text in (".nan", ".inf"):
        path = write(tmp_path, mutate(network__ip_headroom_percent=0))
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                "ip_headroom_percent: 0", f"ip_headroom_percent: {text}"
            ),
            encoding="utf-8",
        )
        found = problems(tmp_path, path.read_text(encoding="utf-8"))
        # the loader refuses a non-finite number before the model sees it
        assert any(
            "network.ip_headroom_percent" in p and ("finite" in p or "not a percentage" in p)
            for p in found
        ), found


def test_the_check_is_the_one_the_plan_uses_for_headroom() -> None:
    assert check_ip_headroom(15) == 15.0
    for bad in (91, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="not a percentage from 0 to 90"):
            check_ip_headroom(bad)
