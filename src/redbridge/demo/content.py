"""Deterministic bilingual demo content: users, notes, comments and pictures.

The community imitated is RedNote in January 2025: Chinese users posting food in Chengdu,
weekend trips, skincare notes, cat diaries and exam prep, and newly arrived English speakers
(the "TikTok refugees") posting their first hotpot, asking for skincare recommendations and
paying the "cat tax". Notes are assembled from templates times slot values, so a note costs a
few dozen random draws and string formats (100,000 notes take about a second), and a seed
always yields the same community.

Every function takes the caller's ``random.Random``; nothing reads global random state.
"""

from __future__ import annotations

import functools
import io
import math
import random
import re
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageDraw

from redbridge.notes.schemas import BODY_MAX, TITLE_MAX
from redbridge.text.topics import TOPIC_LABELS, TOPICS

__all__ = [
    "DemoNote",
    "DemoPlace",
    "DemoUser",
    "demo_aspect",
    "demo_comment",
    "demo_image",
    "demo_notes",
    "demo_users",
]

# Notes are spread over this window before "now"; the caller owns the clock.
NOTE_WINDOW_S: Final = 60 * 86_400


@dataclass(slots=True)
class DemoPlace:
    """A place tag: a display name and, for real spots, coordinates."""

    name: str
    lat: float | None = None
    lng: float | None = None


@dataclass(slots=True)
class DemoUser:
    username: str
    display_name: str
    bio: str
    read_langs: list[str]
    ui_lang: str
    region: str
    interests: list[str]


@dataclass(slots=True)
class DemoNote:
    """One generated note. ``tags`` equals ``extract_tags(body)``: tags are written inline.

    ``created_offset_s`` counts seconds back from whatever "now" the caller's clock says.
    """

    author_index: int
    title: str
    body: str
    tags: list[str]
    topic: str
    place: DemoPlace | None
    lang: str
    image_count: int
    created_offset_s: int


# --------------------------------------------------------------------------------------
# Places. A city is one index shared by both languages so that a note's {city} and {spot}
# agree with its place tag whatever language the note is written in.

# (zh name, en name, lat, lng, spots: (zh, en, lat, lng))
_City = tuple[str, str, float, float, tuple[tuple[str, str, float, float], ...]]
_CITIES: Final[tuple[_City, ...]] = (
    (
        "成都",
        "Chengdu",
        30.657,
        104.066,
        (
            ("宽窄巷子", "Kuanzhai Alley", 30.6697, 104.0556),
            ("春熙路", "Chunxi Road", 30.6571, 104.0812),
            ("玉林路", "Yulin Road", 30.6297, 104.0540),
            ("太古里", "Taikoo Li", 30.6543, 104.0838),
            ("大熊猫繁育研究基地", "Chengdu Panda Base", 30.7345, 104.1459),
            ("锦里", "Jinli Street", 30.6468, 104.0487),
        ),
    ),
    (
        "重庆",
        "Chongqing",
        29.563,
        106.551,
        (
            ("洪崖洞", "Hongyadong", 29.5637, 106.5790),
            ("解放碑", "Jiefangbei", 29.5572, 106.5770),
            ("李子坝", "Liziba Station", 29.5535, 106.5310),
            ("磁器口", "Ciqikou Old Town", 29.5806, 106.4497),
        ),
    ),
    (
        "上海",
        "Shanghai",
        31.230,
        121.474,
        (
            ("外滩", "the Bund", 31.2400, 121.4900),
            ("武康路", "Wukang Road", 31.2060, 121.4380),
            ("豫园", "Yu Garden", 31.2272, 121.4921),
            ("新天地", "Xintiandi", 31.2197, 121.4750),
        ),
    ),
    (
        "北京",
        "Beijing",
        39.904,
        116.407,
        (
            ("故宫", "the Forbidden City", 39.9163, 116.3972),
            ("南锣鼓巷", "Nanluoguxiang", 39.9373, 116.4031),
            ("三里屯", "Sanlitun", 39.9334, 116.4547),
            ("颐和园", "the Summer Palace", 39.9999, 116.2755),
        ),
    ),
    (
        "杭州",
        "Hangzhou",
        30.274,
        120.155,
        (
            ("西湖", "West Lake", 30.2460, 120.1500),
            ("灵隐寺", "Lingyin Temple", 30.2408, 120.1013),
            ("河坊街", "Hefang Street", 30.2419, 120.1699),
        ),
    ),
    (
        "广州",
        "Guangzhou",
        23.129,
        113.264,
        (
            ("广州塔", "Canton Tower", 23.1066, 113.3245),
            ("沙面", "Shamian Island", 23.1086, 113.2435),
            ("永庆坊", "Yongqingfang", 23.1215, 113.2482),
        ),
    ),
    (
        "西安",
        "Xi'an",
        34.341,
        108.940,
        (
            ("大唐不夜城", "Datang Everbright City", 34.2139, 108.9646),
            ("回民街", "the Muslim Quarter", 34.2627, 108.9421),
            ("钟楼", "the Bell Tower", 34.2611, 108.9423),
        ),
    ),
    (
        "长沙",
        "Changsha",
        28.228,
        112.939,
        (
            ("五一广场", "Wuyi Square", 28.1963, 112.9770),
            ("橘子洲", "Orange Isle", 28.1868, 112.9589),
            ("坡子街", "Pozi Street", 28.1920, 112.9757),
        ),
    ),
    (
        "大理",
        "Dali",
        25.606,
        100.268,
        (
            ("洱海", "Erhai Lake", 25.8000, 100.1900),
            ("大理古城", "Dali Old Town", 25.6940, 100.1630),
        ),
    ),
    (
        "厦门",
        "Xiamen",
        24.480,
        118.089,
        (
            ("鼓浪屿", "Gulangyu Island", 24.4477, 118.0677),
            ("曾厝垵", "Zengcuo'an", 24.4420, 118.1270),
        ),
    ),
    (
        "深圳",
        "Shenzhen",
        22.543,
        114.058,
        (
            ("华强北", "Huaqiangbei", 22.5450, 114.0850),
            ("深圳湾公园", "Shenzhen Bay Park", 22.5100, 113.9600),
        ),
    ),
)
_CITY_SLUGS: Final = (
    "chengdu",
    "chongqing",
    "shanghai",
    "beijing",
    "hangzhou",
    "guangzhou",
    "xian",
    "changsha",
    "dali",
    "xiamen",
    "shenzhen",
)

