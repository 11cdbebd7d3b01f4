"""Descriptions that follow from the API's conventions, written once here rather than on every field:
the limits on the root types, page arguments, mutations' ``input``, payloads and their ``errors``.
Applied when the schema is built, only where a description is missing (a field's own one wins)."""

from __future__ import annotations

from branchdesk.platform.settings import Settings
from graphql import GraphQLInputObjectType, GraphQLNamedType, GraphQLObjectType, GraphQLSchema, get_named_type


def limits(settings: Settings) -> str:
    return (
        f"Limits: an operation nests at most {settings.graphql_max_depth} levels deep, uses at most "
        f"{settings.graphql_max_aliases} aliases and {settings.graphql_max_tokens} tokens "
        "(GRAPHQL_VALIDATION_FAILED, TOKEN_LIMIT_EXCEEDED); a page holds "
        f"{settings.page_size_default} items unless `first` asks for up to {settings.page_size_max} "
        f"(PAGE_SIZE_EXCEEDED), and `nodes` takes at most {settings.page_size_max} ids. Sign-in locks an "
        f"account for {settings.signin_lockout_seconds // 60} minutes after {settings.signin_max_failures} "
        f"failures, and refuses an address after {settings.signin_source_max_failures} failures in "
        f"{settings.signin_source_window_seconds // 60} minutes (RATE_LIMITED). Every String input states "
        "its maximum length. Send `Authorization: Bearer <token>`, `X-Branch: <branch code>` (the branch "
        "you act in) and `Accept-Language` (zh-CN or en) for labels and messages."
    )


# Arguments and input fields that mean the same wherever they appear.
GLOSSARY = {
    "id": "The object's global id.",
    "ids": "Global ids.",
    "staffId": "The staff member's global id (`StaffMember.id`; yours is `me.staff.id`).",
    "itemId": "The access-review item's global id.",
    "serviceAccountId": "The service account's global id.",
    "status": "Only those with this status; all when omitted.",
    "decision": "Only those with this decision; all when omitted.",
    "at": "A past moment to reconstruct from the change history; now when omitted.",
    "orderBy": "How the list is sorted; ascending by its natural key when omitted.",
    "field": "What the list is sorted by.",
    "direction": "Which way: `ASC` (the default) or `DESC` (newest first for histories).",
}


def _describe(thing: object, text: str) -> None:
    if not (getattr(thing, "description", None) or "").strip():
        thing.description = text  # type: ignore[attr-defined]


def describe_conventions(schema: GraphQLSchema, settings: Settings) -> None:
    query, mutation = schema.query_type, schema.mutation_type
    assert query is not None and mutation is not None
    _describe(query, f"What staff can read, each field with the permission it needs.\n\n{limits(settings)}")
    _describe(
        mutation, "What staff can change: each mutation takes one `input` and returns a payload with typed `errors`."
    )
    if schema.subscription_type is not None:
        _describe(
            schema.subscription_type,
            "Live events over WebSocket (graphql-transport-ws; the token and branch in `connection_init`), each "
            "delivered only while the caller still holds the field's permission.",
        )
    page = f"How many items to return: {settings.page_size_default} unless given, at most {settings.page_size_max}."
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
            for field in named.fields.values():
                for arg_name, arg in field.args.items():
                    if arg_name in ("first", "last"):
                        _describe(arg, page)
                    elif arg_name in GLOSSARY:
                        _describe(arg, GLOSSARY[arg_name])
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                if field_name in GLOSSARY:
                    _describe(input_field, GLOSSARY[field_name])
    for name, field in mutation.fields.items():
        if "input" in field.args:
            _describe(field.args["input"], f"What `{name}` needs.")
            _describe(get_named_type(field.args["input"].type), f"The input of `{name}`.")
        result: GraphQLNamedType = get_named_type(field.type)
        if not isinstance(result, GraphQLObjectType):
            continue
        _describe(result, f"What `{name}` returns: the result, or `errors` when it was refused.")
        for field_name, returned in result.fields.items():
            if field_name == "errors":
                _describe(
                    returned, "Why the mutation was refused; empty when it succeeded. Refused, it changed nothing."
                )
            elif isinstance(get_named_type(returned.type), GraphQLObjectType):
                _describe(returned, "The object as it is after the mutation; null when it was refused.")
