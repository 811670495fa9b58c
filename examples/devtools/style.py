"""How a shout looks. Edit it while the app runs (and try breaking it)."""


def decorate(text: str) -> str:
    return text.upper() + "!"
