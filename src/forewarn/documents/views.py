"""Web views for documents: upload, issue a letter, download. Thin: parse, call one service, render.

A download is never a public media URL: it goes through `document_download`, which checks the
reader's scope and records the download, and is sent as an attachment the browser will not sniff.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from forewarn.cases.models import Party, PartyRole
from forewarn.cases.selectors import case_get_for_actor
from forewarn.core.errors import DomainError, NotFound
from forewarn.documents import services
from forewarn.documents.forms import DocumentUploadForm, LetterIssueForm
from forewarn.documents.models import Document
from forewarn.documents.validation import TEXT
from forewarn.organisations.access import requires
from forewarn.web.forms import domain_error_to_form
from forewarn.web.views import not_found_is_404


def attachment_response(document: Document) -> FileResponse:
    """The stored file as a download: never rendered inline, never type-sniffed, never cached."""
    content_type = f"{TEXT}; charset=utf-8" if document.content_type == TEXT else document.content_type
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.filename,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Should a browser still open it, it runs nothing and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _form_page(request, *, case, form, title, submit, call, success, template):
    if request.method == "POST" and form.is_valid():
        try:
            call()
        except NotFound:
            raise
        except DomainError as err:
            domain_error_to_form(form, err)
        else:
            messages.success(request, success)
            return redirect("web:case-detail", case_id=case.id)
    return render(request, template, {"form": form, "case": case, "title": title, "submit": submit,
                                      "back": reverse("web:case-detail", args=[case.id])})


@not_found_is_404
@requires("document.upload")
@require_http_methods(["GET", "POST"])
def document_upload(request, case_id):
    case = case_get_for_actor(actor=request.user, case_id=case_id)
    posted = request.method == "POST"
    form = DocumentUploadForm(request.POST if posted else None, request.FILES if posted else None,
                              parties=Party.objects.filter(case=case))
    return _form_page(
        request, case=case, form=form, title="Upload a document", submit="Upload", success="Document uploaded.",
        template="documents/upload.html",
        call=lambda: services.document_upload(actor=request.user, case_id=case.id, **form.cleaned_data))


@not_found_is_404
@requires("letter.issue")
@require_http_methods(["GET", "POST"])
def letter_issue(request, case_id):
    case = case_get_for_actor(actor=request.user, case_id=case_id)
    complainants = Party.objects.filter(case=case, role=PartyRole.COMPLAINANT)
    form = LetterIssueForm(request.POST if request.method == "POST" else None, complainants=complainants)
    return _form_page(
        request, case=case, form=form, title="Send a letter to the complainant", submit="Issue the letter",
        success="Letter issued and filed on the case.", template="web/form_page.html",
        call=lambda: services.letter_issue(actor=request.user, case_id=case.id, **form.cleaned_data))


@not_found_is_404
@requires("document.read")
@require_http_methods(["GET"])
def document_download(request, document_id):
    return attachment_response(services.document_download(actor=request.user, document_id=document_id))
