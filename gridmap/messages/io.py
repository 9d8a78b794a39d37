"""Message templates of gridmap's io modules (see gridmap.messages).

Values written ``{name:zh}`` in a Chinese template are parts that are text
themselves (lists of features, rows or names: :mod:`gridmap.messages.values`); the
``zh`` spec renders them in Chinese.
"""

from __future__ import annotations

from gridmap.messages import Text

_CRS_FIX_EN = (
    "pass crs='4326' (GPS/WGS84), '4490' (CGCS2000), 'gcj02' (Amap/Tencent), 'bd09' (Baidu) "
    "or an EPSG code (command line: --crs)"
)
_CRS_FIX_ZH = (
    "传入 crs='4326'（GPS/WGS84）、'4490'（CGCS2000）、'gcj02'（高德/腾讯）、'bd09'（百度）"
    "或 EPSG 代码（命令行：--crs）"
)
_FORMATS_EN = "use GeoJSON, GeoPackage, zipped Shapefile, KML or CSV"
_FORMATS_ZH = "请使用 GeoJSON、GeoPackage、压缩的 Shapefile、KML 或 CSV"
_SHP_PARTS_EN = "put the .shp, .shx, .dbf (and .prj, .cpg) files together, or zip them"
_SHP_PARTS_ZH = "把 .shp、.shx、.dbf（以及 .prj、.cpg）文件放在同一文件夹，或一起打包成 zip"
_LONLAT_EN = "write x as longitude and y as latitude (lon, lat order)"
_LONLAT_ZH = "x 写经度、y 写纬度（按经度、纬度的顺序）"

