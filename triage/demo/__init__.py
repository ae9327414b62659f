"""Demo data: invented citizen letters with their correct case types."""

from triage.demo.letters import DemoLetter, DemoLetterError, load_demo_letters

__all__ = ["DemoLetter", "DemoLetterError", "load_demo_letters"]
