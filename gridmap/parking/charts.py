"""Charts of parking results, with Chinese labels, written deterministically.

Chinese text needs a CJK font: 'Noto Sans CJK SC' (Debian fonts-noto-cjk, which
``make fonts`` installs) is preferred, other common CJK fonts are accepted;
without one the charts fall back to English-only labels with a warning, so no
glyph is drawn as a box. PNG and SVG files carry fixed metadata and a fixed SVG
hash salt, so the same result gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure

from gridmap.errors import warn
from gridmap.io import atomic_path
from gridmap.messages import msg

__all__ = ["CJK_FONTS", "cjk_font", "plot_occupancy", "plot_sweep", "plot_demand", "save_figure"]

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
)
# Most lots drawn in one occupancy chart (the largest by capacity).
MAX_LOT_PANELS = 12
_RC = {
    "svg.hashsalt": "gridmap",
    "svg.fonttype": "path",
    "axes.unicode_minus": False,
    "font.size": 9,
}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed CJK font of :data:`CJK_FONTS`, or None."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def _labels() -> tuple[bool, dict[str, Any]]:
    font = cjk_font()
    rc = dict(_RC)
    if font is None:
        warn(msg("parking.no_cjk_font"))
        return False, rc
    rc["font.family"] = "sans-serif"
    rc["font.sans-serif"] = [font, "DejaVu Sans"]
    return True, rc


def _t(chinese: bool, zh: str, en: str) -> str:
    return f"{zh} {en}" if chinese else en


def save_figure(fig: Figure, stem: Path, formats: Sequence[str]) -> list[Path]:
    """Write ``fig`` as ``stem.<format>`` for each format, atomically, with fixed metadata."""
    paths = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        metadata: dict[str, Any] = (
            {"Date": None, "Creator": "gridmap"} if fmt == "svg" else {"Software": "gridmap"}
        )
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, metadata=metadata, dpi=120)
        paths.append(path)
    return paths


def plot_occupancy(
    result: Mapping[str, Any], stem: str | Path, *, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Occupancy over the day per lot: median, mean and the 5-95 % band over days.

    Parameters
    ----------
    result : mapping
        A ``method: simulate`` result (needs ``occupancy_profile``, ``slot_times``).
    stem : str or Path
        Output path without suffix.
    formats : sequence of str
        File formats.

    Returns
    -------
    list of Path
    """
    chinese, rc = _labels()
    profiles = result["occupancy_profile"]
    times = result["slot_times"]
    lots = sorted(profiles, key=lambda k: (-profiles[k]["capacity"], k))[:MAX_LOT_PANELS]
    cols = min(3, len(lots))
    rows = -(-len(lots) // cols)
    x = np.arange(len(times))
    ticks = [i for i, t in enumerate(times) if t.endswith(":00") and int(t[:2]) % 4 == 0]
    with matplotlib.rc_context(cast(Any, rc)):
        fig = Figure(figsize=(4.2 * cols, 2.8 * rows + 0.6), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.ravel()[len(lots) :]:
            ax.set_visible(False)
        for ax, lot in zip(axes.ravel(), lots, strict=False):
            prof = profiles[lot]
            ax.fill_between(
                x, prof["p5"], prof["p95"], color="#9ecae1", alpha=0.6,
                label=_t(chinese, "5–95%区间", "5-95% band"),
            )  # fmt: skip
            ax.plot(x, prof["p50"], color="#08519c", lw=1.4, label=_t(chinese, "中位数", "median"))
            ax.plot(
                x, prof["mean"], color="#08519c", lw=0.8, ls="--", label=_t(chinese, "均值", "mean")
            )
            ax.plot(
                x, prof["outsiders_mean"], color="#e6550d", lw=1.0,
                label=_t(chinese, "外来车辆(均值)", "outsiders (mean)"),
            )  # fmt: skip
            ax.axhline(prof["capacity"], color="#555555", lw=0.8, ls=":")
            ax.set_title(f"{lot} ({_t(chinese, '容量', 'capacity')} {prof['capacity']})")
            ax.set_xticks(ticks, [times[i] for i in ticks])
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
        axes[0, 0].set_ylabel(_t(chinese, "停放车辆", "cars parked"))
        axes[0, 0].legend(loc="lower left", fontsize=7)
        days = result.get("days")
        fig.suptitle(
            _t(chinese, "各停车场全天占用", "occupancy over the day")
            + (f" ({days} {_t(chinese, '天', 'days')})" if days else "")
        )
        return save_figure(fig, Path(stem), formats)


def plot_sweep(
    sweep: Mapping[str, Any], stem: str | Path, *, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Conflicts, utilisation and revenue against the number of shared spaces.

    The largest number under the threshold (``best``) is marked.
    """
    chinese, rc = _labels()
    values = np.asarray(sweep["values"], dtype=float)
    with matplotlib.rc_context(cast(Any, rc)):
        fig = Figure(figsize=(6.4, 7.0), layout="constrained")
        axes = fig.subplots(3, 1, sharex=True)
        for curve in sweep.get("curves") or [sweep]:
            label = curve.get("window")
            axes[0].plot(values, curve["conflicts_per_100_days"], marker="o", ms=3, label=label)
            axes[1].plot(values, curve["utilization"], marker="o", ms=3, label=label)
            axes[2].plot(values, curve["revenue"], marker="o", ms=3, label=label)
        axes[0].axhline(sweep["threshold_per_100_days"], color="#d62728", ls="--", lw=0.9)
        axes[0].set_ylabel(_t(chinese, "冲突(次/百日)", "conflicts / 100 days"))
        axes[1].set_ylabel(_t(chinese, "利用率", "utilisation"))
        axes[2].set_ylabel(_t(chinese, "收入(元/日)", "revenue / day"))
        axes[2].set_xlabel(_t(chinese, "共享车位数", "shared spaces"))
        if sweep.get("best") is not None:
            for ax in axes:
                ax.axvline(sweep["best"], color="#2ca02c", lw=1.2)
            axes[0].annotate(
                _t(chinese, f"最多共享 {sweep['best']} 个", f"at most {sweep['best']}"),
                (sweep["best"], sweep["threshold_per_100_days"]),
                textcoords="offset points", xytext=(5, 8), color="#2ca02c",
            )  # fmt: skip
        if len(sweep.get("curves") or []) > 1:
            axes[0].legend(title=_t(chinese, "时段", "window"), fontsize=7)
        for ax in axes:
            ax.grid(alpha=0.3)
        fig.suptitle(
            _t(chinese, f"{sweep['lot_id']} 共享车位方案", f"{sweep['lot_id']} sharing sweep")
        )
        return save_figure(fig, Path(stem), formats)


def plot_demand(
    result: Mapping[str, Any], stem: str | Path, *, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Shared-parking demand per slot, stacked by use, with the peak marked."""
    chinese, rc = _labels()
    labels = result["slot_labels"]
    x = np.arange(len(labels))
    with matplotlib.rc_context(cast(Any, rc)):
        fig = Figure(figsize=(7.0, 3.6), layout="constrained")
        ax = fig.subplots()
        bottom = np.zeros(len(labels))
        for name, values in result["uses"].items():
            ax.bar(x, values, bottom=bottom, label=name, width=0.85)
            bottom += np.asarray(values, dtype=float)
        ax.plot(x, result["hourly_total"], color="black", lw=1.0)
        ax.annotate(
            _t(chinese, f"峰值 {result['peak']}", f"peak {result['peak']}"),
            (result["peak_slot"], result["peak"]), textcoords="offset points", xytext=(0, 6),
            ha="center",
        )  # fmt: skip
        step = max(1, len(labels) // 12)
        ax.set_xticks(x[::step], [labels[i] for i in range(0, len(labels), step)], rotation=45)
        ax.set_ylabel(_t(chinese, "所需车位", "spaces needed"))
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3, axis="y")
        ax.set_title(
            _t(chinese, "共享停车需求", "shared parking demand")
            + f" ({_t(chinese, '节省', 'saving')} {result['savings']})"
        )
        return save_figure(fig, Path(stem), formats)
