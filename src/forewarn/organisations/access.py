"""Every web view and API operation declares its permission action; one guard enforces it.

    @requires("party.add")                      # a web view or a ninja operation (below the router decorator)
    def party_add(request, case_id): ...

    @requires(lambda kw: f"{kw['machine']}.{kw['action']}")   # the action depends on the URL
    def action(request, machine, obj_id, action): ...

The guard runs before the view, in the order organisations.permissions prescribes:

1. every record the URL names is looked up through its access helper (`OBJECT_PARAMETERS`, by
   URL parameter name) — out of scope or absent is NotFound, a 404, whatever the actor's role;
2. the actor's role is checked against the action's rule — a missing role is a 403, and only
   ever on records already in scope (or on an action that names no record).

A URL parameter ending in `_id` that has no access helper here is refused (fail closed): whoever adds
such a route must say how its records are scoped. The declared action is kept on the view
(`view.permission`) and in the OpenAPI document (`x-permission`), which is how
tests/security/test_authorisation_matrix.py finds every endpoint and checks it against the table.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404

from forewarn.core.errors import DomainError, NotFound, PermissionDenied
from forewarn.organisations import permissions

# An action name, or a function of the URL's parameters giving a name or a Rule (lifecycle steps).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Action = str | Callable[[dict[str, Any]], "str | permissions.Rule | None"]


# -- access helpers by URL parameter -------------------------------------------------------------
def _case(actor, value, kwargs):
    from forewarn.cases.selectors import case_get_for_actor

    return case_get_for_actor(actor=actor, case_id=value)


def _allegation(actor, value, kwargs):
    from forewarn.cases.selectors import allegation_get_for_actor

    return allegation_get_for_actor(actor=actor, allegation_id=value)


def _subject(actor, value, kwargs):
    from forewarn.cases.selectors import subject_allegation_get_for_actor

    return subject_allegation_get_for_actor(actor=actor, subject_allegation_id=value)


def _person(actor, value, kwargs):
    from forewarn.workforce.selectors import person_get_for_actor

    return person_get_for_actor(actor=actor, person_id=value)


def _proceeding(actor, value, kwargs):
    from forewarn.proceedings.selectors import proceeding_get_for_actor

    return proceeding_get_for_actor(actor=actor, proceeding_id=value)


def _challenge(actor, value, kwargs):
    from forewarn.proceedings.selectors import challenge_get_for_actor

    return challenge_get_for_actor(actor=actor, challenge_id=value)


def _document(actor, value, kwargs):
    from forewarn.documents.selectors import document_get_for_actor

    return document_get_for_actor(actor=actor, document_id=value)


def _lifecycle_record(actor, value, kwargs):
    from forewarn.core.api import machine_named, visible_object

    return visible_object(actor=actor, machine=machine_named(str(kwargs.get("machine", ""))), obj_id=value)


def owning_force_case(actor, value, kwargs):
    """Any case of the actor's own force, restricted or not (Scope.OWNING_FORCE: breaking the glass)."""
    from forewarn.cases.models import Case

    case = None
    if permissions.is_signed_in(actor) and getattr(actor, "organisation_id", None):
        case = Case.objects.filter(pk=value, organisation_id=actor.organisation_id).first()
    if case is None:
        raise NotFound(f"No case with id {value}.")
    return case


def _alert(actor, value, kwargs):
    from forewarn.register.alerts import alert_get_for_actor

    return alert_get_for_actor(actor=actor, alert_id=value)


def _application(actor, value, kwargs):
    from forewarn.register.checks import application_get_for_actor

    return application_get_for_actor(actor=actor, application_id=value)


def _check(actor, value, kwargs):
    from forewarn.register.checks import check_get_for_actor

    return check_get_for_actor(actor=actor, check_id=value)


def _disclosure(actor, value, kwargs):
    from forewarn.register.disclosures import disclosure_get_for_actor

    return disclosure_get_for_actor(actor=actor, disclosure_id=value)


def owning_force_disclosure(actor, value, kwargs):
    """A disclosure request to the actor's own force, about a case in their case scope (deciding it)."""
    from forewarn.register.disclosures import owning_disclosure_get_for_actor

    return owning_disclosure_get_for_actor(actor=actor, disclosure_id=value)


