"""Message templates of gridmap's parking modules (see gridmap.messages).

Scenario messages start with ``{where}``: the scenario's origin (file name)
and the YAML key path, e.g. ``scenario.yaml: lots[0] (home).capacity``. Keys,
option values and ids stay as written in the YAML in both languages.
"""

from __future__ import annotations

from gridmap.messages import Text

MESSAGES: dict[str, Text] = {
    # gridmap/parking/calibrate.py
    "parking.gate_log_missing": Text(
        en="gate log {path} does not exist",
        zh="道闸记录 {path} 不存在",
        fix_en="check the path",
        fix_zh="检查文件路径",
    ),
    "parking.gate_log_too_large": Text(
        en="gate log {path} is larger than {limit} bytes",
        zh="道闸记录 {path} 超过 {limit} 字节",
    ),
    "parking.gate_log_file_type": Text(
        en="gate log {path}: unsupported file type {suffix!r}",
        zh="道闸记录 {path}：不支持的文件类型 {suffix!r}",
        fix_en="give CSV or .xlsx",
        fix_zh="请提供 CSV 或 .xlsx 文件",
    ),
    "parking.gate_log_unreadable": Text(
        en="gate log {path}: cannot read it ({reason})",
        zh="道闸记录 {path}：无法读取（{reason}）",
    ),
    "parking.gate_column_missing": Text(
        en="{origin}: column {column!r} (for {name}) is missing",
        zh="{origin}：缺少列 {column!r}（用作 {name}）",
    ),
    "parking.gate_no_column": Text(
        en="{origin}: no {name} column",
        zh="{origin}：没有 {name} 列",
        fix_en="name it {name} or one of {aliases}, or pass columns={{...}}",
        fix_zh="将该列命名为 {name} 或 {aliases} 之一，或传入 columns={{...}}",
    ),
    "parking.gate_bad_time": Text(
        en="{origin} row {row}: {name} {value!r} is not a date and time",
        zh="{origin} 第 {row} 行：{name} {value!r} 不是日期时间",
        fix_en="write e.g. 2024-03-04 07:45:00",
        fix_zh="按 2024-03-04 07:45:00 的格式填写",
    ),
    "parking.gate_time_empty": Text(
        en="{origin} row {row}: {name} is empty",
        zh="{origin} 第 {row} 行：{name} 为空",
        fix_en="give every entry time",
        fix_zh="每条记录都要有入场时间",
    ),
    "parking.gate_no_classes": Text(
        en="{origin}: no monthly_pass or class column and no resident plate list: "
        "every car is fitted as a visitor",
        zh="{origin}：没有 monthly_pass 或 class 列，也没有居民车牌名单：所有车辆都按访客拟合",
    ),
    "parking.fit_slot_minutes": Text(
        en="slot_minutes {slot_minutes!r} is not 60 or 15",
        zh="slot_minutes {slot_minutes!r} 不是 60 或 15",
    ),
    "parking.gate_no_rows": Text(
        en="{origin}: no rows",
        zh="{origin}：没有记录",
        fix_en="give at least one parking session",
        fix_zh="至少提供一条停车记录",
    ),
    "parking.gate_exit_before_entry": Text(
        en="{origin} row {row} (car {car}): exit_time {exit_time} is before entry_time "
        "{entry_time}",
        zh="{origin} 第 {row} 行（车辆 {car}）：exit_time {exit_time} 早于 entry_time {entry_time}",
        fix_en="correct or delete that row (a swapped or mistyped time)",
        fix_zh="更正或删除该行（时间可能填反或填错）",
    ),
    "parking.write_profiles_hourly": Text(
        en="write_profiles needs a fit with slot_minutes=60 (24 hourly values)",
        zh="write_profiles 需要 slot_minutes=60 的拟合结果（每小时一个值，共 24 个）",
    ),
    "parking.gate_log_days": Text(
        en="days must be at least 1",
        zh="days（天数）至少为 1",
    ),
    "parking.gate_log_no_home_lot": Text(
        en="generate_gate_log: no user has a home_lot to record",
        zh="generate_gate_log：没有任何用户设置了 home_lot，无记录可生成",
    ),
    # gridmap/parking/charts.py
    "parking.no_cjk_font": Text(
        en="no CJK font found (install fonts-noto-cjk, e.g. `make fonts`): "
        "parking charts use English labels only",
        zh="未找到中文字体（请安装 fonts-noto-cjk，例如运行 `make fonts`）：停车图表只用英文标注",
    ),
    # gridmap/parking/demand.py
    "parking.demand_mixed_day_types": Text(
        en="demand scenario mixes day types {day_types}: "
        "the uses' profiles describe different days",
        zh="需求情景混用了日类型 {day_types}：各用地的时变曲线描述的不是同一类日子",
    ),
    # gridmap/parking/presets.py
    "parking.preset_unknown": Text(
        en="unknown parking preset {name!r}",
        zh="未知的停车预设方案 {name!r}",
        fix_en="use one of {choices}",
        fix_zh="使用 {choices} 之一",
    ),
    "parking.walk_limit_not_positive": Text(
        en="walk_limit_m must be above 0",
        zh="walk_limit_m（步行距离上限）必须大于 0",
    ),
    "parking.no_pairs": Text(
        en="no pairs: the map needs compound lots (kind residential, or compounds) and "
        "office, commercial or public lots",
        zh="无法配对：地图中既要有小区停车场（kind 为 residential，或小区图层），"
        "也要有办公、商业或公共停车场",
        fix_en="load lots of both sides",
        fix_zh="加载两类停车场",
    ),
    "parking.no_pair_within_walk": Text(
        en="no compound has an office, commercial or public lot within {walk_limit_m:g} m",
        zh="没有小区在 {walk_limit_m:g} 米内有办公、商业或公共停车场",
        fix_en="raise walk_limit_m or check the lots layer",
        fix_zh="调大 walk_limit_m，或检查停车场图层",
    ),
    "parking.synthetic_district_size": Text(
        en="synthetic_district needs at least 2 lots and one car per lot",
        zh="synthetic_district 至少需要 2 个停车场，且每个停车场至少 1 辆车",
    ),
    # gridmap/parking/profiles.py
    "parking.profile_name_not_text": Text(
        en="{where}: a profile name must be text, not {name!r}",
        zh="{where}：时变曲线名称必须是文本，而不是 {name!r}",
    ),
    "parking.profile_is_period_table": Text(
        en="{where}: {name!r} is a period table, not an hourly profile",
        zh="{where}：{name!r} 是时段表，不是逐小时曲线",
        fix_en="add 'periods: {source}' to the scenario, or pick one of {choices}",
        fix_zh="在情景中加入 'periods: {source}'，或从以下选择：{choices}",
    ),
    "parking.profile_source_periods_only": Text(
        en="{where}: source {source!r} has only periods, no hourly profiles",
        zh="{where}：来源 {source!r} 只有时段表，没有逐小时曲线",
        fix_en="use 'periods: {source}' and profile '{source}/{use}/periods'",
        fix_zh="使用 'periods: {source}' 和 profile '{source}/{use}/periods'",
    ),
    "parking.profile_unknown": Text(
        en="{where}: unknown profile {name!r}",
        zh="{where}：未知的时变曲线 {name!r}",
        fix_en="use one of {choices}",
        fix_zh="使用以下之一：{choices}",
    ),
    "parking.profile_unknown_unqualified": Text(
        en="{where}: unknown profile {name!r} (names are qualified source/land_use/day_type)",
        zh="{where}：未知的时变曲线 {name!r}（名称格式为 来源/用地类型/日类型，即 "
        "source/land_use/day_type）",
        fix_en="use one of {choices}",
        fix_zh="使用以下之一：{choices}",
    ),
    "parking.period_table_unknown": Text(
        en="{where}: unknown period table {source!r}",
        zh="{where}：未知的时段表 {source!r}",
        fix_en="use one of {choices}",
        fix_zh="使用以下之一：{choices}",
    ),
    "parking.period_profile_foreign": Text(
        en="{where}: {name!r} is not a profile of the period table {source!r}",
        zh="{where}：{name!r} 不是时段表 {source!r} 中的曲线",
        fix_en="use one of {choices}, or list {count} values",
        fix_zh="使用 {choices} 之一，或直接列出 {count} 个数值",
    ),
    "parking.period_table_no_use": Text(
        en="{where}: period table {source!r} has no land use {use!r}",
        zh="{where}：时段表 {source!r} 中没有用地类型 {use!r}",
        fix_en="use one of {choices}",
        fix_zh="使用以下之一：{choices}",
    ),
    "parking.percent_not_number": Text(
        en="{origin} row {row}: percent {text!r} is not a number",
        zh="{origin} 第 {row} 行：percent {text!r} 不是数字",
    ),
    "parking.percent_out_of_range": Text(
        en="{origin} row {row}: percent {text!r} is outside 0-100",
        zh="{origin} 第 {row} 行：percent {text!r} 不在 0-100 之间",
    ),
    "parking.profile_row_missing_columns": Text(
        en="{origin} row {row}: empty or missing column(s) {columns}",
        zh="{origin} 第 {row} 行：以下列为空或缺失：{columns}",
        fix_en="give {required} on every row",
        fix_zh="每行都要填写 {required}",
    ),
    "parking.profile_row_slash": Text(
        en="{origin} row {row}: source_id, land_use and day_type may not contain '/'",
        zh="{origin} 第 {row} 行：source_id、land_use 和 day_type 不能包含 '/'",
    ),
    "parking.profile_hour_not_whole": Text(
        en="{origin} row {row}: hour {hour!r} is not a whole number",
        zh="{origin} 第 {row} 行：hour {hour!r} 不是整数",
    ),
    "parking.profile_hour_out_of_range": Text(
        en="{origin} row {row}: hour {hour} is outside 0-23",
        zh="{origin} 第 {row} 行：hour {hour} 不在 0-23 之间",
    ),
    "parking.profile_hour_twice": Text(
        en="{origin} row {row}: hour {hour} of {name} is given twice",
        zh="{origin} 第 {row} 行：{name} 的 hour {hour} 重复出现",
    ),
    "parking.profile_lacks_hours": Text(
        en="{origin}: profile {name} lacks hour(s) {hours}",
        zh="{origin}：时变曲线 {name} 缺少以下小时：{hours}",
        fix_en="give all 24 hours",
        fix_zh="给出全部 24 个小时",
    ),
    "parking.period_use_lacks_periods": Text(
        en="{origin}: land use {use} of {source} lacks periods",
        zh="{origin}：{source} 的用地类型 {use} 缺少部分时段",
    ),
    "parking.profile_file_missing": Text(
        en="profile file {path} does not exist",
        zh="时变曲线文件 {path} 不存在",
        fix_en="check the path",
        fix_zh="检查文件路径",
    ),
    "parking.profile_file_columns": Text(
        en="profile file {path} lacks column(s) {columns}",
        zh="时变曲线文件 {path} 缺少列：{columns}",
        fix_en="give the columns {required}",
        fix_zh="提供以下列：{required}",
    ),
    # gridmap/parking/run.py
    "parking.result_not_json": Text(
        en="parking result is not JSON-serialisable: {reason}",
        zh="停车计算结果无法写成 JSON：{reason}",
    ),
    # gridmap/parking/scenario.py
    "parking.scenario_not_mapping": Text(
        en="{where}: expected a mapping of keys, got {type}",
        zh="{where}：应为键值映射，实际是 {type}",
    ),
    "parking.scenario_missing": Text(
        en="{where}: missing",
        zh="{where}：缺少该项",
    ),
    "parking.scenario_method_missing": Text(
        en="{where}: missing",
        zh="{where}：缺少该项",
        fix_en="add 'method: demand' or 'method: simulate'",
        fix_zh="加入 'method: demand' 或 'method: simulate'",
    ),
    "parking.scenario_uses_missing": Text(
        en="{where}: missing",
        zh="{where}：缺少该项",
        fix_en="list the land uses under 'uses:'",
        fix_zh="在 'uses:' 下列出各用地",
    ),
    "parking.scenario_lots_missing": Text(
        en="{where}: missing",
        zh="{where}：缺少该项",
        fix_en="list the parking lots under 'lots:'",
        fix_zh="在 'lots:' 下列出各停车场",
    ),
    "parking.scenario_users_missing": Text(
        en="{where}: missing",
        zh="{where}：缺少该项",
        fix_en="list residents, workers and visitors",
        fix_zh="列出居民（resident）、通勤者（worker）和访客（visitor）",
    ),
    "parking.scenario_base_spaces_missing": Text(
        en="{where}: missing",
        zh="{where}：缺少该项",
        fix_en="give base_spaces (spaces at the use's peak), or ratio and size",
        fix_zh="给出 base_spaces（该用地高峰时的车位需求），或给出 ratio 和 size",
    ),
    "parking.scenario_home_lot_missing": Text(
        en="{where}: missing: a resident has a home lot",
        zh="{where}：缺少该项：居民（resident）必须有所属停车场",
    ),
    "parking.scenario_window_missing": Text(
        en="{where}: missing: shared spaces need a time window",
        zh="{where}：缺少该项：共享车位需要共享时段",
        fix_en="e.g. window: '18:00-08:00' ('00:00-24:00' for the whole day)",
        fix_zh="例如 window: '18:00-08:00'（全天共享写 '00:00-24:00'）",
    ),
    "parking.scenario_not_number": Text(
        en="{where}: {value!r} is not a number",
        zh="{where}：{value!r} 不是数字",
    ),
    "parking.scenario_not_whole": Text(
        en="{where}: {value!r} is not a whole number",
        zh="{where}：{value!r} 不是整数",
    ),
    "parking.scenario_not_finite": Text(
        en="{where}: {value!r} is not a finite number",
        zh="{where}：{value!r} 不是有限数值",
    ),
    "parking.scenario_negative": Text(
        en="{where}: {value!r} is negative",
        zh="{where}：{value!r} 为负数",
        fix_en="give a value >= {minimum}",
        fix_zh="取值应大于等于 {minimum}",
    ),
    "parking.scenario_below_minimum": Text(
        en="{where}: {value!r} is below {minimum}",
        zh="{where}：{value!r} 小于 {minimum}",
        fix_en="give a value >= {minimum}",
        fix_zh="取值应大于等于 {minimum}",
    ),
    "parking.scenario_not_above": Text(
        en="{where}: {value!r} must be above {above}",
        zh="{where}：{value!r} 必须大于 {above}",
    ),
    "parking.scenario_above_maximum": Text(
        en="{where}: {value!r} is above {maximum}",
        zh="{where}：{value!r} 大于 {maximum}",
        fix_en="give a value <= {maximum}",
        fix_zh="取值应小于等于 {maximum}",
    ),
    "parking.scenario_not_choice": Text(
        en="{where}: {value!r} is not one of {choices}",
        zh="{where}：{value!r} 不在可选值 {choices} 之中",
    ),
    "parking.scenario_not_text": Text(
        en="{where}: {value!r} is not a non-empty text",
        zh="{where}：{value!r} 不是非空文本",
    ),
    "parking.scenario_unknown_key": Text(
        en="{origin}: {where} is not a scenario key; did you mean {suggestion!r}?",
        zh="{origin}：{where} 不是情景中的有效键；是否应为 {suggestion!r}？",
    ),
    "parking.time_unquoted": Text(
        en="{where}: {value!r} is not a time 'HH:MM' "
        "(YAML reads an unquoted time like 18:30 as a number)",
        zh="{where}：{value!r} 不是 'HH:MM' 格式的时间（YAML 会把不加引号的 18:30 读成数字）",
        fix_en="write the time in quotes, e.g. '18:30'",
        fix_zh="给时间加上引号，例如 '18:30'",
    ),
    "parking.time_bad": Text(
        en="{where}: {value!r} is not a time 'HH:MM'",
        zh="{where}：{value!r} 不是 'HH:MM' 格式的时间",
        fix_en="e.g. '07:45'",
        fix_zh="例如 '07:45'",
    ),
    "parking.time_invalid": Text(
        en="{where}: {value!r} is not a valid time of day",
        zh="{where}：{value!r} 不是有效的一天中的时刻",
    ),
    "parking.window_bad": Text(
        en="{where}: {value!r} is not a window 'HH:MM-HH:MM'",
        zh="{where}：{value!r} 不是 'HH:MM-HH:MM' 格式的时段",
        fix_en="e.g. '18:00-08:00' (an end before the start runs past midnight)",
        fix_zh="例如 '18:00-08:00'（结束早于开始表示跨过午夜）",
    ),
    "parking.window_equal": Text(
        en="{where}: window {value!r} has equal start and end",
        zh="{where}：时段 {value!r} 的开始和结束时间相同",
        fix_en="give different times; '00:00-24:00' opens the whole day",
        fix_zh="开始和结束应不同；全天开放写 '00:00-24:00'",
    ),
    "parking.scenario_file_missing": Text(
        en="scenario file {path} does not exist",
        zh="情景文件 {path} 不存在",
        fix_en="check the path",
        fix_zh="检查文件路径",
    ),
    "parking.scenario_file_too_large": Text(
        en="scenario file {path} is too large",
        zh="情景文件 {path} 过大",
        fix_en="a scenario is a short YAML",
        fix_zh="情景文件应是简短的 YAML",
    ),
    "parking.scenario_yaml_invalid": Text(
        en="{path}: not valid YAML ({reason})",
        zh="{path}：不是有效的 YAML（{reason}）",
        fix_en="fix the YAML",
        fix_zh="修正 YAML 语法",
    ),
    "parking.scenario_yaml_invalid_at": Text(
        en="{path} line {line}: not valid YAML ({reason})",
        zh="{path} 第 {line} 行：不是有效的 YAML（{reason}）",
        fix_en="fix the YAML",
        fix_zh="修正 YAML 语法",
    ),
    "parking.scenario_not_utf8": Text(
        en="{path}: not UTF-8 text",
        zh="{path}：不是 UTF-8 编码的文本",
        fix_en="save the scenario as UTF-8",
        fix_zh="将情景文件另存为 UTF-8 编码",
    ),
    "parking.scenario_file_not_mapping": Text(
        en="{path}: a scenario is a mapping of keys",
        zh="{path}：情景文件应为键值映射",
        fix_en="start with 'method:'",
        fix_zh="以 'method:' 开头",
    ),
    "parking.scenario_profile_files": Text(
        en="{where}: expected a list of file paths",
        zh="{where}：应为文件路径列表",
    ),
    "parking.scenario_profile_kind": Text(
        en="{where}: expected a profile name or a list of percent values",
        zh="{where}：应为时变曲线名称或百分比数值列表",
    ),
    "parking.scenario_profile_length": Text(
        en="{where}: has {count} values",
        zh="{where}：有 {count} 个数值",
        fix_en="give {length} values (percent of peak per slot)",
        fix_zh="给出 {length} 个数值（每个时段占高峰的百分比）",
    ),
    "parking.scenario_profile_length_either": Text(
        en="{where}: has {count} values",
        zh="{where}：有 {count} 个数值",
        fix_en="give {length} or {other} values (percent of peak per slot)",
        fix_zh="给出 {length} 或 {other} 个数值（每个时段占高峰的百分比）",
    ),
    "parking.scenario_slot_minutes_with_periods": Text(
        en="{where}: does not apply when 'periods' is given",
        zh="{where}：给出 'periods' 时不适用",
        fix_en="remove one of them",
        fix_zh="两者删去其一",
    ),
    "parking.scenario_demand_slot_minutes": Text(
        en="{where}: {value!r} is not 60 or 15",
        zh="{where}：{value!r} 不是 60 或 15",
    ),
    "parking.scenario_uses_empty": Text(
        en="{where}: expected a non-empty list of uses",
        zh="{where}：应为非空的用地列表",
    ),
    "parking.scenario_duplicate_use": Text(
        en="{where}: duplicate use name {name!r}",
        zh="{where}：用地名称 {name!r} 重复",
    ),
    "parking.scenario_spaces_both": Text(
        en="{where}: give base_spaces or ratio and size, not both",
        zh="{where}：base_spaces 与 ratio 加 size 只能给出一种，不能同时给出",
    ),
    "parking.scenario_profile_96_hourly": Text(
        en="{where}: has 96 values but slot_minutes is 60",
        zh="{where}：有 96 个数值，但 slot_minutes 为 60",
        fix_en="give 24 values, or set slot_minutes: 15",
        fix_zh="给出 24 个数值，或设置 slot_minutes: 15",
    ),
    "parking.scenario_position_both": Text(
        en="{where}: give x/y (metres) or lon/lat, not both",
        zh="{where}：x/y（米）与 lon/lat 只能给出一种，不能同时给出",
    ),
    "parking.scenario_histogram_zero": Text(
        en="{where}: has no positive value",
        zh="{where}：没有正数值",
    ),
    "parking.scenario_key_not_for_class": Text(
        en="{where}: does not apply to class {cls}",
        zh="{where}：不适用于 class {cls}",
        fix_en="a {cls} takes {keys}",
        fix_zh="class 为 {cls} 的用户可用：{keys}",
    ),
    "parking.scenario_day_start_slot": Text(
        en="{where}: must fall on a slot boundary",
        zh="{where}：必须落在时段分界点上",
    ),
    "parking.scenario_not_bool": Text(
        en="{where}: {value!r} is not true or false",
        zh="{where}：{value!r} 不是 true 或 false",
    ),
    "parking.scenario_lots_empty": Text(
        en="{where}: expected a non-empty list of lots",
        zh="{where}：应为非空的停车场列表",
    ),
    "parking.scenario_lot_id_invalid": Text(
        en="{where}: {value!r} is not an id",
        zh="{where}：{value!r} 不是有效的编号",
    ),
    "parking.scenario_duplicate_lot": Text(
        en="{where}: duplicate lot_id {lot_id!r}",
        zh="{where}：lot_id {lot_id!r} 重复",
    ),
    "parking.scenario_reserved_above_capacity": Text(
        en="{where}: reserve {reserved} is above capacity {capacity}",
        zh="{where}：保留车位 {reserved} 个，超过总车位 {capacity} 个",
        fix_en="reserved spaces are part of the capacity",
        fix_zh="保留车位（reserved）包含在总车位（capacity）之内",
    ),
    "parking.scenario_shared_above_capacity": Text(
        en="{where}: shared {shared} + reserved {reserved} is above capacity {capacity}",
        zh="{where}：共享车位 {shared} 个加保留车位 {reserved} 个，超过总车位 {capacity} 个",
        fix_en="reserved spaces are never shared; lower shared or reserved",
        fix_zh="保留车位不参与共享；请调低 shared 或 reserved",
    ),
    "parking.scenario_users_empty": Text(
        en="{where}: expected a non-empty list of users",
        zh="{where}：应为非空的用户列表",
    ),
    "parking.scenario_duplicate_user": Text(
        en="{where}: duplicate user name {name!r}",
        zh="{where}：用户名称 {name!r} 重复",
    ),
    "parking.scenario_unknown_lot": Text(
        en="{where}: unknown lot id {lot_id!r}",
        zh="{where}：未知的停车场编号 {lot_id!r}",
        fix_en="use one of {choices}",
        fix_zh="使用以下之一：{choices}",
    ),
    "parking.scenario_weekend_override": Text(
        en="{where}: cannot override {keys}",
        zh="{where}：不能覆盖 {keys}",
    ),
    "parking.scenario_mixed_positions": Text(
        en="{where}: mix of x/y and lon/lat positions",
        zh="{where}：位置混用了 x/y 和 lon/lat",
        fix_en="use one kind",
        fix_zh="统一使用其中一种",
    ),
    "parking.scenario_unknown_user": Text(
        en="{where}: unknown user {name!r}",
        zh="{where}：未知的用户 {name!r}",
        fix_en="use one of {choices}",
        fix_zh="使用以下之一：{choices}",
    ),
    # gridmap/parking/simulate.py
    "parking.user_unreachable": Text(
        en="users[{index}] ({name}): no home_lot and no distance to any lot "
        "(give x/y or lon/lat to it and the lots, or distances): all its cars go unmet",
        zh="users[{index}]（{name}）：既没有 home_lot，也没有到任何停车场的距离"
        "（请为它和各停车场给出 x/y 或 lon/lat，或给出 distances）：它的车辆全部无处停放",
    ),
    # gridmap/parking/sweep.py
    "parking.sweep_not_simulate": Text(
        en="sweep: the scenario's method must be 'simulate'",
        zh="sweep：情景的 method 必须是 'simulate'",
    ),
    "parking.sweep_unknown_lot": Text(
        en="sweep: unknown lot id {lot_id!r}",
        zh="sweep：未知的停车场编号 {lot_id!r}",
        fix_en="use one of {choices}",
        fix_zh="使用以下之一：{choices}",
    ),
    "parking.sweep_no_values": Text(
        en="sweep: no values to try",
        zh="sweep：没有要试算的数值",
        fix_en="give numbers of shared spaces",
        fix_zh="给出若干共享车位数",
    ),
    "parking.sweep_value_out_of_range": Text(
        en="sweep: {value} shared spaces for lot {lot_id!r} is outside 0-{limit}",
        zh="sweep：停车场 {lot_id!r} 的共享车位数 {value} 不在 0-{limit} 之间",
        fix_en="shared spaces are at most capacity - reserved",
        fix_zh="共享车位最多为总车位减保留车位（capacity - reserved）",
    ),
    "parking.sweep_threshold_negative": Text(
        en="sweep: threshold_per_100_days is negative",
        zh="sweep：threshold_per_100_days 为负数",
    ),
}