MESSAGES: dict[str, Text] = {
    # --- gridmap/io/read.py: how messages name features and rows -------------------
    "io.features_one": Text(en="feature {numbers}", zh="要素 {numbers:zh}"),
    "io.features_many": Text(en="features {numbers}", zh="要素 {numbers:zh}"),
    "io.features_more": Text(
        en="features {numbers} and {more} more", zh="要素 {numbers:zh} 及另外 {more} 个"
    ),
    "io.rows_one": Text(en="row {numbers}", zh="第 {numbers:zh} 行"),
    "io.rows_many": Text(en="rows {numbers}", zh="第 {numbers:zh} 行"),
    "io.rows_more": Text(
        en="rows {numbers} and {more} more", zh="第 {numbers:zh} 行及另外 {more} 行"
    ),
    # --- gridmap/io/safety.py ---------------------------------------------------------
    "io.what_input_file": Text(en="input file", zh="输入文件"),
    "io.what_register": Text(en="household register", zh="住户台账"),
    "io.what_osm_file": Text(en="OSM file", zh="OSM 文件"),
    "io.what_zip": Text(en="zip", zh="zip 压缩包"),
    "io.what_xlsx": Text(en="xlsx workbook", zh="xlsx 工作簿"),
    "io.gdal_warning": Text(en="{path}: GDAL: {text}", zh="{path}：GDAL 警告：{text}"),
    "io.virtual_path": Text(
        en="{path}: {what} is a GDAL virtual path; gridmap reads plain local files only",
        zh="{path}：{what:zh}是 GDAL 虚拟路径；gridmap 只读取本地的普通文件",
        fix_en="download or unpack the file and pass its local path",
        fix_zh="先下载或解压文件，再传入它在本机的路径",
    ),
    "io.url_path": Text(
        en="{path}: {what} is a URL or driver-prefixed path; gridmap reads plain local files only",
        zh="{path}：{what:zh}是网址或带驱动前缀的路径；gridmap 只读取本地的普通文件",
        fix_en="download or unpack the file and pass its local path",
        fix_zh="先下载或解压文件，再传入它在本机的路径",
    ),
    "io.no_such_file": Text(
        en="{path}: no such file",
        zh="{path}：文件不存在",
        fix_en="check the path",
        fix_zh="检查文件路径",
    ),
    "io.is_folder": Text(
        en="{path}: is a folder, not a file",
        zh="{path}：这是文件夹，不是文件",
        fix_en="pass the file itself (e.g. the .shp or .zip)",
        fix_zh="传入文件本身（如 .shp 或 .zip）",
    ),
    "io.not_regular_file": Text(
        en="{path}: not a regular file",
        zh="{path}：不是普通文件",
        fix_en="pass a regular file",
        fix_zh="传入普通文件",
    ),
    "io.resolves_to_virtual": Text(
        en="{path}: resolves to {resolved}, which GDAL would take for a virtual path; refused",
        zh="{path}：实际指向 {resolved}，GDAL 会把它当作虚拟路径；已拒绝",
        fix_en="move the file to another folder",
        fix_zh="把文件移到其他文件夹",
    ),
    "io.file_too_large": Text(
        en="{path}: file is {size:,} bytes, above the limit of {limit:,} bytes",
        zh="{path}：文件大小为 {size:,} 字节，超过上限 {limit:,} 字节",
        fix_en="split the file, or raise gridmap.settings.MAX_FILE_BYTES if you trust it",
        fix_zh="拆分文件；如确认文件可信，可调高 gridmap.settings.MAX_FILE_BYTES",
    ),
    "io.gdal_vrt": Text(
        en="{path}: is a GDAL VRT, which can make GDAL read other files or URLs; refused",
        zh="{path}：这是 GDAL VRT 文件，可能让 GDAL 读取其他文件或网址；已拒绝",
        fix_en="export the data itself to GeoJSON, GeoPackage or a zipped Shapefile",
        fix_zh="把数据本身导出为 GeoJSON、GeoPackage 或压缩的 Shapefile",
    ),
    "io.xml_doctype": Text(
        en="{path}: XML with a DOCTYPE/ENTITY declaration (entity expansion); refused",
        zh="{path}：XML 含 DOCTYPE/ENTITY 声明（有实体扩展风险）；已拒绝",
        fix_en="remove the DOCTYPE from the file",
        fix_zh="删除文件中的 DOCTYPE 声明",
    ),
    "io.kml_network_link": Text(
        en="{path}: KML with a NetworkLink (it points GDAL at another file or URL); refused",
        zh="{path}：KML 含 NetworkLink（会让 GDAL 读取其他文件或网址）；已拒绝",
        fix_en="save the linked data into the KML itself",
        fix_zh="把链接的数据直接保存到 KML 文件中",
    ),
    "io.xml_unknown": Text(
        en="{path}: XML document <{name}> is not a format gridmap reads",
        zh="{path}：XML 文档 <{name}> 不是 gridmap 能读取的格式",
        fix_en="convert it to GeoJSON, GeoPackage, KML or a zipped Shapefile",
        fix_zh="转换为 GeoJSON、GeoPackage、KML 或压缩的 Shapefile",
    ),
    "io.sqlite_not_gpkg": Text(
        en="{path}: a SQLite database that is not a GeoPackage; refused",
        zh="{path}：这是 SQLite 数据库，而不是 GeoPackage；已拒绝",
        fix_en="export the data as a GeoPackage (.gpkg)",
        fix_zh="把数据导出为 GeoPackage（.gpkg）",
    ),
    "io.gzip_file": Text(
        en="{path}: a gzip file; gridmap reads .zip archives",
        zh="{path}：这是 gzip 文件；gridmap 只读取 .zip 压缩包",
        fix_en="unpack it, or zip it instead",
        fix_zh="先解压，或改用 zip 压缩",
    ),
    "io.old_xls": Text(
        en="{path}: an old Excel .xls workbook",
        zh="{path}：这是旧版 Excel .xls 工作簿",
        fix_en="save it as .xlsx or CSV (UTF-8)",
        fix_zh="另存为 .xlsx 或 CSV（UTF-8）",
    ),
    "io.binary_unknown": Text(
        en="{path}: binary file of an unknown format",
        zh="{path}：未知格式的二进制文件",
        fix_en=_FORMATS_EN,
        fix_zh=_FORMATS_ZH,
    ),
    "io.empty_file": Text(
        en="{path}: the file is empty",
        zh="{path}：文件为空",
        fix_en="check that it was saved completely",
        fix_zh="检查文件是否已完整保存",
    ),
    "io.unknown_format": Text(
        en="{path}: unknown file format",
        zh="{path}：无法识别的文件格式",
        fix_en=_FORMATS_EN,
        fix_zh=_FORMATS_ZH,
    ),
    "io.name_content_mismatch": Text(
        en="{path}: the name says {declared} but the content is {detected}; refused",
        zh="{path}：文件名表明是 {declared}，但内容是 {detected}；已拒绝",
        fix_en="rename the file to match its content (a .{detected} file) if you trust it",
        fix_zh="如确认文件可信，按内容改名（改为 .{detected} 文件）",
    ),
    "io.zip_unreadable": Text(
        en="{path}: not a readable {what} ({reason})",
        zh="{path}：无法读取的{what:zh}（{reason}）",
        fix_en="re-create the archive",
        fix_zh="重新制作压缩包",
    ),
    "io.zip_too_many_entries": Text(
        en="{path}: {what} has {count:,} entries, above the limit of {limit:,}",
        zh="{path}：{what:zh}含 {count:,} 个条目，超过上限 {limit:,}",
        fix_en="put only the data files in the archive",
        fix_zh="压缩包中只放数据文件",
    ),
    "io.zip_traversal": Text(
        en="{path}: {what} entry {name!r} points outside the archive (path traversal); refused",
        zh="{path}：{what:zh}中的条目 {name!r} 指向压缩包之外（路径穿越）；已拒绝",
        fix_en="re-create the archive with plain relative names",
        fix_zh="用普通的相对路径重新制作压缩包",
    ),
    "io.zip_symlink": Text(
        en="{path}: {what} entry {name!r} is a symbolic link; refused",
        zh="{path}：{what:zh}中的条目 {name!r} 是符号链接；已拒绝",
        fix_en="re-create the archive with the files themselves",
        fix_zh="用文件本身重新制作压缩包",
    ),
    "io.zip_encrypted": Text(
        en="{path}: {what} entry {name!r} is encrypted",
        zh="{path}：{what:zh}中的条目 {name!r} 已加密",
        fix_en="re-create it without a password",
        fix_zh="重新制作不设密码的压缩包",
    ),
    "io.zip_vrt": Text(
        en="{path}: {what} entry {name!r} is a GDAL VRT; refused",
        zh="{path}：{what:zh}中的条目 {name!r} 是 GDAL VRT 文件；已拒绝",
        fix_en="put the data files themselves in one flat archive",
        fix_zh="把数据文件本身放进一个不分层的压缩包",
    ),
    "io.zip_nested": Text(
        en="{path}: {what} entry {name!r} is a nested archive; refused",
        zh="{path}：{what:zh}中的条目 {name!r} 是嵌套的压缩包；已拒绝",
        fix_en="put the data files themselves in one flat archive",
        fix_zh="把数据文件本身放进一个不分层的压缩包",
    ),
    "io.zip_ratio": Text(
        en="{path}: {what} entry {name!r} expands {ratio:,.0f} times ({size:,} bytes), above "
        "the ratio limit of {limit} (zip bomb?)",
        zh="{path}：{what:zh}中的条目 {name!r} 解压后膨胀 {ratio:,.0f} 倍（{size:,} 字节），"
        "超过压缩比上限 {limit}（疑似 zip 炸弹）",
        fix_en="send the files unzipped, or raise gridmap.settings.MAX_ZIP_RATIO",
        fix_zh="发送未压缩的文件，或调高 gridmap.settings.MAX_ZIP_RATIO",
    ),
    "io.zip_total": Text(
        en="{path}: {what} expands to more than {limit:,} bytes (zip bomb?)",
        zh="{path}：{what:zh}解压后超过 {limit:,} 字节（疑似 zip 炸弹）",
        fix_en="split the data, or raise gridmap.settings.MAX_UNCOMPRESSED_BYTES",
        fix_zh="拆分数据，或调高 gridmap.settings.MAX_UNCOMPRESSED_BYTES",
    ),
    "io.zip_duplicate_name": Text(
        en="{path}: two zip entries are named {name!r}",
        zh="{path}：压缩包中有两个条目都名为 {name!r}",
        fix_en="keep one data set per archive",
        fix_zh="每个压缩包只放一套数据",
    ),
    "io.zip_entry_too_large": Text(
        en="{path}: entry {name!r} is larger than its header says",
        zh="{path}：条目 {name!r} 比其文件头声明的更大",
        fix_en="re-create the archive",
        fix_zh="重新制作压缩包",
    ),
    "io.zip_entry_corrupt": Text(
        en="{path}: entry {name!r} is corrupt ({reason})",
        zh="{path}：条目 {name!r} 已损坏（{reason}）",
        fix_en="re-create the archive",
        fix_zh="重新制作压缩包",
    ),
    "io.gpkg_virtual_table": Text(
        en="{path}: GeoPackage table {name!r} is a virtual table ({module}); refused",
        zh="{path}：GeoPackage 表 {name!r} 是虚拟表（{module}）；已拒绝",
        fix_en="export the data to a plain GeoPackage",
        fix_zh="把数据导出为普通的 GeoPackage",
    ),
    "io.gpkg_virtual_table_unknown": Text(
        en="{path}: GeoPackage table {name!r} is a virtual table (unknown); refused",
        zh="{path}：GeoPackage 表 {name!r} 是未知类型的虚拟表；已拒绝",
        fix_en="export the data to a plain GeoPackage",
        fix_zh="把数据导出为普通的 GeoPackage",
    ),
    "io.gpkg_unreadable": Text(
        en="{path}: not a readable GeoPackage ({reason})",
        zh="{path}：无法读取的 GeoPackage（{reason}）",
        fix_en="re-export it",
        fix_zh="重新导出该文件",
    ),
    "io.too_many_features": Text(
        en="{path}: {count:,} features, above the limit of {limit:,}",
        zh="{path}：共 {count:,} 个要素，超过上限 {limit:,}",
        fix_en="split the area into parts, or raise gridmap.settings.MAX_FEATURES",
        fix_zh="把区域拆成几部分，或调高 gridmap.settings.MAX_FEATURES",
    ),
    "io.too_many_features_layer": Text(
        en="{path} layer {layer!r}: {count:,} features, above the limit of {limit:,}",
        zh="{path} 图层 {layer!r}：共 {count:,} 个要素，超过上限 {limit:,}",
        fix_en="split the area into parts, or raise gridmap.settings.MAX_FEATURES",
        fix_zh="把区域拆成几部分，或调高 gridmap.settings.MAX_FEATURES",
    ),
    "io.too_many_vertices": Text(
        en="{path}: more than {limit:,} vertices ({count:,} read so far)",
        zh="{path}：节点数超过 {limit:,}（已读取 {count:,} 个）",
        fix_en="simplify the geometries or split the area, or raise gridmap.settings.MAX_VERTICES",
        fix_zh="简化几何或拆分区域，或调高 gridmap.settings.MAX_VERTICES",
    ),
    "io.bz2_bomb": Text(
        en="{path}: decompresses to more than {limit:,} bytes (bz2 bomb?)",
        zh="{path}：解压后超过 {limit:,} 字节（疑似 bz2 炸弹）",
        fix_en="use a smaller extract, or raise gridmap.settings.MAX_UNCOMPRESSED_BYTES",
        fix_zh="改用范围更小的数据，或调高 gridmap.settings.MAX_UNCOMPRESSED_BYTES",
    ),
    "io.bz2_truncated": Text(
        en="{path}: not a readable bz2 file (the bz2 stream ends early)",
        zh="{path}：无法读取的 bz2 文件（数据流提前结束）",
        fix_en="re-download it",
        fix_zh="重新下载",
    ),
    "io.bz2_unreadable": Text(
        en="{path}: not a readable bz2 file ({reason})",
        zh="{path}：无法读取的 bz2 文件（{reason}）",
        fix_en="re-download it",
        fix_zh="重新下载",
    ),
    "io.not_osm": Text(
        en="{path}: not an OpenStreetMap file (content is {fmt})",
        zh="{path}：不是 OpenStreetMap 文件（内容为 {fmt}）",
        fix_en="pass a .osm, .osm.bz2 or .osm.pbf extract",
        fix_zh="传入 .osm、.osm.bz2 或 .osm.pbf 数据",
    ),
    "io.bz2_no_osm": Text(
        en="{path}: the bz2 file holds no OSM XML",
        zh="{path}：bz2 文件中没有 OSM XML 数据",
        fix_en="re-download it",
        fix_zh="重新下载",
    ),
    # --- gridmap/io/read.py -----------------------------------------------------------
    "io.crs_unknown": Text(
        en="unknown CRS {crs!r}",
        zh="无法识别的坐标系 {crs!r}",
        fix_en=_CRS_FIX_EN,
        fix_zh=_CRS_FIX_ZH,
    ),
    "io.crs_no_such_epsg": Text(
        en="unknown CRS {crs!r}: no such EPSG code",
        zh="无法识别的坐标系 {crs!r}：没有这个 EPSG 代码",
        fix_en=_CRS_FIX_EN,
        fix_zh=_CRS_FIX_ZH,
    ),
    "io.crs_not_map": Text(
        en="CRS {crs!r} ({name}) is not a map CRS",
        zh="坐标系 {crs!r}（{name}）不是地图坐标系",
        fix_en=_CRS_FIX_EN,
        fix_zh=_CRS_FIX_ZH,
    ),
    "io.no_crs": Text(
        en="{path}: the file has no coordinate reference system",
        zh="{path}：文件没有坐标系",
        fix_en=_CRS_FIX_EN,
        fix_zh=_CRS_FIX_ZH,
    ),
    "io.crs_offset_on_projected": Text(
        en="{path}: crs {asked} means lon/lat degrees, but the file's CRS is {file_crs} "
        "(projected)",
        zh="{path}：crs {asked} 表示经纬度（度），但文件的坐标系 {file_crs} 是投影坐标系",
        fix_en="omit crs to use the file's CRS",
        fix_zh="不指定 crs，使用文件自带的坐标系",
    ),
    "io.crs_override": Text(
        en="{path}: the file says {file_crs}; reading it as {asked} as asked",
        zh="{path}：文件标注的坐标系是 {file_crs}；已按要求作为 {asked} 读取",
    ),
    "io.coords_not_numbers": Text(
        en="{path}: {features}: coordinates that are not numbers",
        zh="{path}：{features:zh}：坐标不是数字",
        fix_en="correct or delete those features",
        fix_zh="修正或删除这些要素",
    ),
    "io.coords_swapped_above_90": Text(
        en="{path}: {features}: latitude and longitude seem swapped (x={x:.6g}, y={y:.6g}: "
        "a latitude above 90)",
        zh="{path}：{features:zh}：经纬度似乎颠倒了（x={x:.6g}, y={y:.6g}：纬度超过 90）",
        fix_en=_LONLAT_EN,
        fix_zh=_LONLAT_ZH,
    ),
    "io.metres_as_degrees": Text(
        en="{path}: {features}: coordinates like x={x:.6g}, y={y:.6g} look like metres, but "
        "the CRS {crs} is in degrees",
        zh="{path}：{features:zh}：坐标（如 x={x:.6g}, y={y:.6g}）看起来以米为单位，"
        "但坐标系 {crs} 的单位是度",
        fix_en="give the file's real projected CRS (e.g. crs='EPSG:4547' or the UTM zone), or "
        "fix its .prj",
        fix_zh="给出文件真实的投影坐标系（如 crs='EPSG:4547' 或相应的 UTM 带），或修正其 .prj 文件",
    ),
    "io.coords_out_of_range": Text(
        en="{path}: {features}: coordinates like x={x:.6g}, y={y:.6g} lie outside the valid "
        "range of {crs} (longitude -180..180, latitude -90..90)",
        zh="{path}：{features:zh}：坐标（如 x={x:.6g}, y={y:.6g}）超出 {crs} 的有效范围"
        "（经度 -180..180，纬度 -90..90）",
        fix_en="check the CRS and the coordinates",
        fix_zh="检查坐标系和坐标",
    ),
    "io.degrees_as_metres": Text(
        en="{path}: coordinates like x={x:.6g}, y={y:.6g} look like degrees, but the CRS {crs} "
        "is projected (metres)",
        zh="{path}：坐标（如 x={x:.6g}, y={y:.6g}）看起来以度为单位，但坐标系 {crs} "
        "是投影坐标系（单位为米）",
        fix_en="read it as crs='4326' (or 4490/gcj02/bd09), or fix the file's .prj",
        fix_zh="按 crs='4326'（或 4490/gcj02/bd09）读取，或修正文件的 .prj",
    ),
    "io.outside_crs_area_one": Text(
        en="{path}: {features} lies outside the area where {crs} is valid "
        "({west:g}..{east:g} E, {south:g}..{north:g} N)",
        zh="{path}：{features:zh}位于 {crs} 的适用范围之外"
        "（经度 {west:g}..{east:g}，纬度 {south:g}..{north:g}）",
        fix_en="the file's CRS is probably wrong: give the right one with crs=",
        fix_zh="文件的坐标系可能有误：用 crs= 指定正确的坐标系",
    ),
    "io.outside_crs_area_many": Text(
        en="{path}: {features} lie outside the area where {crs} is valid "
        "({west:g}..{east:g} E, {south:g}..{north:g} N)",
        zh="{path}：{features:zh}位于 {crs} 的适用范围之外"
        "（经度 {west:g}..{east:g}，纬度 {south:g}..{north:g}）",
        fix_en="the file's CRS is probably wrong: give the right one with crs=",
        fix_zh="文件的坐标系可能有误：用 crs= 指定正确的坐标系",
    ),
    "io.outside_crs_one": Text(
        en="{path}: {features} lies outside the area where {crs} is valid",
        zh="{path}：{features:zh}位于 {crs} 的适用范围之外",
        fix_en="the file's CRS is probably wrong: give the right one with crs=",
        fix_zh="文件的坐标系可能有误：用 crs= 指定正确的坐标系",
    ),
    "io.outside_crs_many": Text(
        en="{path}: {features} lie outside the area where {crs} is valid",
        zh="{path}：{features:zh}位于 {crs} 的适用范围之外",
        fix_en="the file's CRS is probably wrong: give the right one with crs=",
        fix_zh="文件的坐标系可能有误：用 crs= 指定正确的坐标系",
    ),
    "io.some_swapped": Text(
        en="{path}: {features}: latitude and longitude seem swapped (they fall in China only "
        "when swapped, like the rest)",
        zh="{path}：{features:zh}：经纬度似乎颠倒了（交换后才落在中国境内，与其余要素一致）",
        fix_en="write x as longitude and y as latitude for those features",
        fix_zh="这些要素的 x 写经度、y 写纬度",
    ),
    "io.far_outside_china_one": Text(
        en="{path}: {features} lies far outside China while the other {inside} features are inside",
        zh="{path}：{features:zh}远在中国境外，而其余 {inside} 个要素都在境内",
        fix_en="correct or delete those features",
        fix_zh="修正或删除这些要素",
    ),
    "io.far_outside_china_many": Text(
        en="{path}: {features} lie far outside China while the other {inside} features are inside",
        zh="{path}：{features:zh}远在中国境外，而其余 {inside} 个要素都在境内",
        fix_en="correct or delete those features",
        fix_zh="修正或删除这些要素",
    ),
    "io.all_swapped": Text(
        en="{path}: latitude and longitude seem swapped: every feature falls in China only "
        "when x and y are exchanged",
        zh="{path}：经纬度似乎颠倒了：所有要素都要交换 x 和 y 才落在中国境内",
        fix_en=_LONLAT_EN,
        fix_zh=_LONLAT_ZH,
    ),
    "io.outside_china": Text(
        en="{path}: the data lie outside China (near {lon:.3f} E, {lat:.3f} N); gridmap's "
        "estimates and defaults are made for Chinese cities",
        zh="{path}：数据位于中国境外（约 {lon:.3f} E，{lat:.3f} N）；"
        "gridmap 的估算方法和默认值是为中国城市设计的",
    ),
    "io.bad_utf8_bom": Text(
        en="{path}: starts with a UTF-8 BOM but is not valid UTF-8 (byte {byte})",
        zh="{path}：以 UTF-8 BOM 开头，但不是有效的 UTF-8（第 {byte} 字节）",
        fix_en="save the file again as UTF-8",
        fix_zh="重新另存为 UTF-8",
    ),
    "io.undecodable_text": Text(
        en="{path}: text is neither UTF-8 nor GBK/GB18030 (undecodable byte at {byte})",
        zh="{path}：文本既不是 UTF-8 也不是 GBK/GB18030（第 {byte} 字节无法解码）",
        fix_en="save the file as UTF-8",
        fix_zh="另存为 UTF-8",
    ),
    "io.table_empty": Text(
        en="{path}: the table is empty",
        zh="{path}：表格为空",
        fix_en="add a header row and data rows",
        fix_zh="添加表头行和数据行",
    ),
    "io.csv_unreadable": Text(
        en="{path}: not a readable CSV table ({reason})",
        zh="{path}：无法读取的 CSV 表格（{reason}）",
        fix_en="check the quoting",
        fix_zh="检查引号是否成对",
    ),
    "io.no_geometry_column": Text(
        en="{path}: no geometry column: found {columns}",
        zh="{path}：没有几何列：现有列为 {columns:zh}",
        fix_en="add a 'wkt' column with WKT geometries, or 'lon' and 'lat' (经度, 纬度) columns",
        fix_zh="添加含 WKT 几何的 'wkt' 列，或 'lon' 和 'lat'（经度、纬度）列",
    ),
    "io.no_geometry_column_empty": Text(
        en="{path}: no geometry column: found no columns",
        zh="{path}：没有几何列：表中没有任何列",
        fix_en="add a 'wkt' column with WKT geometries, or 'lon' and 'lat' (经度, 纬度) columns",
        fix_zh="添加含 WKT 几何的 'wkt' 列，或 'lon' 和 'lat'（经度、纬度）列",
    ),
    "io.dbf_unreadable": Text(
        en="{path}: not a readable .dbf file",
        zh="{path}：无法读取的 .dbf 文件",
        fix_en="re-export the Shapefile",
        fix_zh="重新导出 Shapefile",
    ),
    "io.shp_part_missing": Text(
        en="{path}: the {suffix} file of the Shapefile is missing",
        zh="{path}：缺少 Shapefile 的 {suffix} 文件",
        fix_en=_SHP_PARTS_EN,
        fix_zh=_SHP_PARTS_ZH,
    ),
    "io.shp_encoding_unknown": Text(
        en="{path}: attribute text is neither UTF-8 nor GBK/GB18030 and there is no .cpg file",
        zh="{path}：属性文本既不是 UTF-8 也不是 GBK/GB18030，且没有 .cpg 文件",
        fix_en="add a .cpg file naming the encoding (e.g. a line 'GBK'), or re-export as UTF-8",
        fix_zh="添加注明编码的 .cpg 文件（如只写一行 'GBK'），或重新导出为 UTF-8",
    ),
    "io.shp_decoded_gbk": Text(
        en="{path}: no .cpg file; attribute text decoded as GBK/GB18030 (it is not UTF-8): "
        "check that the names read right",
        zh="{path}：没有 .cpg 文件；属性文本已按 GBK/GB18030 解码（不是 UTF-8）：请检查名称是否显示正确",
    ),
    "io.layer_error": Text(
        en="{path}: {reason}",
        zh="{path}：读取图层出错（{reason}）",
        fix_en="check the layer name",
        fix_zh="检查图层名",
    ),
    "io.unreadable_file": Text(
        en="{path}: not a readable file ({reason})",
        zh="{path}：无法读取的文件（{reason}）",
        fix_en="re-export the file",
        fix_zh="重新导出文件",
    ),
    "io.wrong_encoding": Text(
        en="{path}: attribute text is not in the expected encoding ({reason})",
        zh="{path}：属性文本不是预期的编码（{reason}）",
        fix_en="save the file as UTF-8 (a Shapefile: add a .cpg file naming its encoding)",
        fix_zh="另存为 UTF-8（Shapefile 请添加注明编码的 .cpg 文件）",
    ),
    "io.file_damaged": Text(
        en="{path}: the file is damaged: reading stopped after feature {count} of {expected}",
        zh="{path}：文件已损坏：读到第 {count} 个要素（共 {expected} 个）后中断",
        fix_en="repair or re-export the file (for a Shapefile: the .shp, .shx and .dbf must "
        "come from the same export)",
        fix_zh="修复或重新导出文件（Shapefile 的 .shp、.shx 和 .dbf 必须来自同一次导出）",
    ),
    "io.geojson_not_utf8": Text(
        en="{path}: GeoJSON is not UTF-8 as RFC 7946 requires; read it as GBK/GB18030",
        zh="{path}：GeoJSON 不是 RFC 7946 要求的 UTF-8 编码；已按 GBK/GB18030 读取",
    ),
    "io.no_such_layer": Text(
        en="{path}: no layer {layer!r}; the layers are {names}",
        zh="{path}：没有图层 {layer!r}；现有图层为 {names:zh}",
        fix_en="pass one of those layer names",
        fix_zh="传入其中一个图层名",
    ),
    "io.no_such_layer_none": Text(
        en="{path}: no layer {layer!r}; the layers are none",
        zh="{path}：没有图层 {layer!r}；文件中没有任何图层",
        fix_en="pass one of those layer names",
        fix_zh="传入文件中存在的图层名",
    ),
    "io.gpkg_no_spatial_layer": Text(
        en="{path}: the GeoPackage has no layer with geometries",
        zh="{path}：GeoPackage 中没有含几何的图层",
        fix_en="check the file",
        fix_zh="检查文件",
    ),
    "io.gpkg_several_layers": Text(
        en="{path}: the GeoPackage has {count} layers: {names}",
        zh="{path}：GeoPackage 有 {count} 个图层：{names:zh}",
        fix_en="choose one with layer= (command line: --layer NAME)",
        fix_zh="用 layer= 选择其中一个（命令行：--layer NAME）",
    ),
    "io.kml_unreadable": Text(
        en="{path}: not a readable KML file ({reason})",
        zh="{path}：无法读取的 KML 文件（{reason}）",
        fix_en="re-export it",
        fix_zh="重新导出该文件",
    ),
    "io.no_such_kml_folder": Text(
        en="{path}: no KML folder {layer!r}; the folders are {names}",
        zh="{path}：没有 KML 文件夹 {layer!r}；现有文件夹为 {names:zh}",
        fix_en="pass one of those names",
        fix_zh="传入其中一个名称",
    ),
    "io.kml_empty": Text(
        en="{path}: the KML file holds no features",
        zh="{path}：KML 文件中没有要素",
        fix_en="check the file",
        fix_zh="检查文件",
    ),
    "io.zip_no_data": Text(
        en="{path}: the zip holds no data file gridmap reads (it holds {names})",
        zh="{path}：压缩包中没有 gridmap 能读取的数据文件（其中有 {names:zh}）",
        fix_en="zip a Shapefile (.shp .shx .dbf .prj), GeoJSON, GeoPackage, KML or CSV",
        fix_zh="压缩 Shapefile（.shp .shx .dbf .prj）、GeoJSON、GeoPackage、KML 或 CSV 文件",
    ),
    "io.zip_no_data_empty": Text(
        en="{path}: the zip holds no data file gridmap reads (it holds nothing)",
        zh="{path}：压缩包中没有 gridmap 能读取的数据文件（压缩包是空的）",
        fix_en="zip a Shapefile (.shp .shx .dbf .prj), GeoJSON, GeoPackage, KML or CSV",
        fix_zh="压缩 Shapefile（.shp .shx .dbf .prj）、GeoJSON、GeoPackage、KML 或 CSV 文件",
    ),
    "io.zip_several": Text(
        en="{path}: the zip holds several data sets: {names}",
        zh="{path}：压缩包中有多套数据：{names:zh}",
        fix_en="choose one with layer= (command line: --layer NAME, the file name without its "
        "ending)",
        fix_zh="用 layer= 选择其中一套（命令行：--layer NAME，即不带扩展名的文件名）",
    ),
    "io.zip_entry_not_vector": Text(
        en="{path}: zip entry {name} is {fmt}, not a vector data file",
        zh="{path}：压缩包条目 {name} 是 {fmt}，不是矢量数据文件",
        fix_en="zip a Shapefile, GeoJSON, GeoPackage, KML or CSV",
        fix_zh="压缩 Shapefile、GeoJSON、GeoPackage、KML 或 CSV 文件",
    ),
    "io.osm_not_here": Text(
        en="{path}: {fmt} files are not read here",
        zh="{path}：此处不读取 {fmt} 文件",
        fix_en="OpenStreetMap files go through gridmap.osm (command line: gridmap import FILE.osm)",
        fix_zh="OpenStreetMap 文件由 gridmap.osm 读取（命令行：gridmap import FILE.osm）",
    ),
    "io.format_not_read": Text(
        en="{path}: {fmt} files are not read here",
        zh="{path}：此处不读取 {fmt} 文件",
        fix_en=_FORMATS_EN,
        fix_zh=_FORMATS_ZH,
    ),
    "io.dropped_no_geometry": Text(en="{features} (no geometry)", zh="{features:zh}（无几何）"),
    "io.dropped_unreadable": Text(
        en="{features} (unreadable geometry)", zh="{features:zh}（几何无法解析）"
    ),
    "io.dropped_empty": Text(en="{features} (empty geometry)", zh="{features:zh}（几何为空）"),
    "io.dropped_collection": Text(
        en="{features} (a geometry collection)", zh="{features:zh}（几何集合）"
    ),
    "io.dropped_point": Text(
        en="{features} (a point, not a polygon footprint)", zh="{features:zh}（是点，不是轮廓面）"
    ),
    "io.dropped_line": Text(
        en="{features} (a line, not a polygon footprint)", zh="{features:zh}（是线，不是轮廓面）"
    ),
    "io.dropped_features": Text(
        en="{path}: dropped {count} feature(s) of {total}: {parts}",
        zh="{path}：已舍弃 {count} 个要素（共 {total} 个）：{parts:zh}",
    ),
    "io.repaired_one": Text(
        en="{path}: repaired {count} invalid geometry with make_valid ({features})",
        zh="{path}：已用 make_valid 修复 {count} 个无效几何（{features:zh}）",
    ),
    "io.repaired_many": Text(
        en="{path}: repaired {count} invalid geometries with make_valid ({features})",
        zh="{path}：已用 make_valid 修复 {count} 个无效几何（{features:zh}）",
    ),
    "io.repair_collapsed": Text(
        en="{path}: dropped {features}: nothing was left after repairing the geometry (zero area)",
        zh="{path}：已舍弃{features:zh}：修复几何后没有剩下任何部分（面积为零）",
    ),
    "io.spreadsheet_no_geometry": Text(
        en="{path}: a spreadsheet holds no geometries",
        zh="{path}：电子表格中没有几何",
        fix_en="pass it as a household register (--households), or save it as CSV with lon/lat",
        fix_zh="作为住户台账传入（--households），或另存为含 lon/lat 列的 CSV",
    ),
    "io.no_features": Text(
        en="{path}: the file holds no features",
        zh="{path}：文件中没有要素",
        fix_en="check the file or the layer",
        fix_zh="检查文件或图层",
    ),
    "io.points_not_footprints": Text(
        en="{path}: buildings need footprint polygons, but the features are points",
        zh="{path}：楼栋需要轮廓面，但这些要素是点",
        fix_en="draw the building outlines as polygons (or use an OpenStreetMap extract, which "
        "has them); points can only be joined as a household register by name or id",
        fix_zh="把楼栋轮廓画成面（或使用带楼栋轮廓的 OpenStreetMap 数据）；"
        "点只能作为住户台账按名称或编号关联",
    ),
    "io.lines_not_footprints": Text(
        en="{path}: buildings need footprint polygons, but the features are lines",
        zh="{path}：楼栋需要轮廓面，但这些要素是线",
        fix_en="close the outlines into polygons in your GIS and export again",
        fix_zh="在 GIS 软件中把轮廓闭合成面后重新导出",
    ),
    "io.no_usable_geometry": Text(
        en="{path}: none of the features has a usable geometry",
        zh="{path}：没有一个要素有可用的几何",
        fix_en="check the file",
        fix_zh="检查文件",
    ),
    "io.dropped_z": Text(
        en="{path}: {count} feature(s) had 3D coordinates; the heights were dropped (2D)",
        zh="{path}：{count} 个要素含三维坐标；已去掉高程，改为二维",
    ),
    # --- gridmap/io/buildings.py ------------------------------------------------------
    "io.where_building": Text(en="building {id} ({label})", zh="楼栋 {id}（{label:zh}）"),
    "io.count_not_whole": Text(
        en="{path}: {what} {value!r} of {where} (column {column!r}) is not a whole number",
        zh="{path}：{where:zh}的 {what} 值 {value!r}（列 {column!r}）不是整数",
        fix_en="write {what} as a plain whole number like 300, or leave the cell empty to have "
        "it estimated",
        fix_zh="把 {what} 写成普通整数（如 300），或留空由程序估算",
    ),
    "io.count_below": Text(
        en="{path}: {what} {number} of {where} (column {column!r}) is below {minimum}",
        zh="{path}：{where:zh}的 {what} 值 {number}（列 {column!r}）小于 {minimum}",
        fix_en="correct the value; {what} must be at least {minimum}",
        fix_zh="修正该值；{what} 不能小于 {minimum}",
    ),
    "io.count_above": Text(
        en="{path}: {what} {number} of {where} (column {column!r}) is above {maximum:,}, "
        "implausible for one building",
        zh="{path}：{where:zh}的 {what} 值 {number}（列 {column!r}）超过 {maximum:,}，"
        "对一栋楼来说不合理",
        fix_en="check the value (one building, not a whole compound?) or split the building",
        fix_zh="检查该值（是否把整个小区的数值填给了一栋楼？）或拆分该楼栋",
    ),
    "io.duplicate_id_part": Text(en="{id} ({features})", zh="{id}（见{features:zh}）"),
    "io.duplicate_building_ids": Text(
        en="{path}: duplicate building ids: {ids}",
        zh="{path}：楼栋编号重复：{ids:zh}",
        fix_en="give every building its own id, or delete the id column to have ids made from "
        "the footprints",
        fix_zh="给每栋楼一个唯一的编号，或删除编号列，由程序根据轮廓生成编号",
    ),
    "io.ids_made": Text(
        en="{path}: {count} building(s) had no id; ids were made from their footprints "
        "({features})",
        zh="{path}：{count} 栋楼没有编号；已根据轮廓生成编号（{features:zh}）",
    ),
    "io.ids_repeat_footprint": Text(
        en="{path}: {features} repeat the footprint of another building (duplicated "
        "features?); they got ids with a -2, -3 suffix",
        zh="{path}：{features:zh}与另一栋楼的轮廓完全相同（要素重复？）；"
        "其编号已加上 -2、-3 等后缀",
    ),
    "io.height_not_metres": Text(
        en="{path}: height {value!r} of {where} (column {column!r}) is not a height in metres",
        zh="{path}：{where:zh}的高度 {value!r}（列 {column!r}）不是以米为单位的数值",
        fix_en="write the height as a number of metres like 18, or leave it empty",
        fix_zh="把高度写成米数（如 18），或留空",
    ),
    "io.use_unknown": Text(
        en="{path}: building use value(s) {values} not recognised; taken as 'other' (the uses "
        "are {uses})",
        zh="{path}：无法识别的楼栋用途 {values:zh}；已按 'other' 处理（可用的用途为 {uses:zh}）",
    ),
    # --- gridmap/io/households.py -----------------------------------------------------
    "io.where_register_row": Text(
        en="row {row} ({column} {key!r})", zh="第 {row} 行（{column} {key!r}）"
    ),
    "io.xlsx_unreadable": Text(
        en="{path}: not a readable .xlsx workbook ({reason})",
        zh="{path}：无法读取的 .xlsx 工作簿（{reason}）",
        fix_en="save it again",
        fix_zh="重新保存一次",
    ),
    "io.xlsx_too_many_cells": Text(
        en="{path}: the sheet has more than {limit:,} cells",
        zh="{path}：工作表超过 {limit:,} 个单元格",
        fix_en="keep only the register (key and households columns)",
        fix_zh="只保留台账本身（关联键列和户数列）",
    ),
    "io.xlsx_first_sheet_empty": Text(
        en="{path}: the first sheet is empty",
        zh="{path}：第一个工作表是空的",
        fix_en="put the register on the first sheet",
        fix_zh="把台账放在第一个工作表",
    ),
    "io.not_xlsx": Text(
        en="{path}: not an .xlsx workbook",
        zh="{path}：不是 .xlsx 工作簿",
        fix_en="save it as .xlsx or CSV",
        fix_zh="另存为 .xlsx 或 CSV",
    ),
    "io.register_format": Text(
        en="{path}: a household register must be CSV or .xlsx (this is {fmt})",
        zh="{path}：住户台账必须是 CSV 或 .xlsx（此文件为 {fmt}）",
        fix_en="save the register as CSV or .xlsx",
        fix_zh="把台账另存为 CSV 或 .xlsx",
    ),
    "io.register_no_column": Text(
        en="{path}: no column {key!r}; the columns are {columns}",
        zh="{path}：没有列 {key!r}；现有列为 {columns:zh}",
        fix_en="pass the name of the key column of the register",
        fix_zh="传入台账中关联键列的列名",
    ),
    "io.register_key_unmatched": Text(
        en="{path}: key column {column!r} matches no column of the buildings",
        zh="{path}：关联键列 {column!r} 与楼栋数据的任何列都对应不上",
        fix_en="use a key the buildings have: building_id, name or address",
        fix_zh="使用楼栋数据中也有的键：building_id、name 或 address",
    ),
    "io.register_no_key": Text(
        en="{path}: found no key column to match buildings by (columns: {columns})",
        zh="{path}：找不到用来匹配楼栋的关联键列（现有列：{columns:zh}）",
        fix_en="add a column building_id (楼栋编号), name (名称) or address (地址) whose values "
        "the buildings have, or pass key=",
        fix_zh="添加楼栋数据中也有的 building_id（楼栋编号）、name（名称）或 address（地址）列，"
        "或传入 key=",
    ),
    "io.register_no_households": Text(
        en="{path}: no households column (columns: {columns})",
        zh="{path}：没有户数列（现有列：{columns:zh}）",
        fix_en="name the column households or 户数",
        fix_zh="把该列命名为 households 或 户数",
    ),
    "io.buildings_no_id": Text(
        en="buildings table has no building_id column",
        zh="楼栋表没有 building_id 列",
        fix_en="read it with read_buildings",
        fix_zh="用 read_buildings 读取楼栋",
    ),
    "io.register_row_no_households": Text(
        en="{path}: {where} has no households value (column {column!r})",
        zh="{path}：{where:zh}没有户数（列 {column!r}）",
        fix_en="fill in the number, or delete the row",
        fix_zh="填上户数，或删除该行",
    ),
    "io.register_rows_duplicate": Text(
        en="{path}: rows {first} and {row} both give households of {column} {key!r}",
        zh="{path}：第 {first} 行和第 {row} 行都给出了 {column} {key!r} 的户数",
        fix_en="merge them into one row per building (add up the units yourself)",
        fix_zh="合并为每栋楼一行（自行把户数相加）",
    ),
    "io.register_ambiguous": Text(
        en="{path}: {count} row(s) match several buildings by {column} and were not used "
        "(rows {rows})",
        zh="{path}：有 {count} 行按 {column} 匹配到多栋楼，未被采用（第 {rows:zh} 行）",
    ),
    # --- gridmap/io/members.py --------------------------------------------------------
    "io.member_not_number": Text(
        en="{path}: row {row}, column {column}: {value!r} is not a number",
        zh="{path}：第 {row} 行，列 {column}：{value!r} 不是数字",
        fix_en="write {column} as a plain number",
        fix_zh="把 {column} 写成普通数字",
    ),
    "io.members_no_id": Text(
        en="{path}: the member list has no member_id column",
        zh="{path}：党员名单没有 member_id 列",
        fix_en="add a member_id (党员编号) column",
        fix_zh="添加 member_id（党员编号）列",
    ),
    "io.member_available_bad": Text(
        en="{path}: row {row}, column available: {value!r}",
        zh="{path}：第 {row} 行，列 available：无法识别的值 {value!r}",
        fix_en="write available as 1/0 (是/否)",
        fix_zh="把 available 写成 1/0（是/否）",
    ),
    # --- gridmap/io/project.py --------------------------------------------------------
    "io.edit_log_not_dict": Text(
        en="edit log entry {number} is a {kind}, not a dict",
        zh="编辑记录第 {number} 条是 {kind}，不是 dict",
        fix_en="log edits as dicts with action and payload",
        fix_zh="每条编辑记录应为含 action 和 payload 的 dict",
    ),
    "io.project_not_gpkg": Text(
        en="{path}: a project is a GeoPackage",
        zh="{path}：项目文件必须是 GeoPackage",
        fix_en="name it {stem}.gpkg",
        fix_zh="命名为 {stem}.gpkg",
    ),
    "io.project_unknown_layers": Text(
        en="{path}: unknown project layer(s) {names}",
        zh="{path}：未知的项目图层 {names:zh}",
        fix_en="use the layer names {allowed}",
        fix_zh="使用以下图层名：{allowed:zh}",
    ),
    "io.project_no_buildings": Text(
        en="{path}: a project needs a buildings layer",
        zh="{path}：项目必须有 buildings 图层",
        fix_en="pass layers['buildings']",
        fix_zh="传入 layers['buildings']",
    ),
    "io.project_layer_not_gdf": Text(
        en="{path}: layer {name} is not a GeoDataFrame",
        zh="{path}：图层 {name} 不是 GeoDataFrame",
        fix_en="pass GeoDataFrames",
        fix_zh="传入 GeoDataFrame",
    ),
    "io.project_layer_no_crs": Text(
        en="{path}: layer {name} has no CRS",
        zh="{path}：图层 {name} 没有坐标系",
        fix_en="set the CRS before saving",
        fix_zh="保存前先设置坐标系",
    ),
    "io.not_a_project": Text(
        en="{path}: not a gridmap project (a GeoPackage with a buildings layer and only the "
        "layers {layers}, edit_log)",
        zh="{path}：不是 gridmap 项目文件（项目文件是含 buildings 图层、"
        "且只含图层 {layers:zh}、edit_log 的 GeoPackage）",
        fix_en="create one with gridmap import, or read the file with read_vector",
        fix_zh="用 gridmap import 创建项目，或用 read_vector 读取该文件",
    ),
    # --- gridmap/io/write.py ----------------------------------------------------------
    "io.geometry_point": Text(en="point", zh="点"),
    "io.geometry_line": Text(en="line", zh="线"),
    "io.geometry_polygon": Text(en="polygon", zh="面"),
    "io.dest_is_folder": Text(
        en="{path}: is a folder",
        zh="{path}：这是文件夹",
        fix_en="give a file name to write",
        fix_zh="指定要写入的文件名",
    ),
    "io.no_export_crs": Text(
        en="no export CRS given",
        zh="未指定导出坐标系",
        fix_en="use 4326, 4490, gcj02 or bd09",
        fix_zh="使用 4326、4490、gcj02 或 bd09",
    ),
    "io.export_no_crs": Text(
        en="the table to export has no CRS",
        zh="要导出的表没有坐标系",
        fix_en="set its CRS before exporting",
        fix_zh="导出前先设置坐标系",
    ),
    "io.geojson_not_rfc7946": Text(
        en="{path}: GeoJSON written in {crs}, so it is no longer RFC 7946 (which requires "
        "WGS84 / EPSG:4326); give it only to systems that expect {crs}",
        zh="{path}：GeoJSON 以 {crs} 写出，因此不再符合 RFC 7946（要求 WGS84 / EPSG:4326）；"
        "只提供给使用 {crs} 的系统",
    ),
    "io.shp_mixed_types": Text(
        en="{path}: a Shapefile holds one geometry type, but the table mixes {types}",
        zh="{path}：Shapefile 只能容纳一种几何类型，但该表混有{types:zh}",
        fix_en="export as GeoPackage or GeoJSON, or split the table by type",
        fix_zh="导出为 GeoPackage 或 GeoJSON，或按几何类型拆分该表",
    ),
    "io.shp_text_cut": Text(
        en="{path}: text longer than {limit} bytes was cut in column(s) {columns} (a Shapefile "
        "limit)",
        zh="{path}：列 {columns:zh} 中超过 {limit} 字节的文本已被截断（Shapefile 的限制）",
    ),
    "io.export_format_unknown": Text(
        en="unknown export format {fmt!r}",
        zh="未知的导出格式 {fmt!r}",
        fix_en="use one of {formats}",
        fix_zh="使用以下格式之一：{formats:zh}",
    ),
    "io.offset_labelled_4326": Text(
        en="{path}: coordinates written in {crs}; the file is labelled EPSG:4326 because {crs} "
        "has no EPSG code",
        zh="{path}：坐标以 {crs} 写出；由于 {crs} 没有 EPSG 代码，文件标注为 EPSG:4326",
    ),
    "io.shp_needs_zip": Text(
        en="{path}: a Shapefile is exported as a .zip",
        zh="{path}：Shapefile 以 .zip 压缩包形式导出",
        fix_en="name it {stem}.zip",
        fix_zh="命名为 {stem}.zip",
    ),
    "io.project_no_layer": Text(
        en="{path}: the project has no layer {layer!r}; it has {layers}",
        zh="{path}：项目中没有图层 {layer!r}；现有图层为 {layers:zh}",
        fix_en="pass one of those with --layer",
        fix_zh="用 --layer 传入其中之一",
    ),
}
