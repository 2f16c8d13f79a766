"""The prompt catalogue, synthesised with the real espeak-ng and sox, and installed into a sounds tree."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from callcenter.asterisk import prompts
from callcenter.asterisk.prompts import PromptCatalogue, PromptError
from callcenter.hotline import HotlineConfig, load_hotline
from callcenter.settings import PROJECT_DIR

SMALL_CATALOGUE = """
[voices]
zh = "cmn-latn-pinyin"
ug = "ug"

[prompts.cc-goodbye]
zh = "感谢您的来电，再见。"
ug = "تېلېفون قىلغىنىڭىزغا رەھمەت، خەير-خوش."

[prompts.cc-sorry]
zh = "对不起，系统暂时无法为您服务。"
ug = "كەچۈرۈڭ، سىستېما ۋاقتىنچە سىزگە مۇلازىمەت قىلالمايدۇ."

[prompts."digits/5"]
zh = "五"
ug = "بەش"
"""


def soxi(option: str, path: Path) -> str:
    completed = subprocess.run(["soxi", option, str(path)], check=True, capture_output=True, text=True)
    return completed.stdout.strip()


def write_catalogue(tmp_path: Path, text: str, name: str = "prompts.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def wav_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.wav"))


def mtimes(directory: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in wav_files(directory)}


@pytest.fixture
def small(tmp_path: Path) -> PromptCatalogue:
    return prompts.load_catalogue(write_catalogue(tmp_path, SMALL_CATALOGUE))


# --- the shipped catalogue -----------------------------------------------------------------------


def test_shipped_catalogue_has_every_prompt_in_zh_and_ug() -> None:
    catalogue = prompts.load_catalogue(prompts.DEFAULT_CATALOGUE)
    assert set(catalogue.languages) == {"zh", "ug"}
    for name, wordings in catalogue.texts.items():
        assert set(wordings) == {"zh", "ug"}, name
        assert all(text.strip() for text in wordings.values()), name
    press = catalogue.texts["cc-press-for-language"]
    assert "1" in press["zh"]
    assert "2" in press["ug"]


def test_shipped_catalogue_has_what_asterisk_plays() -> None:
    names = set(prompts.load_catalogue(prompts.DEFAULT_CATALOGUE).texts)
    for queue_sound in (
        "queue-youarenext",
        "queue-thereare",
        "queue-callswaiting",
        "queue-quantity1",
        "queue-quantity2",
        "queue-holdtime",
        "queue-minute",
        "queue-minutes",
        "queue-seconds",
        "queue-thankyou",
        "queue-periodic-announce",
    ):
        assert queue_sound in names
    numbers = {f"digits/{n}" for n in (*range(20), *range(20, 100, 10))} | {"digits/hundred"}
    assert numbers <= names


# --- load errors ---------------------------------------------------------------------------------


def test_missing_language_wording_is_named(tmp_path: Path) -> None:
    text = '[voices]\nzh = "cmn-latn-pinyin"\nug = "ug"\n\n[prompts.cc-goodbye]\nzh = "再见。"\n'
    with pytest.raises(PromptError) as caught:
        prompts.load_catalogue(write_catalogue(tmp_path, text))
    assert caught.value.code == "prompts-invalid"
    assert "cc-goodbye" in caught.value.message
    assert "ug" in caught.value.message
    assert caught.value.details["missing"] == {"cc-goodbye": ["ug"]}


@pytest.mark.parametrize("name", ["../x", "a/b/c", "x.wav", "/abs", ".hidden", "a b"])
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    text = f'[voices]\nzh = "cmn-latn-pinyin"\n\n[prompts."{name}"]\nzh = "再见。"\n'
    with pytest.raises(PromptError, match="unsafe prompt name"):
        prompts.load_catalogue(write_catalogue(tmp_path, text))


def test_language_without_a_voice_is_refused(tmp_path: Path) -> None:
    text = '[voices]\nzh = "cmn-latn-pinyin"\n\n[prompts.cc-goodbye]\nzh = "再见。"\nfr = "Au revoir."\n'
    with pytest.raises(PromptError, match="'fr', which has no voice"):
        prompts.load_catalogue(write_catalogue(tmp_path, text))


def test_catalogue_without_voices_or_broken_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match=r"no \[voices\]"):
        prompts.load_catalogue(write_catalogue(tmp_path, '[prompts.x]\nzh = "x"\n'))
    with pytest.raises(PromptError, match="not valid TOML"):
        prompts.load_catalogue(write_catalogue(tmp_path, "[voices\n"))
    with pytest.raises(PromptError, match="cannot read"):
        prompts.load_catalogue(tmp_path / "absent.toml")


# --- generation ----------------------------------------------------------------------------------


def test_generate_writes_8khz_mono_wavs_and_caches(small: PromptCatalogue, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    assert prompts.generate(small, out) == 6
    expected = [
        out / lang / f"{name}.wav" for lang in ("ug", "zh") for name in ("cc-goodbye", "cc-sorry", "digits/5")
    ]
    assert wav_files(out) == sorted(expected)
    for path in expected:
        assert soxi("-r", path) == "8000"
        assert soxi("-c", path) == "1"
        assert soxi("-b", path) == "16"
        assert soxi("-e", path) == "Signed Integer PCM"
        assert float(soxi("-D", path)) > 0.3, path
    assert (out / "manifest.json").is_file()

    before = mtimes(out)
    assert prompts.generate(small, out) == 0
    assert mtimes(out) == before


def test_changing_one_text_regenerates_only_that_one(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, SMALL_CATALOGUE)), out)
    before = mtimes(out)

    changed = SMALL_CATALOGUE.replace("对不起，系统暂时无法为您服务。", "对不起，请稍后再拨。")
    assert prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, changed)), out) == 1
    after = mtimes(out)
    assert {path for path in before if after[path] != before[path]} == {out / "zh" / "cc-sorry.wav"}


def test_removing_a_prompt_deletes_its_files(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, SMALL_CATALOGUE)), out)

    without_digit = SMALL_CATALOGUE.split('[prompts."digits/5"]')[0]
    assert prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, without_digit)), out) == 0
    assert not (out / "zh" / "digits").exists()
    assert not (out / "ug" / "digits").exists()
    assert (out / "zh" / "cc-sorry.wav").is_file()


def test_a_lost_file_is_regenerated(small: PromptCatalogue, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    prompts.generate(small, out)
    (out / "ug" / "cc-goodbye.wav").unlink()
    assert prompts.generate(small, out) == 1
    assert (out / "ug" / "cc-goodbye.wav").is_file()


def test_unknown_voice_is_refused_before_synthesis(tmp_path: Path) -> None:
    # espeak-ng itself would speak "no-such-voice" as Norwegian ("no") without complaint.
    text = '[voices]\nzh = "no-such-voice"\n\n[prompts.cc-goodbye]\nzh = "再见。"\n'
    catalogue = prompts.load_catalogue(write_catalogue(tmp_path, text))
    with pytest.raises(PromptError, match="no voice no-such-voice") as caught:
        prompts.generate(catalogue, tmp_path / "generated")
    assert caught.value.details["unknown_voices"] == {"zh": "no-such-voice"}
    assert not wav_files(tmp_path / "generated")


def test_a_failed_prompt_is_reported_and_the_others_stay_cached(
    small: PromptCatalogue, tmp_path: Path
) -> None:
    out = tmp_path / "generated"
    prompts.generate(small, out)
    # A directory in the way of one wav: its synthesis succeeds but storing it cannot.
    (out / "zh" / "cc-goodbye.wav").unlink()
    (out / "zh" / "cc-goodbye.wav").mkdir()
    with pytest.raises(PromptError, match="cannot store prompt zh/cc-goodbye") as caught:
        prompts.generate(small, out)
    assert caught.value.details["failures"][0]["prompt"] == "zh/cc-goodbye"
    # The manifest still records the prompts that are fine, so they are not synthesised again.
    (out / "zh" / "cc-goodbye.wav").rmdir()
    assert prompts.generate(small, out) == 1


def test_full_shipped_catalogue_generates(tmp_path: Path) -> None:
    catalogue = prompts.load_catalogue(prompts.DEFAULT_CATALOGUE)
    out = tmp_path / "generated"
    count = prompts.generate(catalogue, out)
    assert count == len(catalogue.texts) * len(catalogue.languages)
    files = wav_files(out)
    assert len(files) == count
    for path in files:
        assert path.stat().st_size > 44, path
        assert soxi("-r", path) == "8000", path
        assert soxi("-c", path) == "1", path


# --- installation --------------------------------------------------------------------------------


def test_recorded_override_replaces_the_generated_wav(small: PromptCatalogue, tmp_path: Path) -> None:
    generated, overrides, target = tmp_path / "generated", tmp_path / "recorded", tmp_path / "sounds"
    prompts.generate(small, generated)

    prompts.install(generated, overrides, target)
    installed = sorted(path.relative_to(target) for path in target.rglob("*") if path.is_file())
    assert installed == sorted(path.relative_to(generated) for path in wav_files(generated))

    recording = overrides / "zh" / "cc-goodbye.gsm"
    recording.parent.mkdir(parents=True)
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", str(recording), "synth", "0.5", "sine", "440"],
        check=True,
        capture_output=True,
    )
    prompts.install(generated, overrides, target)
    assert (target / "zh" / "cc-goodbye.gsm").read_bytes() == recording.read_bytes()
    assert not (target / "zh" / "cc-goodbye.wav").exists()
    assert (target / "ug" / "cc-goodbye.wav").is_file()
    assert (target / "zh" / "cc-sorry.wav").is_file()

    before = {path: path.stat().st_mtime_ns for path in target.rglob("*") if path.is_file()}
    prompts.install(generated, overrides, target)
    assert {path: path.stat().st_mtime_ns for path in target.rglob("*") if path.is_file()} == before

    recording.unlink()
    prompts.install(generated, overrides, target)
    assert not (target / "zh" / "cc-goodbye.gsm").exists()
    assert (target / "zh" / "cc-goodbye.wav").read_bytes() == (
        generated / "zh" / "cc-goodbye.wav"
    ).read_bytes()


def test_install_removes_what_is_no_longer_generated(tmp_path: Path) -> None:
    generated, target = tmp_path / "generated", tmp_path / "sounds"
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, SMALL_CATALOGUE)), generated)
    prompts.install(generated, None, target)
    (target / "zh" / "stray.wav").write_bytes(b"left over")

    without_digit = SMALL_CATALOGUE.split('[prompts."digits/5"]')[0]
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, without_digit)), generated)
    prompts.install(generated, None, target)
    assert not (target / "zh" / "stray.wav").exists()
    assert not (target / "zh" / "digits").exists()
    assert (target / "ug" / "cc-sorry.wav").is_file()


def test_install_follows_a_regenerated_prompt(tmp_path: Path) -> None:
    generated, target = tmp_path / "generated", tmp_path / "sounds"
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, SMALL_CATALOGUE)), generated)
    prompts.install(generated, None, target)

    changed = SMALL_CATALOGUE.replace("五", "六")
    prompts.generate(prompts.load_catalogue(write_catalogue(tmp_path, changed)), generated)
    prompts.install(generated, None, target)
    assert (target / "zh" / "digits" / "5.wav").read_bytes() == (
        generated / "zh" / "digits" / "5.wav"
    ).read_bytes()


def test_install_refuses_a_target_that_holds_the_sources(small: PromptCatalogue, tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    prompts.generate(small, generated)
    with pytest.raises(PromptError, match="overlaps"):
        prompts.install(generated, None, tmp_path)
    with pytest.raises(PromptError, match="run generate first"):
        prompts.install(tmp_path / "nothing", None, tmp_path / "sounds")


# --- transfer to an expert, rating, and the prompts made from the hotline configuration -----------

TRANSFER_AND_RATING = (
    "cc-transferring",
    "cc-transfer-next",
    "cc-transfer-failed-queue",
    "cc-transfer-failed-callback",
    "cc-rating-question",
    "cc-rating-thanks",
    "cc-expert-intro",
    "cc-expert-caller-number",
    "cc-expert-category",
    "cc-expert-press-1",
)


def hotline_config(**fields: Any) -> HotlineConfig:
    data: dict[str, Any] = {
        "languages": [
            {"code": "zh", "digit": "1", "name": "普通话"},
            {"code": "ug", "digit": "2", "name": "ug"},
        ],
        "region": {"province": "新疆", "prefectures": [{"code": "urumqi", "name": "乌鲁木齐市"}]},
        "categories": [{"code": "labour", "name": "劳动争议"}],
        **fields,
    }
    return HotlineConfig.model_validate(data)


def test_shipped_catalogue_has_the_transfer_and_rating_prompts() -> None:
    catalogue = prompts.load_catalogue(prompts.DEFAULT_CATALOGUE)
    for name in TRANSFER_AND_RATING:
        assert set(catalogue.texts[name]) == set(catalogue.languages), name
    assert "1" in catalogue.texts["cc-expert-press-1"]["zh"]
    assert "1" in catalogue.texts["cc-expert-press-1"]["ug"]
    # Made from the configuration, so never in the catalogue where the two could disagree.
    assert not [name for name in catalogue.texts if name.startswith(("cc-category-", "cc-rating-option-"))]


def test_configured_prompts_default_wordings() -> None:
    configured = prompts.configured_prompts(hotline_config())
    assert configured["cc-category-labour"] == {"zh": ("zh", "劳动争议"), "ug": ("zh", "劳动争议")}
    # The built-in scale: Mandarin derived from the name, Uyghur carried by the default.
    assert list(configured)[1:] == [
        "cc-rating-option-satisfied",
        "cc-rating-option-basically-satisfied",
        "cc-rating-option-dissatisfied",
    ]
    assert configured["cc-rating-option-satisfied"]["zh"] == ("zh", "满意请按1。")
    assert configured["cc-rating-option-dissatisfied"]["zh"] == ("zh", "不满意请按3。")
    for option in ("satisfied", "basically-satisfied", "dissatisfied"):
        language, text = configured[f"cc-rating-option-{option}"]["ug"]
        assert language == "ug"
        assert text.strip()


def test_configured_prompts_explicit_wordings() -> None:
    hotline = hotline_config(
        categories=[
            {"code": "labour", "name": "劳动争议", "prompts": {"ug": " ئەمگەك ماجىراسى ", "zh": "劳动"}}
        ],
        rating={
            "scale": [
                {
                    "digit": "1",
                    "code": "good",
                    "name": "好",
                    "prompts": {"zh": "好，请按一。", "ug": "ياخشى 1"},
                },
                {"digit": "2", "code": "bad", "name": "差"},
            ]
        },
    )
    configured = prompts.configured_prompts(hotline)
    assert configured["cc-category-labour"] == {"zh": ("zh", "劳动"), "ug": ("ug", "ئەمگەك ماجىراسى")}
    assert configured["cc-rating-option-good"] == {"zh": ("zh", "好，请按一。"), "ug": ("ug", "ياخشى 1")}
    assert configured["cc-rating-option-bad"] == {"zh": ("zh", "差请按2。"), "ug": ("zh", "差请按2。")}


def test_a_non_mandarin_default_needs_rating_wordings() -> None:
    languages = [{"code": "ug", "digit": "1", "name": "ug"}]
    with pytest.raises(ValidationError, match=r"rating options \['bad'\] have no wording.*'ug'"):
        hotline_config(
            default_language="ug",
            languages=languages,
            rating={
                "scale": [
                    {"digit": "1", "code": "good", "name": "好", "prompts": {"ug": "ياخشى 1"}},
                    {"digit": "2", "code": "bad", "name": "差"},
                ]
            },
        )
    # The built-in scale carries Uyghur, so a Uyghur hotline works without a scale of its own.
    hotline = hotline_config(default_language="ug", languages=languages)
    configured = prompts.configured_prompts(hotline)
    assert configured["cc-category-labour"] == {"ug": ("ug", "劳动争议")}
    assert configured["cc-rating-option-satisfied"]["ug"][0] == "ug"


def test_fallback_is_spoken_with_the_default_voice_and_warned_once(
    small: PromptCatalogue, caplog: pytest.LogCaptureFixture
) -> None:
    hotline = hotline_config(
        categories=[{"code": "labour", "name": "劳动争议"}, {"code": "debt", "name": "债务"}]
    )
    with caplog.at_level(logging.WARNING, logger=prompts.__name__):
        merged = prompts.with_configured_prompts(small, hotline)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "ug: cc-category-labour, cc-category-debt" in message
    assert "rating-option" not in message
    assert merged.texts["cc-category-labour"] == {"zh": "劳动争议", "ug": "劳动争议"}
    assert merged.voice("cc-category-labour", "ug") == "cmn-latn-pinyin"
    assert merged.voice("cc-category-labour", "zh") == "cmn-latn-pinyin"
    assert merged.voice("cc-rating-option-satisfied", "ug") == "ug"
    assert merged.voice("cc-goodbye", "ug") == "ug"
    assert small.texts.keys() < merged.texts.keys()

    caplog.clear()
    explicit = hotline_config(
        categories=[{"code": "labour", "name": "劳动争议", "prompts": {"ug": "ئەمگەك"}}]
    )
    with caplog.at_level(logging.WARNING, logger=prompts.__name__):
        prompts.with_configured_prompts(small, explicit)
    assert not caplog.records


def test_configured_prompts_that_cannot_be_installed_are_refused(tmp_path: Path) -> None:
    clash = SMALL_CATALOGUE + '\n[prompts.cc-category-labour]\nzh = "劳动"\nug = "ئەمگەك"\n'
    with pytest.raises(PromptError, match="both in the catalogue and made from the configuration"):
        prompts.with_configured_prompts(
            prompts.load_catalogue(write_catalogue(tmp_path, clash)), hotline_config()
        )

    zh_only = prompts.load_catalogue(
        write_catalogue(tmp_path, '[voices]\nzh = "cmn-latn-pinyin"\n\n[prompts.cc-goodbye]\nzh = "再见。"\n')
    )
    with pytest.raises(PromptError, match="'ug', which has no voice") as caught:
        prompts.with_configured_prompts(zh_only, hotline_config())
    assert "cc-category-labour" in caught.value.message
    # A hotline with fewer languages than the catalogue is fine: its prompts exist in its languages only.
    zh_hotline = hotline_config(languages=[{"code": "zh", "digit": "1", "name": "普通话"}])
    merged = prompts.with_configured_prompts(zh_only, zh_hotline)
    assert merged.texts["cc-rating-option-satisfied"] == {"zh": "满意请按1。"}


def test_a_category_code_the_safe_name_rule_refuses_is_refused_by_the_config() -> None:
    with pytest.raises(ValidationError):
        hotline_config(categories=[{"code": "../etc", "name": "x"}])
    with pytest.raises(ValidationError):
        hotline_config(categories=[{"code": "labour", "name": "x", "prompts": {"ug": "  "}}])
    with pytest.raises(ValidationError):
        hotline_config(categories=[{"code": "labour", "name": "x", "prompts": {"Uyghur": "x"}}])


def test_configured_prompts_generate_and_regenerate_when_a_wording_changes(
    small: PromptCatalogue, tmp_path: Path
) -> None:
    out = tmp_path / "generated"
    hotline = hotline_config(rating={"scale": [{"digit": "1", "code": "good", "name": "好"}]})
    assert prompts.generate(prompts.with_configured_prompts(small, hotline), out) == 6 + 4
    configured = [
        out / lang / f"{name}.wav"
        for lang in ("zh", "ug")
        for name in ("cc-category-labour", "cc-rating-option-good")
    ]
    for path in configured:
        assert soxi("-r", path) == "8000", path
        assert soxi("-c", path) == "1", path
        assert soxi("-b", path) == "16", path
        assert float(soxi("-D", path)) > 0.3, path
    # The fallback: the same Mandarin words in the same voice as the zh prompt (the same cache key).
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["entries"]
    assert entries["ug/cc-category-labour"] == entries["zh/cc-category-labour"]
    assert entries["ug/cc-rating-option-good"] == entries["zh/cc-rating-option-good"]
    before = mtimes(out)
    assert prompts.generate(prompts.with_configured_prompts(small, hotline), out) == 0

    # A Uyghur wording of its own: new text and new voice for ug only.
    renamed = hotline_config(
        categories=[{"code": "labour", "name": "劳动争议", "prompts": {"ug": "ئەمگەك ماجىراسى"}}],
        rating={"scale": [{"digit": "1", "code": "good", "name": "很好"}]},
    )
    assert prompts.generate(prompts.with_configured_prompts(small, renamed), out) == 3
    after = mtimes(out)
    assert {path for path in before if after[path] != before[path]} == {
        out / "ug" / "cc-category-labour.wav",
        out / "zh" / "cc-rating-option-good.wav",
        out / "ug" / "cc-rating-option-good.wav",
    }

    # A category dropped from the configuration goes with its files.
    fewer = hotline_config(categories=[], rating={"scale": [{"digit": "1", "code": "good", "name": "很好"}]})
    assert prompts.generate(prompts.with_configured_prompts(small, fewer), out) == 0
    assert not (out / "zh" / "cc-category-labour.wav").exists()
    assert not (out / "ug" / "cc-category-labour.wav").exists()
    generated, target = out, tmp_path / "sounds"
    prompts.install(generated, None, target)
    assert (target / "ug" / "cc-rating-option-good.wav").is_file()


def test_rating_menu_follows_the_scale_order() -> None:
    assert prompts.rating_menu(hotline_config()) == (
        "cc-rating-question&cc-rating-option-satisfied&cc-rating-option-basically-satisfied"
        "&cc-rating-option-dissatisfied"
    )
    reordered = hotline_config(
        rating={
            "scale": [
                {"digit": "5", "code": "best", "name": "非常满意"},
                {"digit": "1", "code": "worst", "name": "非常不满意", "dissatisfied": True},
            ]
        }
    )
    assert prompts.rating_menu(reordered) == "cc-rating-question&cc-rating-option-best&cc-rating-option-worst"
    assert prompts.category_prompt("labour") == "cc-category-labour"
    assert prompts.rating_option_prompt("best") == "cc-rating-option-best"


def test_the_demo_and_test_hotlines_have_every_configured_wording(caplog: pytest.LogCaptureFixture) -> None:
    catalogue = prompts.load_catalogue(prompts.DEFAULT_CATALOGUE)
    for path in (
        PROJECT_DIR / "config" / "hotline.toml",
        PROJECT_DIR / "tests" / "integration" / "hotline.toml",
    ):
        hotline = load_hotline(path)
        with caplog.at_level(logging.WARNING, logger=prompts.__name__):
            merged = prompts.with_configured_prompts(catalogue, hotline)
        assert not caplog.records, path
        for category in hotline.categories:
            assert set(merged.texts[f"cc-category-{category.code}"]) == {"zh", "ug"}
        for option in hotline.rating.scale:
            assert (
                merged.texts[f"cc-rating-option-{option.code}"]["zh"] == f"{option.name}请按{option.digit}。"
            )
            assert merged.voice(f"cc-rating-option-{option.code}", "ug") == "ug"
