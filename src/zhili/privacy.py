"""Mask personal data in problem texts (12345 hotline work orders) before they are stored or shown.

Work orders quote callers verbatim: ID numbers, phones, plates, names and home addresses. zhili
only needs the governance problem, so everything that identifies a person is starred out before a
query is logged, exported or printed in a brief. Three rules shape the detectors:

* Ordinary governance numbers must survive (2023年, 120户, 3.5万元, 12345热线, 第38号, URLs in
  sources) — every digit pattern needs a full-length run with no digit/letter on either side.
* Names are found after a label (姓名：, 联系人 …), and without one from what surrounds them: a cue
  (我叫, 邻居, 房东 …), a title (大爷, 阿姨, 经理 …), a complaint verb, or the person tag of rjieba's
  segmenter (jieba's dictionary, shipped inside the wheel: nothing is downloaded). House-level
  addresses are found after a label and by their shape (5号2栋1单元301室, 光明路88号院, 3组15号).
  Localities — street, community, district, village (玉林街道, 晋阳社区, 王家村) — always survive:
  they are what the engine matches on. benchmarks/privacy_fp.py measures what is masked in the
  bundled cases (false positives), in real citizen messages, and on tests/data/privacy_recall.txt.
* `mask` is idempotent: masked output contains no run that a detector would match again (a number
  or a surname next to a mask character is the rest of something masked already).

Detection runs on a per-character NFKC copy (full-width １３８… behaves like 138…), but the text
returned is the original with only the masked characters replaced, so nothing else changes.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate
from typing import Any

MASK_CHAR = "*"

__all__ = ["Span", "find_personal", "mask", "MASK_CHAR"]


@dataclass(frozen=True)
class Span:
    """One piece of personal data: `kind` (phone, id_card …) and its [start, end) in the original text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class _Hit:
    kind: str
    start: int  # normalised coordinates
    end: int
    hidden: tuple[int, ...]  # normalised positions to replace with MASK_CHAR


# Boundaries: a number is personal data only when it is the whole run, not part of a longer
# number, a URL path or an alphanumeric code.
_NB = r"(?<![0-9A-Za-z])"
_NA = r"(?![0-9A-Za-z])"
_SEP = r"[ \-]?"

_ID18 = re.compile(_NB + r"(\d{6})(\d{4})(\d{2})(\d{2})(\d{3}[0-9Xx])" + _NA)
_ID15 = re.compile(_NB + r"(\d{6})(\d{2})(\d{2})(\d{2})(\d{3})" + _NA)
_CARD = re.compile(_NB + r"\d(?:[ \-]?\d){15,18}" + r"(?![ \-]?[0-9A-Za-z])")
_MOBILE = re.compile(
    _NB
    + r"(?:(?:\+|00)?86[ \-]?|[(（]\+?86[)）] ?)?"
    + r"(1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4})"
    + r"(?![ \-]?[0-9A-Za-z])"
)
_LANDLINE = re.compile(
    _NB + r"(?:[(（](0\d{2,3})[)）] ?|(0\d{2,3})[ \-])(\d{7,8})(?:(?:转|-|ext\.?)\d{1,5})?" + _NA
)
_LANDLINE_LABELLED = re.compile(
    r"(?:电话|座机|固话|联系方式)[:：]?\s*" + _NB + r"(0\d{2,3})(\d{7,8})" + _NA
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"[A-HJ-NP-Z][·•・. ]?([A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳])" + _NA
)
_PASSPORT = re.compile(r"护照(?:号码|号)?[:：]?\s*([A-Za-z]{1,2}\d{7,8}|\d{9})" + _NA)
_URL = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]+", re.I)

# Names: a label, then 2–4 Han characters. With a colon anything goes; without one ("联系人王某某")
# the first character must be a common surname (minus those that usually start ordinary words:
# 和/全/应/成 …), so "联系人制度" and "联系人和网格员" stay untouched.
_NAME_LABELS = (
    "姓名|联系人|来电人|诉求人|反映人|投诉人|被投诉人|举报人|被举报人|申请人|当事人|户主|"
    "业主姓名|求助人|报警人|租户"
)
# Lookaheads, so a run after one label never swallows the next label (姓名：张三姓名：李四).
_NAME_COLON = re.compile(rf"(?=(?:{_NAME_LABELS})\s*[:：]\s*([\u4e00-\u9fff·]{{2,8}}))")
_NAME_BARE = re.compile(rf"(?=(?:{_NAME_LABELS})([\u4e00-\u9fff]{{2,6}}))")
_NAME_MAX = 4  # longer runs after a label are a name plus the words that follow it
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊孟秦邱侯江尹薛闫段雷黎史龙陶贺顾毛郝龚邵钱覃武戴"
    "莫孔汤施牛樊葛邢乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝符舒阮柯纪梅童凌毕季裴霍涂苗谷"
    "盛曲翁冉骆蓝游辛靳柴蒙鲍华喻祁蒲房滕屈饶牟艾尤穆卓古吉缪简芦麦褚娄窦戚岑景宫卜冷晏米柏宗瞿桂"
    "佟臧闵苟邬边卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝某"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙", "长孙", "宇文")
# Words that end a bare name ("联系人王某某反映…") rather than belong to it.
_NAME_TAIL = re.compile(r"(反映|来电|投诉|举报|称|说|表示|诉求|家|的|在|住|电话|手机|联系|同志|等|和|与|及|已|要求|希望)")
_TITLES = ("先生", "女士", "师傅", "阿姨", "大爷", "大妈", "老师", "同志", "小姐")

