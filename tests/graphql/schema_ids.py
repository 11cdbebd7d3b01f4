"""What the executable schema says about object ids: the types that implement ``Node``, every place a
root field takes an ``ID`` (an argument, or an input-object field at any depth), which Node type each
of those places names, and runnable documents that put a given id there.

A new Node type or a new id-taking field joins the node-isolation test without being named; an id
argument that :func:`classify` cannot place makes that test fail until it is added to the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql.pyutils import Undefined

from branchdesk.graphql.schema import build_schema
from branchdesk.platform.settings import Settings
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)

ANY_NODE = "*"  # node(id:) and nodes(ids:) take an id of every Node type
NOT_AN_OBJECT = "-"  # an ID that names no Node (say why next to the entry)

# Argument or input-field names that name an object of one type wherever they appear. A name of the
# form `<nodeType>Id` (serviceAccountId → ServiceAccount) needs no entry.
REFERS_TO: dict[str, str] = {
    "staffId": "StaffMember",
    "itemId": "AccessReviewItem",
    "ownerId": "StaffMember",
    "coOwnerIds": "StaffMember",
    "toOwnerId": "StaffMember",
    "fromOwnerId": "StaffMember",
    "clientIds": "Client",
    "assigneeId": "StaffMember",
    "ratedStaffId": "StaffMember",
    "mentionIds": "StaffMember",
    "participantIds": "StaffMember",
    "attendeeIds": "StaffMember",
    "coverId": "StaffMember",
    "planId": "CarePlan",
}
# Names that only mean something on their field: a bare `id` is the object the field is about.
ON_FIELD: dict[tuple[str, str, str], str] = {
    ("Query", "node", "id"): ANY_NODE,
    ("Query", "nodes", "ids"): ANY_NODE,
    ("Query", "accessReview", "id"): "AccessReview",
    ("Mutation", "closeAccessReview", "id"): "AccessReview",
    ("Mutation", "removeBranchClosure", "id"): "BranchClosure",
    # One of the caller's own sessions (a sign-in: platform-wide, of no branch); anyone else's is not found.
    ("Mutation", "endSession", "id"): NOT_AN_OBJECT,
    ("Query", "client", "id"): "Client",
    ("Mutation", "updateClient", "id"): "Client",
    ("Mutation", "acknowledgeComplaint", "id"): "Feedback",
    ("Mutation", "startInvestigation", "id"): "Feedback",
    ("Mutation", "resolveComplaint", "id"): "Feedback",
    ("Mutation", "closeComplaint", "id"): "Feedback",
    ("Mutation", "reopenComplaint", "id"): "Feedback",
    ("Mutation", "assignComplaint", "id"): "Feedback",
    ("Query", "segment", "id"): "Segment",
    ("Mutation", "updateSegment", "id"): "Segment",
    ("Query", "survey", "id"): "Survey",
    ("Mutation", "publishSurvey", "id"): "Survey",
    # What a satisfaction response rates: a complaint (a Feedback id) until visits and follow-ups land.
    ("Mutation", "recordSurveyResponse", "subjectId"): "Feedback",
    ("Query", "visit", "id"): "Visit",
    ("Query", "handoff", "id"): "Handoff",
    ("Mutation", "acceptHandoff", "id"): "Handoff",
    ("Mutation", "startHandoff", "id"): "Handoff",
    ("Mutation", "completeHandoff", "id"): "Handoff",
    ("Mutation", "declineHandoff", "id"): "Handoff",
    ("Mutation", "cancelHandoff", "id"): "Handoff",
    # What a handoff came from (a visit, a meeting…): a reference kept with it, never read through it.
    ("Mutation", "raiseHandoff", "id"): NOT_AN_OBJECT,
    # The subject of a comment is the kind its `subjectType` names: the samples send HANDOFF.
    ("Query", "comments", "subjectId"): "Handoff",
    ("Mutation", "addComment", "subjectId"): "Handoff",
    ("Query", "ticket", "id"): "SupportTicket",
    ("Mutation", "postIncidentUpdate", "id"): "Incident",
    ("Mutation", "closeIncident", "id"): "Incident",
    ("Mutation", "markNotificationsRead", "ids"): "Notification",
    # A head-office directive is platform-wide, read by the branches it reaches and by head office by
    # design (tests/directives: another branch's is not found, and attesting or asking about it refused).
    ("Query", "directive", "id"): NOT_AN_OBJECT,
    ("Query", "directiveAttestation", "id"): NOT_AN_OBJECT,
    ("Mutation", "supersedeDirective", "id"): NOT_AN_OBJECT,
    ("Mutation", "attestDirective", "id"): NOT_AN_OBJECT,
    ("Mutation", "askAboutDirective", "directiveId"): NOT_AN_OBJECT,
    # A branch's question is answered by head office across branches, by design (tests/directives).
    ("Mutation", "answerDirectiveQuestion", "questionId"): NOT_AN_OBJECT,
    ("Query", "carePlan", "id"): "CarePlan",
    ("Query", "simulatePlan", "id"): "CarePlan",
    ("Mutation", "updateCarePlan", "id"): "CarePlan",
    ("Mutation", "pauseCarePlan", "id"): "CarePlan",
    ("Mutation", "resumeCarePlan", "id"): "CarePlan",
    ("Mutation", "completeFollowUp", "id"): "FollowUp",
    ("Mutation", "rescheduleFollowUp", "id"): "FollowUp",
    ("Mutation", "reassignFollowUps", "ids"): "FollowUp",
    ("Mutation", "cancelAbsence", "id"): "StaffAbsence",
}
# Fields that take ids of several objects: when one slot is probed, the others are optional (left out)
# or required and filled from SAMPLES with an object of the caller's own branch.
SEVERAL: frozenset[tuple[str, str]] = frozenset(
    {
        ("Mutation", "createClient"),
        ("Mutation", "assignClients"),
        ("Mutation", "submitFeedback"),
        ("Mutation", "assignComplaint"),
        ("Query", "feedback"),
        ("Mutation", "recordSurveyResponse"),
        ("Mutation", "raiseHandoff"),
        ("Mutation", "addComment"),
        ("Mutation", "reassignHandoff"),
        ("Mutation", "addActionItem"),
        ("Mutation", "recordMeeting"),
        ("Mutation", "declareIncident"),
        ("Mutation", "openTicket"),
        ("Query", "followUps"),
        ("Mutation", "reassignFollowUps"),
        ("Mutation", "recordAbsence"),
    }
)
# Values for required arguments other than the id, where a generic one would be refused before the
# object is looked up (a PENDING decision, an unknown role) and so hide what the lookup answers.
SAMPLES: dict[str, Any] = {
    "role": "lobby_manager",
    "decision": "REVOKED",
    "category": "other",  # a feedback category of the head-office list (an unknown one is refused first)
    "type": "it_help",  # a handoff type of the head-office list (likewise)
    # The new owner of clients being moved: nobody by default; the node-isolation scene puts its caller here
    # (a member of both branches), so that moving a client reaches the client.
    "toOwnerId": "U3RhZmZNZW1iZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw",
    # Who works a complaint: likewise nobody by default, the node-isolation caller in that scene.
    "assigneeId": "U3RhZmZNZW1iZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw",
    # The complaint an assignee is probed on (assignComplaint's `id`, the one field where `id` is not the
    # probed slot): a complaint of nothing by default, one of branch B in the node-isolation scene.
    "id": "RmVlZGJhY2s6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw",
    # An absence (recordAbsence) probed on its cover: whose it is, the node-isolation caller in that scene;
    # and a real period, so that the dates are not refused before the people are looked up.
    "staffId": "U3RhZmZNZW1iZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw",
    "startsAt": "2030-01-07T09:00:00+08:00",
    "endsAt": "2030-01-08T09:00:00+08:00",
    # What a comment is about, the handoff being reassigned and the meeting an action item is added to: of
    # nothing by default, objects of branch B in the node-isolation scene (where the same request reaches them).
    "subjectId": "SGFuZG9mZjowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=",
    "handoffId": "SGFuZG9mZjowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=",
    "meetingId": "TWVldGluZzowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=",
}
GENERIC = {
    "String": "node isolation",
    "Int": 1,
    "Boolean": False,
    "DateTime": "2026-01-01T00:00:00+00:00",
    "Date": "2026-01-01",
    "JSON": {},
    "Decimal": "1000",
}


@dataclass(frozen=True)
class IdSlot:
    """One place of a root field where an ``ID`` goes: ``path`` is the argument then input fields."""

    root: str  # Query | Mutation | Subscription
    field: str
    path: tuple[str, ...]
    is_list: bool

    @property
    def name(self) -> str:
        return self.path[-1]

    def __str__(self) -> str:
        return f"{self.root}.{self.field}({'.'.join(self.path)})"


def core_schema() -> GraphQLSchema:
    return build_schema(Settings())._schema


def node_types(schema: GraphQLSchema) -> list[str]:
    return sorted(
        t.name
        for t in schema.type_map.values()
        if isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)
    )


def _roots(schema: GraphQLSchema) -> list[tuple[str, GraphQLObjectType]]:
    roots = (
        ("Query", schema.query_type),
        ("Mutation", schema.mutation_type),
        ("Subscription", schema.subscription_type),
    )
    return [(name, t) for name, t in roots if t is not None]


def _id_paths(type_: Any, path: tuple[str, ...], seen: frozenset[str]) -> list[tuple[tuple[str, ...], bool]]:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    is_list = isinstance(inner, GraphQLList)
    named = get_named_type(type_)
    if named.name == "ID":
        return [(path, is_list)]
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        return [
            found
            for name, field in named.fields.items()
            for found in _id_paths(field.type, (*path, name), seen | {named.name})
        ]
    return []


def id_slots(schema: GraphQLSchema) -> list[IdSlot]:
    return [
        IdSlot(root, field_name, path, is_list)
        for root, root_type in _roots(schema)
        for field_name, field in root_type.fields.items()
        for arg_name, arg in field.args.items()
        for path, is_list in _id_paths(arg.type, (arg_name,), frozenset())
    ]


def classify(slot: IdSlot, nodes: list[str]) -> str | None:
    """The Node type (or ANY_NODE / NOT_AN_OBJECT) the slot names; None when nothing says."""
    if (slot.root, slot.field, slot.name) in ON_FIELD:
        return ON_FIELD[(slot.root, slot.field, slot.name)]
    if slot.name in REFERS_TO:
        return REFERS_TO[slot.name]
    by_convention = {t[0].lower() + t[1:] + "Id": t for t in nodes}
    return by_convention.get(slot.name)


# --- documents -----------------------------------------------------------------------------------


def _required(field: Any) -> bool:
    return isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined


def _sample(name: str, type_: Any) -> Any:
    named = get_named_type(type_)
    if name in SAMPLES and (not isinstance(named, GraphQLEnumType) or SAMPLES[name] in named.values):
        return SAMPLES[name]  # (a ticket's `category` is an enum: not the feedback category's sample)
    if isinstance(type_, GraphQLNonNull):
        return _sample(name, type_.of_type)
    if isinstance(type_, GraphQLList):
        return []
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {n: _sample(n, f.type) for n, f in type_.fields.items() if _required(f)}
    return GENERIC[type_.name]


def _with_id(name: str, type_: Any, rest: tuple[str, ...], global_id: str, is_list: bool) -> Any:
    """A value of ``type_`` carrying ``global_id`` at ``rest`` (input-field names), samples elsewhere."""
    if not rest:
        return [global_id] if is_list else global_id
    named = get_named_type(type_)
    assert isinstance(named, GraphQLInputObjectType)
    value = {n: _sample(n, f.type) for n, f in named.fields.items() if _required(f) and n != rest[0]}
    value[rest[0]] = _with_id(rest[0], named.fields[rest[0]].type, rest[1:], global_id, is_list)
    return value


def selection(type_: Any, depth: int) -> str:
    """Every field without required arguments, objects ``depth`` levels down; ``__typename`` for the rest."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    parts = ["__typename"]
    if isinstance(named, GraphQLObjectType):
        for name, field in named.fields.items():
            if any(_required(a) for a in field.args.values()):
                continue
            inner = get_named_type(field.type)
            if is_leaf_type(inner):
                parts.append(name)
            elif depth > 0 and not isinstance(inner, GraphQLInterfaceType):
                parts.append(f"{name} {selection(inner, depth - 1)}")
    return "{ " + " ".join(parts) + " }"


