"""What the "Shout" button does. Edit it while the app runs."""
import style


def shout(window) -> None:
    """The "Shout" button, and Enter in the line edit."""
    text = style.decorate(window.edit.text())
    window.label.setText(text)
    print(f"shout: {text}", flush=True)
