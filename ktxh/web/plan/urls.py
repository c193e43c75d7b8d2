"""The workspace's pages (Vietnamese paths)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from ktxh.web.plan import drafts, rounds, start, views

app_name = "plan"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "dang-nhap/",
        auth_views.LoginView.as_view(
            template_name="plan/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("tong-quan/", views.dashboard, name="dashboard"),
    path("trang-thai/", views.status_board, name="status"),
    path("nhap-lieu/luu/", views.grid_save, name="grid_save"),
    path("nhap-lieu/<form:form>/<str:orgunit>/<year:year>/", views.grid, name="grid"),
    path(
        "nop/<str:orgunit>/<form:form>/<year:year>/<str:action>/",
        views.workflow,
        name="workflow",
    ),
    path("nhat-ky/<str:orgunit>/", views.unit_audit, name="unit_audit"),
    path(
        "nhat-ky/o/<str:indicator>/<str:orgunit>/<year:year>/<str:measure>/",
        views.cell_audit,
        name="cell_audit",
    ),
    path("tai-ve/<str:name>", views.download, name="download"),
    path("mau-nhap/<str:orgunit>/", views.template, name="template"),
    path("nhap-excel/", views.import_excel, name="import"),
    path("nhap-excel/xac-nhan/", views.import_confirm, name="import_confirm"),
    path("ky-bao-cao/", rounds.rounds_page, name="rounds"),
    path("ky-bao-cao/mo/", rounds.round_open, name="round_open"),
    path("ping", views.ping, name="ping"),
    path("quan-tri/ke-hoach-moi/", start.start, name="start"),
    path("quan-tri/danh-muc.xlsx", start.catalog_workbook, name="catalog_workbook"),
    path("bao-cao-cu/", drafts.draft_list, name="drafts"),
    path("bao-cao-cu/<int:number>/", drafts.draft_page, name="draft"),
    path("bao-cao-cu/<int:number>/muc/<int:item>/", drafts.draft_decide, name="draft_decide"),
    path("bao-cao-cu/<int:number>/xac-nhan/", drafts.draft_confirm, name="draft_confirm"),
    path("bao-cao-cu/<int:number>/bo/", drafts.draft_discard, name="draft_discard"),
    path("bao-cao-cu/<int:number>/xem-lai.xlsx", drafts.draft_workbook, name="draft_workbook"),
    path(
        "bao-cao-cu/<int:number>/bang-xem-lai/",
        drafts.draft_review_upload,
        name="draft_review_upload",
    ),
]
