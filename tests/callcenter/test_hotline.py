from pathlib import Path

import pytest

from callcenter.hotline import HotlineConfigError, load_hotline
from callcenter.settings import PROJECT_DIR

DEMO = (PROJECT_DIR / "config" / "hotline.toml").read_text(encoding="utf-8")


def test_the_demo_configuration_loads() -> None:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    assert hotline.queue_codes == ("urumqi", "ili", "kashgar", "aksu", "province")
    assert hotline.language_codes == ("zh", "ug")
    assert hotline.agent("1002") is not None and hotline.agent("1002").queues == ("ili", "kashgar")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('queues = ["ili", "kashgar"]', 'queues = ["ili", "turpan"]'), "unknown queues"),
        (('digit = "2"', 'digit = "1"'), "share a menu key"),
        (('open = "08:00"', 'open = "8 am"'), "hours.open"),
        (('area_codes = ["0999"]', 'area_codes = ["0991"]'), "0991"),
        (('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"'), "timezone"),
    ],
)
def test_mistakes_are_named_at_start(tmp_path: Path, change: tuple[str, str], complaint: str) -> None:
    path = tmp_path / "hotline.toml"
    path.write_text(DEMO.replace(*change), encoding="utf-8")
    with pytest.raises(HotlineConfigError) as error:
        load_hotline(path)
    assert complaint in str(error.value.message) + str(error.value.details)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(HotlineConfigError, match="not found"):
        load_hotline(tmp_path / "absent.toml")
    (tmp_path / "bad.toml").write_text("[[languages]\n")
    with pytest.raises(HotlineConfigError, match="not valid TOML"):
        load_hotline(tmp_path / "bad.toml")
