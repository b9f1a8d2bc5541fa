"""Curation: what champions do to the answers of their topics. Their replies in routed threads become answers,
their reactions and buttons verify, reject, pin or undo, their edits and typed commands (reassign, merge,
editverified) tidy questions, lessons learned and "still right?" re-verification keep verified knowledge
current, and verified answers learn the wordings people confirm. Each act writes an audit row and checks,
through ``bot.people.profiles.access``, that the person champions the question's topic. They are grouped because they
are the one way an answer becomes verified knowledge."""
