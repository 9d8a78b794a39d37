"""Message templates of gridmap's members modules (see gridmap.messages)."""

from __future__ import annotations

from gridmap.messages import Text

MESSAGES: dict[str, Text] = {
    # gridmap/members/assign.py
    "members.buildings_not_geodataframe": Text(
        en="buildings must be a GeoDataFrame of footprints",
        zh="楼栋数据必须是带轮廓的 GeoDataFrame",
        fix_en="read them with gridmap.io",
        fix_zh="用 gridmap.io 读取楼栋数据",
    ),
    "members.building_id_empty": Text(
        en="buildings table: building_id is empty in row(s) {rows}",
        zh="楼栋表：第 {rows} 行的 building_id 为空",
        fix_en="give every building a building_id",
        fix_zh="为每栋楼填写 building_id",
    ),
    "members.building_id_duplicate": Text(
        en="buildings table: duplicate building_id {ids}",
        zh="楼栋表：building_id 重复：{ids}",
        fix_en="make building_id unique",
        fix_zh="让 building_id 互不重复",
    ),
    "members.households_invalid": Text(
        en="buildings table: households is missing, negative or not whole for building_id {ids}",
        zh="楼栋表：以下楼栋的 households（户数）缺失、为负或不是整数：building_id {ids}",
        fix_en="give households as a whole number >= 0",
        fix_zh="户数填写大于等于 0 的整数",
    ),
    "members.households_without_footprint": Text(
        en="buildings table: building_id {ids} has households but no polygon footprint",
        zh="楼栋表：building_id {ids} 有户数，但没有面状轮廓",
        fix_en="drop or repair those features",
        fix_zh="删除或修复这些要素",
    ),
    "members.no_grid_id": Text(
        en="buildings have no grid_id",
        zh="楼栋没有 grid_id（尚未划分网格）",
        fix_en="partition them into grids first (gridmap grids)",
        fix_zh="先划分网格（gridmap grids）",
    ),
    "members.buildings_without_grid": Text(
        en="{count} building(s) with households have no grid_id and get no member: "
        "building_id {ids}",
        zh="{count} 栋有住户的楼栋没有 grid_id，不会分配党员：building_id {ids}",
    ),
    "members.flag_not_bool": Text(
        en="members table: {column} is not true/false for member_id {ids}",
        zh="党员表：以下党员的 {column} 不是 true/false：member_id {ids}",
        fix_en="write {column} as true or false",
        fix_zh="{column} 填写 true 或 false",
    ),
    "members.members_no_crs": Text(
        en="members table has no coordinate reference system",
        zh="党员表没有坐标系",
        fix_en="set one (for files: --crs 4326, 4490 or gcj02)",
        fix_zh="设置坐标系（文件可用 --crs 4326、4490 或 gcj02）",
    ),
    "members.location_not_point": Text(
        en="members table: member_id {ids} has a {geom_type} location, not a point",
        zh="党员表：member_id {ids} 的位置是 {geom_type}，不是点",
        fix_en="give each member's home as a point or a building_id",
        fix_zh="用点或 building_id 给出每名党员的住址",
    ),
    "members.members_not_table": Text(
        en="members must be a table (DataFrame)",
        zh="党员数据必须是表格（DataFrame）",
        fix_en="read it with gridmap.io",
        fix_zh="用 gridmap.io 读取党员表",
    ),
    "members.member_id_empty": Text(
        en="members table: member_id is empty in row(s) {rows}",
        zh="党员表：第 {rows} 行的 member_id 为空",
        fix_en="give every member a member_id",
        fix_zh="为每名党员填写 member_id",
    ),
    "members.member_id_duplicate": Text(
        en="members table: duplicate member_id {ids}",
        zh="党员表：member_id 重复：{ids}",
        fix_en="make member_id unique",
        fix_zh="让 member_id 互不重复",
    ),
    "members.no_location_column": Text(
        en="members table has no location: no building_id column and no point geometry",
        zh="党员表没有位置信息：既没有 building_id 列，也没有点几何",
        fix_en="add each member's home building_id, or home points (geometry or lon/lat)",
        fix_zh="补充每名党员住址的 building_id，或住址点（几何或 lon/lat 列）",
    ),
    "members.unknown_home_building": Text(
        en="members table: home building_id not in the buildings table for member_id {pairs}",
        zh="党员表：以下党员住址的 building_id 不在楼栋表中：member_id {pairs}",
        fix_en="use building ids of the buildings layer, or give home points instead",
        fix_zh="使用楼栋图层中的 building_id，或改为给出住址点",
    ),
    "members.member_without_location": Text(
        en="members table: member_id {ids} has no location (neither building_id nor point)",
        zh="党员表：member_id {ids} 没有位置（既无 building_id 也无点）",
        fix_en="give each member a home building_id or a home point",
        fix_zh="为每名党员给出住址 building_id 或住址点",
    ),
    "members.capacity_invalid": Text(
        en="members table: capacity is 0, negative or not a whole number for member_id {pairs}",
        zh="党员表：以下党员的 capacity（联系户数）为 0、为负或不是整数：member_id {pairs}",
        fix_en="give capacity as households >= 1, or set available to false",
        fix_zh="capacity 填写大于等于 1 的户数，或把 available 设为 false",
    ),
    "members.mixed_synthetic": Text(
        en="members table mixes synthetic and real members (synthetic: member_id {ids})",
        zh="党员表混有生成的示例党员和真实党员（示例党员：member_id {ids}）",
        fix_en="use either a real member list or the synthetic set, never both",
        fix_zh="只用真实党员名单或只用示例党员，不要混用",
    ),
    "members.role_unknown": Text(
        en="members table: role {role!r} of member_id {member_id} is not one of {roles}",
        zh="党员表：member_id {member_id} 的 role {role!r} 不在 {roles} 之中",
        fix_en="use one of {roles} or leave role empty",
        fix_zh="使用 {roles} 之一，或将 role 留空",
    ),
    "members.members_outside_grids": Text(
        en="{count} member(s) live outside every grid and get no households: member_id {ids}",
        zh="{count} 名党员住在所有网格之外，不会分配联系户：member_id {ids}",
    ),
    "members.solver_failed": Text(
        en="min-cost flow solver failed with status {status}",
        zh="最小费用流求解失败，状态码 {status}",
    ),
    "members.per_member_invalid": Text(
        en="per_member {per_member!r} must be a whole number >= 1",
        zh="per_member（每名党员联系户数）{per_member!r} 必须是大于等于 1 的整数",
        fix_en="e.g. 10",
        fix_zh="例如 10",
    ),
    "members.model_unknown": Text(
        en="organisation model {model!r} is not one of {models}",
        zh="组织架构模式 {model!r} 不在 {models} 之中",
        fix_en="use 'standard' or 'nantong'",
        fix_zh="使用 'standard' 或 'nantong'",
    ),
    # gridmap/members/blocks.py
    "members.per_member_below_one": Text(
        en="per_member {per_member} must be at least 1",
        zh="per_member（每名党员联系户数）{per_member} 至少为 1",
        fix_en="e.g. per_member=10",
        fix_zh="例如 per_member=10",
    ),
    # gridmap/members/distance.py
    "members.roads_no_crs": Text(
        en="roads table has no coordinate reference system",
        zh="道路表没有坐标系",
        fix_en="set one",
        fix_zh="为道路图层设置坐标系",
    ),
    # gridmap/members/synthetic.py
    "members.buildings_lack_column": Text(
        en="buildings table lacks column {column}",
        zh="楼栋表缺少 {column} 列",
        fix_en="add {column} (see DATA_MODEL.md)",
        fix_zh="补充 {column} 列（见 DATA_MODEL.md）",
    ),
    "members.synthetic_density_negative": Text(
        en="synthetic member density {density} is negative",
        zh="示例党员密度 {density} 为负数",
        fix_en="give members per 100 households >= 0",
        fix_zh="每百户党员数应大于等于 0",
    ),
    "members.n_members_negative": Text(
        en="n_members {n_members} is negative",
        zh="n_members（党员人数）{n_members} 为负数",
        fix_en="give n_members >= 0",
        fix_zh="n_members 应大于等于 0",
    ),
    "members.no_households_for_synthetic": Text(
        en="no building with households to place synthetic members in",
        zh="没有有户数的楼栋，无法安置示例党员",
        fix_en="estimate households first (gridmap import)",
        fix_zh="先估算户数（gridmap import）",
    ),
    # gridmap/members/tree.py
    "members.tree_model_unknown": Text(
        en="organisation model {model!r} is not one of {models}",
        zh="组织架构模式 {model!r} 不在 {models} 之中",
        fix_en="use model='standard' or model='nantong'",
        fix_zh="使用 model='standard' 或 model='nantong'",
    ),
}