# Where the English-speaking newcomers post from: (name, username slug, lat, lng).
_HOMES: Final[tuple[tuple[str, str, float, float], ...]] = (
    ("Ohio", "ohio", 39.9612, -82.9988),
    ("Texas", "texas", 29.7604, -95.3698),
    ("California", "cali", 34.0522, -118.2437),
    ("New York", "nyc", 40.7128, -74.0060),
    ("Florida", "florida", 25.7617, -80.1918),
    ("Seattle", "seattle", 47.6062, -122.3321),
    ("Chicago", "chicago", 41.8781, -87.6298),
    ("Atlanta", "atl", 33.7490, -84.3880),
    ("Michigan", "michigan", 42.3314, -83.0458),
    ("Arizona", "arizona", 33.4484, -112.0740),
    ("Toronto", "toronto", 43.6532, -79.3832),
    ("London", "london", 51.5074, -0.1278),
)

# --------------------------------------------------------------------------------------
# Slot values. Names in templates ({dish}, {friend}...) are looked up here per language;
# {city}, {spot}, {home} and {user} are special because they also decide the place tag or
# need the user list.

_SLOTS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "zh": {
        "dish": (
            "火锅",
            "串串",
            "冒菜",
            "钵钵鸡",
            "兔头",
            "担担面",
            "小龙虾",
            "烤鱼",
            "螺蛳粉",
            "肠粉",
            "生煎",
            "酸菜鱼",
            "麻辣烫",
            "烧烤",
            "糖油果子",
            "豆花",
        ),
        "price": ("38", "45", "58", "68", "75", "88", "98", "120", "150"),
        "budget": ("800", "1200", "1500", "2000", "2500", "3000"),
        "friend": ("闺蜜", "室友", "男朋友", "对象", "同事", "爸妈", "老同学", "搭子"),
        "wow": (
            "绝了",
            "太香了",
            "好吃到跺脚",
            "真的宝藏",
            "yyds",
            "会无限回购",
            "惊艳到我了",
        ),
        "side": ("毛肚", "鸭肠", "黄喉", "脑花", "冰粉", "红糖糍粑", "酥肉", "虾滑"),
        "mins": ("15", "20", "30", "40", "50", "60"),
        "skin": ("油皮", "干皮", "混油皮", "敏感肌", "痘肌"),
        "product": ("防晒霜", "精华", "面霜", "洁面", "面膜", "水乳", "卸妆油", "眼霜"),
        "weeks": ("2", "3", "4", "6", "8", "12"),
        "height": ("155", "158", "160", "163", "165", "168", "172"),
        "color": ("奶白", "燕麦", "雾霾蓝", "焦糖", "黑白", "薄荷绿", "酒红"),
        "item": ("针织开衫", "风衣", "牛仔裤", "半身裙", "卫衣", "小皮鞋", "托特包"),
        "pet": ("猫", "狗", "布偶猫", "橘猫", "柯基", "金毛", "仓鼠"),
        "pet_name": ("煤球", "糯米", "团子", "橘子", "豆豆", "咪咪", "芝麻", "年糕"),
        "age": ("一岁", "两岁", "三岁", "半岁", "五岁"),
        "subject": ("高数", "英语", "政治", "专业课", "雅思口语", "线代", "日语"),
        "day": ("3", "7", "21", "30", "45", "66", "100"),
        "hours": ("4", "6", "8", "10", "12"),
        "n": ("3", "5", "7", "10"),
        "kg": ("5", "8", "10", "12", "15"),
        "area": ("12", "15", "20", "30", "45", "60"),
        "song": ("晴天", "稻香", "后来", "小幸运", "月亮代表我的心", "成都", "平凡之路"),
    },
    "en": {
        "dish": (
            "hotpot",
            "dumplings",
            "mapo tofu",
            "dan dan noodles",
            "bubble tea",
            "xiaolongbao",
            "malatang",
            "jianbing",
            "hand-pulled noodles",
            "crawfish",
            "spicy fish",
            "baozi",
            "Sichuan BBQ",
            "tanghulu",
        ),
        "friend": (
            "my roommate",
            "my bf",
            "my gf",
            "my sister",
            "my coworkers",
            "my mom",
            "my best friend",
            "the group chat",
        ),
        "usd": ("25", "30", "40", "45", "60", "80"),
        "skin": ("oily skin", "dry skin", "combo skin", "sensitive skin", "acne-prone skin"),
        "product": (
            "sunscreen",
            "serum",
            "moisturizer",
            "cleanser",
            "toner",
            "sheet mask",
            "cleansing oil",
        ),
        "weeks": ("2", "3", "4", "6", "8"),
        "color": ("beige", "all black", "pastel", "denim", "cream", "olive green"),
        "item": ("cardigan", "trench coat", "jeans", "skirt", "hoodie", "tote bag"),
        "pet": ("cat", "dog", "kitten", "puppy", "corgi", "rescue cat"),
        "pet_name": (
            "Mochi",
            "Biscuit",
            "Luna",
            "Milo",
            "Pepper",
            "Tofu",
            "Oliver",
            "Dumpling",
        ),
        "age": ("one", "two", "three", "five", "nine months old"),
        "subject": (
            "organic chem",
            "calculus",
            "Mandarin",
            "the LSAT",
            "bio",
            "physics",
            "the MCAT",
        ),
        "day": ("1", "3", "5", "10", "14", "30"),
        "hours": ("2", "3", "4", "6"),
        "mins": ("10", "15", "20", "30", "45"),
        "song": ("月亮代表我的心", "晴天", "Mojito", "后来", "稻香"),
    },
}

# --------------------------------------------------------------------------------------
# Templates: per topic and language, titles, body sentences and tags. Tags may contain
# slots too ("{city}美食") so they agree with the text around them.


@dataclass(frozen=True, slots=True)
class _TopicText:
    titles: tuple[str, ...]
    sentences: tuple[str, ...]
    tags: tuple[str, ...]


