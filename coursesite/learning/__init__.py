"""The lecture player, media delivery, progress and search."""
