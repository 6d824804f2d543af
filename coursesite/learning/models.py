"""The learner's own records, private to them: none yet.

The learning issue adds here ``LectureProgress`` (user, lecture, watched intervals as a merged union, last and
furthest position, seconds on task, first/last played, completed_at) and ``Note`` (user, lecture, media second, text;
private to its author). ``create_app`` already imports this module with every package's models, so tables defined
here reach the metadata and Alembic without further wiring.
"""