_TEXT: Final[dict[str, dict[str, _TopicText]]] = {
    "zh": {
        "food": _TopicText(
            titles=(
                "成都人私藏的{dish}店，人均{price}！",
                "{city}探店｜这家{dish}真的{wow}",
                "周末去哪儿｜{city}吃吃喝喝一整天",
                "本地人才知道的{dish}😋",
                "挑战一天吃遍{city}小吃",
                "在家复刻{dish}，比外面还好吃",
                "{city}{dish}天花板，排队也值得",
                "和{friend}的{dish}快乐夜🍲",
            ),
            sentences=(
                "和{friend}在{city}找到一家宝藏{dish}店，{wow}！",
                "人均{price}，吃到扶墙出。",
                "这家的{dish}一上桌就香迷糊了，调料都是老板自己炒的。",
                "排了{mins}分钟的队，但是真的值得。",
                "强烈推荐他们家的{side}，每桌必点。",
                "服务员小姐姐超级热情，还送了冰粉。",
                "唯一的缺点就是太辣了，不能吃辣的姐妹慎重🌶️",
                "已经二刷了，下次还要带{friend}来。",
                "店就在{spot}附近，地铁过去很方便。",
                "在家用空气炸锅做了{dish}，步骤超简单，看图就会。",
                "外国朋友第一次吃{dish}的表情太好笑了哈哈哈",
            ),
            tags=("美食", "探店", "{city}美食", "{dish}", "周末去哪儿", "吃货日常", "宝藏小店"),
        ),
        "travel": _TopicText(
            titles=(
                "{city}三天两晚攻略，人均{budget}搞定",
                "周末去哪儿｜{city}小众景点",
                "第一次来{city}，这些坑别踩！",
                "{city}citywalk路线，拍照超出片",
                "一个人的{city}旅行🧳",
                "{spot}真的太美了",
            ),
            sentences=(
                "这次和{friend}去了{city}，整体体验非常好。",
                "{spot}一定要早点去，人少好拍照。",
                "住的地方离{spot}步行十分钟，特别方便。",
                "总花费大概{budget}，包括机票和住宿。",
                "最推荐傍晚去{spot}，日落绝美🌅",
                "提醒一下，节假日人真的超级多。",
                "路线已经整理好了，有需要的姐妹自取。",
                "当地的{dish}一定要尝尝！",
                "遇到好多外国游客，还帮他们拍了合照。",
            ),
            tags=("旅行", "旅游攻略", "{city}旅游", "周末去哪儿", "citywalk", "小众景点"),
        ),
        "skincare": _TopicText(
            titles=(
                "{skin}护肤心得｜用空了才敢说",
                "{skin}姐妹看过来！这瓶{product}太好用",
                "换季烂脸急救指南",
                "平价{product}测评，不踩雷",
                "坚持用了{weeks}周{product}，变化好大",
                "防晒到底怎么选？一篇讲清楚",
            ),
            sentences=(
                "我是{skin}，夏天一到就出油。",
                "这瓶{product}质地很清爽，上脸不搓泥。",
                "坚持用了{weeks}周，闭口明显少了。",
                "一定要做好防晒，不然前面都白护了。",
                "敏感肌建议先在耳后试用。",
                "晚上用完第二天起来皮肤很透亮✨",
                "价格也不贵，学生党可以冲。",
                "不是广告！自费购买真实分享。",
            ),
            tags=("护肤", "护肤心得", "{skin}", "{product}", "好物分享", "平价护肤"),
        ),
        "fashion": _TopicText(
            titles=(
                "{height}小个子通勤穿搭",
                "一周不重样穿搭👗",
                "早春{color}系穿搭，温柔到犯规",
                "微胖女孩显瘦穿搭分享",
                "这件{item}我回购了三次",
            ),
            sentences=(
                "身高{height}，体重保密😂",
                "这件{item}上身效果比图片还好。",
                "{color}色真的太显白了！",
                "搭配一双小白鞋，通勤约会都可以。",
                "链接在评论区，有需要自取。",
                "今天的穿搭被同事夸了一整天。",
            ),
            tags=("穿搭", "ootd", "每日穿搭", "小个子穿搭", "通勤穿搭", "{color}色系"),
        ),
        "pets": _TopicText(
            titles=(
                "我家{pet}的迷惑行为大赏",
                "猫咪日常｜{pet_name}今天又拆家了",
                "新手养{pet}必看",
                "{pet_name}{age}啦🎂",
                "每天被{pet_name}叫醒的一天",
            ),
            sentences=(
                "{pet_name}今天趁我不在把纸巾全撕了😤",
                "每天早上六点准时叫我起床。",
                "它最喜欢的就是趴在键盘上。",
                "新手养{pet}的姐妹一定要提前准备好这些。",
                "看在这么可爱的份上原谅它了。",
                "有没有同款{pet}的家长一起交流！",
                "外国网友说要交猫税，那就多发几张🐱",
            ),
            tags=("萌宠", "猫咪日常", "{pet}", "铲屎官日常", "宠物", "治愈"),
        ),
        "study": _TopicText(
            titles=(
                "考研笔记｜{subject}复习方法分享",
                "一个人的图书馆自习日常📚",
                "{subject}从零到上岸经验",
                "学习打卡第{day}天",
                "高效学习的{n}个小习惯",
            ),
            sentences=(
                "今天在图书馆学了{hours}个小时，效率还不错。",
                "{subject}真的要早点开始复习。",
                "我的笔记整理方法是先框架再细节。",
                "番茄钟真的有用，推荐给拖延症的姐妹。",
                "考研人加油！一起上岸！",
                "有问题欢迎评论区问我。",
                "最近还在教外国网友说中文，互相学习～",
            ),
            tags=("学习", "考研", "考研笔记", "{subject}", "自律打卡", "学习打卡"),
        ),
        "fitness": _TopicText(
            titles=(
                "减脂{weeks}周，瘦了{kg}斤",
                "居家{mins}分钟燃脂",
                "健身房新手避坑",
                "普拉提打卡第{day}天",
            ),
            sentences=(
                "坚持了{weeks}周，体脂降了不少。",
                "每天{mins}分钟，不用去健身房。",
                "饮食是关键，七分吃三分练。",
                "今天练腿，明天下楼梯要扶墙了😂",
                "姐妹们一起打卡监督！",
            ),
            tags=("健身", "减脂", "运动打卡", "普拉提", "居家健身"),
        ),
        "home": _TopicText(
            titles=(
                "{area}㎡出租屋改造｜花了不到{budget}",
                "宿舍改造前后对比",
                "收纳好物分享，房间瞬间变大",
                "我的治愈系小窝🏠",
            ),
            sentences=(
                "租的房子也要好好生活。",
                "改造一共花了{budget}左右。",
                "这个收纳盒真的拯救了我的衣柜。",
                "灯光换成暖色之后氛围感拉满。",
                "绿植让房间一下子有了生气🌿",
            ),
            tags=("家居", "出租屋改造", "收纳", "家居好物", "治愈小窝"),
        ),
        "photography": _TopicText(
            titles=(
                "手机拍照也能这么出片📷",
                "{city}机位分享",
                "胶片记录{city}的秋天",
                "人像调色参数分享",
            ),
            sentences=(
                "这组是在{spot}拍的，傍晚的光线太温柔了。",
                "用的是手机原相机，后期只调了色温。",
                "构图参考三分法，很容易出片。",
                "调色参数放在最后一张图。",
                "喜欢的话点个赞吧～",
            ),
            tags=("摄影", "拍照", "{city}机位", "胶片", "手机摄影"),
        ),
        "music": _TopicText(
            titles=(
                "{city}livehouse现场太燃了",
                "弹唱一首{song}🎸",
                "私藏歌单分享",
                "学吉他第{day}天",
            ),
            sentences=(
                "昨晚在{city}听了一场超棒的现场。",
                "翻唱了一首{song}，献丑了。",
                "练了{weeks}周，终于能完整弹下来了。",
                "歌单放评论区，适合深夜听。",
                "有没有一起组乐队的？",
            ),
            tags=("音乐", "吉他弹唱", "歌单", "翻唱", "livehouse"),
        ),
    },
    "en": {
        "food": _TopicText(
            titles=(
                "My first time trying {dish}!! 🌶️",
                "Rating {dish} as an American 😳",
                "Is this real {dish}? 🤔",
                "I made {dish} at home (be nice)",
                "Best {dish} in {home}?",
                "POV: you tried {dish} in {city}",
                "Hotpot night with {friend} 🍲",
            ),
            sentences=(
                "Just tried {dish} for the first time with {friend} and I get the hype now.",
                "Hi from {home}! Everyone on here kept posting {dish} so I had to try it.",
                "The spice level was no joke, my mouth is still numb 😭",
                "Chinese friends please tell me what I did wrong with the dipping sauce.",
                "It was around ${usd} for two people which feels like a steal.",
                "Already planning to go back next week.",
                "Can someone recommend a good {dish} spot near {home}?",
                "Honestly {friend} ordered half the menu and we regret nothing.",
                "Followed a recipe from a RedNote auntie and it turned out amazing.",
            ),
            tags=("food", "foodie", "{dish}", "firsttime", "chinesefood", "tiktokrefugee"),
        ),
        "travel": _TopicText(
            titles=(
                "Planning my first trip to {city} 🇨🇳",
                "{city} in 3 days: itinerary",
                "Is {city} worth visiting?",
                "Things nobody tells you about {city}",
                "Solo trip to {city}!",
                "Visa-free transit in {city}??",
            ),
            sentences=(
                "Thinking about visiting {city} this spring with {friend}.",
                "Everyone here has been so welcoming, now I want to see {city} in person.",
                "Saved so many posts about {spot}, it's going on the list.",
                "Do I need cash or does everyone really use mobile pay?",
                "Any hotel recommendations near {spot}?",
                "The 144-hour visa-free transit sounds too good to be true.",
                "Locals, what's one thing I shouldn't miss?",
                "Flights from {home} are cheaper than I expected.",
            ),
            tags=("travel", "chinatravel", "{city}", "itinerary", "traveltips"),
        ),
        "skincare": _TopicText(
            titles=(
                "Skincare recs from Chinese girlies?",
                "{skin} routine, help me fix it",
                "Why is Chinese {product} so good??",
                "My routine after {weeks} weeks on RedNote",
                "Sunscreen recs with no white cast?",
            ),
            sentences=(
                "I have {skin} and nothing in my routine is working.",
                "Everyone here has glass skin so I'm asking for your secrets 🙏",
                "Which {product} should I try first?",
                "I've been using a {product} recommended in the comments and wow.",
                "Is it true you double cleanse every night?",
                "Please drop your holy grail products below!",
                "Week {weeks} update: my skin has never been this calm.",
            ),
            tags=("skincare", "skincareroutine", "glassskin", "{product}", "asking"),
        ),
        "fashion": _TopicText(
            titles=(
                "Rate my outfit (first post!)",
                "American style vs Chinese style?",
                "OOTD: {color} everything",
                "Where do you all buy your clothes?",
                "Trying Chinese street style for a week",
            ),
            sentences=(
                "Everyone on here dresses so well, I'm taking notes.",
                "This {item} was thrifted for like $10.",
                "Went with {color} today because spring is coming.",
                "Please tell me where to buy clothes like yours!",
                "Be honest, does this {item} work?",
            ),
            tags=("ootd", "fashion", "outfitinspo", "streetstyle", "thrifted"),
        ),
        "pets": _TopicText(
            titles=(
                "Cat tax for entering RedNote 🐱",
                "Meet {pet_name}!",
                "My {pet} says 你好",
                "Paying my {pet} tax",
                "{pet_name} vs the new couch",
            ),
            sentences=(
                "I heard there's a cat tax here so here's {pet_name}.",
                "{pet_name} is {age} and thinks she owns the apartment.",
                "She only sleeps on my homework, never her bed.",
                "Chinese pet parents, what do you feed your {pet}?",
                "Pet tax paid ✅",
                "He learned his name in Chinese before I did lol.",
            ),
            tags=("cattax", "cats", "petsofrednote", "{pet_name}", "tiktokrefugee"),
        ),
        "study": _TopicText(
            titles=(
                "Study with me: {hours} hours of {subject}",
                "Learning Chinese day {day} 🇨🇳",
                "How do you all study so long?",
                "{subject} notes (aesthetic edition)",
                "Help me with my Chinese homework",
            ),
            sentences=(
                "Studying {subject} for {hours} hours today, who's joining?",
                "Day {day} of learning Mandarin, tones are destroying me.",
                "Chinese students here are built different, the discipline!",
                "I use flashcards but I keep forgetting characters.",
                "Please correct my Chinese: 我喜欢吃火锅。",
                "Library is my second home during finals.",
            ),
            tags=("studywithme", "learnchinese", "studygram", "mandarin", "finals"),
        ),
        "fitness": _TopicText(
            titles=(
                "Gym girls of RedNote, unite 💪",
                "My {mins}-minute morning workout",
                "Trying a Chinese fitness routine",
                "Week {weeks} progress",
            ),
            sentences=(
                "Did a {mins}-minute workout this morning before work.",
                "Tried the famous Pamela routine and I can't feel my legs.",
                "Progress is slow but {weeks} weeks in and I'm stronger.",
                "What do you all eat after the gym?",
                "Leg day again, send help.",
            ),
            tags=("fitness", "gym", "workout", "pilates", "progress"),
        ),
        "home": _TopicText(
            titles=(
                "Room tour: my tiny {home} apartment",
                "Cozy corner update",
                "Chinese organizing hacks changed my life",
            ),
            sentences=(
                "Here's my little apartment in {home}.",
                "Took tips from this app and finally organized my kitchen.",
                "Warm lighting makes such a difference.",
                "Thrifted most of the furniture.",
                "Where do you all get those storage boxes?",
            ),
            tags=("roomtour", "homedecor", "cozy", "organization", "apartment"),
        ),
        "photography": _TopicText(
            titles=(
                "Shot on film in {city}",
                "Golden hour in {home}",
                "My photography (first post)",
            ),
            sentences=(
                "Took these at {spot} on my last trip.",
                "Shot on 35mm, no edits.",
                "Golden hour in {home} hits different.",
                "Photographers here are insanely talented.",
                "Lightroom preset in the comments if anyone wants it.",
            ),
            tags=("photography", "filmphotography", "35mm", "goldenhour", "{city}"),
        ),
        "music": _TopicText(
            titles=(
                "Learning a Chinese song: {song}",
                "My playlist for RedNote scrolling",
                "Cover of {song} 🎤",
            ),
            sentences=(
                "Trying to learn {song} in Chinese, pronunciation is hard.",
                "Chinese music recs please! I only know {song}.",
                "Here's my cover, be gentle.",
                "This app introduced me to so much new music.",
                "Concert in {home} last night was unreal.",
            ),
            tags=("music", "cover", "cpop", "playlist", "singing"),
        ),
    },
}

