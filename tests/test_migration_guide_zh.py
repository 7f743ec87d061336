"""The simplified Chinese guide (README.zh-CN.md) stays in step with the English README: it names
every make command and variable, setting, query parameter and environment variable that the
translated parts (the first screen, "Moving from LeanCloud" and "Sending to mainland China" up to
the send hook) name, and nothing the English README does not; it carries the same code blocks."""
import re

from conftest import ROOT

EN = (ROOT / "README.md").read_text(encoding="utf-8")
ZH = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")


def english_parts() -> str:
    first = EN[:EN.index("### The dev outbox")]
    moving = EN[EN.index("## Moving from LeanCloud"):EN.index("## How it is built")]
    china = EN[EN.index("## Sending to mainland China"):EN.index("### The send hook")]
    return first + moving + china


def names(text: str) -> dict:
    return {
        "make commands": set(re.findall(r"\bmake (?:run|test|deploy|provision|destroy|template|import-leancloud|"
                                        r"package|vendor|bench|load|fuzz|screenshots|browser|clean)\b", text)),
        "make variables": set(re.findall(r"\b([A-Z][A-Z_]*[A-Z])=", text)),
        "settings and parameters": set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", text)),
        "environment": set(re.findall(r"\bVERIKIT_[A-Z_]+\b", text)),
    }


def code_blocks(text: str) -> list:
    """Code blocks without their comments (which are translated)."""
    blocks = re.findall(r"```(?:sh|nginx)\n(.*?)```", text, flags=re.S)
    return [re.sub(r"\s*#[^\n]*", "", b).strip() for b in blocks]


def test_both_name_the_same_commands_settings_and_variables():
    """Nothing the translated parts name is missing from the Chinese guide, and the Chinese guide
    names nothing the English README does not (it may point at a setting from another chapter)."""
    en, zh, everywhere = names(english_parts()), names(ZH), names(EN)
    for kind in en:
        assert en[kind] <= zh[kind], f"{kind}: missing from README.zh-CN.md: {sorted(en[kind] - zh[kind])}"
        assert zh[kind] <= everywhere[kind], f"{kind}: not in README.md: {sorted(zh[kind] - everywhere[kind])}"


def test_both_carry_the_same_code_blocks():
    assert code_blocks(english_parts()) == code_blocks(ZH)


def test_the_settings_the_guide_names_exist():
    """A setting the guide tells operators to set is one verikit has (or, for the import's
    unverified-phone behaviour, the one the security work adds)."""
    from chalicelib.core.settings import Settings

    known = set(Settings().to_dict()) | {"imported_unverified_claims"}
    named = {n for n in re.findall(r'"([a-z][a-z0-9]*(?:_[a-z0-9]+)+)":', english_parts())}
    named |= {n for n in re.findall(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`", english_parts())
              if n.endswith(("_hourly", "_regions", "_by", "_overrides", "_claims"))}
    # would_block is a stats field, template_id a field of the dev outbox's entries
    assert named - {"would_block", "template_id"} <= known, sorted(named - known)
