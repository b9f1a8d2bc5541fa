"""Asking: a question's way from the message to its reply. The delivery is claimed first, so duplicates cost
nothing (``ask_claims.py``); the question is embedded once, searched, and answered from the hits with a short
extract and its sources (``answering.py``, ``extracts.py``, ``links.py``), or given a topic and routed to that
topic's champions (``topics.py``, ``routing.py``) unless an equivalent one already waits for them
(``joining.py``). ``flow.py`` runs these steps in order. They are grouped because together they are the ask
path, the one every platform's message takes."""
