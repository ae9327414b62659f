"""The pages' templates, with German date formatting."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
DISPLAY_ZONE = ZoneInfo("Europe/Berlin")
templates = Jinja2Templates(directory=HERE / "templates")


def local_time(moment: datetime | None) -> str:
    """27.11.2026, 14:05 (Berlin time); a dash for none."""
    if moment is None:
        return "–"
    return moment.astimezone(DISPLAY_ZONE).strftime("%d.%m.%Y, %H:%M")


templates.env.filters["local"] = local_time