# First lines that make a post sound like its community rather than a product listing.
_OPENERS: Final[dict[str, tuple[str, ...]]] = {
    "zh": ("姐妹们！", "家人们谁懂啊！", "终于来更新了～", "分享一下最近的日常。", "救命！"),
    "en": (
        "Hi RedNote!",
        "Hello from {home}!",
        "Okay so.",
        "New here (TikTok refugee 👋).",
        "Not me posting again lol.",
    ),
}
_MENTIONS: Final[dict[str, tuple[str, ...]]] = {
    "zh": ("和@{user} 一起去的。", "感谢@{user} 的推荐！", "@{user} 下次一起！"),
    "en": ("Thanks @{user} for the rec!", "@{user} we need to go together.", "h/t @{user}"),
}

_COMMENTS: Final[dict[str, tuple[str, ...]]] = {
    "zh": (
        "好想去！",
        "求链接",
        "求地址🙏",
        "看起来好好吃",
        "已收藏",
        "姐妹你好会拍",
        "这也太可爱了吧",
        "同款！",
        "冲冲冲",
        "欢迎来中国玩～",
        "蹲一个后续",
        "学到了，谢谢分享",
        "哈哈哈哈哈笑死",
        "太真实了",
        "马住",
        "博主好用心",
        "第一次见外国朋友这么会吃",
        "建议多吃几次就习惯辣了",
    ),
    "en": (
        "Where is this?",
        "this looks amazing",
        "saving this!",
        "omg I need this",
        "Welcome to RedNote!",
        "Cat tax accepted 🐱",
        "how much was it?",
        "teach me your ways",
        "adding this to my list",
        "so pretty 😍",
        "Chinese people are so nice here",
        "the way I gasped",
        "need the recipe pls",
        "hello from Texas 👋",
        "this app is so wholesome",
    ),
}

