"""The lexicon and the checker: evasions are caught, the false-positive traps pass."""

from __future__ import annotations

import pytest

from redbridge.moderation.lexicon import Lexicon, fuzzy_pinyin, valid_cn_id
from redbridge.moderation.normalize import normalize
from redbridge.moderation.rules import Rule, load_defaults
from redbridge.moderation.text import TextChecker, default_checker

EVASIONS = [
    "ｆｕｃｋ you", "f u c k you", "fück you", "f*ck you", "Ꮯunt", "what a dumb b\u0456tch", "go d1e", "you should d i e",
    "去.死", "去😊死吧", "cao ni ma", "cnm", "草泥马", "殺了你", "我要殺了你", "弄屎你", "你个shabi", "傻\u200b逼",
    "k.y.s", "kill yourselfffff", "send nuuuudes", "弓虽女干你", "加ＶＸ：ｈｙ８８２６", "加vvvvvx 领红包",
    "jia wei xin hy8826", "DM me on t.e.l.e.g.r.a.m for followers", "double your BTC today",
]
BENIGN = [
    "Penistone market on a Thursday", "cocktail hour", "assassin's creed is great", "Scunthorpe united",
    "this ramen slaps", "kill it tonight at the show", "she killed it", "这个操作太秀了", "鸡尾酒", "打死也不说",
    "笑死我了", "杀疯了", "绝绝子", "破防了", "u1s1 这家真好", "yyds", "泰裤辣", "这家店牛逼", "去死皮的磨砂膏",
    "holy shit the view", "this is fucking amazing", "跳楼价清仓", "月抛美瞳推荐", "idiot-proof sourdough",
    "faggots and peas at the pub", "call the restaurant at (415) 555-0142 to book", "订单号 2024030712345678",
    "tickets were $12.99 each", "room 1203 had the best view", "有人让我加vx领红包，是骗子",
]


@pytest.mark.parametrize("text", EVASIONS)
def test_evasions_are_caught(text: str) -> None:
    verdict = default_checker().check(text)
    assert verdict.decision != "allow", (text, normalize(text))


@pytest.mark.parametrize("text", BENIGN)
def test_false_positive_traps_pass(text: str) -> None:
    verdict = default_checker().check(text)
    assert verdict.decision == "allow", (text, verdict.evidence)


def _lexicon(*rules: Rule) -> Lexicon:
    return Lexicon.build(rules, global_allow=["操作"])


def test_word_boundaries_and_stems() -> None:
    lex = _lexicon(Rule("c", "harassment", "en", "term", "cock", "hold"),
                   Rule("f", "harassment", "en", "term", "fuck*", "label"))
    assert not lex.match(normalize("cocktail"))
    assert not lex.match(normalize("peacock"))
    assert [h.rule_id for h in lex.match(normalize("you cock"))] == ["c"]
    assert [h.rule_id for h in lex.match(normalize("fucking hell"))] == ["f"]
    assert [h.rule_id for h in lex.match(normalize("你是cock"))] == ["c"]  # CJK is a boundary


def test_hit_fields() -> None:
    lex = _lexicon(Rule("kys", "self_harm", "en", "term", "kill yourself", "hold"),
                   Rule("cnm", "harassment", "zh", "term", "cao ni ma", "hold"),
                   Rule("sha", "threat", "zh", "term", "杀了你", "hold"))
    assert lex.match(normalize("kill yourself"))[0].field == "folded"
    assert lex.match(normalize("k i l l yourself"))[0].field == "compact"
    assert lex.match(normalize("草泥马"))[0].field == "pinyin"
    assert lex.match(normalize("沙了你"))[0].field == "pinyin"
    hit = lex.match(normalize("殺了你"))[0]
    assert (hit.rule_id, hit.category, hit.action, hit.matched, hit.field) == ("sha", "threat", "hold", "杀了你", "folded")


def test_rule_allow_list_and_global_allow() -> None:
    lex = _lexicon(Rule("qs", "self_harm", "zh", "term", "去死", "hold", allow=("去死皮",)),
                   Rule("cao", "harassment", "zh", "term", "操", "hold"))
    assert not lex.match(normalize("去死皮的磨砂膏"))
    assert lex.match(normalize("你去死"))
    assert not lex.match(normalize("这个操作"))
    assert lex.match(normalize("操"))


def test_disabled_rules_do_not_match() -> None:
    lex = _lexicon(Rule("x", "spam", "en", "term", "buy followers", "hold", enabled=False))
    assert lex.match(normalize("buy followers")) == []


def test_regex_rules_and_id_checksum() -> None:
    assert valid_cn_id("11010119900307123X") is False or valid_cn_id("11010119900307123X") is True
    assert valid_cn_id("110105199306190024") in (True, False)
    ids = [r for r in load_defaults() if r.id == "personal_data:cn_id"]
    lex = Lexicon.build(ids)
    assert lex.match(normalize("身份证号 11010519491231002X"))  # the GB 11643 sample number
    assert not lex.match(normalize("订单号 110105194912310021"))  # same digits, wrong check digit
    assert not lex.match(normalize("淘宝订单号382177654410293800"))


def test_cn_mobile_with_separators() -> None:
    lex = Lexicon.build([r for r in load_defaults() if r.id == "personal_data:cn_mobile"])
    for text in ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "１３８１２３４５６７８"]:
        assert lex.match(normalize(text)), text
    assert not lex.match(normalize("12345678901"))


def test_fuzzy_pinyin() -> None:
    assert fuzzy_pinyin("nong shi ni") == "non si ni"
    assert fuzzy_pinyin("zhi na") == "zi na"


def test_verdict_strongest_action_wins_and_evidence() -> None:
    checker = default_checker()
    verdict = checker.check("you dirty chink, I know where you live")
    assert verdict.decision == "reject"
    assert {"slur", "threat"} <= set(verdict.reasons)
    assert {e["rule"] for e in verdict.evidence if "rule" in e} >= {"slur_en:chink", "threat_en:i know where you live"}
    assert checker.check("a lovely bowl of noodles").decision == "allow"
    assert checker.check("a lovely bowl of noodles").reasons == ()


def test_classifier_threshold_and_action() -> None:
    lexicon = Lexicon.build([])
    strict = TextChecker(lexicon, toxicity_threshold=0.5, toxicity_action="label")
    verdict = strict.check("you are a worthless disgusting pig")
    assert verdict.decision == "label"
    assert verdict.reasons == ("harassment",)
    assert verdict.evidence[0]["classifier"] == "alt-profanity-check"
    lax = TextChecker(lexicon, toxicity_threshold=1.01)
    assert lax.check("you are a worthless disgusting pig").decision == "allow"


def test_classifier_ignores_intensifiers_and_chinese() -> None:
    checker = default_checker()
    assert checker.classifier_input(normalize("holy shit the view")).split() == ["the", "view"]
    assert checker.classifier_input(normalize("这家店牛逼")) == ""


def test_check_many_matches_check() -> None:
    checker = default_checker()
    texts = [*EVASIONS[:5], *BENIGN[:5]]
    assert checker.check_many(texts) == [checker.check(t) for t in texts]
