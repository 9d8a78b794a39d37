""" "1+10" party members: responsibility areas, organisation tree, shortfall.

Each party member (党员) looks after about ten households (党员责任区). The
main entry point is :func:`assign_members`; the other functions are its
steps, usable on their own.
"""

from __future__ import annotations

from gridmap.members.assign import MemberAssignment, assign_members
from gridmap.members.blocks import footprint_slices, split_households
from gridmap.members.distance import StreetGraph, street_graph, walk_distances
from gridmap.members.shortfall import grid_neighbours, summarize_shortfall
from gridmap.members.synthetic import synthesize_members
from gridmap.members.tree import LEVELS, MODELS, assign_roles, build_tree, tabulate_tree

__all__ = [
    "LEVELS",
    "MODELS",
    "MemberAssignment",
    "StreetGraph",
    "assign_members",
    "assign_roles",
    "build_tree",
    "footprint_slices",
    "grid_neighbours",
    "split_households",
    "street_graph",
    "summarize_shortfall",
    "synthesize_members",
    "tabulate_tree",
    "walk_distances",
]