def _identification(actor, value, kwargs):
    from forewarn.linkage.identification import identification_get_for_actor

    return identification_get_for_actor(actor=actor, identification_id=value)


def _schedule(actor, value, kwargs):
    from forewarn.disclosure.services import schedule_get_for_actor

    return schedule_get_for_actor(actor=actor, schedule_id=value)


def _own_organisation(actor, value, kwargs):
    """The actor's own organisation (settings an organisation keeps for itself); any other is NotFound."""
    if not permissions.is_signed_in(actor) or getattr(actor, "organisation_id", None) != value:
        raise NotFound(f"No organisation with id {value} of yours.")
    return actor.organisation


def _within_parent(actor, value, kwargs):
    """A key under a record already resolved from the same URL (e.g. the user of a panel seat)."""
    return None


OBJECT_PARAMETERS: dict[str, Callable] = {
    "case_id": _case,
    "allegation_id": _allegation,
    "subject_id": _subject,
    "subject_allegation_id": _subject,
    "person_id": _person,
    "proceeding_id": _proceeding,
    "challenge_id": _challenge,
    "document_id": _document,
    "obj_id": _lifecycle_record,
    # The register: a force's own applications and checks; disclosure requests made by or to it.
    "application_id": _application,
    "check_id": _check,
    "disclosure_id": _disclosure,
    "alert_id": _alert,  # one unit's copy of a register alert (its inbox item)
    "identification_id": _identification,  # a proposed match, scoped by its subject's case
    "organisation_id": _own_organisation,
    "schedule_id": _schedule,  # a disclosure schedule, scoped by its case
    "item_id": _within_parent,  # an item of the schedule named in the same URL
    # Keys that only make sense under a parent record named in the same URL.
    "user_id": _within_parent,
}
# Parameters that name something under a parent; the URL must also name one of PARENTS.
CHILD_PARAMETERS = frozenset({"user_id", "item_id"})
PARENTS = frozenset(OBJECT_PARAMETERS) - CHILD_PARAMETERS


# Views that reach no staff record, or scope themselves by something other than a staff account
# (the complainant's portal session): the guard only records their declaration.
SELF_SCOPED = frozenset({permissions.Scope.PUBLIC, permissions.Scope.COMPLAINANT})


def resolve_objects(actor, kwargs: dict[str, Any], helpers: dict[str, Callable] | None = None) -> dict[str, Any]:
    """Look up every record a URL names through its access helper (NotFound outside scope)."""
    found = {}
    names = [n for n in kwargs if n.endswith("_id")]
    for name in names:
        loader = (helpers or {}).get(name) or OBJECT_PARAMETERS.get(name)
        if loader is None:
            raise ImproperlyConfigured(f"URL parameter '{name}' has no access helper in "
                                       "forewarn.organisations.access.OBJECT_PARAMETERS (deny by default).")
        if name in CHILD_PARAMETERS and not (set(names) & PARENTS):
            raise ImproperlyConfigured(f"URL parameter '{name}' needs a parent record in the same URL.")
        found[name] = loader(actor, kwargs[name], kwargs)
    return found


def rule_of(declared: Action, kwargs: dict[str, Any]) -> permissions.Rule:
    """The rule a request is judged by; an action the URL names but the tables lack is NotFound."""
    found = declared(kwargs) if callable(declared) else declared
    if isinstance(found, permissions.Rule):
        return found
    if not found:
        raise NotFound("No such action.")
    try:
        return permissions.rule_for(found)
    except KeyError:
        raise NotFound(f"No action {found[:80]}.") from None


def check(actor, declared: Action, kwargs: dict[str, Any], helpers: dict[str, Callable] | None = None
          ) -> permissions.Rule:
    """Scope first (NotFound), then role (PermissionDenied). Returns the rule applied."""
    if not callable(declared):
        rule = permissions.rule_for(declared)
        if rule.scope in SELF_SCOPED:
            return rule
    resolve_objects(actor, kwargs, helpers)
    rule = rule_of(declared, kwargs)
    permissions.require(actor, rule)
    return rule


