"""``python -m triage.cli`` runs the same command line as ``triage``."""

from triage.cli import main

main()
