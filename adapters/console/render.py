"""Replies as terminal text: pure functions, so what the console prints is easy to test and to change."""
from __future__ import annotations

from bot.addresses import Address
from bot.markdown import plain
from bot.replies import Reply


def place(address: Address) -> str:
    """"#champions", "DM with alice", plus the thread when there is one."""
    channel = address.channel
    where = f"DM with {channel.removeprefix('dm-')}" if channel.startswith("dm-") else f"#{channel}"
    return f"{where}, thread {address.thread}" if address.thread else where


def render_reply(message_id: str, address: Address, reply: Reply, *, author: str = "Lorebot",
                 edited: bool = False) -> str:
    header = f"[{message_id}] {author} in {place(address)}{' (edited)' if edited else ''}:"
    lines = [header]
    if reply.title:
        lines.append(f"  *{plain(reply.title)}*")
    lines.extend(f"  {line}" for line in plain(reply.text).splitlines() or [""])
    if reply.context:
        lines.append(f"  ({plain(reply.context)})")
    if reply.sources:
        lines.append("  Sources:")
        for number, source in enumerate(reply.sources, 1):
            verified = f" ✅ verified by {source.verified_by}" if source.verified_by else ""
            lines.append(f"    {number}. {source.source or source.title}{verified}")
            if source.url:
                lines.append(f"       {source.url}")
    if reply.actions:
        buttons = "  ".join(f"[{number}] {action.label}" for number, action in enumerate(reply.actions, 1))
        lines.append(f"  Buttons: {buttons}   (/click <number> {message_id})")
    return "\n".join(lines)


def render_user_message(message_id: str, address: Address, author: str, text: str) -> str:
    return f"[{message_id}] {author} in {place(address)}: {text}"