# -- decorators ---------------------------------------------------------------------------------
def requires(action: Action, *, objects: dict[str, Callable] | None = None):
    """Declare and enforce the permission action of a web view or a ninja operation.

    `objects` overrides the access helper for a URL parameter where the action's scope is not the
    usual one (breaking the glass reaches the owning force's restricted cases).

    For ninja, put it below the router decorator: the guard then runs after authentication and
    input parsing, with the typed path parameters. For web views it raises Http404 or Django's
    PermissionDenied (the 403 page).
    """
    if isinstance(action, str):
        permissions.rule_for(action)  # an undeclared action fails at import, not at the first request

    def decorate(view):
        if isinstance(view, type):  # a class-based view: guard dispatch, declare on the class
            view.dispatch = requires(action, objects=objects)(view.dispatch)
            view.permission = action
            view.permission_objects = dict(objects or {})
            return view

        @functools.wraps(view)
        def guarded(*args, **kwargs):
            request = args[1] if len(args) > 1 and not hasattr(args[0], "method") else args[0]
            ninja = _is_ninja(request)
            actor = request.auth if ninja else request.user
            try:
                check(actor, action, kwargs, objects)
            except (NotFound, PermissionDenied) as err:
                _refusal_audited(request, actor, action, kwargs, err)
                if ninja:
                    raise  # DomainErrors become problem responses in forewarn.api
                if isinstance(err, NotFound):
                    raise Http404(err.message) from None
                raise DjangoPermissionDenied(err.message) from None
            return view(*args, **kwargs)

        guarded.permission = action
        guarded.permission_objects = dict(objects or {})
        guarded.__signature__ = _resolved_signature(view)
        return guarded

    return decorate


def _refusal_audited(request, actor, declared: Action, kwargs: dict[str, Any], err) -> None:
    """A refused write leaves one `refused` audit event (issue #3 §2), as a refusal inside a service does.

    Reads are not recorded here: a refused read shows nothing, and the read audit records what was shown.
    """
    if request.method in SAFE_METHODS:
        return
    from forewarn.audit.services import refused_record  # audit sits above organisations

    try:
        name = rule_of(declared, kwargs).action
    except DomainError:
        name = "unknown"
    target = next(((k.removesuffix("_id"), v) for k, v in kwargs.items() if k.endswith("_id")), ("", None))
    refused_record(actor=actor, action=name[:80], error=err, object_type=target[0],
                   object_id=target[1])


def _resolved_signature(view) -> inspect.Signature:
    """The view's signature with its annotations evaluated in the view's own module.

    django-ninja reads an operation's parameters from its signature and resolves string annotations
    (`from __future__ import annotations`) in the function's globals, which for this wrapper would be
    this module's; handing it resolved annotations keeps `Query[...]`, `Form[...]` and the rest intact.
    """
    signature = inspect.signature(view)
    hints = typing.get_type_hints(view, include_extras=True)
    return signature.replace(parameters=[p.replace(annotation=hints.get(p.name, p.annotation))
                                         for p in signature.parameters.values()],
                             return_annotation=hints.get("return", signature.return_annotation))


def _is_ninja(request) -> bool:
    # ninja sets request.auth once its authentication has passed; a web request never has it.
    return hasattr(request, "auth")


def permission_of(view) -> Action | None:
    """The action a view declared, looking through Django's and ninja's wrappers; None if it declared none."""
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "__wrapped__", None)):
        if candidate is not None and getattr(candidate, "permission", None) is not None:
            return candidate.permission
    return None


def object_helpers_of(view) -> dict[str, Callable]:
    """The access helper for each URL parameter of a declared view (its overrides, then the defaults)."""
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "__wrapped__", None)):
        if candidate is not None and getattr(candidate, "permission", None) is not None:
            return {**OBJECT_PARAMETERS, **getattr(candidate, "permission_objects", {})}
    return dict(OBJECT_PARAMETERS)


def declare_in_openapi(api) -> None:
    """Copy each ninja operation's declared action into its OpenAPI entry as `x-permission`."""
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                declared = permission_of(operation.view_func)
                if declared is None:
                    continue
                label = declared if isinstance(declared, str) else "lifecycle transition named in the path"
                operation.openapi_extra = {**(operation.openapi_extra or {}), "x-permission": label}
