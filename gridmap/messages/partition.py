"""Message templates of gridmap's partition modules (see gridmap.messages).

Values written ``{name:zh}`` in a Chinese template are parts that are text
themselves (lists of ids: :class:`gridmap.messages.values.Joined`, phrases).
"""

from __future__ import annotations

from gridmap.messages import Text

_ONE_BUILDING_EN = "give at least one building"
_ONE_BUILDING_ZH = "请至少提供一栋楼"

MESSAGES: dict[str, Text] = {
    # --- gridmap/partition/engine.py: lists of ids ---------------------------------
    "partition.and_more": Text(en="and {count} more", zh="等，另有 {count} 个"),
    "partition.locked_number": Text(en="number {number}", zh="第 {number} 个"),
    "partition.island_group": Text(
        en="{ids} in community {community} ({households})",
        zh="社区 {community} 的 {ids:zh}（{households} 户）",
    ),
    # --- gridmap/partition/engine.py: input checks -----------------------------------
    "partition.bounds_impossible": Text(
        en="grid bounds min {low} / max {high} are impossible",
        zh="网格户数上下限不合理：下限 {low}，上限 {high}",
        fix_en="give 0 <= min_households <= max_households, e.g. 300 and 500",
        fix_zh="请设置 0 <= min_households <= max_households，例如 300 和 500",
    ),
    "partition.buildings_not_frame": Text(
        en="buildings must be a GeoDataFrame",
        zh="楼栋数据必须是 GeoDataFrame",
        fix_en="read the file with gridmap.io first",
        fix_zh="请先用 gridmap.io 读取文件",
    ),
    "partition.buildings_empty": Text(
        en="buildings table is empty",
        zh="楼栋表为空",
        fix_en=_ONE_BUILDING_EN,
        fix_zh=_ONE_BUILDING_ZH,
    ),
    "partition.building_id_empty": Text(
        en="buildings table: building_id is empty in row(s) {rows}",
        zh="楼栋表：第 {rows} 行的 building_id 为空",
        fix_en="give every building a building_id",
        fix_zh="请为每栋楼填写 building_id",
    ),
    "partition.building_id_duplicate": Text(
        en="buildings table: duplicate building_id {ids}",
        zh="楼栋表：building_id 重复：{ids:zh}",
        fix_en="make building_id unique",
        fix_zh="请保证 building_id 唯一",
    ),
    "partition.households_bad": Text(
        en="buildings table: households is missing, not a number or negative for building_id {ids}",
        zh="楼栋表：以下楼栋的户数（households）缺失、不是数字或为负数：building_id {ids:zh}",
        fix_en="give households as a whole number >= 0",
        fix_zh="户数请填写大于等于 0 的整数",
    ),
    "partition.geometry_bad": Text(
        en="buildings table: building_id {ids} has no Polygon or MultiPolygon geometry",
        zh="楼栋表：building_id {ids:zh} 没有面几何（Polygon 或 MultiPolygon）",
        fix_en="drop or repair those features",
        fix_zh="请删除或修复这些要素",
    ),
    "partition.n_grids_bad": Text(
        en="n_grids {n_grids} must be at least 1",
        zh="n_grids {n_grids} 至少应为 1",
        fix_en="e.g. n_grids=10",
        fix_zh="例如 n_grids=10",
    ),
    "partition.out_of_range_proven": Text(
        en="{count} communit(y/ies) must keep grids outside {low}-{high} households whatever "
        "the split (proven by the exact solver; in brackets, at least how many): "
        "community_id {ids}",
        zh="{count} 个社区无论怎样划分都必然有网格户数不在 {low}-{high} 之间"
        "（精确求解器已证明；括号内为至少几个）：community_id {ids:zh}",
    ),
    "partition.exact_time_bad": Text(
        en="--exact {seconds} must be 0 (off) or a positive number of seconds",
        zh="--exact {seconds} 应为 0（不用）或正的秒数",
        fix_en="e.g. --exact 2",
        fix_zh="例如 --exact 2",
    ),
    "partition.no_state": Text(
        en="this GridPartition carries no partition state",
        zh="该 GridPartition 不含划分状态，无法编辑",
        fix_en="edit a partition made by partition_grids or by an edit function",
        fix_zh="请编辑由 partition_grids 或编辑函数生成的划分结果",
    ),
    # --- gridmap/partition/engine.py: layout -----------------------------------------
    "partition.community_id_bad": Text(
        en="communities table: community_id is empty or duplicated",
        zh="社区表：community_id 为空或重复",
        fix_en="give every community a unique community_id",
        fix_zh="请为每个社区填写唯一的 community_id",
    ),
    "partition.communities_overlap": Text(
        en="communities overlap by {area} m2; each overlap was given to the community listed first",
        zh="社区之间重叠 {area} 平方米；重叠部分已划给排在前面的社区",
    ),
    "partition.outside_communities": Text(
        en="{count} building(s) lie outside every community and were given to the nearest one: "
        "building_id {ids}",
        zh="{count} 栋楼不在任何社区内，已划入最近的社区：building_id {ids:zh}",
    ),
    "partition.no_community_id": Text(
        en="{count} building(s) have no community_id and were given the community of the nearest "
        "building: building_id {ids}",
        zh="{count} 栋楼没有 community_id，已划入最近楼栋所在的社区：building_id {ids:zh}",
    ),
    "partition.buildings_split_units": Text(
        en="{count} building(s) hold more households than a grid's maximum {high} and were split "
        "into unit rows: building_id {ids}",
        zh="{count} 栋楼的户数超过网格上限 {high}，已按单元拆分：building_id {ids:zh}",
    ),
    "partition.locked_empty": Text(
        en="locked grid {name} is empty after removing overlaps: ignored",
        zh="锁定网格 {name:zh} 去除重叠后为空，已忽略",
    ),
    "partition.locked_outside": Text(
        en="locked grid {name} lies outside every community: ignored",
        zh="锁定网格 {name:zh} 不在任何社区内，已忽略",
    ),
    "partition.locked_crosses": Text(
        en="locked grid {name} crosses a community boundary; it was clipped to community "
        "{community}",
        zh="锁定网格 {name:zh} 跨越社区边界，已裁剪到社区 {community} 内",
    ),
    "partition.no_area_left": Text(
        en="community {community} has no area left",
        zh="社区 {community} 已没有剩余区域",
        fix_en="check the communities and locked polygons",
        fix_zh="请检查社区范围和锁定网格的多边形",
    ),
    "partition.loose_part": Text(
        en="a part of community {community} of {area} m2 holds no building and touches no grid: "
        "it is left out of every grid",
        zh="社区 {community} 中有一块 {area} 平方米的区域没有楼栋、也不与任何网格相邻，未划入任何网格",
    ),
    # --- gridmap/partition/engine.py: nodes and solving ------------------------------
    "partition.compounds_too_big": Text(
        en="{count} compound(s) hold more households than a grid's maximum {high} and were split "
        "along their buildings: compound_id {ids}",
        zh="{count} 个小区的户数超过网格上限 {high}，已按楼栋拆分：compound_id {ids:zh}",
    ),
    "partition.compounds_locked_cut": Text(
        en="{count} compound(s) lie partly inside a locked or kept grid and are split at its "
        "boundary: compound_id {ids}",
        zh="{count} 个小区部分位于锁定或保留的网格内，已在其边界处拆分：compound_id {ids:zh}",
    ),
    "partition.compounds_cross_community": Text(
        en="{count} compound(s) lie in more than one community and were split at the community "
        "boundary: compound_id {ids}",
        zh="{count} 个小区跨越多个社区，已在社区边界处拆分：compound_id {ids:zh}",
    ),
    "partition.compounds_not_contiguous": Text(
        en="{count} compound(s) are not contiguous (other buildings lie between their parts) and "
        "were split: compound_id {ids}",
        zh="{count} 个小区不连片（各部分之间隔着其他楼栋），已拆分：compound_id {ids:zh}",
    ),
    "partition.n_grids_too_few": Text(
        en="{asked} grids were asked for, but the data need at least {needed} (separate parts "
        "and locked grids): made {needed}",
        zh="要求划分 {asked} 个网格，但数据至少需要 {needed} 个（互不相连的部分和锁定网格）："
        "已划分 {needed} 个",
    ),
    "partition.small_communities": Text(
        en="{count} community(ies) hold fewer households than a grid's minimum {low}; each is one "
        "grid below the minimum: community_id {ids}",
        zh="{count} 个社区的总户数少于网格下限 {low}，各自划为一个低于下限的网格：community_id {ids:zh}",
    ),
    "partition.islands": Text(
        en="{count} group(s) of buildings share no boundary with the rest of their community "
        "(island buildings) and form a grid of their own below the minimum {low}: "
        "building_id {groups}",
        zh="{count} 组楼栋与所在社区的其他部分没有共同边界（孤立楼栋），各自单独成为低于下限 {low} "
        "的网格：building_id {groups:zh}",
    ),
    # --- gridmap/partition/engine.py: finishing --------------------------------------
    "partition.locked_no_building": Text(
        en="locked grid {grid} holds no building", zh="锁定网格 {grid} 中没有楼栋"
    ),
    "partition.codes_wide": Text(
        en="{count} grid(s) are numbered above 999 in their community; their codes are longer "
        "than 15 digits (pass communities to keep 15-digit codes)",
        zh="{count} 个网格在所属社区内的编号超过 999，编码长于 15 位（提供社区数据可保持 15 位编码）",
    ),
    "partition.out_of_range": Text(
        en="{count} grid(s) fall outside {low}-{high} households: grid_id {ids}",
        zh="{count} 个网格的户数不在 {low}-{high} 之间：grid_id {ids:zh}",
        fix_en="often the compounds there allow no better split; move a building or compound "
        "to a neighbouring grid, or partition again in thorough mode (--exact 2) to search harder",
        fix_zh="常因该处的小区无法更好地划分；可把楼栋或小区移到相邻网格，"
        "或用精确求解（--exact 2）重新划分",
    ),
    # --- gridmap/partition/edits.py --------------------------------------------------
    "partition.grid_unknown": Text(
        en="grid {grid} does not exist in this partition",
        zh="本次划分中不存在网格 {grid}",
        fix_en="use a grid_id from the grids table",
        fix_zh="请使用网格表中的 grid_id",
    ),
    "partition.target_grid_unknown": Text(
        en="target grid {grid} does not exist in this partition",
        zh="本次划分中不存在目标网格 {grid}",
        fix_en="use a grid_id from the grids table",
        fix_zh="请使用网格表中的 grid_id",
    ),
    "partition.grid_locked": Text(
        en="grid {grids} is locked",
        zh="网格 {grids:zh} 已锁定",
        fix_en="edit other grids, or re-run partition_grids without that lock",
        fix_zh="请编辑其他网格，或取消该锁定后重新运行 partition_grids",
    ),
    "partition.move_needs_one": Text(
        en="move_units needs exactly one of building_ids or compound_id",
        zh="move_units 需要且只能提供 building_ids 或 compound_id 之一",
        fix_en="pass building_ids=[...] or compound_id='...'",
        fix_zh="请传入 building_ids=[...] 或 compound_id='...'",
    ),
    "partition.buildings_not_found": Text(
        en="building_id {ids} not found in the partition",
        zh="划分结果中找不到 building_id {ids:zh}",
        fix_en="use ids from the buildings table",
        fix_zh="请使用楼栋表中的 id",
    ),
    "partition.compound_not_found": Text(
        en="compound_id {compound} not found in the partition",
        zh="划分结果中找不到 compound_id {compound}",
        fix_en="use a compound_id of the buildings table",
        fix_zh="请使用楼栋表中的 compound_id",
    ),
    "partition.move_other_community": Text(
        en="grid {grid} lies in another community than the buildings moved",
        zh="网格 {grid} 与所移动的楼栋不在同一社区",
        fix_en="grids never cross a community boundary; pick a grid of the same community",
        fix_zh="网格不能跨越社区边界，请选择同一社区的网格",
    ),
    "partition.move_empties": Text(
        en="moving these buildings would empty grid {source}",
        zh="移动这些楼栋会使网格 {source} 变空",
        fix_en="use merge_grids(partition, '{source}', '{target}')",
        fix_zh="请使用 merge_grids(partition, '{source}', '{target}')",
    ),
    "partition.move_cuts": Text(
        en="moving these buildings would cut grid {source} into {pieces} pieces",
        zh="移动这些楼栋会把网格 {source} 分成 {pieces} 块",
        fix_en="move the buildings between them too, or pick others",
        fix_zh="请把它们之间的楼栋一起移动，或改选其他楼栋",
    ),
    "partition.move_not_touching": Text(
        en="the buildings moved do not touch grid {grid}",
        zh="所移动的楼栋与网格 {grid} 不相邻",
        fix_en="move buildings to a neighbouring grid",
        fix_zh="只能把楼栋移到相邻的网格",
    ),
    "partition.compound_now_split": Text(
        en="compound_id {ids} is now split between grids",
        zh="compound_id {ids:zh} 现在被分到了不同网格",
    ),
    "partition.merge_self": Text(
        en="cannot merge grid {grid} with itself",
        zh="不能把网格 {grid} 与自身合并",
        fix_en="name two different grids",
        fix_zh="请指定两个不同的网格",
    ),
    "partition.merge_communities": Text(
        en="grids {a} and {b} lie in different communities",
        zh="网格 {a} 和 {b} 属于不同社区",
        fix_en="grids never cross a community boundary",
        fix_zh="网格不能跨越社区边界",
    ),
    "partition.merge_not_touching": Text(
        en="grids {a} and {b} do not touch",
        zh="网格 {a} 和 {b} 不相邻",
        fix_en="merge neighbouring grids",
        fix_zh="只能合并相邻的网格",
    ),
    "partition.split_parts_bad": Text(
        en="parts={parts}: a split needs at least 2 parts",
        zh="parts={parts}：拆分至少需要 2 份",
        fix_en="parts=2",
        fix_zh="例如 parts=2",
    ),
    "partition.split_too_few_sites": Text(
        en="grid {grid} has {sites} building site(s); it cannot make {parts} grids",
        zh="网格 {grid} 只有 {sites} 处楼栋，无法拆成 {parts} 个网格",
        fix_en="split into fewer parts",
        fix_zh="请拆成更少的份数",
    ),
    "partition.split_impossible": Text(
        en="grid {grid} cannot be cut into {parts} contiguous grids without splitting a compound "
        "of at most the maximum",
        zh="网格 {grid} 无法在不拆分小区（户数不超过上限）的情况下分成 {parts} 个连片网格",
        fix_en="split into fewer parts, or move buildings with move_units",
        fix_zh="请拆成更少的份数，或用 move_units 移动楼栋",
    ),
    "partition.lock_bad_type": Text(
        en="cannot lock {kind}",
        zh="无法锁定 {kind} 类型的对象",
        fix_en="pass a grid_id, a shapely Polygon (EPSG:4326 unless crs= is given) or a "
        "GeoDataFrame",
        fix_zh="请传入 grid_id、shapely 多边形（未指定 crs= 时按 EPSG:4326）或 GeoDataFrame",
    ),
    "partition.lock_no_crs": Text(
        en="the polygon to lock has no CRS",
        zh="要锁定的多边形没有坐标系",
        fix_en="pass crs=4326 or a GeoDataFrame with a CRS",
        fix_zh="请传入 crs=4326，或使用带坐标系的 GeoDataFrame",
    ),
    "partition.lock_not_polygon": Text(
        en="the area to lock must be a Polygon or MultiPolygon",
        zh="要锁定的区域必须是多边形（Polygon 或 MultiPolygon）",
        fix_en="draw a polygon",
        fix_zh="请绘制一个多边形",
    ),
    "partition.lock_scope_bad": Text(
        en="scope {scope} is not 'touched' or 'community'",
        zh="scope {scope} 不是 'touched' 或 'community'",
        fix_en="scope='touched'",
        fix_zh="例如 scope='touched'",
    ),
    "partition.lock_no_area": Text(
        en="the area to lock covers no free part of any community",
        zh="要锁定的区域没有覆盖任何社区的未锁定部分",
        fix_en="draw it inside a community",
        fix_zh="请在社区范围内绘制",
    ),
    # --- gridmap/partition/restore.py ------------------------------------------------
    "partition.table_not_frame": Text(
        en="{table} must be a GeoDataFrame",
        zh="{table} 必须是 GeoDataFrame",
        fix_en="read the project with gridmap.io first",
        fix_zh="请先用 gridmap.io 读取项目",
    ),
    "partition.grid_id_empty": Text(
        en="grids table: grid_id is empty in row(s) {rows}",
        zh="网格表：第 {rows} 行的 grid_id 为空",
        fix_en="give every grid a grid_id",
        fix_zh="请为每个网格填写 grid_id",
    ),
    "partition.grid_id_duplicate": Text(
        en="grids table: duplicate grid_id {ids}",
        zh="网格表：grid_id 重复：{ids:zh}",
        fix_en="make grid_id unique",
        fix_zh="请保证 grid_id 唯一",
    ),
    "partition.unit_parent_clash": Text(
        en="buildings table: building_id {ids} is both a building and the parent_building_id of "
        "unit rows",
        zh="楼栋表：building_id {ids:zh} 既是一栋楼，又是单元行的 parent_building_id",
        fix_en="keep either the building or its unit rows",
        fix_zh="请只保留该楼栋或其单元行之一",
    ),
    "partition.no_grid_id": Text(
        en="buildings table: building_id {ids} has no grid_id",
        zh="楼栋表：building_id {ids:zh} 没有 grid_id",
        fix_en="re-partition the grids (locked grids are kept)",
        fix_zh="请重新划分网格（锁定的网格会保留）",
    ),
    "partition.grid_id_unknown": Text(
        en="buildings table: grid_id not in the grids table for building_id {ids}",
        zh="楼栋表：以下楼栋的 grid_id 不在网格表中：building_id {ids:zh}",
        fix_en="use the grids layer saved with these buildings, or re-partition",
        fix_zh="请使用与这些楼栋一起保存的网格图层，或重新划分",
    ),
    "partition.empty_grid_bad_community": Text(
        en="grids table: grid {grid} holds no building and its community_id {community} is not "
        "a community of the buildings",
        zh="网格表：网格 {grid} 中没有楼栋，且其 community_id {community} 不是楼栋所属的社区",
        fix_en="give the grid a community_id of the buildings, or delete it",
        fix_zh="请为该网格填写楼栋所属社区的 community_id，或删除该网格",
    ),
    "partition.units_resplit": Text(
        en="{count} building(s) now hold more households than a grid's maximum {high} or a "
        "different number of units, and were split into unit rows again (each in the grid of "
        "the nearest old unit): building_id {ids}",
        zh="{count} 栋楼现在的户数超过网格上限 {high} 或单元数有变化，已重新按单元拆分"
        "（各单元归入最近的原单元所在网格）：building_id {ids:zh}",
    ),
    "partition.same_place_grids": Text(
        en="{count} place(s) hold buildings of different grids (same centroid); each went to "
        "the grid of most of them: building_id {ids}",
        zh="{count} 处位置（中心点相同）的楼栋属于不同网格，已统一归入其中多数楼栋所在的网格："
        "building_id {ids:zh}",
    ),
    "partition.grid_crosses_communities": Text(
        en="{count} grid(s) hold buildings of more than one community; edits treat each as part "
        "of the community of most of its buildings: grid_id {ids}",
        zh="{count} 个网格包含多个社区的楼栋；编辑时按其多数楼栋所属的社区处理：grid_id {ids:zh}",
    ),
    "partition.empty_grids_dropped": Text(
        en="{count} grid(s) hold no building and are not locked; they were dropped: grid_id {ids}",
        zh="{count} 个网格没有楼栋且未锁定，已删除：grid_id {ids:zh}",
    ),
    "partition.totals_recounted": Text(
        en="{count} grid(s) had households that differ from the sum of their buildings "
        "(households corrected since partitioning); their totals were counted again: "
        "grid_id {ids}",
        zh="{count} 个网格的户数与其楼栋户数之和不一致（划分后户数有修改），已重新统计：grid_id {ids:zh}",
    ),
}
