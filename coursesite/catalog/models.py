from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from coursesite.caching import CachedContent
from coursesite.models_base import Model, TimestampMixin, one_of

LECTURE_KINDS = {
    "video_lecture": "Video lecture",
    "audio_lecture": "Audio lecture",
    "interview": "Interview",
    "conversation": "Conversation",
}
LEVELS = ("introductory", "intermediate", "advanced")
# The bodies whose approval a module may carry (``approvals:`` in module.yaml), with their full names.
APPROVING_BODIES = {
    "APA": "American Psychological Association",
    "ASWB ACE": "Association of Social Work Boards, Approved Continuing Education",
    "NBCC": "National Board for Certified Counselors",
}
# The format every certificate names (CE rules ask for it): the site's modules are recorded, self-paced.
CERTIFICATE_FORMAT = "Home study / on-demand online"


class ModulePart:
    """The columns of every row that belongs to one module and has its place in the module's order (lectures, guides,
    glossary terms, references, questions): deleting the module deletes it. Its ``natural_key`` column (the name the
    content files give it) is unique within the module; a model with more table arguments lists that constraint
    with them (as ``Lecture`` does)."""

    natural_key: ClassVar[str] = "slug"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("module_id", cls.natural_key),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)


class Module(CachedContent, TimestampMixin, Model):
    __tablename__ = "modules"
    __table_args__ = (
        one_of("level", LEVELS),
        CheckConstraint("ce_hours > 0", name="ce_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    ce_hours: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(20), default="intermediate")
    audience: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)
    approval_statement: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the test and certificate are offered (``certificate:`` in module.yaml); a module offering them names
    # its sponsor and at least one approving body.
    offers_certificate: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # The sponsor block: who is responsible for the programme, as the certificate names it.
    sponsor_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    sponsor_contact: Mapped[str] = mapped_column(String(500), default="", server_default="")
    signatory_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="", server_default="")

    lectures: Mapped[list[Lecture]] = relationship(
        back_populates="module", order_by="Lecture.position", cascade="all, delete-orphan"
    )
    guides: Mapped[list[StudyGuide]] = relationship(
        back_populates="module", order_by="StudyGuide.position", cascade="all, delete-orphan"
    )
    glossary: Mapped[list[GlossaryTerm]] = relationship(
        back_populates="module", order_by="GlossaryTerm.position", cascade="all, delete-orphan"
    )
    references: Mapped[list[Reference]] = relationship(
        back_populates="module", order_by="Reference.position", cascade="all, delete-orphan"
    )
    approvals: Mapped[list[Approval]] = relationship(
        back_populates="module", order_by="Approval.position", cascade="all, delete-orphan"
    )

    @property
    def duration_seconds(self) -> float:
        return sum(lecture.duration_seconds for lecture in self.lectures)

    @property
    def certificate_format(self) -> str:
        return CERTIFICATE_FORMAT

    @property
    def speakers(self) -> list[Speaker]:
        """Everyone who speaks in the module, in order of first appearance."""
        unique: dict[int, Speaker] = {}
        for lecture in self.lectures:
            for speaker in lecture.speakers:
                unique.setdefault(speaker.id, speaker)
        return list(unique.values())

    @property
    def lecture_kinds(self) -> list[str]:
        return sorted({lecture.kind for lecture in self.lectures}, key=list(LECTURE_KINDS).index)

    def __repr__(self) -> str:
        return f"<Module {self.slug}>"


