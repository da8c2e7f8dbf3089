"""Which province a problem text is about: province, prefecture-level city and a few district names.

Used by the query log when nobody chose a province filter ("未指定" otherwise dominates the
statistics). Provinces are spelled as the library spells them (`PROVINCES`, GB/T 2260 order).
A name that is also an everyday word (大同, 日照, 来宾, 新乡贤 …) only counts with its suffix
(大同市, 日照市); the first name in the text wins, longest name first at each position.
"""

from __future__ import annotations

import re
from functools import lru_cache

PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江",
             "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川",
             "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾")

# Prefecture-level cities, leagues and autonomous prefectures (short names), and for the four
# municipalities their districts, per province. A name that is also a common word is listed only
# with its suffix (大同市, 三明市, 海口市, 大理州 …).
_PLACES = {
    "北京": "海淀 丰台 石景山 门头沟 房山 通州 顺义 昌平 大兴 怀柔 平谷 密云 延庆 东城区 西城区 朝阳区",
    "天津": "滨海新区 武清 宝坻 蓟州 静海 宁河 西青 津南 北辰 东丽 南开区",
    "河北": "石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水 雄安",
    "山西": "太原 大同市 阳泉 长治市 晋城 朔州 晋中 运城 忻州 临汾 吕梁",
    "内蒙古": "呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布 兴安盟 锡林郭勒 阿拉善",
    "辽宁": "沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳市 葫芦岛",
    "吉林": "长春 四平市 辽源 通化 白山市 松原 白城 延边",
    "黑龙江": "哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河市 绥化 大兴安岭",
    "上海": "浦东 徐汇 闵行 杨浦 虹口 静安 长宁区 嘉定 松江 青浦 奉贤 崇明 黄浦区 宝山区 普陀区 金山区",
    "江苏": "南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁",
    "浙江": "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水 义乌",
    "安徽": "合肥 芜湖 蚌埠 淮南 马鞍山 淮北市 铜陵 安庆 黄山市 滁州 阜阳 宿州 六安 亳州 池州 宣城",
    "福建": "福州 厦门 莆田 三明市 泉州 漳州 南平 龙岩 宁德",
    "江西": "南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶",
    "山东": "济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照市 临沂 德州 聊城 滨州 菏泽",
    "河南": "郑州 开封 洛阳 平顶山 安阳 鹤壁 新乡市 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 驻马店 济源",
    "湖北": "武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州 恩施 仙桃 潜江 天门市 神农架",
    "湖南": "长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底 湘西",
    "广东": "广州 深圳 珠海 汕头 佛山 韶关 湛江 肇庆 江门 茂名 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山市 潮州 揭阳 云浮",
    "广西": "南宁 柳州 桂林 梧州 北海市 防城港 钦州 贵港 玉林 百色 贺州 河池 来宾市 崇左",
    "海南": "海口市 三亚 三沙 儋州",
    "重庆": "渝中 万州 涪陵 沙坪坝 九龙坡 北碚 渝北 巴南 黔江 江津 合川 永川 綦江 大足 璧山 铜梁 潼南 荣昌 开州 梁平 武隆",
    "四川": "成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安市 达州 雅安 巴中 资阳 阿坝 甘孜 凉山",
    "贵州": "贵阳 六盘水 遵义 安顺市 毕节 铜仁 黔西南 黔东南 黔南",
    "云南": "昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧 楚雄 红河州 文山州 文山市 西双版纳 大理州 大理市 德宏 怒江州",
    "西藏": "拉萨 日喀则 昌都 林芝 山南市 那曲 阿里地区",
    "陕西": "西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 安康市 商洛",
    "甘肃": "兰州 嘉峪关 金昌 白银市 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南 临夏 甘南",
    "青海": "西宁 海东 海北州 黄南 果洛 玉树州 玉树市 海西州",
    "宁夏": "银川 石嘴山 吴忠 固原 中卫",
    "新疆": "乌鲁木齐 克拉玛依 吐鲁番 哈密 昌吉 博尔塔拉 巴音郭楞 阿克苏 克孜勒苏 喀什 和田 伊犁 塔城 阿勒泰 石河子",
    "香港": "",
    "澳门": "",
    "台湾": "台北 高雄 台中 台南",
}


@lru_cache(maxsize=1)
def _table() -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    for province in PROVINCES:
        names[province] = province
        for place in _PLACES[province].split():
            names.setdefault(place, province)
    names["内蒙"] = "内蒙古"
    # longest first: at one position "大兴安岭" (黑龙江) beats "大兴" (北京)
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return pattern, names


def province_of(text: str) -> str:
    """The province the text first names (directly or through a city/district), else ""."""
    if not text:
        return ""
    pattern, names = _table()
    found = pattern.search(text)
    return names[found.group(0)] if found else ""