# --------------------------------------------------------------------------------------
# Users.

# (display nickname, ascii handle)
_ZH_NICKS: Final[tuple[tuple[str, str], ...]] = (
    ("小美", "mei"),
    ("阿杰", "ajie"),
    ("糖糖", "tangtang"),
    ("一只胖橘", "pangju"),
    ("林小鹿", "xiaolu"),
    ("陈默", "chenmo"),
    ("晴天", "qingtian"),
    ("豆豆", "doudou"),
    ("七七", "qiqi"),
    ("木子", "muzi"),
    ("小雨", "xiaoyu"),
    ("阿北", "abei"),
    ("橙子", "chengzi"),
    ("芒果", "mangguo"),
    ("周周", "zhouzhou"),
    ("鱼丸", "yuwan"),
    ("桃子", "taozi"),
    ("可乐", "kele"),
    ("团子", "tuanzi"),
    ("安安", "anan"),
)
_ZH_NAME_FORMS: Final = ("{nick}", "{nick}在{city}", "{city}{nick}", "是{nick}呀", "{nick}的日常")
_EN_NAMES: Final[tuple[str, ...]] = (
    "Alex",
    "Maya",
    "Jordan",
    "Emma",
    "Tyler",
    "Chloe",
    "Marcus",
    "Sofia",
    "Ethan",
    "Olivia",
    "Noah",
    "Ava",
    "Liam",
    "Zoe",
    "Ryan",
    "Grace",
    "Kayla",
    "Devon",
    "Sam",
    "Riley",
)
_EN_NAME_FORMS: Final = ("{name}", "{name} 🇺🇸", "{name} (learning 中文)", "{name} in {home}")
# Username suffixes by interest, so handles read like "mei_eats" or "alex_travels".
_HANDLE_SUFFIX: Final[dict[str, str]] = {
    "food": "eats",
    "travel": "travels",
    "skincare": "glow",
    "fashion": "style",
    "pets": "meow",
    "study": "studies",
    "fitness": "lifts",
    "home": "home",
    "photography": "shoots",
    "music": "sings",
}
_ZH_BIOS: Final = (
    "📍{city}｜{interest}爱好者｜记录生活",
    "{city}人，爱吃爱玩爱分享",
    "一个热爱{interest}的普通女孩",
    "每天分享一点{interest}日常✨",
    "欢迎外国朋友来{city}玩！",
    "{interest}博主｜合作私信",
)
_EN_BIOS: Final = (
    "TikTok refugee from {home} 👋",
    "{home} | learning 中文 | {interest}",
    "Here for the {interest} posts",
    "Just a girl from {home} who loves {interest}",
    "cat tax paid. {home}.",
    "{interest} nerd. RedNote newbie.",
)

