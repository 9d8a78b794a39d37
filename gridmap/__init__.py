"""gridmap."""
