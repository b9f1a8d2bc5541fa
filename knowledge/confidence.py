"""How sure the knowledge base is that a passage answers a question: the number the bot thresholds.

One cosine is not enough: a question about something the documents never mention still lands near the
passage on the closest topic ("on-call allowance?" near the home-office allowance). Three signals, each
cheap and each meaningful on any corpus, are combined by a logistic curve:

- ``cosine``: how close the passage is in meaning;
- ``margin``: how far it stands above the best passage of any other document (a clear winner, not one of many
  equally vague matches);
- ``coverage``: how much of the question's information (idf-weighted terms) the passage actually contains
  ("on-call" is nowhere in the home-office passage).

The weights sit close to a logistic regression (leave-one-out) on a development handbook with answerable and
unanswerable questions, where "right" means the passage's document answers the question (cosine 4.7, margin
4.7, coverage 2.9), rounded towards equal trust in meaning and margin; kept few and round so they describe the
signals, not that handbook. The default ``answer_threshold`` (0.48) was then chosen on the same set: see the
README, "Retrieval and answer quality".
"""
from __future__ import annotations

import math

COSINE_WEIGHT = 6.0
MARGIN_WEIGHT = 4.0
COVERAGE_WEIGHT = 3.0
BIAS = -4.0


def passage_confidence(cosine: float, margin: float, coverage: float) -> float:
    x = COSINE_WEIGHT * cosine + MARGIN_WEIGHT * margin + COVERAGE_WEIGHT * coverage + BIAS
    return 1.0 / (1.0 + math.exp(-x))