# --------------------------------------------------------------------------------------
# Template compilation. Generating 100,000 notes must take about a second, so everything
# that does not depend on the note's own draws is done once, lazily, on first use: each
# template's slot names are parsed, and bodies and tag lines are pre-joined from fixed
# permutations of the sentence and tag pools. A note then costs one pick per part, one
# pick per slot value and a handful of str.format_map calls.

_FORMATTER: Final = string.Formatter()
# Permutations per pool; slices of them give the sentence/tag combinations. More means more
# variety and a slower first call (12 gives ~100 bodies per length per topic and language).
_PERMUTATIONS: Final = 12
_MAX_SENTENCES: Final = 4
_MAX_NOTE_TAGS: Final = 4
# Fixed so that the combination tables, and hence every note, are the same in every process.
_TABLE_SEED: Final = 20250113
_NON_TAG_CHARS: Final = re.compile(r"[^\w]+")


def _fields(template: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for _, name, _, _ in _FORMATTER.parse(template) if name))


@dataclass(frozen=True, slots=True)
class _Part:
    """A template with its slot names, pre-parsed."""

    template: str
    fields: tuple[str, ...]

    @classmethod
    def of(cls, template: str) -> _Part:
        return cls(template, _fields(template))


@dataclass(frozen=True, slots=True)
class _TagLine:
    """Tags as written in the body (``written``) and their normalised forms (``names``)."""

    written: str
    names: tuple[str, ...]
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Tables:
    titles: tuple[_Part, ...]
    # bodies[k - 1]: bodies of k distinct topic sentences.
    bodies: tuple[tuple[_Part, ...], ...]
    tag_lines: tuple[_TagLine, ...]


def _slices(rng: random.Random, pool: Sequence[str], max_len: int) -> list[list[list[str]]]:
    """Runs of 1..max_len distinct items from fixed permutations of ``pool``, by length."""
    by_len: list[list[list[str]]] = [[] for _ in range(max_len)]
    seen: set[tuple[str, ...]] = set()
    for _ in range(_PERMUTATIONS):
        perm = list(pool)
        rng.shuffle(perm)
        for start in range(len(perm)):
            for length in range(1, min(max_len, len(perm)) + 1):
                run = perm[start : start + length]
                if len(run) == length and tuple(run) not in seen:
                    seen.add(tuple(run))
                    by_len[length - 1].append(run)
    return by_len


def _tag_line(tags: Sequence[str], close: str) -> _TagLine:
    fields = tuple(dict.fromkeys(f for t in tags for f in _fields(t)))
    return _TagLine(
        written=" ".join(f"#{t}{close}" for t in tags),
        names=tuple(tags),
        fields=fields,
    )


@functools.cache
def _tables() -> dict[tuple[str, str], _Tables]:
    rng = random.Random(_TABLE_SEED)
    tables: dict[tuple[str, str], _Tables] = {}
    for lang, by_topic in _TEXT.items():
        seps = ("", "\n") if lang == "zh" else (" ", "\n")
        for topic, text in by_topic.items():
            bodies = tuple(
                tuple(_Part.of(rng.choice(seps).join(run)) for run in runs)
                for runs in _slices(rng, text.sentences, _MAX_SENTENCES)
            )
            tag_runs = [run for runs in _slices(rng, text.tags, _MAX_NOTE_TAGS) for run in runs]
            lines = [_tag_line(run, "") for run in tag_runs]
            if lang == "zh":
                # Chinese posts often close tags Weibo-style ("#美食#"); both forms appear.
                lines += [_tag_line(run, "#") for run in tag_runs[::3]]
            tables[lang, topic] = _Tables(
                titles=tuple(_Part.of(t) for t in text.titles),
                bodies=bodies,
                tag_lines=tuple(lines),
            )
    return tables


_OPENER_PARTS: Final = {lang: tuple(_Part.of(t) for t in ts) for lang, ts in _OPENERS.items()}
_MENTION_PARTS: Final = {lang: tuple(_Part.of(t) for t in ts) for lang, ts in _MENTIONS.items()}


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, at a space when there is one."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,:;-") + "…"


def _pick(rng: random.Random, seq: Sequence[str]) -> str:
    # rng.random() is several times cheaper than rng.choice(); at 100k notes it matters.
    return seq[int(rng.random() * len(seq))]


# --------------------------------------------------------------------------------------
# Public API.


