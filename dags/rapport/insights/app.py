"""The insight pages: a read-only Starlette/FastAPI app over the published copy.

Pages (``?lang=zh`` or the switch in the header for Chinese):

* ``/list/{leads|opportunities|contacts|accounts}``: list views with health, score, last/next activity;
  sort, filter (owner, band, grade, stage) and search;
* ``/focus``: open opportunities ranked by score × health, with the reason;
* ``/record/{entity}/{id}``: the seven relationship panels, the score widget, who knows whom, note
  suggestions, talking points and the full activity history;
* ``/pipeline``: open opportunities by estimated close date × estimated revenue, coloured by health;
* ``/run``: when the data is from, the run's counts, quarantine, links to Airflow and MLflow.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from rapport.config import InsightsConfig
from rapport.insights import charts, data
from rapport.insights.i18n import LANGUAGES, translate

PACKAGE_DIR = Path(__file__).resolve().parent
MEASURES = (
    "emails sent",
    "emails received",
    "meetings sent",
    "meetings received",
    "calls made",
    "calls received",
    "tasks",
)
# KPI rows of the overview panel: (label, column prefix in fct_relationship_kpis)
OVERVIEW = (
    ("emails sent", "emails_sent"),
    ("emails received", "emails_received"),
    ("meetings sent", "meetings_sent"),
    ("meetings received", "meetings_received"),
    ("calls made", "calls_made"),
    ("calls received", "calls_received"),
    ("tasks", "tasks"),
)
OURS = ("emails_sent", "meetings_sent", "calls_made")
THEIRS = ("emails_received", "meetings_received", "calls_received")


@dataclass(frozen=True)
class AppSettings:
    database: Path  # var/published/marts.duckdb
    insights: InsightsConfig
    secret: str = ""  # checked on every request when set


def authorised(request: Request, secret: str) -> bool:
    """HTTP basic (any user name, the secret as password) or ``Authorization: Bearer <secret>``."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return secrets.compare_digest(value.strip().encode(), secret.encode())
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        return secrets.compare_digest(decoded.partition(":")[2].encode(), secret.encode())
    return False


def create_app(settings: AppSettings) -> FastAPI:
    app = FastAPI(title="Rapport insights", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(PACKAGE_DIR / "templates"))
    templates.env.globals.update(fmt_dt=_fmt_dt, fmt_num=_fmt_num)
    app.mount("/static", StaticFiles(directory=str(PACKAGE_DIR / "static")), name="static")
    if settings.secret:
        _require_secret(app, settings.secret)
    render = _renderer(templates)
    _add_error_pages(app, render)
    _add_list_pages(app, settings, render)
    _add_chart_pages(app, settings, render)
    _add_record_page(app, settings, render)
    return app


Render = Callable[..., HTMLResponse]  # (request, template, status=200, **context) -> the page


def _require_secret(app: FastAPI, secret: str) -> None:
    """Refuse every request without the secret (401 with a Basic challenge)."""

    @app.middleware("http")
    async def require_secret(request: Request, call_next):  # type: ignore[no-untyped-def]
        if not authorised(request, secret):
            return Response(
                "a secret is required (HTTP basic password or bearer token)",
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="rapport insights"'},
            )
        return await call_next(request)


def _renderer(templates: Jinja2Templates) -> Render:
    """The page renderer: the language from ``?lang=`` (remembered in a cookie), else the cookie, else en."""

    def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        language = request.query_params.get("lang") or request.cookies.get("lang") or "en"
        language = language if language in LANGUAGES else "en"
        other = "zh" if language == "en" else "en"
        switch = str(request.url.include_query_params(lang=other))
        response = templates.TemplateResponse(
            request,
            template,
            {
                "t": lambda key: translate(key, language),
                "lang": language,
                "switch_url": switch,
                "grade_letter": lambda code: data.GRADES.get(code, "") if code is not None else "",
                "score_trend": lambda code: data.SCORE_TRENDS.get(code, "") if code is not None else "",
                **context,
            },
            status_code=status,
        )
        if "lang" in request.query_params:
            response.set_cookie("lang", language, samesite="lax")
        return response

    return render


