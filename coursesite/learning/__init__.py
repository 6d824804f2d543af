"""The learner's pages: "My learning", the lecture player, media delivery, progress and search."""
