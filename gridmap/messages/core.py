"""Message templates of gridmap's core modules (see gridmap.messages)."""

from __future__ import annotations

from gridmap.messages import Text

MESSAGES: dict[str, Text] = {
    "cli.cannot_open": Text(
        en="cannot open {name}: {reason}",
        zh="无法打开 {name}：{reason}",
        fix_en="check the path",
        fix_zh="检查文件路径",
    ),
    "cli.interrupted": Text(
        en="interrupted",
        zh="已中断",
        fix_en="run the command again",
        fix_zh="重新运行该命令",
    ),
}
