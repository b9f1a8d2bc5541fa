"""The console adapter: chat with Lorebot in a terminal, no chat platform needed (`lorebot chat`)."""
from adapters.console.messenger import ConsoleMessenger
from adapters.console.repl import Console, run_console

__all__ = ["Console", "ConsoleMessenger", "run_console"]
