"""Message templates of the browser app's own errors (see gridmap.messages).

Labels and texts of the pages live in gridmap.ui.i18n; here only errors and
warnings raised through gridmap.errors.
"""

from __future__ import annotations

from gridmap.messages import Text

MESSAGES: dict[str, Text] = {
    "ui.project_without_buildings": Text(
        en="{path}: the project has no buildings layer",
        zh="{path}：项目文件中没有楼栋（buildings）图层",
        fix_en="open a project saved by gridmap, or import the buildings again",
        fix_zh="请打开由 gridmap 保存的项目文件，或重新导入楼栋数据",
    ),
    "ui.no_partition": Text(
        en="these grids do not fit the buildings and cannot be edited as they are: {why}",
        zh="这些网格与楼栋数据对不上，无法直接编辑：{why}",
        fix_en="re-partition (keeping locked grids) before editing",
        fix_zh="编辑前请先“重新划分（保留锁定网格）”",
    ),
    "ui.bad_households": Text(
        en="households {value} of building {building_id} is invalid",
        zh="楼栋 {building_id} 的户数 {value} 无效",
        fix_en="give a whole number >= 0 (0, 1, 2, ...)",
        fix_zh="请填写不小于 0 的整数（0、1、2……）",
    ),
    "ui.bad_profile_number": Text(
        en="time-of-day profile: {value} is not a number",
        zh="时段需求曲线：{value} 不是数字",
        fix_en="give 24 or 96 numbers separated by commas, or a profile name",
        fix_zh="请填写以逗号分隔的 24 或 96 个数字，或选择一个曲线名称",
    ),
    "ui.scenario_refused": Text(
        en="scenario {name}: {reason}",
        zh="停车方案 {name}：{reason}",
    ),
}
