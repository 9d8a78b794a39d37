"""Every label and message of the app in Chinese (default) and English.

A message is looked up by key; :func:`t` formats it with keyword arguments in
the language chosen in the sidebar. A missing key raises ``KeyError`` so a
forgotten translation fails the tests instead of showing a raw key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "MESSAGES",
    "t",
    "translate",
    "labeller",
    "md",
    "tm",
    "current_language",
]

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_KEY = "lang"

# key -> (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    # --- shell -------------------------------------------------------------------
    "app.title": ("gridmap 网格化治理", "gridmap grid governance"),
    "app.language": ("语言 / Language", "语言 / Language"),
    "app.language.zh": ("中文", "中文 (Chinese)"),
    "app.language.en": ("English", "English"),
    "app.page": ("页面", "Page"),
    "page.data": ("1 数据", "1 Data"),
    "page.grids": ("2 网格", "2 Grids"),
    "page.members": ("3 党员责任区", "3 Members"),
    "page.parking": ("4 停车共享", "4 Parking"),
    "page.export": ("5 导出", "5 Export"),
    "app.project": ("当前项目", "Current project"),
    "app.no_project": (
        "尚未加载数据：在“数据”页加载示例或上传文件。",
        "No data loaded yet: load the demo or upload a file on the Data page.",
    ),
    "app.undo": ("撤销", "Undo"),
    "app.redo": ("重做", "Redo"),
    "app.edits": ("编辑记录 {n} 条", "{n} edits in the log"),
    "app.saved": ("已自动保存到 {path}", "Autosaved to {path}"),
    "app.save_failed": ("自动保存失败：{error}", "Autosave failed: {error}"),
    "app.restored": (
        "已从自动保存恢复上次的项目（{path}）。",
        "Restored the last project from the autosave ({path}).",
    ),
    "app.restore_failed": (
        "无法恢复自动保存的项目：{error}",
        "Could not restore the autosaved project: {error}",
    ),
    "app.undone": ("已撤销：{action}", "Undone: {action}"),
    "app.redone": ("已重做：{action}", "Redone: {action}"),
    "app.nothing_to_undo": ("没有可撤销的操作。", "Nothing to undo."),
    "app.nothing_to_redo": ("没有可重做的操作。", "Nothing to redo."),
    "app.basemap": ("底图", "Basemap"),
    "app.tile_url": ("瓦片地址（留空 = 离线底图）", "Tile URL (empty = offline basemap)"),
    "app.tile_url.help": (
        "默认不加载任何远程瓦片：道路和用地取自已加载的数据。可填写本地或内网瓦片服务，"
        "例如 http://127.0.0.1:8080/{z}/{x}/{y}.png",
        "No remote tiles by default: roads and land use come from the loaded data. "
        "You may give a local or intranet tile server, e.g. http://127.0.0.1:8080/{z}/{x}/{y}.png",
    ),
    "app.tile_attr": ("瓦片版权说明", "Tile attribution"),
    "app.tile_gcj02": (
        "注意：高德/腾讯瓦片使用 GCJ-02 偏移坐标，与本项目的 WGS84 数据会错开约 100–700 米。",
        "Note: Amap/Tencent tiles use GCJ-02 shifted coordinates; WGS84 data drawn on them "
        "is off by roughly 100-700 m.",
    ),
    "app.tile_bad": (
        "瓦片地址必须以 http:// 或 https:// 开头并包含 {z}、{x}、{y}。",
        "The tile URL must start with http:// or https:// and contain {z}, {x} and {y}.",
    ),
    "error.input": ("输入有误：{message}", "Input problem: {message}"),
    "error.internal": (
        "内部错误（{kind}），详情已写入服务器日志。请撤销上一步或重新加载数据。",
        "Internal error ({kind}); details are in the server log. Undo the last step or "
        "reload the data.",
    ),
    "error.engine_missing": (
        "此功能所需的模块 {module} 尚未安装。",
        "The module {module} this feature needs is not available.",
    ),
    "progress.working": ("处理中：{stage}", "Working: {stage}"),
    # --- actions in the edit log ---------------------------------------------------
    "action.load_demo": ("加载示例数据", "load demo data"),
    "action.load_upload": ("导入文件", "import file"),
    "action.load_project": ("打开项目文件", "open project file"),
    "action.load_osm": ("导入 OSM 数据", "import OSM extract"),
    "action.households": ("修改户数", "edit households"),
    "action.make_grids": ("划分网格", "make grids"),
    "action.lock": ("锁定网格", "lock grid"),
    "action.move": ("移动楼栋/小区", "move building/compound"),
    "action.merge": ("合并网格", "merge grids"),
    "action.split": ("拆分网格", "split grid"),
    "action.members": ("分配党员责任区", "assign member areas"),
    "action.parking": ("停车共享计算", "parking scenario"),
    # --- data page -----------------------------------------------------------------
    "data.title": ("数据", "Data"),
    "data.source": ("数据来源", "Data source"),
    "data.source.demo": ("内置示例街区", "Embedded demo district"),
    "data.source.upload": ("上传文件", "Upload a file"),
    "data.source.osm": ("OSM 数据文件", "OSM extract"),
    "data.preset": ("示例类型", "Demo preset"),
    "data.seed": ("随机种子", "Seed"),
    "data.n_buildings": ("楼栋数（0 = 默认）", "Buildings (0 = default)"),
    "data.load_demo": ("加载示例", "Load demo"),
    "data.upload": ("选择文件", "Choose a file"),
    "data.upload.help": (
        "GeoJSON、GeoPackage、Shapefile（zip）、KML、含 WKT 的 CSV、OSM（.osm/.osm.bz2/.pbf）；"
        "上限 {mb} MB。",
        "GeoJSON, GeoPackage, zipped Shapefile, KML, CSV with WKT, OSM (.osm/.osm.bz2/.pbf); "
        "at most {mb} MB.",
    ),
    "data.crs": ("文件没有坐标系时使用", "CRS for a file without one"),
    "data.crs.none": ("文件自带", "from the file"),
    "data.layer": ("图层（多图层文件）", "Layer (multi-layer files)"),
    "data.import": ("导入", "Import"),
    "data.osm_file": (
        "OSM 数据文件（服务器上的 {folder}）",
        "OSM extract (server folder {folder})",
    ),
    "data.osm_none": (
        "服务器文件夹 {folder} 中没有 OSM 数据；可在“上传文件”中上传 .osm/.pbf。",
        "No OSM extracts in the server folder {folder}; upload a .osm/.pbf under 'Upload a file'.",
    ),
    "data.load_osm": ("读取 OSM", "Read OSM"),
    "data.loaded": (
        "已加载 {buildings} 栋楼、{households} 户。",
        "Loaded {buildings} buildings with {households} households.",
    ),
    "data.summary": ("概况", "Summary"),
    "data.buildings": ("楼栋", "Buildings"),
    "data.households": ("户数", "Households"),
    "data.estimated": ("估算户数的楼栋", "Buildings with estimated households"),
    "data.compounds": ("小区", "Compounds"),
    "data.lots": ("停车场", "Parking lots"),
    "data.sources": (
        "数据来源（tag = 地图/文件，estimated = 按规则估算，user = 人工修改）",
        "Where the numbers come from (tag = map/file, estimated = rule, user = edited)",
    ),
    "data.editor": ("按楼栋修改户数", "Correct households per building"),
    "data.editor.help": (
        "只有“户数”一列可编辑；修改后的楼栋来源记为 user。",
        "Only the households column is editable; edited buildings get the source 'user'.",
    ),
    "data.apply": ("保存户数修改", "Save household corrections"),
    "data.applied": ("已修改 {n} 栋楼的户数。", "Households corrected for {n} buildings."),
    "data.no_change": ("没有修改。", "Nothing changed."),
    "data.project_params": (
        "已打开 gridmap 项目文件：网格户数范围 {low}–{high}，含 {edits} 条编辑记录。",
        "Opened a gridmap project: grids of {low}-{high} households, {edits} edits in its log.",
    ),
    "data.bad_households": (
        "楼栋 {building_id} 的户数 {value} 无效：请填写不小于 0 的整数。",
        "Households {value} of building {building_id} is invalid: give a whole number >= 0.",
    ),
    "data.grids_stale": (
        "户数已修改：网格户数统计仍是修改前的，请在“网格”页重新划分（锁定的网格保留）。",
        "Households changed: the grid totals are from before the correction; re-partition "
        "on the Grids page (locked grids are kept).",
    ),
    "data.grids_updated": (
        "户数已修改：网格户数统计已按建筑重新计算。",
        "Households changed: the grid totals were counted again from the buildings.",
    ),
    "data.map": ("地图", "Map"),
    # --- upload --------------------------------------------------------------------
    "upload.refused": ("文件被拒绝：{message}", "File refused: {message}"),
    "upload.too_large": (
        "文件 {name} 大小为 {size_mb:.1f} MB，超过上限 {limit_mb} MB。",
        "File {name} is {size_mb:.1f} MB, above the limit of {limit_mb} MB.",
    ),
    "upload.bad_suffix": (
        "文件 {name} 的类型不受支持；支持：{allowed}。",
        "File {name} has an unsupported type; supported: {allowed}.",
    ),
    "upload.empty": ("文件 {name} 是空的。", "File {name} is empty."),
    "upload.timeout": (
        "导入 {name} 超过 {seconds} 秒，已停止。请裁剪数据范围后再试。",
        "Importing {name} took more than {seconds} s and was stopped. Clip the data and retry.",
    ),
    "upload.memory": (
        "导入 {name} 所需内存超过上限 {limit_mb} MB，已停止。请裁剪数据范围后再试。",
        "Importing {name} needed more than {limit_mb} MB of memory and was stopped. "
        "Clip the data and retry.",
    ),
    "upload.crashed": (
        "导入 {name} 失败（进程退出码 {code}）。文件可能已损坏。",
        "Importing {name} failed (process exit code {code}). The file may be damaged.",
    ),
    # --- grids page ----------------------------------------------------------------
    "grids.title": ("网格", "Grids"),
    "grids.need_data": ("请先在“数据”页加载数据。", "Load data on the Data page first."),
    "grids.min": ("每格最少户数", "Minimum households per grid"),
    "grids.max": ("每格最多户数", "Maximum households per grid"),
    "grids.n_grids": ("网格数（0 = 自动）", "Number of grids (0 = automatic)"),
    "grids.seed": ("随机种子", "Seed"),
    "grids.thorough": ("精确求解（慢一些）", "Thorough (slower)"),
    "grids.thorough_help": (
        "个别网格户数仍超出范围的社区，再用精确求解器（CP-SAT）各算约 2 秒，超范围的网格更少。",
        "Communities still left with a grid out of range get about 2 s each of an exact "
        "solver (CP-SAT): fewer grids out of range.",
    ),
    "grids.make": ("划分网格", "Make grids"),
    "grids.remake": ("重新划分（保留锁定网格）", "Re-partition (keep locked grids)"),
    "grids.none_yet": ("尚未划分网格。", "No grids yet."),
    "grids.count": ("网格数", "Grids"),
    "grids.locked": ("锁定网格", "Locked grids"),
    "grids.mean": ("平均户数", "Mean households"),
    "grids.in_bounds": ("户数在范围内", "Within bounds"),
    "grids.balance": ("网格平衡表", "Grid balance"),
    "grids.warnings": ("划分提示", "Partition notes"),
    "grids.map_help": (
        "用左上角的多边形工具画出一个网格，然后点“锁定所画网格”；点击楼栋可选中它。",
        "Draw a grid with the polygon tool (top left), then press 'Lock drawn grid'; "
        "click a building to select it.",
    ),
    "grids.drawn": (
        "已画出一个多边形（{n} 个顶点）。",
        "A polygon was drawn ({n} vertices).",
    ),
    "grids.lock_drawn": (
        "锁定所画网格并重新划分其余部分",
        "Lock drawn grid and re-partition the rest",
    ),
    "grids.lock_existing": ("锁定已有网格", "Lock an existing grid"),
    "grids.lock_grid": ("锁定", "Lock"),
    "grids.edit": ("编辑", "Edit"),
    "grids.move": ("移动楼栋或小区", "Move a building or compound"),
    "grids.building": ("楼栋", "Building"),
    "grids.whole_compound": (
        "整个小区一起移动（{compound}）",
        "Move the whole compound ({compound})",
    ),
    "grids.to_grid": ("移到网格", "To grid"),
    "grids.move_button": ("移动", "Move"),
    "grids.merge": ("合并两个网格", "Merge two grids"),
    "grids.merge_a": ("网格 A", "Grid A"),
    "grids.merge_b": ("网格 B", "Grid B"),
    "grids.merge_button": ("合并", "Merge"),
    "grids.split": ("拆分网格", "Split a grid"),
    "grids.split_grid": ("网格", "Grid"),
    "grids.parts": ("拆成几份", "Parts"),
    "grids.split_button": ("拆分", "Split"),
    "grids.changed": ("已更新网格：{grids}", "Grids changed: {grids}"),
    "grids.selected": (
        "已选中楼栋 {building_id}（网格 {grid_id}）",
        "Selected building {building_id} (grid {grid_id})",
    ),
    "grids.no_partition": (
        "这些网格与建筑数据对不上，无法直接编辑；编辑前请先“重新划分（保留锁定网格）”。",
        "These grids do not fit the buildings and cannot be edited as they are; re-partition "
        "(keeping locked grids) before editing.",
    ),
    "grids.same_grid": ("请选两个不同的网格。", "Choose two different grids."),
    # --- members page --------------------------------------------------------------
    "members.title": ("党员责任区（1+10）", "Party-member areas (1+10)"),
    "members.need_grids": ("请先在“网格”页划分网格。", "Make grids on the Grids page first."),
    "members.per_member": ("每名党员联系户数", "Households per member"),
    "members.model": ("分配模型", "Assignment model"),
    "members.upload": ("党员名单（可选，CSV/GeoJSON）", "Member list (optional, CSV/GeoJSON)"),
    "members.run": ("分配责任区", "Assign areas"),
    "members.count": ("党员", "Members"),
    "members.areas": ("责任区", "Areas"),
    "members.missing": ("缺少党员", "Members missing"),
    "members.synthetic": (
        "党员名单为生成的示例数据，不是真实党员。",
        "The member list is synthetic, not real members.",
    ),
    "members.grid": ("在地图上查看网格", "Grid shown on the map"),
    "members.all_grids": ("全部网格（党员缺口概览）", "All grids (member shortfall overview)"),
    "members.overview_legend": (
        "绿色：党员足够；橙色到深红：缺少党员越多颜色越深。选择一个网格可查看其责任区。",
        "Green: enough members; orange to dark red: the more members missing, the darker."
        " Choose a grid to see its member areas.",
    ),
    "members.shortfall": ("各网格党员缺口", "Member shortfall by grid"),
    "members.tree": ("组织结构", "Organisation tree"),
    "members.tree_table": ("组织结构表", "Organisation table"),
    "members.stale": (
        "责任区是从自动保存恢复的；缺口表和组织结构需要重新分配后显示。",
        "The areas were restored from the autosave; run the assignment again to see the "
        "shortfall and the tree.",
    ),
    "members.none_yet": ("尚未分配责任区。", "No member areas yet."),
    # --- parking page --------------------------------------------------------------
    "parking.title": ("停车共享", "Shared parking"),
    "parking.source": ("场景", "Scenario"),
    "parking.source.map": ("由地图上的停车场生成", "From the lots on the map"),
    "parking.source.preset": ("内置场景", "Shipped preset"),
    "parking.source.file": ("上传 YAML 场景", "Upload a YAML scenario"),
    "parking.source.form": ("填写需求表", "Fill in a demand form"),
    "parking.preset": ("内置场景", "Preset"),
    "parking.file": ("场景文件（YAML）", "Scenario file (YAML)"),
    "parking.form.slot": ("时段长度（分钟）", "Slot length (minutes)"),
    "parking.form.rounding": ("取整方式", "Rounding"),
    "parking.form.uses": ("用地（每行一种）", "Land uses (one per row)"),
    "parking.form.name": ("名称", "Name"),
    "parking.form.base": ("高峰车位", "Peak spaces"),
    "parking.form.profile": ("时变曲线", "Time-of-day profile"),
    "parking.seed": ("随机种子", "Seed"),
    "parking.run": ("计算", "Run"),
    "parking.no_lots": (
        "地图上没有可共享的停车场：{message}",
        "The map has no lots to share: {message}",
    ),
    "parking.result": ("结果", "Result"),
    "parking.peak": ("高峰需求", "Peak demand"),
    "parking.peak_time": ("高峰时刻", "Peak time"),
    "parking.sum_of_peaks": ("各用地高峰之和", "Sum of peaks"),
    "parking.savings": ("共享节省车位", "Spaces saved by sharing"),
    "parking.conflicts": ("居民无位冲突/日", "Resident conflicts per day"),
    "parking.unmet": ("未满足需求", "Unmet demand"),
    "parking.walk": ("平均步行距离（米）", "Mean walk (m)"),
    "parking.revenue": ("收入", "Revenue"),
    "parking.occupancy": ("占用率", "Occupancy"),
    "parking.lots_table": ("各停车场", "Lots"),
    "parking.sweep": ("共享车位数扫描", "Sweep of shared spaces"),
    "parking.sweep_lot": ("停车场", "Lot"),
    "parking.sweep_values": ("共享车位数（逗号分隔）", "Shared spaces (comma separated)"),
    "parking.sweep_threshold": ("每百日冲突上限", "Conflicts per 100 days allowed"),
    "parking.sweep_run": ("扫描", "Run sweep"),
    "parking.sweep_best": (
        "不超冲突上限的最大共享车位数",
        "Most shared spaces within the threshold",
    ),
    "parking.sweep_bad": (
        "共享车位数须为逗号分隔的非负整数，例如 0,10,20。",
        "Shared spaces must be comma-separated whole numbers >= 0, e.g. 0,10,20.",
    ),
    "parking.map": ("停车场与共享时段", "Lots and sharing windows"),
    "parking.windows": ("共享时段", "Sharing windows"),
    "parking.none_yet": ("尚未计算。", "Not run yet."),
    "parking.raw": ("场景内容（JSON）", "Scenario (JSON)"),
    # --- export page ---------------------------------------------------------------
    "export.title": ("导出", "Export"),
    "export.layer": ("图层", "Layer"),
    "export.format": ("格式", "Format"),
    "export.crs": ("坐标系", "Coordinate system"),
    "export.crs.4326": ("WGS84（EPSG:4326）", "WGS84 (EPSG:4326)"),
    "export.crs.4490": ("CGCS2000（EPSG:4490）", "CGCS2000 (EPSG:4490)"),
    "export.crs.gcj02": ("GCJ-02（高德/腾讯偏移）", "GCJ-02 (Amap/Tencent offset)"),
    "export.prepare": ("生成文件", "Prepare file"),
    "export.download": ("下载 {name}", "Download {name}"),
    "export.geojson_crs": (
        "GeoJSON 按 RFC 7946 应为 WGS84；选其他坐标系后文件不再符合 RFC 7946。",
        "GeoJSON is WGS84 by RFC 7946; with another CRS the file is no longer RFC 7946.",
    ),
    "export.warnings": ("导出提示", "Export notes"),
    "export.project": (
        "项目文件（GeoPackage，含全部图层和编辑记录）",
        "Project file (GeoPackage, all layers and the edit log)",
    ),
    "export.report": ("报告（HTML，离线可看）", "Report (HTML, opens offline)"),
    "export.report_button": ("生成报告", "Build report"),
    "export.nothing": ("没有可导出的图层。", "No layer to export."),
    "format.geojson": ("GeoJSON（RFC 7946）", "GeoJSON (RFC 7946)"),
    "format.gpkg": ("GeoPackage", "GeoPackage"),
    "format.shp": ("Shapefile（zip）", "Shapefile (zip)"),
    "format.csv": ("CSV（WKT 几何）", "CSV (WKT geometry)"),
    # --- fields (map tooltips and tables) -------------------------------------------
    "field.building_id": ("楼栋编号", "building id"),
    "field.name": ("名称", "name"),
    "field.use": ("用途", "use"),
    "field.levels": ("层数", "storeys"),
    "field.households": ("户数", "households"),
    "field.households_source": ("户数来源", "households source"),
    "field.compound_id": ("小区编号", "compound id"),
    "field.grid_id": ("网格编码", "grid code"),
    "field.n_buildings": ("楼栋数", "buildings"),
    "field.n_compounds": ("小区数", "compounds"),
    "field.locked": ("已锁定", "locked"),
    "field.community_id": ("社区编号", "community id"),
    "field.area_id": ("责任区编号", "area id"),
    "field.member_id": ("党员编号", "member id"),
    "field.role": ("角色", "role"),
    "field.lot_id": ("停车场编号", "lot id"),
    "field.kind": ("类型", "kind"),
    "field.capacity": ("车位数", "capacity"),
    "field.reserved": ("保留车位", "reserved"),
    "field.capacity_source": ("车位数来源", "capacity source"),
    "field.windows": ("共享时段", "sharing windows"),
    "field.landuse": ("用地", "land use"),
    "field.highway": ("道路等级", "road class"),
    "field.table": ("表", "table"),
    "field.quantity": ("数值", "quantity"),
    "field.source": ("来源", "source"),
    "field.count": ("数量", "count"),
    "field.min_households": ("最少户数", "min households"),
    "field.max_households": ("最多户数", "max households"),
    "field.status": ("状态", "status"),
    "field.deviation": ("与均值之差", "deviation from mean"),
    "field.changed": ("本次改动", "changed"),
    "field.covered": ("已覆盖户数", "covered"),
    "field.uncovered": ("未覆盖户数", "uncovered"),
    "field.covered_by_other_grids": ("由其他网格覆盖", "covered by other grids"),
    "field.members": ("党员数", "members"),
    "field.members_unavailable": ("不可用党员", "members unavailable"),
    "field.spare_capacity": ("剩余联系能力", "spare capacity"),
    "field.missing_members": ("缺少党员", "members missing"),
    "field.idle_members": ("空闲党员", "idle members"),
    "field.idle_member_ids": ("空闲党员编号", "idle member ids"),
    "field.uncovered_building_ids": ("未覆盖楼栋", "uncovered buildings"),
    "field.help_from": ("可求助网格", "help from"),
    "field.help_to": ("可支援网格", "help to"),
    "field.level": ("层级", "level"),
    "field.name_zh": ("中文名称", "Chinese name"),
    "field.name_en": ("英文名称", "English name"),
    "field.mean_households": ("平均户数", "mean households"),
    "field.building_ids": ("楼栋编号", "building ids"),
    "field.shared": ("共享车位", "shared spaces"),
    "field.window": ("共享时段", "sharing window"),
    "field.peak_occupancy": ("高峰占用", "peak occupancy"),
    "field.peak_occupancy_p95": ("高峰占用 P95", "peak occupancy p95"),
    "field.utilization": ("利用率", "utilization"),
    "field.shared_space_hours_used": ("共享车位小时", "shared space-hours used"),
    "field.revenue": ("收入", "revenue"),
    # --- layers --------------------------------------------------------------------
    "layer.buildings": ("楼栋", "buildings"),
    "layer.compounds": ("小区", "compounds"),
    "layer.communities": ("社区", "communities"),
    "layer.roads": ("道路", "roads"),
    "layer.landuse": ("用地", "land use"),
    "layer.lots": ("停车场", "parking lots"),
    "layer.grids": ("网格", "grids"),
    "layer.grid_status": ("网格党员缺口", "Member shortfall by grid"),
    "layer.areas": ("党员责任区", "member areas"),
    "layer.members": ("党员", "members"),
    "layer.drawn": ("绘制", "drawn"),
}


# Progress stages the engines report (English, or "中文 English" where the engine
# already shows both), as the progress bar names them in each language.
STAGES: dict[str, tuple[str, str]] = {
    "projecting": ("投影坐标", "projecting"),
    "sites": ("整理楼栋", "sites"),
    "tiles": ("生成地块", "tiles"),
    "partitioning": ("划分网格", "partitioning"),
    "micro-grids": ("划分微网格", "micro-grids"),
    "grid polygons": ("生成网格边界", "grid polygons"),
    "tables": ("汇总表格", "tables"),
    "checking input": ("检查输入", "checking input"),
    "done": ("完成", "done"),
    "assembling layers": ("组装图层", "assembling layers"),
    "placing buildings in compounds": ("把楼栋归入小区", "placing buildings in compounds"),
    "estimating storeys and households": ("估算层数和户数", "estimating storeys and households"),
    "estimating parking": ("估算车位", "estimating parking"),
    "members": ("分配党员责任区", "members"),
}
_READING = re.compile(r"^reading (?P<rest>.+)$")


def stage_label(stage: str, lang: str) -> str:
    """An engine's progress stage in ``lang`` (unknown stages as they are)."""
    if stage in STAGES:
        return STAGES[stage][0 if lang == "zh" else 1]
    if " " in stage and re.match(r"^[\u4e00-\u9fff]", stage):  # "中文 English" from the engine
        zh, en = stage.split(" ", 1)
        return zh if lang == "zh" else en
    reading = _READING.match(stage)
    if reading and lang == "zh":
        return "读取 " + reading.group("rest").replace(" features", " 个要素")
    return stage