def demo_users(rng: random.Random, n: int) -> list[DemoUser]:
    """``n`` users, about half Chinese-speaking; usernames are unique ``[a-z0-9_]{3,30}``."""
    users: list[DemoUser] = []
    taken: set[str] = set()
    for _ in range(n):
        interests = rng.sample(TOPICS, rng.randint(2, 4))
        first = interests[0]
        if rng.random() < 0.5:
            nick, handle = _ZH_NICKS[int(rng.random() * len(_ZH_NICKS))]
            city = int(rng.random() * len(_CITIES))
            city_name = _CITIES[city][0]
            suffix = _CITY_SLUGS[city] if rng.random() < 0.5 else _HANDLE_SUFFIX[first]
            display = _pick(rng, _ZH_NAME_FORMS).format(nick=nick, city=city_name)
            bio = _pick(rng, _ZH_BIOS).format(city=city_name, interest=TOPIC_LABELS[first]["zh"])
            read_langs = ["en", "zh"] if rng.random() < 0.25 else ["zh"]
            ui_lang, region = "zh-Hans", city_name
        else:
            name = _pick(rng, _EN_NAMES)
            home_name, home_slug, _, _ = _HOMES[int(rng.random() * len(_HOMES))]
            handle = name.lower()
            suffix = home_slug if rng.random() < 0.5 else _HANDLE_SUFFIX[first]
            display = _pick(rng, _EN_NAME_FORMS).format(name=name, home=home_name)
            bio = _pick(rng, _EN_BIOS).format(home=home_name, interest=TOPIC_LABELS[first]["en"].lower())
            read_langs = ["en", "zh"] if rng.random() < 0.3 else ["en"]
            ui_lang, region = "en", home_name
        base = f"{handle}_{suffix}"
        username = base
        counter = 1
        while username in taken:
            # Numbered like real sign-ups once the pleasant combinations run out.
            counter += 1
            username = f"{base}{counter}"
        taken.add(username)
        users.append(
            DemoUser(
                username=username,
                display_name=display,
                bio=bio,
                read_langs=read_langs,
                ui_lang=ui_lang,
                region=region,
                interests=interests,
            )
        )
    return users


def demo_notes(rng: random.Random, users: Sequence[DemoUser], n: int) -> Iterator[DemoNote]:
    """Yield ``n`` notes by ``users`` (which must not be empty), lazily.

    Authorship is skewed so a few users are prolific, as on any real platform; topics follow
    each author's interests most of the time and their language follows ``read_langs``.
    """
    if not users:
        raise ValueError("demo_notes needs at least one user")
    n_users = len(users)
    rand = rng.random
    for _ in range(n):
        # The product of two uniform draws (density -ln x) skews toward low indices: a few
        # prolific posters ahead of a long tail of occasional ones.
        author_index = int(rand() * rand() * n_users)
        author = users[author_index]
        interests = author.interests
        if rand() < 0.85:
            topic = interests[int(rand() * len(interests))]
        else:
            topic = TOPICS[int(rand() * len(TOPICS))]
        langs = author.read_langs
        if len(langs) == 1:
            lang = langs[0]
        else:
            native = "zh" if author.ui_lang.startswith("zh") else "en"
            lang = native if rand() < 0.85 else ("en" if native == "zh" else "zh")
        yield _make_note(rng, users, author_index, topic, lang)


def _make_note(
    rng: random.Random, users: Sequence[DemoUser], author_index: int, topic: str, lang: str
) -> DemoNote:
    rand = rng.random
    tables = _tables()[lang, topic]
    title_p = tables.titles[int(rand() * len(tables.titles))]
    # At most four sentences in all, counting an opener and a mention, and always at least
    # one about the topic.
    k = 1 + int(rand() * _MAX_SENTENCES)
    mention_p: _Part | None = None
    if len(users) > 1 and rand() < 0.08:
        mentions = _MENTION_PARTS[lang]
        mention_p = mentions[int(rand() * len(mentions))]
        k = max(1, k - 1)
    opener_p: _Part | None = None
    if k > 1 and rand() < 0.35:
        openers = _OPENER_PARTS[lang]
        opener_p = openers[int(rand() * len(openers))]
        k -= 1
    bodies = tables.bodies[k - 1] or tables.bodies[0]
    body_p = bodies[int(rand() * len(bodies))]
    tag_line = tables.tag_lines[int(rand() * len(tables.tag_lines))]

    slots = _SLOTS[lang]
    values: dict[str, str] = {}
    city: _City | None = None
    spot: tuple[str, str, float, float] | None = None
    home: tuple[str, str, float, float] | None = None
    for fields in (
        title_p.fields,
        body_p.fields,
        tag_line.fields,
        opener_p.fields if opener_p else (),
        mention_p.fields if mention_p else (),
    ):
        for field in fields:
            if field in values:
                continue
            if field == "city" or field == "spot":
                if city is None:
                    city = _CITIES[int(rand() * len(_CITIES))]
                    values["city"] = city[0] if lang == "zh" else city[1]
                if field == "spot":
                    spots = city[4]
                    spot = spots[int(rand() * len(spots))]
                    values["spot"] = spot[0] if lang == "zh" else spot[1]
            elif field == "home":
                home = _HOMES[int(rand() * len(_HOMES))]
                values["home"] = home[0]
            elif field == "user":
                other = int(rand() * (len(users) - 1))
                # Skip the author so nobody mentions themselves.
                values["user"] = users[other + (other >= author_index)].username
            else:
                values[field] = _pick(rng, slots[field])

    title = _clip(title_p.template.format_map(values), TITLE_MAX)
    text = body_p.template.format_map(values)
    if opener_p is not None:
        text = opener_p.template.format_map(values) + (" " if lang == "en" else "") + text
    if mention_p is not None:
        text += (" " if lang == "en" else "") + mention_p.template.format_map(values)

    if tag_line.fields:
        # Slot values can hold spaces or punctuation ("dan dan noodles", "Xi'an"), which a
        # tag cannot.
        tag_values = {f: _NON_TAG_CHARS.sub("", values[f]) for f in tag_line.fields}
        written = tag_line.written.format_map(tag_values)
        names = list(dict.fromkeys(n.format_map(tag_values).lower() for n in tag_line.names))
    else:
        written = tag_line.written
        names = [n.lower() for n in tag_line.names]
    body = f"{text}\n\n{written}"[:BODY_MAX]

    place: DemoPlace | None = None
    if spot is not None:
        place = DemoPlace(spot[0] if lang == "zh" else spot[1], spot[2], spot[3])
    elif city is not None and rand() < 0.5:
        place = DemoPlace(city[0] if lang == "zh" else city[1], city[2], city[3])
    elif home is not None and rand() < 0.5:
        place = DemoPlace(home[0], home[2], home[3])
    elif topic == "home" and rand() < 0.3:
        # A place tag without coordinates, as when someone tags "home" rather than a map pin.
        place = DemoPlace("家里" if lang == "zh" else "Home")

    image_count = 0 if rand() < 0.1 else 1 + int(rand() * 6)
    # Product of two uniforms again: recent notes are denser, like a growing community.
    created_offset_s = int(rand() * rand() * NOTE_WINDOW_S)
    return DemoNote(
        author_index=author_index,
        title=title,
        body=body,
        tags=names,
        topic=topic,
        place=place,
        lang=lang,
        image_count=image_count,
        created_offset_s=created_offset_s,
    )


