"""The fixed topic set of the explore feed and a keyword-based topic guess.

Topics drive cold-start ("pick your interests") and explore-feed channels, so the set is
small and fixed; labels are bilingual because the channel bar is shown in both languages.
``infer_topic`` is a cheap, explainable first guess for notes whose author picked no topic;
it runs on every note write, so it is plain regex matching over normalised text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from redbridge.text.lang import normalize_for_match
from redbridge.text.markup import normalize_tag

__all__ = ["TOPICS", "TOPIC_KEYWORDS", "TOPIC_LABELS", "infer_topic"]

TOPICS: tuple[str, ...] = (
    "food",
    "travel",
    "skincare",
    "fashion",
    "pets",
    "study",
    "fitness",
    "home",
    "photography",
    "music",
)

TOPIC_LABELS: dict[str, dict[str, str]] = {
    "food": {"en": "Food", "zh": "美食"},
    "travel": {"en": "Travel", "zh": "旅行"},
    "skincare": {"en": "Skincare", "zh": "护肤"},
    "fashion": {"en": "Fashion", "zh": "穿搭"},
    "pets": {"en": "Pets", "zh": "萌宠"},
    "study": {"en": "Study", "zh": "学习"},
    "fitness": {"en": "Fitness", "zh": "健身"},
    "home": {"en": "Home", "zh": "家居"},
    "photography": {"en": "Photography", "zh": "摄影"},
    "music": {"en": "Music", "zh": "音乐"},
}

# Keywords are matched against normalize_for_match() output, so they are written lower-case
# and in Simplified Chinese; Traditional input is converted before matching. English words
# match on ASCII word boundaries (so "cat" does not fire inside "education") and take an
# optional plural "s"/"es"; Chinese words match as substrings since Chinese has no spaces.
TOPIC_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "food": (
        "美食",
        "火锅",
        "探店",
        "餐厅",
        "好吃",
        "小吃",
        "串串",
        "烧烤",
        "奶茶",
        "咖啡",
        "甜品",
        "早餐",
        "午餐",
        "晚餐",
        "食谱",
        "做饭",
        "菜谱",
        "面条",
        "拉面",
        "米线",
        "饺子",
        "蛋糕",
        "烘焙",
        "外卖",
        "吃货",
        "下午茶",
        "food",
        "foodie",
        "recipe",
        "restaurant",
        "hotpot",
        "noodle",
        "dumpling",
        "coffee",
        "cafe",
        "café",
        "brunch",
        "dinner",
        "lunch",
        "breakfast",
        "dessert",
        "bakery",
        "baking",
        "cooking",
        "bubble tea",
        "boba",
        "spicy",
        "delicious",
        "yummy",
        "snack",
        "ramen",
        "mukbang",
        "street food",
    ),
    "travel": (
        "旅行",
        "旅游",
        "攻略",
        "景点",
        "酒店",
        "民宿",
        "机票",
        "自驾",
        "出游",
        "周末去哪",
        "打卡",
        "古镇",
        "徒步",
        "露营",
        "签证",
        "行程",
        "度假",
        "海边",
        "citywalk",
        "travel",
        "trip",
        "hotel",
        "itinerary",
        "flight",
        "vacation",
        "holiday",
        "backpacking",
        "sightseeing",
        "road trip",
        "visa",
        "airbnb",
        "hiking",
        "camping",
        "beach",
        "city walk",
        "travelling",
        "traveling",
    ),
    "skincare": (
        "护肤",
        "面霜",
        "防晒",
        "精华",
        "面膜",
        "洁面",
        "爽肤水",
        "乳液",
        "祛痘",
        "痘痘",
        "敏感肌",
        "油皮",
        "干皮",
        "美白",
        "保湿",
        "化妆",
        "彩妆",
        "口红",
        "粉底",
        "skincare",
        "skin care",
        "sunscreen",
        "spf",
        "serum",
        "moisturizer",
        "moisturiser",
        "cleanser",
        "toner",
        "acne",
        "retinol",
        "makeup",
        "lipstick",
        "foundation",
        "sensitive skin",
        "glow",
    ),
    "fashion": (
        "穿搭",
        "时尚",
        "衣服",
        "搭配",
        "外套",
        "裙子",
        "连衣裙",
        "鞋子",
        "包包",
        "配饰",
        "显瘦",
        "通勤",
        "发型",
        "美甲",
        "ootd",
        "outfit",
        "fashion",
        "style",
        "dress",
        "sneaker",
        "streetwear",
        "jacket",
        "handbag",
        "accessory",
        "accessories",
        "lookbook",
        "nails",
        "haircut",
    ),
    "pets": (
        "猫",
        "狗",
        "猫咪",
        "狗狗",
        "萌宠",
        "宠物",
        "铲屎官",
        "喵",
        "柯基",
        "布偶",
        "橘猫",
        "仓鼠",
        "兔子",
        "cat",
        "kitten",
        "kitty",
        "dog",
        "puppy",
        "pet",
        "corgi",
        "hamster",
        "bunny",
        "rabbit",
        "meow",
        "woof",
    ),
    "study": (
        "学习",
        "考研",
        "考试",
        "笔记",
        "自习",
        "图书馆",
        "背单词",
        "雅思",
        "托福",
        "留学",
        "论文",
        "复习",
        "学霸",
        "作业",
        "中文",
        "汉语",
        "英语",
        "网课",
        "study",
        "studying",
        "study with me",
        "exam",
        "study notes",
        "homework",
        "library",
        "university",
        "college",
        "ielts",
        "toefl",
        "essay",
        "thesis",
        "learning chinese",
        "learn chinese",
        "mandarin",
        "vocabulary",
        "flashcard",
    ),
    "fitness": (
        "健身",
        "减脂",
        "增肌",
        "瑜伽",
        "跑步",
        "普拉提",
        "运动",
        "锻炼",
        "马拉松",
        "减肥",
        "帕梅拉",
        "体脂",
        "撸铁",
        "fitness",
        "workout",
        "gym",
        "yoga",
        "running",
        "run",
        "pilates",
        "cardio",
        "marathon",
        "squat",
        "protein",
        "weight loss",
        "training",
        "exercise",
        "hiit",
    ),
    "home": (
        "家居",
        "装修",
        "收纳",
        "租房",
        "改造",
        "卧室",
        "客厅",
        "厨房",
        "软装",
        "家具",
        "绿植",
        "好物",
        "出租屋",
        "宿舍",
        "home",
        "home decor",
        "interior",
        "apartment",
        "bedroom",
        "living room",
        "kitchen",
        "furniture",
        "organizing",
        "organization",
        "declutter",
        "renovation",
        "diy",
        "houseplant",
        "room tour",
        "cozy",
    ),
    "photography": (
        "摄影",
        "拍照",
        "相机",
        "胶片",
        "调色",
        "人像",
        "风光",
        "构图",
        "镜头",
        "滤镜",
        "写真",
        "拍立得",
        "机位",
        "photography",
        "photo",
        "photos",
        "camera",
        "film",
        "lens",
        "portrait",
        "landscape",
        "lightroom",
        "preset",
        "shot on",
        "35mm",
        "polaroid",
        "golden hour",
    ),
    "music": (
        "音乐",
        "歌",
        "唱歌",
        "吉他",
        "钢琴",
        "演唱会",
        "乐队",
        "歌单",
        "翻唱",
        "livehouse",
        "弹唱",
        "说唱",
        "音乐节",
        "music",
        "song",
        "songs",
        "concert",
        "guitar",
        "piano",
        "playlist",
        "band",
        "cover",
        "singing",
        "karaoke",
        "album",
        "rap",
        "festival",
        "lyrics",
    ),
}

# Where a keyword is found decides how much it says: authors pick tags to describe the note,
# titles summarise it, and bodies wander ("after the gym we had hotpot").
_TAG_WEIGHT: Final = 3
_TITLE_WEIGHT: Final = 2
_BODY_WEIGHT: Final = 1
# A tag that *is* a topic's name or label ("#food", "#美食") settles the question.
_EXACT_TAG_WEIGHT: Final = 6
# In a compound tag such as "chengdufood" there is no boundary to match on; substrings are
# accepted only for keywords long enough not to hide inside unrelated words ("cat" is in
# "education", "food" is not in much else).
_TAG_SUBSTRING_MIN_LEN: Final = 4


def _keyword_pattern(word: str) -> str:
    if word.isascii():
        # Boundaries are ASCII-only on purpose: "我的cat" has no \b between 的 and c.
        return rf"(?<![a-z0-9]){re.escape(word)}(?:e?s)?(?![a-z0-9])"
    return re.escape(word)


def _compile(words: Iterable[str]) -> re.Pattern[str]:
    # Longest first so that alternation prefers "study with me" over "study".
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(_keyword_pattern(w) for w in ordered))


_TOPIC_RES: Final[dict[str, re.Pattern[str]]] = {topic: _compile(TOPIC_KEYWORDS[topic]) for topic in TOPICS}
_EXACT_TAGS: Final[dict[str, str]] = {
    normalize_for_match(name): topic for topic in TOPICS for name in (topic, *TOPIC_LABELS[topic].values())
}
_ASCII_LONG_KEYWORDS: Final[dict[str, tuple[str, ...]]] = {
    topic: tuple(
        normalize_for_match(w).replace(" ", "")
        for w in TOPIC_KEYWORDS[topic]
        if w.isascii() and len(w) >= _TAG_SUBSTRING_MIN_LEN
    )
    for topic in TOPICS
}


def _distinct_hits(pattern: re.Pattern[str], text: str) -> int:
    # Distinct keywords, not occurrences: a body repeating "好吃" ten times is not ten
    # times more about food than one that says it once.
    return len({m.group(0) for m in pattern.finditer(text)})


def infer_topic(title: str, body: str, tags: list[str]) -> str | None:
    """Best-matching topic from ``TOPICS`` for a note, or None if no keyword matches.

    Ties go to the topic listed first in ``TOPICS``, so the answer is deterministic.
    """
    norm_title = normalize_for_match(title)
    norm_body = normalize_for_match(body)
    norm_tags = [normalize_for_match(normalize_tag(t) or t) for t in tags]
    scores = dict.fromkeys(TOPICS, 0)
    for tag in norm_tags:
        exact = _EXACT_TAGS.get(tag)
        if exact is not None:
            scores[exact] += _EXACT_TAG_WEIGHT
    for topic in TOPICS:
        pattern = _TOPIC_RES[topic]
        score = _TITLE_WEIGHT * _distinct_hits(pattern, norm_title)
        score += _BODY_WEIGHT * _distinct_hits(pattern, norm_body)
        long_words = _ASCII_LONG_KEYWORDS[topic]
        for tag in norm_tags:
            if pattern.search(tag) or any(w in tag for w in long_words):
                score += _TAG_WEIGHT
        scores[topic] += score
    best = max(TOPICS, key=lambda t: scores[t])  # max() keeps the first of equal scores
    return best if scores[best] > 0 else None