class Speaker(CachedContent, TimestampMixin, Model):
    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    credentials: Mapped[str] = mapped_column(String(80), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    photo_path: Mapped[str | None] = mapped_column(String(255))

    resources: Mapped[list[Resource]] = relationship(
        back_populates="speaker", order_by="Resource.position", cascade="all, delete-orphan"
    )
    lecture_links: Mapped[list[LectureSpeaker]] = relationship(back_populates="speaker")

    @property
    def display_name(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class Resource(CachedContent, Model):
    """An extra resource recommended with a speaker (a book, article, video or website)."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speakers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20), default="website")
    note: Mapped[str] = mapped_column(Text, default="")

    speaker: Mapped[Speaker] = relationship(back_populates="resources")


class Lecture(ModulePart, CachedContent, TimestampMixin, Model):
    __tablename__ = "lectures"
    __table_args__ = (
        UniqueConstraint("module_id", "slug"),
        one_of("kind", LECTURE_KINDS),
        CheckConstraint("duration_seconds >= 0", name="duration_seconds"),
    )

    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    duration_seconds: Mapped[float] = mapped_column(Float)
    preview: Mapped[bool] = mapped_column(Boolean, default=False)
    # Paths are relative to MEDIA_ROOT and named by content hash, so a re-import never rewrites a file in use.
    media_path: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(40))
    captions_path: Mapped[str] = mapped_column(String(255))
    slides_path: Mapped[str | None] = mapped_column(String(255))
    # The transcript: [{"start": s, "end": s, "speaker": name | None, "text": str}, ...] derived from the captions.
    cues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    module: Mapped[Module] = relationship(back_populates="lectures")
    speaker_links: Mapped[list[LectureSpeaker]] = relationship(
        back_populates="lecture", order_by="LectureSpeaker.position", cascade="all, delete-orphan"
    )
    reference_links: Mapped[list[LectureReference]] = relationship(
        back_populates="lecture", order_by="LectureReference.position", cascade="all, delete-orphan"
    )

    @property
    def speakers(self) -> list[Speaker]:
        return [link.speaker for link in self.speaker_links]

    @property
    def references(self) -> list[Reference]:
        """The works this lecture cites (its front matter's ``references``), in the order given there."""
        return [link.reference for link in self.reference_links]

    @property
    def kind_label(self) -> str:
        return LECTURE_KINDS[self.kind]


class LectureSpeaker(CachedContent, Model):
    __tablename__ = "lecture_speakers"

    lecture_id: Mapped[int] = mapped_column(ForeignKey("lectures.id", ondelete="CASCADE"), primary_key=True)
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speakers.id", ondelete="RESTRICT"), primary_key=True,
                                            index=True)
    position: Mapped[int] = mapped_column(Integer)

    lecture: Mapped[Lecture] = relationship(back_populates="speaker_links")
    speaker: Mapped[Speaker] = relationship(back_populates="lecture_links")


class StudyGuide(ModulePart, CachedContent, TimestampMixin, Model):
    __tablename__ = "study_guides"
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")

    module: Mapped[Module] = relationship(back_populates="guides")


class GlossaryTerm(ModulePart, CachedContent, Model):
    __tablename__ = "glossary_terms"
    slug: Mapped[str] = mapped_column(String(120))
    term: Mapped[str] = mapped_column(String(120))
    definition: Mapped[str] = mapped_column(Text)
    related: Mapped[list[str]] = mapped_column(JSON, default=list)

    module: Mapped[Module] = relationship(back_populates="glossary")


class Reference(ModulePart, CachedContent, Model):
    """A bibliography entry of a module."""

    __tablename__ = "references"
    natural_key = "key"

    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    authors: Mapped[str] = mapped_column(String(500))
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    container: Mapped[str] = mapped_column(String(300), default="")
    publisher: Mapped[str] = mapped_column(String(200), default="")
    volume: Mapped[str] = mapped_column(String(20), default="")
    issue: Mapped[str] = mapped_column(String(20), default="")
    pages: Mapped[str] = mapped_column(String(40), default="")
    doi: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    seminal: Mapped[bool] = mapped_column(Boolean, default=False)
    annotation: Mapped[str] = mapped_column(Text, default="")

    module: Mapped[Module] = relationship(back_populates="references")
    lecture_links: Mapped[list[LectureReference]] = relationship(
        order_by="LectureReference.lecture_id", viewonly=True
    )

    @property
    def link(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else self.url


class Approval(ModulePart, CachedContent, Model):
    """An approving body's approval of a module (``approvals:`` in module.yaml), with its statement word for word as
    the certificate prints it."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("module_id", "body"), one_of("body", APPROVING_BODIES),
                      CheckConstraint("credits > 0", name="credits"))
    natural_key = "body"

    body: Mapped[str] = mapped_column(String(20))
    statement: Mapped[str] = mapped_column(Text)
    provider_number: Mapped[str] = mapped_column(String(80), default="")
    approval_period: Mapped[str] = mapped_column(String(120), default="")
    credits: Mapped[float] = mapped_column(Float)

    module: Mapped[Module] = relationship(back_populates="approvals")

    @property
    def body_name(self) -> str:
        return APPROVING_BODIES[self.body]


class LectureReference(CachedContent, Model):
    """A work of the module's bibliography that a lecture cites (the lecture's front matter ``references``)."""

    __tablename__ = "lecture_references"

    lecture_id: Mapped[int] = mapped_column(ForeignKey("lectures.id", ondelete="CASCADE"), primary_key=True)
    reference_id: Mapped[int] = mapped_column(ForeignKey("references.id", ondelete="CASCADE"), primary_key=True,
                                              index=True)
    position: Mapped[int] = mapped_column(Integer)

    lecture: Mapped[Lecture] = relationship(back_populates="reference_links")
    reference: Mapped[Reference] = relationship()