def demo_comment(rng: random.Random, lang: str) -> str:
    """A short comment in ``lang`` ("zh"; anything else gets English)."""
    pool = _COMMENTS["zh" if lang.startswith("zh") else "en"]
    first = _pick(rng, pool)
    if rng.random() < 0.2:
        second = _pick(rng, pool)
        if second != first:
            return f"{first}{'' if lang.startswith('zh') else ' '}{second}"
    return first


# --------------------------------------------------------------------------------------
# Pictures.

# Soft palettes per topic (background pair + accents), chosen so thumbnails of different
# topics look different in the explore grid.
_RGB = tuple[int, int, int]
_PALETTES: Final[dict[str, tuple[_RGB, ...]]] = {
    "food": ((255, 214, 165), (233, 98, 68), (255, 170, 90), (160, 60, 40), (255, 240, 200)),
    "travel": ((135, 206, 235), (30, 90, 150), (255, 200, 120), (70, 150, 110), (250, 250, 240)),
    "skincare": ((255, 228, 225), (230, 170, 180), (255, 250, 245), (200, 140, 160), (245, 215, 200)),
    "fashion": ((235, 225, 210), (60, 60, 70), (190, 160, 130), (150, 40, 60), (250, 245, 235)),
    "pets": ((255, 235, 205), (200, 140, 80), (120, 90, 60), (255, 200, 150), (250, 250, 250)),
    "study": ((230, 240, 255), (90, 110, 160), (250, 245, 225), (160, 180, 210), (60, 70, 90)),
    "fitness": ((200, 255, 220), (20, 140, 110), (255, 120, 80), (40, 60, 80), (240, 255, 245)),
    "home": ((245, 235, 220), (160, 130, 100), (120, 160, 110), (230, 200, 160), (255, 250, 240)),
    "photography": ((40, 40, 60), (230, 150, 90), (255, 210, 150), (90, 70, 110), (20, 20, 30)),
    "music": ((60, 20, 90), (230, 80, 160), (90, 200, 230), (255, 220, 100), (20, 10, 40)),
}
_DEFAULT_PALETTE: Final = _PALETTES["home"]
# RedNote's grid favours portrait 3:4; the others appear less often.
_ASPECTS: Final[tuple[tuple[tuple[int, int], float], ...]] = (
    ((1080, 1440), 0.55),
    ((1080, 1080), 0.2),
    ((1080, 810), 0.15),
    ((1080, 1620), 0.1),
)
# The gradient is computed on a canvas this many times smaller and enlarged with NEAREST:
# a smooth gradient has no edges to lose, and full-size smooth resampling alone would take
# more than half of the 20 ms budget per picture.
_DOWNSCALE: Final = 4


def demo_aspect(rng: random.Random) -> tuple[int, int]:
    """A (width, height) in pixels, 1080 wide, weighted toward 3:4 portrait."""
    r = rng.random()
    for size, weight in _ASPECTS:
        if r < weight:
            return size
        r -= weight
    return _ASPECTS[0][0]


def demo_image(rng: random.Random, topic: str, seed: int, width: int, height: int) -> bytes:
    """A JPEG of ``width`` by ``height``: a gradient with translucent shapes in ``topic``'s palette.

    The picture depends only on (topic, seed, width, height), never on ``rng``'s state, so
    a missing demo file can be regenerated byte for byte and the caller's stream of draws
    does not shift when this drawing code changes; ``rng`` is accepted for symmetry with
    the other generators and left untouched.
    """
    del rng
    local = random.Random(f"{topic}:{seed}")
    palette = _PALETTES.get(topic, _DEFAULT_PALETTE)
    start, stop = local.sample(palette, 2)

    sw, sh = max(1, width // _DOWNSCALE), max(1, height // _DOWNSCALE)
    # A rotated linear gradient, cropped from a square as wide as the diagonal so that no
    # corner is left empty whatever the angle.
    side = math.ceil(math.hypot(sw, sh))
    gradient = Image.linear_gradient("L").resize((side, side), Image.Resampling.BILINEAR)
    gradient = gradient.rotate(local.uniform(0, 360), resample=Image.Resampling.BILINEAR)
    left, top = (side - sw) // 2, (side - sh) // 2
    gradient = gradient.crop((left, top, left + sw, top + sh))
    gradient = gradient.resize((width, height), Image.Resampling.NEAREST)
    # Colour through a palette lookup: several times faster than ImageOps.colorize.
    lut = [round(a + (b - a) * level / 255) for level in range(256) for a, b in zip(start, stop, strict=True)]
    gradient.putpalette(lut)
    picture = gradient.convert("RGB")

    # Drawing with an RGBA fill onto an RGB image blends in place, touching only the
    # shape's pixels instead of compositing a full-size overlay.
    draw = ImageDraw.Draw(picture, "RGBA")
    short = min(width, height)
    for _ in range(local.randint(3, 7)):
        colour = local.choice(palette)
        alpha = local.randint(70, 170)
        r = int(short * local.uniform(0.08, 0.35))
        cx, cy = local.randint(0, width), local.randint(0, height)
        box = (cx - r, cy - r, cx + r, cy + r)
        if local.random() < 0.7:
            draw.ellipse(box, fill=(*colour, alpha))
        else:
            draw.rounded_rectangle(box, radius=r // 3, fill=(*colour, alpha))

    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=82, optimize=False)
    return out.getvalue()
