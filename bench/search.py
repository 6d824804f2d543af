"""Search latency over a generated corpus of transcripts, on SQLite (FTS5) and on PostgreSQL (tsvector + GIN).

The corpus: ``--hours`` lecture-hours (default 1,000) of synthetic transcripts, one cue per 5 seconds (720 an hour,
so 720,000 cues for 1,000 hours), in modules of 10 one-hour lectures, written from original word lists below with a
Zipf-like frequency (a few words in most cues, most words in few), each module with guides, glossary and
references like the synthetic catalogue's. Everything is indexed through coursesite.learning.search.index_module,
the function the content import calls.

Measured, per database, in one process: the time of ``search()`` (the SQL, the marking of the hits and building
their links) for a few hundred queries of one and two words of every frequency, as a learner who may read 10 modules,
as an editor who may read them all and as a visitor (the catalogue only); then the whole search page (routing, the
login session, rendering) as that learner, next to a bare Flask hello-world answered the same way in the same run.

    make bench                                          # SQLite, and PostgreSQL when BENCH_POSTGRES_URL is set
    .venv/bin/python bench/search.py --hours 1000 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/bench
    (the PostgreSQL database's public schema is dropped and recreated)
"""
from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CUE_SECONDS = 5.0
LECTURES_PER_MODULE = 10
MODULE_READER_MODULES = 10
NO_PASSWORD = "!"  # noqa: S105 - not a password: a hash no password has

# Original word lists: clinical vocabulary written for this benchmark, then pseudo-words made from syllables, so
# the vocabulary is large (about 6,000 words) like real speech.
_WORDS_TEXT = """
alliance rupture repair enactment impasse mentalizing attachment secure base supervision containment projection
splitting countertransference transference intersubjective relational dyad affect regulation attunement empathy
curiosity reflection pattern session client therapist patient frame boundary silence pause narrative memory trauma
shame guilt anger grief longing safety trust feedback outcome measure practice deliberate rehearsal expectancy hope
ritual explanation rationale agreement goal task bond dropout engagement ambivalence resistance defence anxiety
depression loneliness family couple group team ward clinic nurse psychiatrist social worker referral assessment
formulation hypothesis evidence trial effect size variance benchmark caseload burnout stress reflective meeting
handover conflict power culture identity race class gender language interpreter history childhood parent infant
caregiver play dream fantasy symbol metaphor body breath tension posture gesture voice tone rhythm timing presence
absence ending termination beginning contract fee missed late cancelled holiday break return progress setback
humility doubt certainty error mistake correction learning skill expertise mastery training trainee tape recording
"""
WORDS = _WORDS_TEXT.split()
SYLLABLES = ("ka", "lo", "mi", "ren", "tas", "vel", "dor", "shi", "pa", "qui", "bra", "nel", "sto", "fin", "gar",
             "hu", "jo", "ple", "rix", "tum", "zan", "we", "cor", "bli", "mun", "sep", "tra", "vok", "yel", "dri")
FILLERS = ("the", "and", "of", "to", "in", "that", "is", "it", "we", "you", "so", "this", "with", "what", "when")


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words = list(dict.fromkeys(WORDS))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    rng.shuffle(words)
    return words