# Names without a label (issue 9). Chinese text has no capitals, so a name is a surname plus one or
# two characters that something around it marks as a person:
#   * a cue before it — 我叫/我是/本人, kinship (我父亲), a role (邻居, 房东, 村民, 网格员 …);
#   * a title or kinship term after it — 张三大爷, 王阿姨, 李师傅, 刘经理;
#   * a complaint verb after it — 王五天天…, 谢永福家…, 何志刚拖欠…;
#   * or the segmenter's own person tag (rjieba's `nr`, from jieba's dictionary) on a
#     three-character surname-led token — 孙晓燕, 刘德胜 — when nothing marks it as a place.
# jieba's `nr` alone is far too loose (楼宇, 胡同, 文明, 余姚 are all `nr` in its dictionary), so a
# two-character candidate always needs a cue, a title or a verb, and candidates that are ordinary
# dictionary words (王家, 任何, 高级) or are followed by a place word (李家湾社区, 卢沟桥街道) are skipped.
# Style: a full name keeps its surname (张三 → 张*, like 姓名：张*). Before a title the surname is how
# neighbours know the person (王阿姨, 李师傅 in one compound), so there the whole name is starred:
# 王阿姨 → *阿姨, 张三大爷 → **大爷; so is the surname of 老王/小李 and 我姓徐.
#
# Common surnames that are also everyday words (于是, 白天, 文化, 常年), and surnames that are far more
# often ordinary words (这段时间, 1000米, 交房, 业主方, 华冠连纸厂): they make a name only after a cue or
# before a title, never on a verb or the segmenter's tag alone.
_MORE_SURNAMES = frozenset("于白严文常康万")
_WEAK_SURNAMES = frozenset("段米任房钱方尤甘沙麻查池冷古宫简边苗谷曲游蓝华景丛巫卜艾宁党") | _MORE_SURNAMES
_PERSON_SURNAMES = frozenset(_SURNAMES - {"某"}) | _MORE_SURNAMES
_SURNAME_FIRST = _PERSON_SURNAMES | {c[0] for c in _COMPOUND_SURNAMES}
_CUE_SELF = "我叫|我名叫|名叫|本人"
_CUE_KIN = (
    "父亲|母亲|爸爸|妈妈|我爸|我妈|儿子|女儿|丈夫|妻子|老公|老婆|爱人|爷爷|奶奶|外公|外婆|姥姥|姥爷|"
    "哥哥|姐姐|弟弟|妹妹|孙子|孙女|公公|婆婆|岳父|岳母|舅舅|姑姑|叔叔|侄子|外甥|女婿|儿媳|媳妇"
)
_CUE_ROLE = (
    "邻居|房东|租客|业主|村民|居民|住户|网格员|网格长|楼长|门卫|保安|保洁员|保洁|物业经理|包工头|老板|店主|"
    "司机|患者|病人|村主任|村支书|支书|村干部|工作人员|民警|前台|同事|室友|楼上|楼下|对门|隔壁|"
    "转告|告诉|欠款人|借款人|雇主|工头|负责人|楼栋长|单元长|组长|队长|村长|社长|站长|所长|院长|校长|局长|科长|"
    "主任|书记|会计|出纳|法人|法人代表|" + _NAME_LABELS
)
_CUE_SET = frozenset(f"{_CUE_SELF}|我是|{_CUE_KIN}|{_CUE_ROLE}".split("|"))
_CUE_SIZES = sorted({len(w) for w in _CUE_SET}, reverse=True)  # longest first: 我妈妈 is 妈妈, 村主任 not 主任
_CUE_STRONG = frozenset(_CUE_SELF.split("|"))  # a self-introduction: even 我叫高峰 is a name
_CUE_ANY_AT = re.compile(r"我叫|我名叫|名叫")  # … and 我叫白雪 too, though 白 is no listed surname
_CUE_SURNAME = re.compile(r"(?:我姓|本人姓|免贵姓)")  # the surname alone is what is given
_PERSON_TITLES = (
    "大爷|大妈|大娘|大叔|大婶|大姐|大哥|阿姨|叔叔|阿婆|婆婆|爷爷|奶奶|老太|老汉|师傅|经理|老板|老师|医生|大夫|"
    "律师|主任|书记|村长|组长|队长|科长|局长|所长|站长|院长|校长|警官|先生|女士|小姐|同志|姐|哥|叔|婶|嫂|总"
)
_TITLE_SET = frozenset(_PERSON_TITLES.split("|"))
# Words that follow a name in a complaint ("王五天天…", "何志刚拖欠…"): evidence of a person.
_NAME_VERBS = (
    "家|说|称|讲|反映|表示|来电|投诉|举报|天天|每天|经常|总是|一直|长期|常年|多次|私自|擅自|把|从来|拖欠|"
    "欠|打|骂|殴打|辱骂|威胁|占用|霸占|不给|不让|不还|不退|拒绝|拒不|老人|夫妇|一家|开车|驾车|骑车|偷|砍|私搭|"
    "乱搭|乱扔|乱倒|倾倒|堆放|养|装修|答应|承诺|强行|无故|故意|恶意|带人|叫人|找人"
)
_VERB_AT = re.compile(rf"(?:{_NAME_VERBS})")
# … and words that only end a name (陈浩在工地, 李娜的): too common to count as evidence.
_NAME_END_AT = re.compile(rf"(?:{_NAME_VERBS}|住|在|的|和|与|及|等|将)")
# A name ends before these characters (function words, place and unit suffixes, quantities).
_NOT_GIVEN = frozenset(
    "的了在是和与及把被给让对从到说称讲家里上下内外前后边等们个些这那其此各每也都又还就不没未已"
    "很太最更要会能将因所以而但或并且如若则即于由之住村镇乡县区市省州街路巷弄组号栋楼室两几"
)
# After 我叫/名叫 any other Han character may start a name (我叫白雪), even outside the surname list.
_NOT_A_SURNAME = frozenset("他她你我它咱您谁啥什怎这那每各某") | _NOT_GIVEN
# After a candidate these make it a place or an organisation (李家湾社区, 卢沟桥街道, 老杨调解中心) …
_PLACE_AFTER = re.compile(
    r"(?:街道|社区|小区|花园|新村|家园|公园|广场|大厦|中心|公司|集团|医院|学校|中学|小学|大学|银行|超市|商场|"
    r"酒店|宾馆|饭店|工作室|工作法|调解|模式|经验|品牌|精神|故居|纪念|派出所|居委会|村委会|委员会|合作社|"
    r"服务站|服务队|志愿|党支部|支部|片区|景区|水库|大道|大街|高新区|开发区|经开区|开区|产业园|水电站|电站|风情|小镇|[村镇乡县区市省州旗街路巷湾庄屯寨坝港岛苑厂店馆院局])"
)
# … and so does ending in one of these (梅溪湖, 王大厦, 秦楚网).
_PLACE_LAST = frozenset("湖网厂站所办局院馆店园苑城港桥湾寺庙塔厦场村镇乡县区市州省街路巷渠沟堰坝闸")
_QUOTES_OPEN = "“‘「『《〈\"'"
_QUOTES_CLOSE = "”’」』》〉\"'"
_NR_TAGS = frozenset(("nr", "nrt", "nrfg"))
# 原任书记, 村支书任指挥长: 任 is the verb "to hold a post" after these or before a post.
_REN_VERB_BEFORE = frozenset("原现曾兼时继历新后先出担升调改连留再并由")
_REN_POST = re.compile(
    r"任(?:副|常务|专职|兼职|总|双|居民|村民)?(?:小组长|辅导员|辅导老师|老师|教师|讲师|指导员|监督员|信息员|联络员|宣传员|组长|指挥|队长|主任|书记|站长|所长|网格长|楼长|召集人|负责人|理事长|会长|主席|委员|"
    r"组员|成员|顾问|调解员|网格员|村长|社长|校长|院长|局长|科长|部长|处长|厅长|市长|县长|区长|乡长|镇长|支书|第一书记)"
)
# Surname-led words that jieba's dictionary tags as person names but that are ordinary words or
# places in governance text (found with benchmarks/privacy_fp.py on the bundled cases and messages).
_NOT_NAMES = frozenset(
    "张贴 高峰 田园 胡同 陈列 许可 文明 宋体 苏醒 谢谢 孔雀 秦岭 黄石 金山 余姚 吴江 陆川 余杭 吴忠 娄底 "
    "高明 林立 周转 周密 陈述 陈设 张开 查明 金黄 华丽 黎明 杜绝 高潮 高薪 顾问 顾客 荣誉 荣获 荣耀 卓越 "
    "祝贺 凌厉 雷达 武林 王朝 王府 陆军 冷笑 丛林 石英 梁山 桂林 柏林 胡子 叶子 林子 林木 杨柳 梅花 兰花 "
    "桂花 杜鹃 高陵 石林 金陵 沙滩 吉祥 毛巾 麦子 马匹 乔木 牛羊 高达 龙岩 宫殿 范畴 史诗 麻木 胡闹 胡说 金点子 "
    "石桌 高配 高流 戴嘴 牛跑 牛吃 常遛 常起 李沧".split()
)

