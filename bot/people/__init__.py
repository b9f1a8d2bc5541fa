"""People: who the bot knows and what each person may see or do. Profiles of the people it has met (the
configuration first, the platform's ``PeopleSource`` after), how to reach them and their conversations later,
which collections a reader may search (``[collections.NAME] visible_to`` and the readers a source names), and
whose button presses count, and where. They are grouped because every other capability asks them the same
questions about a person, and they answer from people, never from questions or answers."""