def _add_error_pages(app: FastAPI, render: Render) -> None:
    """No published copy: 503 saying what to do; an unknown record: 404."""

    @app.exception_handler(data.PublishedCopyMissing)
    async def missing(request: Request, error: data.PublishedCopyMissing) -> HTMLResponse:
        return render(request, "message.html", 503, title="no_copy", message=str(error))

    @app.exception_handler(data.UnknownRecord)
    async def unknown(request: Request, error: data.UnknownRecord) -> HTMLResponse:
        return render(request, "message.html", 404, title="not_found", message=str(error))


def _add_list_pages(app: FastAPI, settings: AppSettings, render: Render) -> None:
    """``/`` (to the focus list), ``/list/{name}`` and ``/focus``."""
    page_size = settings.insights.page_size

    @app.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/focus")

    @app.get("/list/{name}", response_class=HTMLResponse)
    def list_view(
        request: Request,
        name: str,
        owner: str = "",
        band: str = "",
        grade: str = "",
        stage: str = "",
        q: str = "",
        sort: str = "name",
        desc: int = 0,
        page: int = 1,
    ) -> HTMLResponse:
        ent = data.entity(name)
        query = data.ListQuery(owner, band, grade, stage, q.strip(), sort, bool(desc), max(page, 1))
        with data.read_only(settings.database) as connection:
            published = data.publication(connection)
            found, total = data.list_records(connection, ent, query, page_size)
            choices = data.filter_choices(connection, ent)
        filters = {"owner": owner, "band": band, "grade": grade, "stage": stage, "q": q}

        def link(**changes: Any) -> str:
            params = {**filters, "sort": sort, "desc": int(desc), "page": page, **changes}
            return f"/list/{name}?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

        return render(
            request,
            "list.html",
            entity=ent,
            rows=found,
            total=total,
            query=query,
            filters=filters,
            choices=choices,
            published=published,
            link=link,
            pages=(total + page_size - 1) // page_size,
        )

    @app.get("/focus", response_class=HTMLResponse)
    def focus(request: Request) -> HTMLResponse:
        with data.read_only(settings.database) as connection:
            published = data.publication(connection)
            found = data.focus_list(connection, page_size)
        for row in found:
            row["reasons"] = data.decode_reasons(row["reasons"])
        return render(request, "focus.html", rows=found, published=published)


def _add_chart_pages(app: FastAPI, settings: AppSettings, render: Render) -> None:
    """``/pipeline`` (close date x value, by health) and ``/run`` (the run's overview)."""

    @app.get("/pipeline", response_class=HTMLResponse)
    def pipeline(request: Request) -> HTMLResponse:
        with data.read_only(settings.database) as connection:
            published = data.publication(connection)
            found = data.pipeline_points(connection)
        points = [
            charts.Point(
                day=row["estimated_close_date"],
                value=float(row["estimated_value"]),
                colour_key=row["health_band"] or "none",
                label=f"{row['title']}: {float(row['estimated_value']):,.0f}, "
                f"{row['estimated_close_date']}, {row['health_band'] or '—'}",
                href=f"/record/opportunities/{quote(row['record_id'])}",
            )
            for row in found
        ]
        svg = charts.scatter(points, translate("pipeline", "en"))
        return render(request, "pipeline.html", svg=svg, rows=found, published=published)

    @app.get("/run", response_class=HTMLResponse)
    def run_page(request: Request) -> HTMLResponse:
        with data.read_only(settings.database) as connection:
            published = data.publication(connection)
            overview = data.run_overview(connection, published["ds"])
        return render(
            request,
            "run.html",
            published=published,
            overview=overview,
            airflow_url=settings.insights.airflow_url,
            mlflow_url=settings.insights.mlflow_url,
        )


def _add_record_page(app: FastAPI, settings: AppSettings, render: Render) -> None:
    """``/record/{name}/{record_id}``: the relationship panels of one record."""

    @app.get("/record/{name}/{record_id}", response_class=HTMLResponse)
    def record_page(request: Request, name: str, record_id: str) -> HTMLResponse:
        ent = data.entity(name)
        with data.read_only(settings.database) as connection:
            context = _record_context(connection, ent, record_id, settings.insights.history_rows)
        return render(request, "record.html", **context)


