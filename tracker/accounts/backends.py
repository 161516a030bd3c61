"""Who is asking, and what they may do: the person and their permissions in one statement a request."""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import OuterRef, Q, Value
from django.db.models.functions import Concat

from tracker.core.prepared import from_row, read_row


def granted_permission_names(user):
    """The names ("app_label.codename") of the permissions `user` holds, their own and their groups', as one
    query; `user` may be a primary key or an OuterRef, so that another query can read them as a subquery."""
    # Two semi-joins rather than joins: each permission once, without DISTINCT or a sort of every permission.
    # Inside them an outer query's column is one level further out.
    holder = OuterRef(user) if isinstance(user, OuterRef) else user
    own = get_user_model().user_permissions.through.objects.filter(user_id=holder).values("permission_id")
    through_groups = Group.permissions.through.objects.filter(group__user=holder).values("permission_id")
    return (
        Permission.objects.filter(Q(pk__in=own) | Q(pk__in=through_groups))
        .order_by()
        .values_list(Concat("content_type__app_label", Value("."), "codename"), flat=True)
    )


# Permission id -> "app_label.codename". A permission's row never changes its meaning (migrations add rows and
# remove unused ones), so the names are read once per process, and again when an id is not known yet. Who holds
# which permission is never kept across requests.
_names_by_id: dict[int, str] = {}


def permission_names(ids) -> list[str]:
    """The names of the permissions with these ids."""
    if any(pk not in _names_by_id for pk in ids):
        _names_by_id.clear()
        _names_by_id.update(
            Permission.objects.values_list("pk", Concat("content_type__app_label", Value("."), "codename"))
        )
    return [_names_by_id[pk] for pk in ids if pk in _names_by_id]


def keep_permissions(user_obj, names) -> None:
    """Keep `names`, read with the user by the caller's own query, as this request's answer to permission
    checks, where ModelBackend would read them itself. A superuser holds every permission, not the ones
    assigned, and an inactive person none: both are left to the backend."""
    if user_obj.is_active and not user_obj.is_superuser:
        user_obj._perm_cache = set(names)


def permission_ids_column(connection, user_id: str) -> str:
    """SQL for the ids of the permissions the person `user_id` (a column) holds, their own and their groups'."""
    User, quote_name = get_user_model(), connection.ops.quote_name
    own = User.user_permissions.through._meta.db_table
    in_groups = User.groups.through._meta.db_table
    granted = Group.permissions.through._meta.db_table
    return (
        f"ARRAY(SELECT permission_id FROM {quote_name(own)} WHERE user_id = {user_id} UNION "  # noqa: S608
        f"SELECT gp.permission_id FROM {quote_name(granted)} gp "
        f"JOIN {quote_name(in_groups)} ug ON ug.group_id = gp.group_id WHERE ug.user_id = {user_id})"
    )


@functools.cache
def signed_in_user_statement(alias: str) -> str:
    """SQL for the person a session names, as ModelBackend.get_user reads them, and the ids of their permissions."""
    User, quote_name = get_user_model(), connections[alias].ops.quote_name
    columns = [f"u.{quote_name(field.column)}" for field in User._meta.concrete_fields]
    columns.append(permission_ids_column(connections[alias], "u.id"))
    table, pk = quote_name(User._meta.db_table), quote_name(User._meta.pk.column)
    return f"SELECT {', '.join(columns)} FROM {table} u WHERE u.{pk} = %s"  # noqa: S608 - names from the model


class ModelBackendInOneQuery(ModelBackend):
    """Django's ModelBackend, reading a person's permissions (their own and their groups') in one query instead
    of two on the first check of a request; the answer is the same set, kept on the user object for the rest of
    the request as Django keeps it. Nothing is cached across requests, so a role given or taken counts at once.

    On PostgreSQL the person a session names is read with their permissions by one prepared statement
    (`signed_in_user_statement`), as an API token's holder is (tracker/accounts/tokens.py)."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        connection = connections[router.db_for_read(User)]
        if connection.vendor != "postgresql":
            return super().get_user(pk)
        statement = signed_in_user_statement(connection.alias)
        row = read_row(connection, "tracker_signed_in_user", statement, ["bigint"], [pk])
        if row is None:
            return None
        user = from_row(User, connection, row[:-1])
        keep_permissions(user, permission_names(row[-1]))
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None or user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            keep_permissions(user_obj, granted_permission_names(user_obj.pk))
        return user_obj._perm_cache
