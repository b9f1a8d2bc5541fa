"""The bot's tables, one module per aggregate; the modules that act on them live beside this package."""