def _record_context(connection: Any, ent: data.Entity, record_id: str, history_rows: int) -> dict[str, Any]:
    """Everything the record page shows, read from the published copy."""
    published = data.publication(connection)
    ds: date = published["ds"]
    row = data.record(connection, ent, record_id)
    kpis = data.kpis(connection, ent, record_id, ds)
    health = data.health_history(connection, ent, record_id)
    daily = data.activity_daily(connection, ent, record_id, ds)
    history, history_total = data.activity_history(connection, ent, record_id, history_rows)
    score_rows = data.scores(connection, ent, record_id, ds - timedelta(days=30))
    model_present = ent.scored and "fct_predictive_scores" in data.tables(connection)
    knows = data.who_knows(connection, ent, row)
    suggestions = data.note_suggestions(connection, record_id)
    contact_id = row.get("contact_id") or row.get("primary_contact_id")
    points = data.talking_points(connection, contact_id)
    return {
        "entity": ent,
        "row": row,
        "title": row.get(ent.title) or record_id,
        "published": published,
        "kpis": kpis,
        "active": bool(kpis and (kpis["activity_count"] or 0) > 0),
        "overview": OVERVIEW,
        "initiated": _initiated(kpis),
        "health": health[-1] if health else None,
        "health_svg": charts.line(
            [(h["as_of_date"], h["health_score"]) for h in health], translate("relationship_health", "en")
        )
        if len(health) > 1
        else "",
        "activity_svg": _activity_chart(daily, ds),
        "daily_total": sum(int(d["activity_count"]) for d in daily),
        "history": history,
        "history_total": history_total,
        "score": score_rows[-1] if score_rows else None,
        "score_svg": charts.line(
            [(s["scored_on"], s["score"]) for s in score_rows], translate("score_month", "en")
        )
        if score_rows
        else "",
        "change": data.score_change(score_rows),
        "model_present": model_present,
        "knows": knows,
        "introduction": _introduction(knows, row, ent, title=row.get(ent.title) or record_id),
        "suggestions": suggestions,
        "talking_points": points,
    }


def _initiated(kpis: dict[str, Any] | None) -> dict[str, int] | None:
    """E-mails, meetings and calls started by us and by them, all time and in the last 90 days."""
    if kpis is None:
        return None
    return {
        "ours": sum(int(kpis[f"{m}_count"] or 0) for m in OURS),
        "theirs": sum(int(kpis[f"{m}_count"] or 0) for m in THEIRS),
        "ours_recent": sum(int(kpis[f"{m}_last_n_days_count"] or 0) for m in OURS),
        "theirs_recent": sum(int(kpis[f"{m}_last_n_days_count"] or 0) for m in THEIRS),
    }


def _activity_chart(daily: list[dict[str, Any]], ds: date) -> str:
    days = [ds - timedelta(days=offset) for offset in range(90, 0, -1)]
    series: dict[str, dict[date, int]] = {measure: {} for measure in MEASURES}
    for row in daily:
        series.setdefault(row["measure"], {})[row["activity_date"]] = int(row["activity_count"])
    return charts.stacked_days(days, series, translate("activity_chart", "en"))


def _introduction(
    knows: list[dict[str, Any]], row: dict[str, Any], ent: data.Entity, title: str
) -> dict | None:
    """A "get introduced" e-mail to the strongest colleague: to, subject, body and a mailto: link."""
    if not knows:
        return None
    best = knows[0]
    person = best.get("person_name") or title
    subject = f"Introduction to {person}"
    body = (
        f"Hi {best['colleague_name'].split(' ')[0]},\n\n"
        f"You know {person} well ({best['emails_sent']} e-mails sent, {best['emails_received']} received, "
        f"{best['meetings_together']} meetings). Could you introduce me? It is about {ent.record_type} "
        f'"{title}".\n\nThanks!'
    )
    return {
        "to": best["colleague_email"],
        "subject": subject,
        "body": body,
        "mailto": f"mailto:{quote(best['colleague_email'] or '')}?subject={quote(subject)}&body={quote(body)}",
    }


def _fmt_dt(value: Any) -> str:
    if value is None:
        return "—"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _fmt_num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{float(value):,.{digits}f}"
