"""The JSON API's routes; each is described in openapi.json (a test holds them together)."""

from __future__ import annotations

from django.urls import path

from ktxh.web.plan import api, cycle
from ktxh.web.plan import targets as target_views

app_name = "api"

urlpatterns = [
    path("ratings", target_views.ratings, name="ratings"),
    path("documents", target_views.documents, name="documents"),
    path("targets", target_views.set_target, name="targets"),
    path("forecasts", cycle.forecasts, name="forecasts"),
    path("forecasts/accept", cycle.accept, name="forecast_accept"),
    path("trends", cycle.trends_view, name="trends"),
    path("openapi.json", api.openapi, name="openapi"),
    path("session", api.session, name="session"),
    path("orgunits", api.orgunits, name="orgunits"),
    path("forms", api.forms, name="forms"),
    path("forms/<form:form>", api.form_detail, name="form"),
    path("values", api.values, name="values"),
    path("values/history", api.value_history, name="value_history"),
    path("checks", api.checks, name="checks"),
    path("submissions", api.submissions, name="submissions"),
    path(
        "submissions/<str:orgunit>/<form:form>/<year:year>/<str:action>",
        api.submission_action,
        name="submission_action",
    ),
]
