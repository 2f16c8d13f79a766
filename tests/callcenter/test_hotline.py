from pathlib import Path

import pytest

from callcenter.hotline import HotlineConfigError, RatingConfig, load_hotline
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
        (('digit = "2"\nname = "ئۇيغۇرچە"', 'digit = "1"\nname = "ئۇيغۇرچە"'), "share a menu key"),
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


def test_demo_wordings_of_categories_and_ratings() -> None:
    hotline = load_hotline(PROJECT_DIR / "config" / "hotline.toml")
    labour = hotline.category("labour")
    assert labour is not None
    assert labour.wording("zh", "zh") == "劳动争议"
    assert labour.wording("ug", "zh")
    satisfied = hotline.rating.option("1")
    assert satisfied is not None
    assert satisfied.wording("zh", "zh") == "满意请按1。"
    assert satisfied.wording("ug", "zh") == "رازى بولسىڭىز 1 نى بېسىڭ."
    # The built-in default scale carries the same Uyghur wordings.
    assert [option.prompts for option in RatingConfig().scale] == [
        option.prompts for option in hotline.rating.scale
    ]


def test_rating_options_need_a_wording_in_a_non_mandarin_default_language(tmp_path: Path) -> None:
    path = tmp_path / "hotline.toml"
    ug_default = DEMO.replace('default_language = "zh"', 'default_language = "ug"')
    path.write_text(ug_default, encoding="utf-8")
    assert load_hotline(path).default_language == "ug"

    path.write_text(
        ug_default.replace('prompts = { ug = "رازى بولمىسىڭىز 3 نى بېسىڭ." }\n', ""), encoding="utf-8"
    )
    with pytest.raises(HotlineConfigError) as error:
        load_hotline(path)
    (complaint,) = error.value.details["errors"]
    assert "rating options ['dissatisfied'] have no wording in the default language 'ug'" in complaint