def current_language() -> str:
    """The language chosen in the sidebar (``zh`` until the user switches)."""
    import streamlit as st

    try:
        lang = st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
    except Exception:  # outside a Streamlit run (tests, scripts): no session state
        lang = DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def translate(key: str, lang: str, **values: Any) -> str:
    """Return message ``key`` in ``lang``, formatted with ``values``.

    Parameters
    ----------
    key : str
        A key of :data:`MESSAGES`.
    lang : str
        ``zh`` or ``en``.
    **values
        Fields of the message.

    Returns
    -------
    str
    """
    zh, en = MESSAGES[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def labeller(prefix: str) -> Callable[[Any], str]:
    """A ``format_func`` for option ``x`` -> message ``prefix + x``, in today's language.

    The language is bound when the widget is drawn, so the labels stay those the
    user saw even if the function is called later.
    """
    lang = current_language()
    return lambda option: translate(f"{prefix}{option}", lang)


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def md(text: Any) -> str:
    """``text`` with Markdown punctuation escaped: shown literally by Streamlit.

    Streamlit renders messages and labels as Markdown; a value from a user's
    file (a building name, a file name) must not become a link, an image that
    loads from the internet, or a colour directive.
    """
    return _MARKDOWN.sub(r"\\\1", str(text))


def tm(key: str, **values: Any) -> str:
    """:func:`t` with every value escaped by :func:`md` (for data in messages)."""
    return t(key, **{name: md(value) for name, value in values.items()})


def t(key: str, **values: Any) -> str:
    """Return message ``key`` in the current language (see :func:`translate`)."""
    return translate(key, current_language(), **values)
