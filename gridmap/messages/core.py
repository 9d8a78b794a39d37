"""Message templates of gridmap's core modules (see gridmap.messages).

A value that holds words is asked for with the ``zh`` spec in the Chinese
template (``{reason}`` in ``en``, ``{reason:zh}`` in ``zh``); see
:mod:`gridmap.messages.values`.
"""

from __future__ import annotations

from gridmap.messages import Text

MESSAGES: dict[str, Text] = {
    # cli
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
    # crs
    "core.crs_missing": Text(
        en="the data has no coordinate reference system",
        zh="数据没有坐标系",
        fix_en="pass --crs",
        fix_zh="用 --crs 指定坐标系",
    ),
    "core.crs_not_metres": Text(
        en="CRS {name} is not in metres",
        zh="坐标系 {name} 的单位不是米",
        fix_en="reproject to a metric CRS",
        fix_zh="先投影到以米为单位的坐标系",
    ),
    "core.crs_empty": Text(
        en="cannot choose a metric CRS for empty data",
        zh="数据为空，无法选择米制坐标系",
        fix_en="load some features",
        fix_zh="先加载一些要素",
    ),
    # crs_offsets
    "core.offset_unknown": Text(
        en="unknown offset coordinate system {name!r}",
        zh="未知的偏移坐标系 {name!r}",
        fix_en="use gcj02 (Amap/Tencent) or bd09",
        fix_zh="使用 gcj02（高德/腾讯）或 bd09（百度）",
    ),
    # estimate
    "core.estimate_needs_metric": Text(
        en="estimates need footprints in a metric CRS",
        zh="估算需要米制坐标系下的建筑轮廓",
        fix_en="call gridmap.crs.to_metric first",
        fix_zh="先调用 gridmap.crs.to_metric",
    ),
    # schema
    "core.schema_missing_columns": Text(
        en="{table} table lacks column(s) {columns}",
        zh="{table} 表缺少列 {columns}",
        fix_en="add {columns} (see DATA_MODEL.md, table '{table}')",
        fix_zh="添加 {columns}（见 DATA_MODEL.md 中的 '{table}' 表）",
    ),
    "core.schema_no_crs": Text(
        en="{table} table has no coordinate reference system",
        zh="{table} 表没有坐标系",
        fix_en="set one (for files: --crs 4326, 4490 or gcj02)",
        fix_zh="设置坐标系（文件可用 --crs 4326、4490 或 gcj02）",
    ),
    "core.schema_empty_ids": Text(
        en="{table} table: {column} is empty in row(s) {rows}",
        zh="{table} 表：第 {rows} 行的 {column} 为空",
        fix_en="give every row a {column}",
        fix_zh="为每一行填写 {column}",
    ),
    "core.schema_duplicate_ids": Text(
        en="{table} table: duplicate {column} {ids}",
        zh="{table} 表：{column} 重复：{ids}",
        fix_en="make {column} unique",
        fix_zh="确保 {column} 不重复",
    ),
    "core.schema_negative": Text(
        en="{table} table: {column} is missing, not a number or negative for {id_column} {ids}",
        zh="{table} 表：{id_column} {ids} 的 {column} 缺失、不是数字或为负数",
        fix_en="give {column} as a whole number >= 0",
        fix_zh="{column} 须为 >= 0 的整数",
    ),
    "core.schema_not_allowed": Text(
        en="{table} table: {column} {value!r} of {id_column} {id} is not one of {allowed}",
        zh="{table} 表：{id_column} {id} 的 {column} 值 {value!r} 不是 {allowed} 之一",
        fix_en="use one of {allowed}",
        fix_zh="使用以下之一：{allowed}",
    ),
    "core.schema_bad_geometry": Text(
        en="{table} table: {id_column} {ids} has no {geometry} geometry",
        zh="{table} 表：{id_column} {ids} 没有 {geometry} 几何图形",
        fix_en="drop or repair those features",
        fix_zh="删除或修复这些要素",
    ),
    "core.schema_bad_geometry_either": Text(
        en="{table} table: {id_column} {ids} has no {geometry} or {last} geometry",
        zh="{table} 表：{id_column} {ids} 没有 {geometry} 或 {last} 几何图形",
        fix_en="drop or repair those features",
        fix_zh="删除或修复这些要素",
    ),
    "core.schema_reserved_over": Text(
        en="lots table: reserved is above capacity for lot_id {ids}",
        zh="lots 表：lot_id {ids} 的预留车位数超过车位总数",
        fix_en="reserved spaces must be at most the lot's capacity",
        fix_zh="预留车位数不得超过该停车场的车位数",
    ),
    # synth
    "core.synth_unknown_preset": Text(
        en="unknown synthetic preset {name!r}",
        zh="未知的合成数据预设 {name!r}",
        fix_en="use one of {names}",
        fix_zh="使用以下之一：{names}",
    ),
    "core.synth_bad_seed": Text(
        en="seed {seed!r} is not a whole number >= 0",
        zh="随机种子 {seed!r} 不是 >= 0 的整数",
        fix_en="give e.g. --seed 1",
        fix_zh="例如 --seed 1",
    ),
    "core.synth_fixed_preset": Text(
        en="preset {name!r} is fixed at {households:,} households; "
        "n_buildings={n_buildings} cannot be chosen with it",
        zh="预设 {name!r} 固定为 {households:,} 户，不能同时指定 n_buildings={n_buildings}",
        fix_en="leave the number of buildings out, or use preset 'demo'",
        fix_zh="不指定楼栋数，或使用预设 'demo'",
    ),
    "core.synth_n_not_whole": Text(
        en="n_buildings {n!r} is not a whole number",
        zh="n_buildings {n!r} 不是整数",
        fix_en="give e.g. 1500",
        fix_zh="例如 1500",
    ),
    "core.synth_n_out_of_range": Text(
        en="n_buildings {n:,} is outside {low:,}-{high:,}",
        zh="n_buildings {n:,} 超出 {low:,}-{high:,} 的范围",
        fix_en="give between {low:,} and {high:,} buildings",
        fix_zh="楼栋数须在 {low:,} 到 {high:,} 之间",
    ),
    "core.synth_bad_origin": Text(
        en="origin {origin!r} is not a (lon, lat) pair",
        zh="origin {origin!r} 不是（经度, 纬度）坐标对",
        fix_en="give e.g. (114.66, 37.89)",
        fix_zh="例如 (114.66, 37.89)",
    ),
    "core.synth_origin_outside": Text(
        en="origin ({lon}, {lat}) is not a lon/lat inside the UTM band",
        zh="origin ({lon}, {lat}) 不是 UTM 分带范围内的经纬度",
        fix_en="give longitude first, e.g. (114.66, 37.89)",
        fix_zh="经度在前，例如 (114.66, 37.89)",
    ),
    # osm
    "core.osm_too_many_features": Text(
        en="{path}: more than {limit:,} tagged OSM features",
        zh="{path}：带标签的 OSM 要素超过 {limit:,} 个",
        fix_en="cut a smaller extract (e.g. osmium extract --bbox ...)",
        fix_zh="裁剪一个更小的范围（例如 osmium extract --bbox ...）",
    ),
    "core.osm_skip_outline_failed": Text(
        en="its outline could not be built",
        zh="无法构建轮廓",
    ),
    "core.osm_skip_not_closed": Text(
        en="the way is not closed",
        zh="路径未闭合",
    ),
    "core.osm_skip_no_location": Text(
        en="the node has no location",
        zh="节点没有坐标",
    ),
    "core.osm_skip_point": Text(
        en="a point, not an outline",
        zh="是点而不是轮廓",
    ),
    "core.osm_skip_no_area": Text(
        en="its outline has no area",
        zh="轮廓面积为零",
    ),
    "core.osm_skip_relation_incomplete": Text(
        en="members missing from the extract or its rings do not close",
        zh="关系成员不在数据范围内，或其外环未闭合",
    ),
    "core.osm_skip_ring_invalid": Text(
        en="its ring is not a valid polygon or has nodes missing from the extract",
        zh="外环不是有效多边形，或有节点不在数据范围内",
    ),
    "core.osm_skipped_item": Text(
        en="{feature}: {reason}",
        zh="要素 {feature}：{reason:zh}",
    ),
    "core.osm_skipped_more": Text(
        en="and {count} more",
        zh="另有 {count} 个",
    ),
    "core.osm_skipped_features": Text(
        en="{file}: {count} OSM feature(s) tagged as building, compound, community or parking "
        "do not form a polygon and were skipped: {features}",
        zh="{file}：{count} 个标为建筑、小区、社区或停车场的 OSM 要素未能构成多边形，"
        "已跳过：{features:zh}",
    ),
    "core.osm_roads_missing_nodes": Text(
        en="{file}: {count} highway way(s) reference nodes missing from the extract "
        "and were skipped: {ids}",
        zh="{file}：{count} 条道路引用了数据范围外的节点，已跳过：{ids}",
    ),
    "core.osm_truncated": Text(
        en="{path}: is not a complete OpenStreetMap file (truncated or not OSM data): {detail}",
        zh="{path}：不是完整的 OpenStreetMap 文件（文件被截断或不是 OSM 数据）：{detail}",
        fix_en="download the extract again (OSM XML .osm/.osm.bz2 or .pbf) and check it "
        "opens in JOSM or with 'osmium fileinfo'",
        fix_zh="重新下载数据（OSM XML .osm/.osm.bz2 或 .pbf），并确认能用 JOSM 或 "
        "'osmium fileinfo' 打开",
    ),
    "core.osm_unreadable": Text(
        en="{path}: cannot be read as OpenStreetMap data: {detail}",
        zh="{path}：无法作为 OpenStreetMap 数据读取：{detail}",
        fix_en="download the extract again (OSM XML .osm/.osm.bz2 or .pbf) and check it "
        "opens in JOSM or with 'osmium fileinfo'",
        fix_zh="重新下载数据（OSM XML .osm/.osm.bz2 或 .pbf），并确认能用 JOSM 或 "
        "'osmium fileinfo' 打开",
    ),
    "core.osm_no_buildings": Text(
        en="{path}: the extract holds no building outlines",
        zh="{path}：数据中没有建筑轮廓",
        fix_en="choose an extract that covers built-up streets (buildings mapped as "
        "closed ways or multipolygons tagged building=*)",
        fix_zh="选择覆盖建成区街道的数据（建筑须以带 building=* 标签的闭合路径或多边形关系绘制）",
    ),
    "core.osm_households_over": Text(
        en="{count} building(s) get more than {limit:,} households: {ids}",
        zh="{count} 栋楼的户数超过 {limit:,} 户：{ids}",
    ),
    "core.osm_bbox_not_numbers": Text(
        en="bbox {bbox!r} is not four numbers",
        zh="bbox {bbox!r} 不是四个数字",
        fix_en="give bbox=(west, south, east, north)",
        fix_zh="给出 bbox=(west, south, east, north)",
    ),
    "core.osm_bbox_not_lonlat": Text(
        en="bbox {bbox} is not a lon/lat box (west < east, south < north)",
        zh="bbox {bbox} 不是经纬度范围（须 west < east，south < north）",
        fix_en="give bbox=(west, south, east, north) in degrees, "
        "e.g. (116.344, 39.998, 116.360, 40.009)",
        fix_zh="以度为单位给出 bbox=(west, south, east, north)，"
        "例如 (116.344, 39.998, 116.360, 40.009)",
    ),
    "core.osm_offline": Text(
        en="cannot reach OpenStreetMap ({host}): no network connection",
        zh="无法连接 OpenStreetMap（{host}）：没有网络连接",
        fix_en="connect to the internet, or download an extract (.osm/.pbf) elsewhere "
        "and pass it as a file",
        fix_zh="连接互联网，或在别处下载数据（.osm/.pbf）后作为文件传入",
    ),
    "core.osm_place_or_bbox": Text(
        en="fetch_osm needs a place name or a bbox (one of them)",
        zh="fetch_osm 需要地名或 bbox（二者选一）",
        fix_en='give place="静淑苑, 海淀区, 北京市" or bbox=(west, south, east, north)',
        fix_zh='给出 place="静淑苑, 海淀区, 北京市" 或 bbox=(west, south, east, north)',
    ),
    "core.osm_place_not_found": Text(
        en="cannot find place {place!r} on OpenStreetMap: {error}",
        zh="在 OpenStreetMap 上找不到地点 {place!r}：{error}",
        fix_en="spell the place as Nominatim does, or give bbox=(west, south, east, north)",
        fix_zh="按 Nominatim 的写法填写地名，或给出 bbox=(west, south, east, north)",
    ),
    "core.osm_download_failed": Text(
        en="cannot download the extract from {url}: {error}",
        zh="无法从 {url} 下载数据：{error}",
        fix_en="try again later, a smaller bbox, or a larger timeout_s",
        fix_zh="稍后重试、缩小 bbox，或增大 timeout_s",
    ),
    "core.osm_not_xml": Text(
        en="{url} answered with something that is not OSM XML",
        zh="{url} 返回的内容不是 OSM XML",
        fix_en="try again later or a smaller bbox",
        fix_zh="稍后重试，或缩小 bbox",
    ),
    # pipeline
    "core.no_such_file": Text(
        en="{path}: no such file",
        zh="{path}：文件不存在",
        fix_en="check the path",
        fix_zh="检查文件路径",
    ),
    "core.grid_bounds_impossible": Text(
        en="grid bounds --min {low} --max {high} are impossible",
        zh="网格户数范围 --min {low} --max {high} 不成立",
        fix_en="give 0 <= --min <= --max, e.g. --min 300 --max 500",
        fix_zh="须满足 0 <= --min <= --max，例如 --min 300 --max 500",
    ),
    "core.per_member_not_positive": Text(
        en="--per-member {per_member} must be positive",
        zh="--per-member {per_member} 必须为正数",
        fix_en="e.g. --per-member 10",
        fix_zh="例如 --per-member 10",
    ),
    "core.no_grid_ids": Text(
        en="{path}: buildings have no grid_id",
        zh="{path}：楼栋还没有 grid_id（尚未划分网格）",
        fix_en="run 'gridmap grids {path} --out DIR' first and pass DIR/buildings.gpkg",
        fix_zh="先运行 'gridmap grids {path} --out DIR'，再传入 DIR/buildings.gpkg",
    ),
    "core.batch_source_choice": Text(
        en="give either a buildings file or --synthetic N, not both or neither",
        zh="楼栋文件和 --synthetic N 须给出且只给出其中一个",
        fix_en="e.g. 'gridmap batch city.parquet --out DIR' or "
        "'gridmap batch --synthetic 100000 --out DIR'",
        fix_zh="例如 'gridmap batch city.parquet --out DIR' 或 "
        "'gridmap batch --synthetic 100000 --out DIR'",
    ),
    "core.batch_chunks_failed": Text(
        en="{failed} of {total} chunk(s) failed: {chunks}; the finished chunks are kept in {out}",
        zh="{total} 个分块中有 {failed} 个失败：{chunks:zh}；已完成的分块保存在 {out}",
        fix_en="fix those chunks' data and rerun the same command: finished chunks are skipped",
        fix_zh="修正这些分块的数据后重新运行同一命令：已完成的分块会被跳过",
    ),
    "core.batch_failed_chunk": Text(
        en="{chunk} ({error})",
        zh="分块 {chunk}（{error:zh}）",
    ),
    "core.app_missing": Text(
        en="{app} is missing",
        zh="找不到 {app}",
        fix_en="run gridmap app from a checkout of the repository",
        fix_zh="在代码仓库的检出目录中运行 gridmap app",
    ),
    # report
    "core.report_assets_missing": Text(
        en="Leaflet assets are missing in {folder}",
        zh="{folder} 中缺少 Leaflet 资源文件",
        fix_en="run 'make assets' (or any make target) to install them from npm",
        fix_zh="运行 'make assets'（或任一 make 目标）从 npm 安装",
    ),
    # demo
    "core.demo_no_parking": Text(
        en="parking: no scenario from this map's lots ({reason})",
        zh="停车：无法用本图的停车场生成模拟场景（{reason:zh}）",
    ),
    # batch
    "core.batch_bad_source_kind": Text(
        en="{path}: batch input must be GeoParquet (.parquet) or GeoPackage (.gpkg)",
        zh="{path}：批量计算的输入必须是 GeoParquet（.parquet）或 GeoPackage（.gpkg）",
        fix_en="convert it with 'gridmap import SRC --out city.gpkg', or write GeoParquet",
        fix_zh="用 'gridmap import SRC --out city.gpkg' 转换，或写成 GeoParquet",
    ),
    "core.batch_fixed_preset": Text(
        en="preset {name!r} has a fixed size and cannot be cut into streets",
        zh="预设 {name!r} 规模固定，不能切分为街道",
        fix_en="use preset 'demo' for a synthetic city",
        fix_zh="合成城市请使用预设 'demo'",
    ),
    "core.batch_street_too_small": Text(
        en="a synthetic city of {n_buildings:,} buildings in streets of {per_street:,} "
        "has a street of {smallest:,} buildings",
        zh="合成城市共 {n_buildings:,} 栋楼、每个街道 {per_street:,} 栋，"
        "其中一个街道只有 {smallest:,} 栋楼",
        fix_en="give streets of {low}-{high:,} buildings",
        fix_zh="每个街道须有 {low}-{high:,} 栋楼",
    ),
    "core.batch_bad_chunk_key": Text(
        en="cannot chunk by {column!r}",
        zh="不能按 {column!r} 分块",
        fix_en="use one of {keys}",
        fix_zh="使用以下之一：{keys}",
    ),
    "core.batch_synthetic_by_street": Text(
        en="a synthetic city is chunked by street only",
        zh="合成城市只能按街道分块",
        fix_en="use chunk_by='street_id'",
        fix_zh="使用 chunk_by='street_id'",
    ),
    "core.batch_no_buildings": Text(
        en="{path}: no buildings",
        zh="{path}：没有楼栋",
        fix_en="give a city table with buildings",
        fix_zh="提供含楼栋的城市数据表",
    ),
    "core.batch_key_types": Text(
        en="{path}: {column} values {values} differ only in type",
        zh="{path}：{column} 的值 {values} 仅数据类型不同",
        fix_en="store {column} as text",
        fix_zh="把 {column} 存为文本",
    ),
    "core.batch_bad_parquet": Text(
        en="{path}: not a readable GeoParquet file ({error})",
        zh="{path}：不是可读取的 GeoParquet 文件（{error}）",
        fix_en="check the file",
        fix_zh="检查该文件",
    ),
    "core.batch_no_geo_metadata": Text(
        en="{path}: a Parquet file without GeoParquet metadata",
        zh="{path}：Parquet 文件缺少 GeoParquet 元数据",
        fix_en="write it with geopandas GeoDataFrame.to_parquet",
        fix_zh="用 geopandas 的 GeoDataFrame.to_parquet 写出",
    ),
    "core.batch_bad_gpkg": Text(
        en="{path}: not a readable GeoPackage ({error})",
        zh="{path}：不是可读取的 GeoPackage（{error}）",
        fix_en="check the file",
        fix_zh="检查该文件",
    ),
    "core.batch_no_layer": Text(
        en="{path}: no layer {layer!r} (layers: {layers})",
        zh="{path}：没有图层 {layer!r}（现有图层：{layers}）",
        fix_en="name the buildings layer with --layer",
        fix_zh="用 --layer 指定楼栋图层",
    ),
    "core.batch_missing_chunk_value": Text(
        en="{path}: {count} building(s) have no {column} (first at row {first})",
        zh="{path}：{count} 栋楼没有 {column}（第一个在第 {first} 行）",
        fix_en="give every building a {column}, so it belongs to one chunk",
        fix_zh="为每栋楼填写 {column}，使其归入一个分块",
    ),
    "core.batch_not_wkb": Text(
        en="{path}: geometry is not stored as WKB ({type})",
        zh="{path}：几何图形未以 WKB 存储（{type}）",
        fix_en="write the GeoParquet file with geometry_encoding='WKB'",
        fix_zh="用 geometry_encoding='WKB' 写出 GeoParquet 文件",
    ),
    "core.batch_too_many_streets": Text(
        en="{count} streets in the city: grid codes (DB11/T 2157-2023) have three digits per level",
        zh="全市有 {count} 个街道：网格编码（DB11/T 2157-2023）每级只有三位数字",
        fix_en="split the city into several batches of at most 999",
        fix_zh="把城市分成几批，每批不超过 999 个",
    ),
    "core.batch_too_many_communities": Text(
        en="{count} communities in street {street}: grid codes (DB11/T 2157-2023) "
        "have three digits per level",
        zh="街道 {street} 有 {count} 个社区：网格编码（DB11/T 2157-2023）每级只有三位数字",
        fix_en="split the city into several batches of at most 999",
        fix_zh="把城市分成几批，每批不超过 999 个",
    ),
    "core.batch_missing_key": Text(
        en="{path}: buildings have no {column} column (columns: {columns})",
        zh="{path}：楼栋没有 {column} 列（现有列：{columns}）",
        fix_en="add a {column} column naming each building's street or community",
        fix_zh="添加 {column} 列，写明每栋楼所属的街道或社区",
    ),
    "core.batch_missing_key_other": Text(
        en="{path}: buildings have no {column} column (columns: {columns})",
        zh="{path}：楼栋没有 {column} 列（现有列：{columns}）",
        fix_en="chunk by {other} instead (--chunk-by {other})",
        fix_zh="改为按 {other} 分块（--chunk-by {other}）",
    ),
    "core.batch_no_chunk_layer": Text(
        en="no chunk layer {layer!r}",
        zh="分块中没有图层 {layer!r}",
        fix_en="use one of {layers}",
        fix_zh="使用以下之一：{layers}",
    ),
    "core.batch_chunk_unfinished": Text(
        en="{folder}: chunk {chunk_id} is not finished",
        zh="{folder}：分块 {chunk_id} 尚未完成",
        fix_en="run the batch (again) first",
        fix_zh="先（重新）运行批量计算",
    ),
    "core.batch_chunk_empty": Text(
        en="chunk {chunk_id}: no buildings",
        zh="分块 {chunk_id}：没有楼栋",
        fix_en="check the {column} values",
        fix_zh="检查 {column} 的取值",
    ),
    "core.batch_codes_repeat": Text(
        en="chunk {chunk_id}: grid codes repeat after city-wide numbering",
        zh="分块 {chunk_id}：全市统一编号后网格编码重复",
        fix_en="give every community of the city a distinct community_id within its street",
        fix_zh="同一街道内的每个社区须有不同的 community_id",
    ),
    "core.batch_bad_workers": Text(
        en="--workers {n} must be at least 1",
        zh="--workers {n} 至少为 1",
        fix_en="e.g. --workers 2",
        fix_zh="例如 --workers 2",
    ),
    "core.batch_unreachable": Text(
        en="cannot reach the Dask scheduler at {address}",
        zh="无法连接 {address} 上的 Dask 调度器",
        fix_en="start it with 'dask scheduler' and give its address, e.g. tcp://10.0.0.5:8786",
        fix_zh="用 'dask scheduler' 启动调度器并给出其地址，例如 tcp://10.0.0.5:8786",
    ),
    "core.batch_bad_merge": Text(
        en="cannot merge as {fmt!r}",
        zh="不能合并为 {fmt!r}",
        fix_en="use one of {formats}",
        fix_zh="使用以下之一：{formats}",
    ),
    "core.batch_unknown_chunks": Text(
        en="no chunk(s) {ids} in the city",
        zh="城市中没有分块 {ids}",
        fix_en="give {column} values that exist",
        fix_zh="给出存在的 {column} 值",
    ),
    "core.batch_failed_warning": Text(
        en="batch: {failed} of {total} chunk(s) failed ({ids}); first: {first}: {error}. "
        "The other chunks' results are kept in {out}; "
        "fix the input and run again to compute only what is missing",
        zh="批量计算：{total} 个分块中有 {failed} 个失败（{ids}）；第一个：{first}：{error:zh}。"
        "其他分块的结果保存在 {out}；修正输入后重新运行，只会计算缺少的部分",
    ),
    "core.batch_warnings_summary": Text(
        en="batch: {count} warning(s) in {chunks} chunk(s), e.g. {first}: {warning}; "
        "every chunk's warnings are in {report}",
        zh="批量计算：{chunks} 个分块共有 {count} 条警告，例如 {first}：{warning:zh}；"
        "各分块的警告见 {report}",
    ),
    "core.batch_local_cluster": Text(
        en="the local cluster",
        zh="本机集群",
    ),
    "core.batch_no_workers": Text(
        en="{where} has no workers",
        zh="{where:zh} 没有工作进程",
        fix_en="start some with 'dask worker ADDRESS'",
        fix_zh="用 'dask worker ADDRESS' 启动工作进程",
    ),
    "core.batch_worker_cannot_load": Text(
        en="Dask worker {worker} of {where} cannot load gridmap ({error})",
        zh="{where:zh} 的 Dask 工作进程 {worker} 无法加载 gridmap（{error}）",
        fix_en="install the same gridmap in the same Python on every worker machine",
        fix_zh="在每台工作机器的同一 Python 环境中安装相同版本的 gridmap",
    ),
    "core.batch_worker_version": Text(
        en="Dask worker {worker} runs gridmap {theirs}, this machine {mine}",
        zh="Dask 工作进程 {worker} 运行 gridmap {theirs}，本机为 {mine}",
    ),
    "core.batch_nothing_to_merge_in": Text(
        en="{out}: no finished chunks to merge",
        zh="{out}：没有可合并的已完成分块",
        fix_en="run the batch first",
        fix_zh="先运行批量计算",
    ),
    "core.batch_nothing_to_merge": Text(
        en="no finished chunks to merge",
        zh="没有可合并的已完成分块",
        fix_en="run the batch first",
        fix_zh="先运行批量计算",
    ),
}
