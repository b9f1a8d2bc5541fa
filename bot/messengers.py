"""One Messenger over several platforms: each call goes to the messenger of the address's platform, so the
core and the jobs can serve Slack, Teams and the console from one process."""
from __future__ import annotations

from typing import Iterable, Mapping

from bot.addresses import Address, MessageRef, Person
from bot.errors import LorebotError
from bot.ports import Messenger
from bot.replies import Reply


class MessengerRouter:
    def __init__(self, messengers: Mapping[str, Messenger]) -> None:
        self._messengers = dict(messengers)
        self.platform = "+".join(sorted(self._messengers))
        self.platforms: tuple[str, ...] = tuple(self._messengers)

    def for_platform(self, platform: str) -> Messenger:
        try:
            return self._messengers[platform]
        except KeyError:
            raise LorebotError(f"no messenger for platform {platform!r}") from None

    def send(self, address: Address, reply: Reply) -> MessageRef:
        return self.for_platform(address.platform).send(address, reply)

    def update(self, message: MessageRef, reply: Reply) -> None:
        self.for_platform(message.address.platform).update(message, reply)

    def open_dm(self, person: Person) -> Address:
        return self.for_platform(person.platform).open_dm(person)

    def link(self, message: MessageRef) -> str | None:
        return self.for_platform(message.address.platform).link(message)

    def find_sent(self, address: Address, ref: str) -> MessageRef | None:
        return self.for_platform(address.platform).find_sent(address, ref)

    def working(self, where: Address) -> None:
        """Best effort like every platform's: a platform this router does not serve shows nothing."""
        messenger = self._messengers.get(where.platform)
        if messenger is not None:
            messenger.working(where)


def platforms_of(messenger: Messenger) -> tuple[str, ...]:
    """The platforms a messenger serves: a router's, in the order it was given them, or the messenger's own."""
    if isinstance(messenger, MessengerRouter):
        return messenger.platforms
    return tuple(platform for platform in messenger.platform.split("+") if platform)


def one_messenger(messengers: Messenger | Iterable[Messenger] | Mapping[str, Messenger] | None) -> Messenger:
    """Accept one messenger, several, a platform -> messenger mapping or none, and give one Messenger.

    One messenger is used as it is (a router too); several become a MessengerRouter keyed by platform, so the
    jobs and the core speak through the same shape."""
    if messengers is None:
        return MessengerRouter({})
    if isinstance(messengers, Mapping):
        return MessengerRouter(messengers)
    if hasattr(messengers, "send") and hasattr(messengers, "platform"):
        return messengers  # type: ignore[return-value]
    return MessengerRouter({platform: m for m in messengers for platform in platforms_of(m)})