# Addresses. A house-level address is a chain of numbered parts — 门牌 5号, 号院, 楼栋 3号楼/2栋/A座,
# 单元 or 门, 层, 室/户/房, 村民小组 3组 — and the whole chain is starred, suffixes included: 5号2栋1单元301室
# becomes ***********, so neither the building, the floor (501 vs 1202) nor the digit count of any part
# shows; only the chain's total length does, since masking never changes the length of the text. The
# road, community, street and district before the chain stay (人民南路四段, 幸福小区, 玉林街道): a locality
# is what the engine matches on, and it holds thousands of households. A chain is starred when it pins a
# home: a room (501室), a building with a unit/floor/room (3栋2单元), a 门牌 or 号院 on a road or in a
# village (光明路88号, 3组15号), a building of a named compound (阳光花园5栋), or anything numbered after an
# address label (住址：…, 家住…, 住在…). A bare building (小区5号楼加装电梯) or floor (一楼住户) is not a home.
# Overlapping (a lookahead), so that when 家住 is the tail of 国家/老家 the 住在 after it still counts.
_ADDR_LABEL = re.compile(r"(?=((家庭住址|现住址|居住地址|户籍地址|住址|地址|家住|住在)\s*[:：]?\s*))")
_ADDR_END = re.compile(r"[，,。；;！!？?\n\r*]|电话|手机|联系")  # a mask character ends it too (idempotence)
_ADDR_MAX = 60
_HOUSE_SUFFIX = r"(?:号楼|号院|号房|号|栋|幢|座|单元|门|层|楼|室|户|房|弄|排|组)"
_HOUSE_TOKEN = re.compile(
    r"[0-9A-Za-z]*\d[0-9A-Za-z]*(?:-[0-9A-Za-z]+)*|[A-Za-z一二三四五六七八九十百零〇两]+(?=" + _HOUSE_SUFFIX + ")"
)
_HOUSE_NEXT = re.compile(_HOUSE_SUFFIX)
_DISTRICT_AFTER = frozenset("区市县省州镇乡街道路村")
_CN_NUM = "一二三四五六七八九十百零〇两"
_NUM = rf"(?:\d{{1,5}}[A-Za-z]?|[A-Za-z]\d{{0,4}}|[{_CN_NUM}]{{1,4}})"
_SUFFIX = (
    r"(号楼|号院|号房|号(?![线令文件码台机车站口字档卷窗召])|栋|幢|座|单元|门(?![口前外卫面店市诊式])|层"
    r"|楼(?![道梯顶下上房宇盘])|室(?![\d一二两三四五六七八九]?厅)|房|组)"
)
_PART = re.compile(_NUM + _SUFFIX)  # group 1: the suffix, which says what the part is
_PART_NC = _NUM + "(?:" + _SUFFIX[1:]
# A number touching a mask character belongs to something masked already (138****5678组…), one
# after a dash to a longer number (3-2-501, 2019-2023).
_CHAIN = re.compile(
    r"(?<![0-9A-Za-z*\-])"
    + r"(?:(?P<dashed>\d{1,3}-\d{1,3}-\d{2,5})(?:室|号)?"
    + rf"|{_PART_NC}(?:[-附之]?{_PART_NC})*"
    + r"(?P<bare>\d{3,5}(?![0-9A-Za-z.%年月日元米平岁万亿个人户次件号名条家天多余*]))?)"
)
_ROAD_END = frozenset("路街道巷弄里同段村庄屯坊湾")
# 小区名 + 楼栋: a building right after a named residential compound (阳光花园5栋, 万科城A座) …
_COMPOUND_END = re.compile(
    r"([\u4e00-\u9fff]{1,8})(?:小区|花园|家园|新村|公寓|苑|园|府|城|庭|里|湾|居|阁|轩|邸)"
    rf"(?:[A-Za-z\d{_CN_NUM}]{{1,3}}[期区])?$"
)
# … unless the "name" is no name (该小区, 我们小区, 在小区) or the place is not residential (产业园, 区政府).
_GENERIC_COMPOUND = re.compile(
    r"(?:该|本|这个|那个|这|那|哪|我们|你们|他们|老旧|全|各|多个|同一|整个|周边|附近|其他|所在|一个|个|的|新建|"
    r"商品|安置|农村|城市|小区|公园|花园|乐|家|在|到|从|向|对|和|与|及|是|为|了|住|进|出|回|去|来|村|城|"
    r"政|产业|科技|工业|创业|软件|物流|文化|体育|游乐|动物|植物|校|公|陵|墓)$"
)
# A number that names a compound (御苑巷4号小区, 白马寺街31号院落) is not a door; a lone building
# or door number (马塍路11号加梯) whose next words are about the whole building — its lift, its size, its shops (御锦花园1号楼下
# 烧烤店, 枫林新村45号楼加梯, 东盛园3栋楼72户) — is a subject of the text, not a home. A unit of it
# (金色家园6栋2单元电梯困人) still pins a few households and stays starred, and so does a building
# followed by its people (阳光花园5栋的住户反映): there the text is about someone living in it.
_COMPOUND_AFTER = re.compile(r"小区|院落|落|大院|片区|地块")
_WHOLE_BUILDING_AFTER = re.compile(
    r"楼?(?:\d+户(?!型)|\d+部)|下(?![午班雨])|电梯|加梯|加装|楼下|门面|老楼|唯一|试点|整体|全体"
)
_NEIGHBOUR_ROOM = re.compile(r"(?:楼上|楼下|对门|隔壁)的?(\d{3,5}(?:室|房|号)?)(?![0-9A-Za-z年元米平岁万个人次%*])")
_SURNAME_CLASS = "[" + "".join(sorted(_PERSON_SURNAMES - _WEAK_SURNAMES)) + "]"
_SURNAME_AT = re.compile("[" + "".join(sorted(_SURNAME_FIRST)) + "]")
_FAMILIAR = re.compile(
    rf"(?:隔壁|邻居|楼上|楼下|对门)的?[老小]({_SURNAME_CLASS})"
    rf"|[老小]({_SURNAME_CLASS})(?=家|说|称|天天|每天|经常|总是|一直|私自|擅自|把|拖欠|不给|不让|骂|打)"
)