@dataclass(frozen=True)
class Probe:
    """A root field called with an object's id in one of its id slots."""

    slot: IdSlot
    nullable: bool  # the field itself may answer null

    @property
    def name(self) -> str:
        return f"{self.slot.field}.{'.'.join(self.slot.path)}"

    def request(self, schema: GraphQLSchema, global_id: str) -> tuple[str, dict[str, Any]]:
        root_type = dict(_roots(schema))[self.slot.root]
        field = root_type.fields[self.slot.field]
        head, rest = self.slot.path[0], self.slot.path[1:]
        variables = {head: _with_id(head, field.args[head].type, rest, global_id, self.slot.is_list)}
        variables |= {n: _sample(n, a.type) for n, a in field.args.items() if _required(a) and n != head}
        declared = ", ".join(f"${n}: {field.args[n].type}" for n in variables)
        call = ", ".join(f"{n}: ${n}" for n in variables)
        keyword = self.slot.root.lower()
        return f"{keyword}({declared}) {{ {self.slot.field}({call}) {selection(field.type, 2)} }}", variables


def probes_by_type(schema: GraphQLSchema) -> dict[str, list[Probe]]:
    """Each Node type's id-taking root fields (node and nodes aside: every type has those)."""
    nodes = node_types(schema)
    found: dict[str, list[Probe]] = {t: [] for t in nodes}
    roots = dict(_roots(schema))
    for slot in id_slots(schema):
        named = classify(slot, nodes)
        if named in found:
            field = roots[slot.root].fields[slot.field]
            found[named].append(Probe(slot, nullable=not isinstance(field.type, GraphQLNonNull)))
    return found


def node_document(type_name: str, schema: GraphQLSchema) -> str:
    """``node(id:)`` selecting what a reader of ``type_name`` sees."""
    fields = selection(schema.type_map[type_name], 1)
    return f"query($id: ID!) {{ node(id: $id) {{ __typename ... on {type_name} {fields} }} }}"
