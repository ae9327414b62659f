"""The caseworker pages (German), rendered on the server: sign-in, sign-out, overview;
working a queue is in ``triage.web.documents``."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from triage.accounts.service import LoginError, authenticate_password
from triage.accounts.sessions import end_session, start_session
from triage.administration.grants import grants_for_user
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.dependencies import ServicesDep, SessionDep
from triage.queues.second_review import pending_second_reviews
from triage.queues.service import summarize_queues
from triage.routing.router import REVIEW_QUEUE
from triage.web import admin, documents, figures, lists, relief
from triage.web.actions import with_notice
from triage.web.deps import (
    SESSION_COOKIE,
    FormPersonDep,
    GrantEndedError,
    PersonDep,
    SignInRequiredError,
)
from triage.web.render import DISPLAY_ZONE, HERE, templates

router = APIRouter(include_in_schema=False)
# Before sign-in there is no session to hold a CSRF token: the form carries a random
# value that must equal this cookie's (double submit).
LOGIN_CSRF_COOKIE = "triage_login_csrf"


def _login_page(request: Request, *, error: str | None = None, username: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "login.html",
        # 200 with the message, also when refused: an error status would be a console
        # error in the browser, and the page is the answer.
        {"csrf_token": token, "error": error, "username": username},
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


def _german(error: LoginError) -> str:
    if error.code == "locked" and error.locked_until is not None:
        until = error.locked_until.astimezone(DISPLAY_ZONE).strftime("%H:%M")
        return f"Zu viele Fehlversuche: Das Konto ist bis {until} Uhr gesperrt."
    if error.code == "disabled":
        return "Dieses Konto ist deaktiviert. Bitte wenden Sie sich an die Verwaltung."
    return "Benutzername oder Passwort ist falsch."


@router.get("/anmelden", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/anmelden")
def login(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token, expected):
        return _login_page(request, error="Das Formular war abgelaufen. Bitte erneut anmelden.")
    settings = services.settings
    with transaction(services.session_factory) as session:
        result = authenticate_password(
            session, username=username, password=password, policy=settings.login_policy
        )
        started = (
            start_session(session, user=result.user, policy=settings.session_policy)
            if result.user is not None
            else None
        )
    if started is None:
        assert result.error is not None
        return _login_page(request, error=_german(result.error), username=username)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        started.token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=int(settings.session_policy.longest.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/abmelden")
def logout(request: Request, person: FormPersonDep, services: ServicesDep) -> Response:
    with transaction(services.session_factory) as session:
        end_session(session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/anmelden", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    person: PersonDep,
    services: ServicesDep,
    session: SessionDep,
    hinweis: str | None = None,
) -> Response:
    """Übersicht: the person's queues and the review queue, with their counts, and the
    grants of other tenants' queues they may work under."""
    assert person.actor.tenant_id is not None
    taxonomy = services.classifiers.taxonomy_for(person.actor.tenant_id)
    summaries = summarize_queues(session, actor=person.actor, taxonomy=taxonomy)
    queues = [q for q in summaries if q.name != REVIEW_QUEUE and person.actor.may_work(q.name)]
    review = next(q for q in summaries if q.name == REVIEW_QUEUE)
    now = utcnow()
    return templates.TemplateResponse(
        request,
        "overview.html",
        {
            "person": person,
            "queues": queues,
            "review": review,
            "now": now,
            "notice": hinweis,
            "grants": []
            if person.grant is not None
            else grants_for_user(session, user_id=person.user_id, now=now),
            "second_reviews": len(pending_second_reviews(session, actor=person.actor))
            if person.regular
            else 0,
        },
    )


def _to_sign_in(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/anmelden", status_code=status.HTTP_303_SEE_OTHER)


def _grant_ended(request: Request, exc: Exception) -> Response:
    return with_notice("/", "Die Freigabe ist beendet: Sie arbeiten wieder für Ihre Kommune.")


def register(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(documents.router)
    app.include_router(lists.router)
    app.include_router(admin.router)
    app.include_router(figures.router)
    app.include_router(relief.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(SignInRequiredError, _to_sign_in)
    app.add_exception_handler(GrantEndedError, _grant_ended)