# Characters NFKC leaves as they are and that are neither control nor format characters: printable
# ASCII, line breaks, CJK ideographs and the usual Chinese punctuation. Runs of them are copied as a
# whole; only the rest goes through the per-character path (most texts are almost all plain).
_PLAIN_RUN = re.compile(r"[\x20-\x7e\t\n\r\u4e00-\u9fff\u3001\u3002\u2018\u2019\u201c\u201d\u2014\u300a-\u3011]+")


def _normalise(text: str) -> tuple[str, list[int]]:
    """NFKC per character, so each normalised character maps back to one original index.

    Invisible characters (zero-width spaces, BOMs, control bytes other than line breaks and tabs)
    are skipped, so "138\u200b1234\u200b5678" pasted from a web form is still seen as a phone.
    """
    chars: list[str] = []
    origin: list[int] = []
    pos = 0
    for run in _PLAIN_RUN.finditer(text):
        _normalise_chars(text, pos, run.start(), chars, origin)
        chars.append(run.group())
        origin.extend(range(run.start(), run.end()))
        pos = run.end()
    _normalise_chars(text, pos, len(text), chars, origin)
    return "".join(chars), origin


def _normalise_chars(text: str, start: int, end: int, chars: list[str], origin: list[int]) -> None:
    for i in range(start, end):
        ch = text[i]
        if ch not in "\t\n\r" and unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        norm = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        if not norm:
            continue
        chars.append(norm)
        origin.extend([i] * len(norm))


def _digits(s: str, start: int, end: int) -> list[int]:
    return [i for i in range(start, end) if s[i].isdigit() or s[i] in "Xx"]


