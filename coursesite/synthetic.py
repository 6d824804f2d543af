"""A synthetic catalogue of any size, for the benchmarks and the query-count tests.

The rows look like imported content (default price tiers, speakers, lectures with cues) but point at no media
files: pages that list and describe modules never open them.
"""
from __future__ import annotations

from coursesite.billing.content import apply_prices
from coursesite.catalog.models import GlossaryTerm, Lecture, LectureSpeaker, Module, Reference, Speaker, StudyGuide
from coursesite.extensions import db

KINDS = ("video_lecture", "audio_lecture", "interview", "conversation")


def add_synthetic_modules(count: int, lectures_per_module: int = 6, start: int = 1) -> list[Module]:
    """Add ``count`` published modules (slugs ``synthetic-<n>``) and commit."""
    speakers = [Speaker(slug=f"synthetic-speaker-{start}-{i}", name=f"Speaker {start}-{i}", credentials="PhD",
                        bio="A synthetic speaker.") for i in range(3)]
    db.session.add_all(speakers)
    modules = []
    for number in range(start, start + count):
        module = Module(
            slug=f"synthetic-{number}", title=f"Synthetic module {number}", subtitle="Generated for measurement",
            summary="A **generated** module.\n\nIt has several paragraphs of summary.", ce_hours=6 + number % 12,
            level="intermediate", audience="Psychologists.", objectives=[f"Describe idea {i}." for i in range(6)],
            approval_statement="Coursesite Continuing Education is the sponsor of this program.", published=True,
        )
        module.lectures = [_lecture(number, position, speakers) for position in range(1, lectures_per_module + 1)]
        module.guides = [StudyGuide(slug=f"guide-{i}", position=i, title=f"Guide {i}", summary="A guide.",
                                    body="Text.") for i in range(1, 3)]
        module.glossary = [GlossaryTerm(position=i, slug=f"term-{i}", term=f"Term {i}", definition="Meaning.")
                           for i in range(1, 11)]
        module.references = [Reference(position=i, key=f"ref-{i}", kind="book", authors="Author, A.", year=2000 + i,
                                       title=f"Book {i}", seminal=i < 3) for i in range(1, 11)]
        db.session.add(module)
        db.session.flush()
        apply_prices(module, {})
        modules.append(module)
    db.session.commit()
    return modules


def _lecture(number: int, position: int, speakers: list[Speaker]) -> Lecture:
    lecture = Lecture(
        position=position, slug=f"lecture-{position}", title=f"Lecture {position} of module {number}",
        kind=KINDS[position % len(KINDS)], summary="What this lecture covers.", notes="Notes.",
        duration_seconds=120.0 + position, preview=position == 1, media_path=f"lectures/synthetic-{number}.m4a",
        media_type="audio/mp4", captions_path=f"lectures/synthetic-{number}.vtt",
        slides_path=None, cues=[{"start": 0.0, "end": 2.0, "speaker": None, "text": "Hello."}],
    )
    lecture.speaker_links = [LectureSpeaker(speaker=speakers[position % len(speakers)], position=1)]
    return lecture
