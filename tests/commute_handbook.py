"""A tiny commuting handbook whose questions exercise feedback carried to rewordings (``bot.asking.preferences``).

Measured with the bundled model on these three pages: ``CAR`` and ``CAR_PARK`` find the parking page first;
``CAR_REWORDED`` and ``CAR_WORK_DAY`` find the cycling page first (about 0.30-0.35) and parking far below (about
0.07). ``CAR`` and its rewordings ask the same question (0.94 and more). The look-alikes swap one word: ``BIKE``
is not ``CAR`` (0.29) and ``BIKE_REWORDED`` is not ``CAR_REWORDED`` (0.27); both find cycling first. On so
few pages "the same documents" tell little, so other pairs sit close: tests judge and probe with these pairs.
"""
from __future__ import annotations

from pathlib import Path

COMMUTE_HANDBOOK = {
    "parking.md": """# Parking

## Office parking

Staff can park cars in the basement car park. Ask reception for a parking permit; visitors park on the street.
""",
    "cycling.md": """# Cycling to work

## Bike storage

Bicycles go in the locked bike room next to the basement car park. Showers and lockers are on the ground floor.
""",
    "commuting.md": """# Commuting

## Getting to work

Most people come to work by train: the station is five minutes away. The company pays half of a season ticket.
""",
}

# Business driving, for a collection only some may read: questions about parking a car concern it.
MILEAGE = """# Mileage

## Driving for work

If you drive your own car on a business trip, claim 45p per mile in the expenses app. Parking at client sites is refunded too.
"""

CAR = "Where can I leave my car at the office?"
CAR_PARK = "where can I park my car?"
CAR_REWORDED = "where do I put my car when I drive to work?"
CAR_WORK_DAY = "where does my car go during the work day?"
BIKE = "where can I leave my bike at the office?"
BIKE_REWORDED = "where do I put my bike when I drive to work?"

PARKING, CYCLING = "parking.md", "cycling.md"


def write_commute_handbook(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in COMMUTE_HANDBOOK.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