def _keep_ends(s: str, start: int, end: int, head: int, tail: int) -> tuple[int, ...]:
    """Hide all digits of s[start:end] except the first `head` and the last `tail`."""
    pos = _digits(s, start, end)
    return tuple(pos[head : len(pos) - tail])


def _valid_birth(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def _id_cards(s: str) -> Iterator[_Hit]:
    for m in _ID18.finditer(s):
        if _valid_birth(int(m[2]), int(m[3]), int(m[4])):
            yield _Hit("id_card", m.start(), m.end(), _keep_ends(s, m.start(), m.end(), 6, 4))
    for m in _ID15.finditer(s):
        if _valid_birth(1900 + int(m[2]), int(m[3]), int(m[4])):
            yield _Hit("id_card", m.start(), m.end(), _keep_ends(s, m.start(), m.end(), 6, 4))


def _bank_cards(s: str) -> Iterator[_Hit]:
    for m in _CARD.finditer(s):
        yield _Hit("bank_card", m.start(), m.end(), _keep_ends(s, m.start(), m.end(), 0, 4))


def _mobiles(s: str) -> Iterator[_Hit]:
    for m in _MOBILE.finditer(s):
        yield _Hit("phone", m.start(), m.end(), _keep_ends(s, m.start(1), m.end(1), 3, 4))


def _landlines(s: str) -> Iterator[_Hit]:
    for m in _LANDLINE.finditer(s):
        yield _Hit("landline", m.start(), m.end(), _keep_ends(s, m.start(3), m.end(3), 1, 3))
    for m in _LANDLINE_LABELLED.finditer(s):
        yield _Hit("landline", m.start(1), m.end(2), _keep_ends(s, m.start(2), m.end(2), 1, 3))


def _emails(s: str) -> Iterator[_Hit]:
    for m in _EMAIL.finditer(s):
        local = range(m.start(1), m.end(1))
        hidden = tuple(local[1:]) if len(local) > 1 else tuple(local)
        yield _Hit("email", m.start(), m.end(), hidden)


def _plates(s: str) -> Iterator[_Hit]:
    for m in _PLATE.finditer(s):
        yield _Hit("plate", m.start(), m.end(), tuple(range(m.start(1), m.end(1) - 1)))


def _passports(s: str) -> Iterator[_Hit]:
    for m in _PASSPORT.finditer(s):
        yield _Hit("passport", m.start(1), m.end(1), tuple(range(m.start(1) + 1, m.end(1) - 3)))


def _name_hit(s: str, start: int, run: str, *, bare: bool = False) -> _Hit | None:
    cut = _NAME_TAIL.search(run, 2)
    if bare and not cut and len(run) > _NAME_MAX:
        return None  # "联系人制度建设…": prose, not a name
    name = run[: cut.start()] if cut else run
    if "·" not in name:  # Han names: surname + one or two characters (compound surname + two)
        name = name[: _NAME_MAX if name.startswith(_COMPOUND_SURNAMES) else _NAME_MAX - 1]
    end = start + len(name)
    # A name followed by a mask character was masked already (idempotence: 欧阳** stays).
    if len(name) < 2 or name.endswith(_TITLES) or name in _COMPOUND_SURNAMES or s[end : end + 1] == MASK_CHAR:
        return None
    surname = 2 if name.startswith(_COMPOUND_SURNAMES) else 1
    return _Hit("name", start, end, tuple(range(start + surname, end)))


def _names(s: str) -> Iterator[_Hit]:
    for m in _NAME_COLON.finditer(s):
        hit = _name_hit(s, m.start(1), m[1])
        if hit:
            yield hit
    for m in _NAME_BARE.finditer(s):
        run = m[1]
        if s[m.end(1) : m.end(1) + 1] == MASK_CHAR:
            continue  # the run was cut short by a mask: it was judged whole before (idempotence)
        if run[0] in _SURNAMES or run.startswith(_COMPOUND_SURNAMES):
            hit = _name_hit(s, m.start(1), run, bare=True)
            if hit:
                yield hit


_TAGGER: Any = None
_TAGGER_LOCK = threading.Lock()


def _tagger() -> Any:
    """rjieba's segmenter (jieba's dictionary and POS tags), built once on first use (~0.25 s).

    An instance of its own: words another module adds to rjieba's default segmenter must not
    change what gets masked.
    """
    global _TAGGER
    if _TAGGER is None:
        with _TAGGER_LOCK:
            if _TAGGER is None:
                import rjieba

                _TAGGER = rjieba.Jieba()
    return _TAGGER


@dataclass(frozen=True)
class _Tokens:
    """Where the segmenter cut `s`: token starts and ends, and which tokens it tagged as what."""

    starts: frozenset[int]
    ends: tuple[int, ...]  # sorted
    person: frozenset[int]  # starts of tokens tagged as a person name
    timely: frozenset[int]  # starts of tokens tagged as a time or a number (于|元月, 于|2019年)

    def end_of(self, i: int) -> int:
        """End of the token that holds character i."""
        return self.ends[bisect_right(self.ends, i)]


_NO_TOKENS = _Tokens(frozenset(), (), frozenset(), frozenset())


@lru_cache(maxsize=4)
def _tokens(s: str) -> _Tokens:
    words = _tagger().tag(s, True)
    ends = list(accumulate(len(w) for w, _ in words))
    if not ends or ends[-1] != len(s):
        return _NO_TOKENS  # never seen; without a faithful segmentation only cues and titles count
    starts = [0, *ends[:-1]]
    person = [p for p, (_, tag) in zip(starts, words) if tag in _NR_TAGS]
    timely = [p for p, (_, tag) in zip(starts, words) if tag == "t" or tag == "m"]
    return _Tokens(frozenset(starts), tuple(ends), frozenset(person), frozenset(timely))


@lru_cache(maxsize=8192)
def _word_kind(word: str) -> str:
    """'word' when jieba's dictionary has `word` as one non-name word (王家, 任何, 高级), 'nr' when it
    has it as a person name, 'nz' for its other proper nouns (柯文, but also 申报), 'oov' when it does
    not know it — most real names (张伟, 王五, 马文)."""
    toks = _tagger().tag(word, False)
    if len(toks) != 1:
        return "oov"
    tag = toks[0][1]
    return "nr" if tag in _NR_TAGS else "nz" if tag == "nz" else "word"


def _surname_len(s: str, i: int) -> int:
    if i >= len(s):
        return 0
    if s.startswith(_COMPOUND_SURNAMES, i):
        return 2
    return 1 if s[i] in _PERSON_SURNAMES else 0


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _given_len(s: str, start: int, toks: _Tokens) -> int:
    """How many of the (at most two) characters after a surname belong to the given name."""
    n = 0
    while n < 2 and start + n < len(s):
        i = start + n
        ch = s[i]
        if not _is_han(ch) or ch in _NOT_GIVEN or _NAME_END_AT.match(s, i) or _title_at(s, i):
            break
        place = _PLACE_AFTER.match(s, i) if n else None
        if place and place.end() - i > 1:
            break  # 王|社区: a place word, not the second character of a name
        n += 1
    for p in range(start, start + n) if toks.starts else ():
        # 王五|天天, 钱|回家, 方|自由: a character of the "given name" starts a word that runs on past it.
        run = toks.end_of(p)
        if p in toks.starts and run > start + n and _word_kind(s[p:run]) == "word":
            return p - start
    return n


def _quoted(s: str, start: int, end: int) -> bool:
    """“李大姐”, 《张三》: a quoted name is a practice, a brand or a title, not a person."""
    return (start > 0 and s[start - 1] in _QUOTES_OPEN) or (end < len(s) and s[end] in _QUOTES_CLOSE)


def _ends_cleanly(s: str, end: int, toks: _Tokens) -> bool:
    """The candidate ends where a token ends, or only stop characters follow inside it (孙晓燕|家)."""
    if not toks.starts or end >= len(s) or end in toks.starts:
        return True
    return all(s[j] in _NOT_GIVEN for j in range(end, toks.end_of(end - 1)))


def _glued(s: str, i: int) -> bool:
    """The "surname" at i ends the word before it (交房至今, 原任书记, 1000米左右), so it is no surname."""
    if i == 0:
        return s[0] == "任" and _REN_POST.match(s, 0) is not None
    before = s[i - 1]
    if before == MASK_CHAR:
        return True  # right after a masked part: judged on the original text already (idempotence)
    if before.isdigit() or (s[i] == "任" and (before in _REN_VERB_BEFORE or _REN_POST.match(s, i))):
        return True
    return _is_han(before) and _word_kind(s[i - 1 : i + 1]) == "word"


def _verb_after(s: str, end: int, toks: _Tokens) -> bool:
    """A complaint verb follows — as a word of its own, not the start of one (沈飞|家属区 is no 家)."""
    m = _VERB_AT.match(s, end)
    if not m:
        return False
    if toks.starts and end in toks.starts and toks.end_of(end) > m.end():
        return _word_kind(s[end : toks.end_of(end)]) != "word"
    return True


def _full_name(s: str, i: int, sl: int, n: int) -> _Hit:
    """A surname plus given name: the given name is starred, the surname stays (张三 → 张*)."""
    return _Hit("name", i, i + sl + n, tuple(range(i + sl, i + sl + n)))


def _cue_before(s: str, i: int) -> str:
    """The cue word that ends right before position i (邻居王五, 对门的冯建军), or ""."""
    j = i - 1 if i and s[i - 1] == "的" else i
    for size in _CUE_SIZES:
        if j >= size and s[j - size : j] in _CUE_SET:
            return s[j - size : j]
    return ""


def _title_at(s: str, t: int) -> int:
    """Length of the title or kinship word starting at t (阿姨, 师傅, 姐), 0 if there is none."""
    for size in (2, 1):
        if t + size <= len(s) and s[t : t + size] in _TITLE_SET:
            return size
    return 0


def _by_cue(s: str, i: int, sl: int, cue: str, toks: _Tokens) -> _Hit | None:
    """我叫张三, 邻居王五, 对门的冯建军, 房东林志 — but not 书记高度重视, 工作人员于元月14日, 老公房."""
    if (s[i] in _WEAK_SURNAMES and _glued(s, i)) or (s[i] == "于" and i + 1 in toks.timely):
        return None
    n = _given_len(s, i + sl, toks)
    end = i + sl + n
    if not n or _PLACE_AFTER.match(s, end) or s[end : end + 1] == MASK_CHAR:
        return None
    if cue == "我是" and s[end : end + 1] == "人":
        return None  # 我是黄石人: where one is from
    if s[i] in _WEAK_SURNAMES and n == 2 and _word_kind(s[i : i + sl + 1]) != "oov":
        return None  # 我是钱塘江的: 钱塘 is a word, so 钱 is no surname here
    if i in toks.starts and toks.end_of(i) > end and _word_kind(s[i : toks.end_of(i)]) == "word":
        return None  # 书记|高度重视: the "name" is the head of a longer word
    word = s[i:end]
    strong = cue in _CUE_STRONG
    if _word_kind(word) == "word" or (not strong and (word in _NOT_NAMES or word[: sl + 1] in _NOT_NAMES)):
        return None
    return _full_name(s, i, sl, n)


def _by_title(s: str, i: int, sl: int, toks: _Tokens) -> _Hit | None:
    """王阿姨, 李师傅, 张三大爷, 刘经理 (all starred, surname too) — not 周总结, 任何老师, 原任书记, “李大姐”调解室."""
    if (toks.starts and i not in toks.starts) or _glued(s, i):
        return None
    for n in (0, 1, 2):
        t = i + sl + n
        if n and (t > len(s) or not _is_han(s[t - 1]) or s[t - 1] in _NOT_GIVEN):
            return None
        size = _title_at(s, t)
        if not size:
            continue
        end = t + size
        if (toks.starts and toks.end_of(end - 1) != end) or _PLACE_AFTER.match(s, end) or _quoted(s, i, end):
            return None
        if n and (_word_kind(s[i:t]) in ("word", "nz") or s[i:t] in _NOT_NAMES):
            return None
        return _Hit("name", i, t, tuple(range(i, t)))  # the whole name: with a title the surname identifies
    return None


def _by_verb_or_tag(s: str, i: int, sl: int, toks: _Tokens) -> _Hit | None:
    """王五天天…, 谢永福家…, 何志刚拖欠… (a complaint verb after it), or 孙晓燕, 刘德胜 (a three-character
    token the segmenter tags as a person) — when nothing marks it as a word or a place."""
    if i not in toks.starts or s[i] in _WEAK_SURNAMES or _glued(s, i):
        return None
    n = _given_len(s, i + sl, toks)
    end = i + sl + n
    if not n or s[end : end + 1] == MASK_CHAR or _quoted(s, i, end) or not _ends_cleanly(s, end, toks):
        return None
    word = s[i:end]
    if word in _NOT_NAMES or _PLACE_AFTER.match(s, end) or word[-1] in _PLACE_LAST:
        return None
    if _word_kind(word) in ("word", "nz"):
        return None
    # 许可证, 季度初, 高校专…: the surname and the next character already make a dictionary word.
    if n == 2 and (_word_kind(s[i : i + sl + 1]) != "oov" or s[i : i + sl + 1] in _NOT_NAMES):
        return None
    tagged = i in toks.person and sl + n >= 3 and toks.end_of(i) >= end
    # An unknown three-character name ending at 的/在/和 (城中村孟庆丰的出租房) counts too.
    unknown = n == 2 and _word_kind(word) == "oov" and _NAME_END_AT.match(s, end) is not None
    return _full_name(s, i, sl, n) if tagged or unknown or _verb_after(s, end, toks) else None


def _person_names(s: str) -> Iterator[_Hit]:
    """Unlabelled names: after a cue, before a title or a complaint verb, or tagged by the segmenter."""
    if _SURNAME_FIRST.isdisjoint(s) and "我叫" not in s and "名叫" not in s:
        return
    toks = _tokens(s)
    found: list[_Hit] = []
    for m in _CUE_ANY_AT.finditer(s):  # 我叫白雪: after 我叫 any Han character may start a name
        i = m.end()
        if i < len(s) and _is_han(s[i]) and s[i] not in _NOT_A_SURNAME and not _surname_len(s, i):
            hit = _by_cue(s, i, 1, m.group(), toks)
            if hit:
                found.append(hit)
    for m in _CUE_SURNAME.finditer(s):  # 我姓徐: the surname alone is what is given
        sl = _surname_len(s, m.end())
        if sl:
            found.append(_Hit("name", m.end(), m.end() + sl, tuple(range(m.end(), m.end() + sl))))
    for m in _SURNAME_AT.finditer(s):
        i = m.start()
        sl = _surname_len(s, i)
        if not sl:
            continue
        cue = _cue_before(s, i)
        hit = (cue and _by_cue(s, i, sl, cue, toks)) or _by_title(s, i, sl, toks) or _by_verb_or_tag(s, i, sl, toks)
        if hit:
            found.append(hit)
    for m in _FAMILIAR.finditer(s):  # 隔壁老王, 小李说: a surname used as the whole name
        i = m.start(1) if m[1] else m.start(2)
        if _word_kind(s[i - 1 : i + 1]) != "word" and not _PLACE_AFTER.match(s, i + 1):
            found.append(_Hit("name", i, i + 1, (i,)))
    yield from found


def _is_house_number(s: str, token: re.Match[str], end: int) -> bool:
    """3号楼 / 501室 / 3-2-501 / a number ending the address — not '住在这里20年' (a duration)."""
    text = token.group()
    if s[token.end() : token.end() + 1] in _DISTRICT_AFTER:
        return False  # A3区, M9县: a (coded) district, not a house number
    if MASK_CHAR in (s[token.start() - 1 : token.start()], s[token.end() : token.end() + 1]):
        return False  # the tail of something masked already (138****5678)
    return (
        bool(_HOUSE_NEXT.match(s, token.end()))
        or token.end() >= end
        or "-" in text
        or not text.isdigit()
    )


_KIND_OF_SUFFIX = {
    "号楼": "building", "栋": "building", "幢": "building", "座": "building", "楼": "floor",
    "号院": "yard", "号房": "room", "室": "room", "房": "room", "号": "number",
    "单元": "unit", "门": "unit", "层": "storeys", "组": "group",
}


def _house_level(s: str, start: int, chain: str, kinds: set[str]) -> bool:
    """Does this chain of numbered parts pin one home? (see the comment above _ADDR_LABEL)"""
    before = s[start - 1] if start else ""
    if "bare_room" in kinds or ("dashed" in kinds and len(kinds) > 1):
        return True
    if "room" in kinds:
        return len(kinds - {"storeys"}) > 1 or sum(c.isdigit() for c in chain) >= 3
    if "unit" in kinds and kinds & {"building", "floor", "storeys", "number"}:
        return True
    if "building" in kinds and "floor" in kinds:
        return True
    if kinds & {"number", "yard"} and (before in _ROAD_END or "group" in kinds):
        return True
    if "dashed" in kinds and before in _ROAD_END:
        return True
    if kinds & {"building", "dashed", "yard"}:
        m = _COMPOUND_END.search(s, max(0, start - 14), start)
        return bool(m and not _GENERIC_COMPOUND.search(m[1]))
    return False


def _chain_kinds(s: str, m: re.Match[str]) -> set[str]:
    kinds = {_KIND_OF_SUFFIX[p[1]] for p in _PART.finditer(s, m.start(), m.end())}
    if m["dashed"]:
        kinds.add("dashed")
    if m["bare"]:
        kinds.add("bare_room")
    return kinds


def _addresses(s: str) -> Iterator[_Hit]:
    """House-level addresses, fully starred from the house number on; the locality before stays."""
    for m in _ADDR_LABEL.finditer(s):
        if m[2] == "家住" and m.start() and _word_kind(s[m.start() - 1 : m.start() + 1]) == "word":
            continue  # 国家住建部, 老家住在…: 家 ends another word
        start = m.end(1)
        stop = _ADDR_END.search(s, start)
        end = min(stop.start() if stop else len(s), start + _ADDR_MAX)
        tokens = [t for t in _HOUSE_TOKEN.finditer(s, start, end) if _is_house_number(s, t, end)]
        if tokens:
            first, last = tokens[0].start(), tokens[-1].end()
            suffix = _HOUSE_NEXT.match(s, last, end)
            last = suffix.end() if suffix else last
            yield _Hit("address", first, last, tuple(range(first, last)))
    for m in _CHAIN.finditer(s):
        kinds = _chain_kinds(s, m)
        if kinds <= {"number", "yard"} and _COMPOUND_AFTER.match(s, m.end()):
            continue
        if kinds and kinds <= {"building", "number", "yard"} and _WHOLE_BUILDING_AFTER.match(s, m.end()):
            continue
        if _house_level(s, m.start(), m.group(), kinds):
            yield _Hit("address", m.start(), m.end(), tuple(range(m.start(), m.end())))
    for m in _NEIGHBOUR_ROOM.finditer(s):
        yield _Hit("address", m.start(1), m.end(1), tuple(range(m.start(1), m.end(1))))


# Order matters: earlier detectors claim their characters first (an 18-digit ID is not a bank card).
_DETECTORS: tuple[Callable[[str], Iterator[_Hit]], ...] = (
    _emails,
    _id_cards,
    _bank_cards,
    _mobiles,
    _landlines,
    _plates,
    _passports,
    _names,
    _person_names,
    _addresses,
)


_NUMBER_KINDS = frozenset(("id_card", "bank_card", "phone", "landline", "plate", "passport"))


def _touches_mask(s: str, start: int, end: int) -> bool:
    """A mask character right before or after [start, end), or one separator (space, dash) away."""
    before = s[max(0, start - 2) : start]
    after = s[end : end + 2]
    return before.endswith(MASK_CHAR) or before in ("*-", "* ") or after.startswith(MASK_CHAR) or after in ("-*", " *")


def _hits(text: str) -> tuple[list[_Hit], list[int]]:
    norm, origin = _normalise(text)
    claimed = [False] * len(norm)
    for u in _URL.finditer(norm):
        claimed[u.start() : u.end()] = [True] * (u.end() - u.start())
    found: list[_Hit] = []
    for detect in _DETECTORS:
        for hit in detect(norm):
            if hit.kind in _NUMBER_KINDS and _touches_mask(norm, hit.start, hit.end):
                continue  # digits next to a mask character are the rest of a masked number (idempotence)
            # Addresses may contain a flat number already claimed by the unlabelled pattern.
            if any(claimed[hit.start : hit.end]) and hit.kind != "address":
                continue
            if hit.kind == "address" and any(claimed[i] for i in hit.hidden):
                hit = _Hit(hit.kind, hit.start, hit.end, tuple(i for i in hit.hidden if not claimed[i]))
                if not hit.hidden:
                    continue
            claimed[hit.start : hit.end] = [True] * (hit.end - hit.start)
            found.append(hit)
    return found, origin


_MAX_PASSES = 4


def _found(text: str) -> tuple[set[Span], set[int]]:
    """Spans and the original indices to star, run again over the masked text until nothing new turns up.

    The detectors are written so that masked output matches nothing again, but names depend on the
    segmenter, which cuts a text with stars in it differently; a second pass over the masked text
    (only when the first one masked something) makes `mask` idempotent whatever the detectors miss.
    """
    spans: set[Span] = set()
    hidden: set[int] = set()
    current = text
    for _ in range(_MAX_PASSES):
        hits, origin = _hits(current)
        new = {origin[i] for h in hits for i in h.hidden} - hidden
        spans |= {Span(h.kind, origin[h.start], origin[h.end - 1] + 1) for h in hits if h.end > h.start}
        if not new:
            break
        hidden |= new
        current = "".join(MASK_CHAR if i in hidden else ch for i, ch in enumerate(text))
    return spans, hidden


def find_personal(text: str) -> list[Span]:
    """Every piece of personal data in `text`, in order, with spans in the original string."""
    spans, _ = _found(text)
    return sorted(spans, key=lambda sp: (sp.start, sp.end, sp.kind))


def mask(text: str) -> str:
    """`text` with personal data starred out (110105********1234, 138****5678); idempotent."""
    if not text:
        return text
    _, hidden = _found(text)
    if not hidden:
        return text
    return "".join(MASK_CHAR if i in hidden else ch for i, ch in enumerate(text))
