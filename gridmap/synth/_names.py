"""Chinese names for the synthetic district: compounds, communities, streets, roads.

Names are made-up combinations of syllables common in Chinese place names
(和平, 锦绣, 阳光 ... + 小区, 家园, 花园 ...). A name space is a fixed list of
candidates in an order shuffled by the seed; the k-th user of a space gets the
k-th candidate, so names are unique by construction and do not depend on how
the district is cut into chunks. When a space runs out, a cycle number is
added (锦绣家园 -> 锦绣家园二期), which keeps the names unique.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NameSpace", "cn_number", "compound_space", "place_space", "lane_space"]


def _words(text: str) -> list[str]:
    return text.split()


# Stems seen in real neighbourhood, road and community names of Hebei cities.
_CURATED_PLACE = _words(
    "建设 中华 体育 友谊 平安 维明 光华 谈固 翟营 东岗 石岗 塔谈 槐安 裕华 中山 和平 新华 胜利 "
    "联盟 红旗 长安 青园 育才 民族 自强 振头 北新 南新 东风 跃进 向阳 朝阳 永安 健康 富强 仓安 "
    "汇通 泰华 华安 兴华 广安 休门 东里 西里 园明 建华 金马 滨河 柏林 碧水 站前 丰收 红星"
)
_CURATED_COMPOUND = _words(
    "和平 锦绣 阳光 幸福 友谊 建设 胜利 光明 团结 文化 新华 翠湖 金域 碧水 春华 紫荆 玉兰 海棠 "
    "丁香 银杏 枫林 桂园 兰亭 荷塘 竹韵 松鹤 柳岸 桃源 梅苑 星河 明珠 华府 御景 龙湖 凤凰 富力 "
    "康乐 泰和 嘉禾 瑞祥 欣欣 怡景 雅居 丽景 盛世 荣盛 恒大 福泽 安居 宁静 润泽 东方 天河 万和"
)
_FIRST = "金银翠锦华紫碧御龙凤富康泰嘉瑞祥欣怡雅丽明新盛荣恒福和安宁润春阳东西南北中青育光"
_SECOND = "园苑湖庭城府都港湾林山泉河江海峰岸谷枫桂兰荷竹松柳桃梅辉星月馨源景平兴泽苑秀晖"
_COMPOUND_SUFFIXES = _words(
    "小区 家园 花园 公寓 新城 嘉园 华庭 雅苑 名苑 公馆 佳苑 新村 尚城 华府 丽都 御园"
)
_LANE_SUFFIXES = ("里", "巷", "街")
_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """Write 1..99 in Chinese numerals (二, 十二, 二十三); larger numbers in digits."""
    if n < 1 or n > 99:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    head = "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + (_DIGITS[ones] if ones else "")


def _generated_stems(exclude: set[str]) -> list[str]:
    stems = []
    for a in _FIRST:
        for b in _SECOND:
            stem = a + b
            if a != b and stem not in exclude:
                stems.append(stem)
    return list(dict.fromkeys(stems))


class NameSpace:
    """A shuffled, fixed list of names; the k-th request gets the k-th name.

    Parameters
    ----------
    curated : list of str
        Names used first (in shuffled order).
    generated : list of str
        Names used after the curated ones.
    rng : numpy.random.Generator
        Shuffles both lists.
    cycle : str
        Format of the cycle mark added when the list is exhausted, with ``{n}``
        the cycle number in Chinese numerals (cycle 1 is the second use).
    """

    def __init__(
        self, curated: list[str], generated: list[str], rng: np.random.Generator, cycle: str
    ) -> None:
        first = [curated[i] for i in rng.permutation(len(curated))]
        rest = [generated[i] for i in rng.permutation(len(generated))]
        self._items = np.array(first + rest, dtype=object)
        self._cycle = cycle

    def __len__(self) -> int:
        return len(self._items)

    def names(self, index: np.ndarray) -> np.ndarray:
        """Names of the 0-based request numbers ``index`` (object array of str)."""
        index = np.asarray(index, dtype=np.int64)
        size = len(self._items)
        out = self._items[index % size].copy()
        cycles = index // size
        for i in np.flatnonzero(cycles):
            out[i] = out[i] + self._cycle.format(n=cn_number(int(cycles[i]) + 1))
        return out

    def name(self, index: int) -> str:
        """Name of the 0-based request number ``index``."""
        return str(self.names(np.array([index]))[0])


def place_space(rng: np.random.Generator) -> NameSpace:
    """Two-syllable place stems (青园, 育才, ...) for streets, communities and roads."""
    return NameSpace(_CURATED_PLACE, _generated_stems(set(_CURATED_PLACE)), rng, "{n}")


def compound_space(rng: np.random.Generator) -> NameSpace:
    """Compound (小区) names: stem + suffix (和平小区, 锦绣家园, 阳光花园, ...)."""
    curated = [s + x for s in _CURATED_COMPOUND for x in _COMPOUND_SUFFIXES]
    generated = [
        s + x for s in _generated_stems(set(_CURATED_COMPOUND)) for x in _COMPOUND_SUFFIXES
    ]
    return NameSpace(curated, generated, rng, "{n}期")


def lane_space(rng: np.random.Generator) -> NameSpace:
    """Lane names of old neighbourhoods (光明里, 育才街, ...); 号院 numbers follow."""
    stems = _CURATED_PLACE + _generated_stems(set(_CURATED_PLACE))
    lanes = [s + x for s in stems for x in _LANE_SUFFIXES]
    return NameSpace([], lanes, rng, "")