class Speech:
    """Cue texts: 8-16 words drawn with weight 1/rank (Zipf), with function words between them."""

    def __init__(self, words: list[str], rng: random.Random) -> None:
        self.words, self.rng = words, rng
        self.cumulative = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))

    def cue(self) -> str:
        count = self.rng.randint(8, 16)
        content = self.rng.choices(self.words, cum_weights=self.cumulative, k=count)
        fillers = self.rng.choices(FILLERS, k=count // 2)
        text = content + fillers
        self.rng.shuffle(text)
        return " ".join(text).capitalize() + "."


def build_corpus(hours: int, speech: Speech) -> int:
    """Add ``hours`` one-hour lectures in published modules of 10, index each module, commit; the cue count."""
    from coursesite.billing.content import apply_prices
    from coursesite.catalog.models import GlossaryTerm, Lecture, LectureSpeaker, Module, Reference, Speaker
    from coursesite.extensions import db
    from coursesite.learning.search import index_module

    speakers = [Speaker(slug=f"bench-speaker-{n}", name=f"{speech.cue().split()[0]} Speaker {n}",
                        credentials="PhD", title="Synthetic speaker", bio=speech.cue()) for n in range(20)]
    db.session.add_all(speakers)
    cues_per_lecture = int(3600 / CUE_SECONDS)
    modules = -(-hours // LECTURES_PER_MODULE)
    total = 0
    for number in range(1, modules + 1):
        lectures = min(LECTURES_PER_MODULE, hours - (number - 1) * LECTURES_PER_MODULE)
        module = Module(slug=f"bench-{number}", title=f"Module {number}: {speech.cue()[:60]}",
                        subtitle=speech.cue(), summary=speech.cue(), ce_hours=lectures, level="intermediate",
                        audience="Psychologists.", objectives=[speech.cue() for _ in range(5)], published=True)
        for position in range(1, lectures + 1):
            cues = [{"start": index * CUE_SECONDS, "end": (index + 1) * CUE_SECONDS, "speaker": None,
                     "text": speech.cue()} for index in range(cues_per_lecture)]
            total += len(cues)
            lecture = Lecture(position=position, slug=f"lecture-{position}", title=speech.cue()[:80],
                              kind="video_lecture", summary=speech.cue(), duration_seconds=3600.0,
                              media_path="lectures/none.mp4", media_type="video/mp4",
                              captions_path="lectures/none.vtt", cues=cues)
            lecture.speaker_links = [LectureSpeaker(speaker=speakers[(number + position) % len(speakers)],
                                                    position=1)]
            module.lectures.append(lecture)
        module.glossary = [GlossaryTerm(position=n, slug=f"term-{n}", term=speech.cue().split()[0],
                                        definition=speech.cue()) for n in range(1, 21)]
        module.references = [Reference(position=n, key=f"ref-{n}", kind="book", authors="Author, A.", year=2000,
                                       title=speech.cue()) for n in range(1, 21)]
        db.session.add(module)
        db.session.flush()
        apply_prices(module, {})
        index_module(module)
        db.session.commit()
        db.session.expunge_all()
    return total


def queries(words: list[str], rng: random.Random, count: int) -> list[str]:
    """One- and two-word queries over every frequency band, and some that find nothing."""
    bands = [words[:20], words[20:200], words[200:2000], words[2000:]]
    chosen = []
    for index in range(count):
        kind = index % 6
        if kind < 4:
            chosen.append(rng.choice(bands[kind]))
        elif kind == 4:
            chosen.append(f"{rng.choice(bands[1])} {rng.choice(bands[2])}")
        else:
            chosen.append(rng.choice(("zzyzx", "quokka", "the and of")))
    return chosen


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000
    return f"p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   max {ordered[-1] * 1000:6.1f} ms   (n={len(ordered)})"


def run(database_url: str, label: str, hours: int, query_count: int, seed: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from coursesite import create_app
    from coursesite.accounts.models import User
    from coursesite.billing.access import grant_entitlement
    from coursesite.catalog.models import Module
    from coursesite.extensions import db
    from coursesite.learning.search import search
    from coursesite.learning.search_models import SearchEntry
    from tests.clients import LoginClient

    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, nothing secret
    words = vocabulary(6000, rng)
    speech = Speech(words, rng)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_ROOT": f"{folder}/media",
                                     "RATELIMIT_ENABLED": False})
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            cues = build_corpus(hours, speech)
            built = time.perf_counter() - started
            entries = db.session.scalar(select(func.count()).select_from(SearchEntry))
            # "!" is no hash of any password: these accounts never log in (the client below has a login session).
            learner = User(email="bench-learner@example.org", password_hash=NO_PASSWORD, full_name="Bench Learner",
                           role="learner")
            editor = User(email="bench-editor@example.org", password_hash=NO_PASSWORD, full_name="Bench Editor",
                          role="editor")
            db.session.add_all([learner, editor])
            db.session.commit()
            module_ids = list(db.session.scalars(select(Module.id).order_by(Module.id)))
            for module_id in rng.sample(module_ids, min(MODULE_READER_MODULES, len(module_ids))):
                grant_entitlement(learner.id, module_id, kind="access", days=365, source="grant")
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                # What autovacuum does after a large load: statistics, and the visibility map.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM ANALYZE search_entries"))
            print(f"\n{label}: {hours} lecture-hours, {cues:,} cues, {entries:,} index entries, "
                  f"built and indexed in {built:.0f} s")
            asked = queries(words, rng, query_count)
            with app.test_request_context():
                for query in asked[:20]:  # warm-up: caches of the database and of SQLAlchemy
                    search(query, learner)
                for name, viewer in (("learner (10 modules)", learner), ("editor (every module)", editor),
                                     ("visitor (catalogue)", None)):
                    times = []
                    for query in asked:
                        started = time.perf_counter()
                        search(query, viewer)
                        times.append(time.perf_counter() - started)
                    print(f"  search(), {name:<22} {percentiles(times)}")
            client = LoginClient(app, app.response_class, use_cookies=True, user=learner)
            times = []
            for query in asked:
                started = time.perf_counter()
                response = client.get("/search", query_string={"q": query})
                times.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"the search page answered {response.status_code} for {query!r}")
            print(f"  search page, learner          {percentiles(times)}")
            db.session.remove()
            db.engine.dispose()


def hello_world(count: int) -> None:
    from hello import app

    client = app.test_client()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        client.get("/")
        times.append(time.perf_counter() - started)
    print(f"\nhello-world page (same test client)   {percentiles(times)}")


def reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=int, default=1000, help="lecture-hours of transcripts (default 1000)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", ""),
                        help="a PostgreSQL URL whose public schema may be dropped (default: $BENCH_POSTGRES_URL)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.node()}: {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.platform()}")
    hello_world(args.queries * 3)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/search.db", "SQLite FTS5", args.hours, args.queries, args.seed)
    if args.postgres:
        reset_postgres(args.postgres)
        run(args.postgres, "PostgreSQL", args.hours, args.queries, args.seed)
    hello_world(args.queries * 3)


if __name__ == "__main__":
    main()
