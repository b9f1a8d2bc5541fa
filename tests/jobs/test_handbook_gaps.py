"""The admins' "Worth adding to the handbook": verified answers no document covers, found with the real bundled
model on a tiny corpus: the handbook's expenses page, and a payslips page in the finance collection, which only
Cara may read. The taxi and payslip answers are covered (the payslip one by a document Olga may not read: still
written down), the bike shed and plants answers are not, and the bonus answer is filed for finance's audience."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.config import parse_config
from bot.context import LorebotContext
from bot.people import audiences
from bot.people.audiences import Reader
from bot.tables.curation import VerifiedAnswer
from jobs import JobRunner
from jobs.handbook_gaps import HandbookGap, handbook_gaps
from tests.jobs.conftest import CONFIG, FakeClock, console, london

MONDAY = london(2026, 3, 23, 9)
EXPENSES = """# Expenses

## Taxi rides

Taxi rides for business trips are reimbursed. Submit the taxi receipt in the expense tool within 30 days
of the ride. Rides between home and the office are not reimbursed.
"""
TAXI = ("How do I get a taxi ride reimbursed?", "Submit the receipt in the expense tool within 30 days.")
BIKE_SHED = ("Where is the spare key to the bike shed?", "Reception keeps it in the top drawer; sign the key book.")
PAYSLIPS = """# Payslips

Payslips are published in the payroll portal on the last working day of each month. Download them as PDF.
"""
PAYSLIP = ("Where do I find my payslip?", "In the payroll portal, on the last working day of the month.")
BONUS = ("How big is this year's bonus pool?", "Four percent of salaries, paid out in March.")
PLANTS = ("Who waters the office plants on Fridays?", "Whoever is on the kitchen rota that week. " * 6)
RAW = {**CONFIG, "admins": ["olga", "cara"], "collections": {"finance": {"visible_to": ["person:cara"]}}}


def verify(kb, session: Session, question_answer: tuple[str, str], champion: str, at: datetime, *,
           audience: tuple[str, ...] = (), status: str = "active") -> None:
    """A champion's verified answer as the core files it: a knowledge entry in its audience's collection, and
    its row."""
    question, answer = question_answer
    entry_id = kb.add_entry(question, answer, source="Verified answer", verified_by=champion.title(),
                            collection=audiences.verified_collection(audience))
    session.add(VerifiedAnswer(question_text=question, answer_text=answer, champion_id=f"console:{champion}",
                               champion_name=champion.title(), entry_id=entry_id, verified_at=at,
                               last_verified_at=at, status=status))
    session.commit()


def ingest_handbook(kb, tmp_path) -> None:
    for folder, name, text in [("handbook", "expenses.md", EXPENSES), ("finance", "payslips.md", PAYSLIPS)]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text(text, encoding="utf-8")
        kb.ingest([tmp_path / folder], collection=folder)


def seed(kb, tmp_path) -> None:
    ingest_handbook(kb, tmp_path)
    with Session(kb.engine) as s:
        verify(kb, s, TAXI, "cara", london(2026, 3, 18, 12))
        verify(kb, s, BIKE_SHED, "ivan", london(2026, 3, 10, 12))  # a week before: still worth adding
        verify(kb, s, PLANTS, "carl", london(2026, 3, 19, 12))
        verify(kb, s, PAYSLIP, "cara", london(2026, 3, 19, 13))
        verify(kb, s, BONUS, "cara", london(2026, 3, 20, 12), audience=("finance",))
        verify(kb, s, ("Can I bring my dog to the office?", "Yes, on Fridays."), "bea", london(2026, 3, 17, 12),
               status="removed")
        verify(kb, s, ("Is there parking for visitors?", "Two spaces by the gate."), "bea", MONDAY)  # after the week


def gaps(kb, config, handle: str) -> list[HandbookGap]:
    ctx = LorebotContext(config=config, engine=kb.engine, knowledge=kb)
    with Session(kb.engine) as session:
        return handbook_gaps(ctx, session, MONDAY, Reader.of_handle(handle))


def digests(kb, config) -> dict[str, str]:
    """Monday's digest run: each recipient's text."""
    run = JobRunner(config=config, engine=kb.engine, knowledge=kb, messengers=console(),
                    clock=FakeClock(MONDAY + timedelta(minutes=5))).run("digest", now=MONDAY)
    return {d.recipient: d.reply.text for d in run.deliveries}


def test_verified_answers_no_document_covers_newest_first_as_the_admin_may_read_them(kb, tmp_path) -> None:
    seed(kb, tmp_path)
    config = parse_config(RAW)
    assert gaps(kb, config, "olga") == [  # the bonus answer is not Olga's to read
        HandbookGap(question=PLANTS[0], answer=PLANTS[1], champion="Carl"),
        HandbookGap(question=BIKE_SHED[0], answer=BIKE_SHED[1], champion="Ivan"),
    ]
    assert [gap.question for gap in gaps(kb, config, "cara")] == [BONUS[0], PLANTS[0], BIKE_SHED[0]]


def test_the_admins_digest_lists_them_and_managers_never_see_them(kb, tmp_path) -> None:
    seed(kb, tmp_path)
    texts = digests(kb, parse_config(RAW))
    section = next(s for s in texts["org:olga"].split("\n\n") if s.startswith("**Worth adding"))
    assert section.splitlines() == [
        "**Worth adding to the handbook**: answered in chat, but no document covers it yet",
        f"• “{PLANTS[0]}” — {PLANTS[1][:199].rstrip()}… (verified by Carl)",  # a long answer trimmed
        f"• “{BIKE_SHED[0]}” — {BIKE_SHED[1]} (verified by Ivan)",
    ]
    assert BONUS[0] in texts["org:cara"] and BONUS[0] not in texts["org:olga"]
    assert not any("Worth adding" in text for recipient, text in texts.items() if recipient.startswith("dm:"))


def test_no_section_when_the_documents_cover_every_verified_answer(kb, tmp_path) -> None:
    ingest_handbook(kb, tmp_path)
    with Session(kb.engine) as s:
        verify(kb, s, TAXI, "cara", london(2026, 3, 18, 12))
    config = parse_config(RAW)
    assert gaps(kb, config, "olga") == []
    texts = digests(kb, config)
    assert texts["org:olga"] and not any("handbook" in text for text in texts.values())
