"""Routes of the auditor pages, mounted under /audit/."""

from django.urls import path

from ledger import views

urlpatterns = [
    path("", views.audit_search, name="audit"),
    path("lots/<str:code>/", views.audit_lot, name="audit-lot"),
    path("lots/<str:code>/recall/", views.audit_recall, name="audit-recall"),
    path("lots/<str:code>/recall.csv", views.audit_recall_csv, name="audit-recall-csv"),
]
