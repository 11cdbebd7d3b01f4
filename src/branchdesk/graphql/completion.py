"""Compiled completion of pure selections: the part of a response that only reads attributes.

graphql-core completes every field of a response through the same generic steps (resolve info,
resolver wrapper, awaitable checks, type dispatch), ~15 µs a field: most of a 50-row list's cost. A
*pure* selection is one whose every field is a plain attribute (a strawberry field with no resolver,
permission or extension), a Relay ``id``, ``__typename`` or a resolver marked :func:`prefetched` whose
value the parent read ahead, with no directive and no ``@defer``. For
each pure selection under a field (keyed by the document's field nodes, so once per cached
document), :class:`PlanningExecutor` compiles graphql-core's completion rules — non-null, lists,
``is_type_of``, an interface's runtime type, leaf coercion — into nested closures that read the
attributes and coerce the leaves directly; an object's fields become one generated function (a dict
display, plain attributes read inline, a ``str`` in a String field taken as it is).

Nothing else changes: every field with a resolver (root fields and their declared permissions,
argument checks, personal data with its masking and audited reads, labels, loaders) runs through
graphql-core as before, and a plan only completes the pure value such a field returned. A value a
plan does not expect (a null where non-null is declared, a class it has not seen, a scalar that
refuses the value) abandons the plan's result and graphql-core completes the same value again from
the start: reading attributes has no side effects, so it answers exactly what it always answers,
errors included. ``tests/graphql/test_compiled_completion.py`` checks the answers byte for byte.

A subscription event whose whole answer a plan completes depends on nothing but the event's payload
(a subscription field's resolver hands the payload on as it is). When one payload object is delivered to
many subscribers of the same document (``graphql.live``: a read shared by everyone an event wakes), its
answer is completed once and served to the others as it was (:class:`_EventAnswers`).
"""

from __future__ import annotations

import inspect
import operator
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from graphql.execution.collect_fields import FieldDetails, collect_subfields
from graphql.pyutils import Undefined
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry import relay
from strawberry.relay import GlobalID
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE as TYPE_CAST
from strawberry.types.cast import get_strawberry_type_cast

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
)

Complete = Callable[[Any], Any]
Get = Callable[[Any], Any]
R = TypeVar("R", bound=Callable[..., Any])
_PREFETCHED = "__branchdesk_prefetched__"
_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF
_RELAY_ID = relay.Node.__dict__["_id"].__func__  # strawberry's resolver of Node.id
MAX_PLANS = 4096  # distinct (field nodes, type) pairs kept; the document caches hold 512 documents
MAX_GLOBAL_IDS = 50_000  # encoded Relay ids kept
MAX_EVENT_ANSWERS = 64  # subscription events' answers kept: only the latest events are being delivered


# Marks a completion that returns a str given as it is (a String leaf, or a non-null one): an object's
# plan takes a str without calling it.
_TAKES_STRINGS = "__branchdesk_takes_strings__"


class Irregular(Exception):
    """A value a plan does not handle: graphql-core completes it instead."""


def _identity(value: Any) -> Any:
    return value


def _constant(value: Any) -> Get:
    def constant(_source: Any) -> Any:
        return value

    return constant


def _selections_free_of_directives(selection_set: SelectionSetNode | None, fragments: Any, seen: set[str]) -> bool:
    """No ``@include``/``@skip``/``@defer`` anywhere below: what is selected never depends on variables."""
    if selection_set is None:
        return True
    for selection in selection_set.selections:
        if selection.directives:
            return False
        if isinstance(selection, FieldNode | InlineFragmentNode):
            if not _selections_free_of_directives(selection.selection_set, fragments, seen):
                return False
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            details = fragments.get(selection.name.value)
            if details is None or details.variable_signatures:
                return False
            seen.add(selection.name.value)
            if not _selections_free_of_directives(details.definition.selection_set, fragments, seen):
                return False
    return True


class _Plans:
    """One schema's compiled plans and encoded Relay ids (shared by every request of the process)."""

    def __init__(self) -> None:
        self.completions: dict[tuple[int, ...], tuple[Any, Complete | None]] = {}
        self.fields: dict[tuple[int, ...], tuple[Any, tuple[Get, Complete] | None]] = {}
        self.global_ids: dict[tuple[str, str], Any] = {}
        self.id_attributes: dict[type, str | None] = {}
        self.hits = 0  # completions answered by a plan (tests read it)

    def clear_when_full(self) -> None:
        if len(self.completions) + len(self.fields) > MAX_PLANS:
            self.completions.clear()
            self.fields.clear()


class _EventAnswers:
    """Answers to subscription events completed wholly by a plan, by (operation, payload): the
    payload and operation are kept with the answer, so their ids are not reused while it is kept."""

    def __init__(self) -> None:
        self.kept: OrderedDict[tuple[Any, ...], tuple[Any, Any, ExecutionResult]] = OrderedDict()
        self.hits = 0  # events answered from here (tests read it)

    def find(self, key: tuple[Any, ...], payload: Any) -> ExecutionResult | None:
        found = self.kept.get(key)
        if found is None or found[0] is not payload:
            return None
        self.hits += 1
        return found[2]

    def keep(self, key: tuple[Any, ...], payload: Any, operation: Any, answer: ExecutionResult) -> None:
        self.kept[key] = (payload, operation, answer)
        if len(self.kept) > MAX_EVENT_ANSWERS:
            self.kept.popitem(last=False)


class _Answered:
    """A per-event executor whose answer is already known (graphql-core only asks it to execute)."""

    def __init__(self, answer: ExecutionResult) -> None:
        self.answer = answer

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return self.answer


class PlanningExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with pure selections completed by compiled plans (see the module)."""

    plans: _Plans = _Plans()
    events: _EventAnswers = _EventAnswers()
    _event_key: tuple[Any, ...] | None = None  # a per-event executor's key into ``events``
    _root_planned = False  # the operation's root field was completed by a plan

    # graphql-core keeps ``GraphQLResolveInfoHelpers(gather=self.gather_async_work, track=…)`` on the executor:
    # bound methods of the executor on the executor, a reference cycle. Then everything the executor holds
    # (the Context, the principal, the request and its scope, variables, collected errors: ~50 objects a
    # request) outlived its request until a collection found the cycle, and each collection under load had
    # the requests finished since to walk. Built when a resolver's info asks for it, nothing is kept.
    @property
    def async_helpers(self) -> GraphQLResolveInfoHelpers:
        return GraphQLResolveInfoHelpers(gather=self.gather_async_work, track=self.track_async_work)

    @async_helpers.setter
    def async_helpers(self, _helpers: GraphQLResolveInfoHelpers) -> None:
        pass  # graphql-core's __init__ sets it; the property builds the same

    @classmethod
    def for_schema(cls) -> type[PlanningExecutor]:
        """A subclass with plans of its own: a plan belongs to one schema's types."""
        return type("PlanningExecutor", (cls,), {"plans": _Plans(), "events": _EventAnswers()})

    # --- graphql-core's hooks ---------------------------------------------------------------------------

    def build_per_event_executor(self, payload: Any) -> Any:
        """A subscription event: its answer when the same payload was answered for the same operation by a
        plan alone; otherwise graphql-core's per-event executor, which keeps its answer so."""
        key = self._key_of_event(payload)
        if key is not None:
            answer = self.events.find(key, payload)
            if answer is not None:
                return _Answered(answer)
        executor = super().build_per_event_executor(payload)
        executor._event_key = key  # type: ignore[attr-defined]  # a copy of this executor
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        answer = super().execute_operation(serially)
        key = self._event_key
        if key is not None and self._root_planned and isinstance(answer, ExecutionResult) and not answer.errors:
            self.events.keep(key, self.root_value, self.operation, answer)
        return answer

    def _key_of_event(self, payload: Any) -> tuple[int, int] | None:
        """Variables play no part: a planned selection has no directive, and its fields no arguments (the
        subscription field's own arguments chose the events, not how one is answered)."""
        if self.operation.operation is not OperationType.SUBSCRIPTION or not self._planning():
            return None
        return id(self.operation), id(payload)

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: list[FieldDetails],
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        plan = self._completion(return_type, field_details_list)
        if plan is not None:
            try:
                completed = plan(result)
            except Exception:  # irregular: graphql-core completes the same value, errors and all
                pass
            else:
                self.plans.hits += 1
                if path.prev is None:
                    self._root_planned = True
                return completed
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: list[FieldDetails],
        path: Any,
        position_context: Any,
    ) -> Any:
        """A plain attribute (or Relay id, or ``__typename``) with a pure selection: read and completed by
        its plan, without building resolve info or calling strawberry's resolver wrapper."""
        found = self._field(parent_type, field_details_list)
        if found is not None:
            get, complete = found
            try:
                completed = complete(get(source))
            except Exception:  # irregular: graphql-core runs the field as always
                pass
            else:
                self.plans.hits += 1
                return completed
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    # --- plans, cached per document field nodes -------------------------------------------------------

    def _planning(self) -> bool:
        manager = self.middleware_manager
        return manager is None or not manager.middlewares

    def _completion(self, return_type: GraphQLOutputType, field_details_list: list[FieldDetails]) -> Complete | None:
        nodes = [details.node for details in field_details_list]
        key = (id(return_type), *map(id, nodes))
        cached = self.plans.completions.get(key)
        if cached is not None:
            return cached[1]
        plan = self._compile(return_type, field_details_list) if self._pure_below(field_details_list) else None
        self.plans.clear_when_full()
        self.plans.completions[key] = (nodes, plan)  # the nodes are kept: their ids cannot be reused meanwhile
        return plan

    def _field(
        self, parent_type: GraphQLObjectType, field_details_list: list[FieldDetails]
    ) -> tuple[Get, Complete] | None:
        nodes = [details.node for details in field_details_list]
        key = (id(parent_type), *map(id, nodes))
        cached = self.plans.fields.get(key)
        if cached is not None:
            return cached[1]
        found: tuple[Get, Complete] | None = None
        if self._pure_below(field_details_list):
            name = nodes[0].name.value
            field_def = parent_type.fields.get(name)
            if name == "__typename":
                found = _constant(parent_type.name), _identity
            elif field_def is not None:
                found = self._getter_and_completion(parent_type, field_def, field_details_list)
        self.plans.clear_when_full()
        self.plans.fields[key] = (nodes, found)
        return found

    def _pure_below(self, field_details_list: list[FieldDetails]) -> bool:
        if not self._planning():
            return False
        if any(d.defer_usage is not None or d.fragment_variable_values is not None for d in field_details_list):
            return False
        return all(
            _selections_free_of_directives(d.node.selection_set, self.fragments, set()) for d in field_details_list
        )

    # --- compiling ------------------------------------------------------------------------------------

    def _compile(self, return_type: GraphQLOutputType, field_details_list: list[FieldDetails]) -> Complete | None:
        """graphql-core's ``complete_value`` for this type and selection, or None when it is not pure."""
        if isinstance(return_type, GraphQLNonNull):
            if isinstance(return_type.of_type, GraphQLObjectType):  # the check inside its function: no call more
                return self._object(return_type.of_type, field_details_list, non_null=True)
            return _non_null(self._compile(return_type.of_type, field_details_list))
        if isinstance(return_type, GraphQLList):
            return _list_of(self._compile(return_type.of_type, field_details_list))
        if isinstance(return_type, GraphQLLeafType):
            return _leaf(return_type)
        if isinstance(return_type, GraphQLObjectType):
            return self._object(return_type, field_details_list)
        if isinstance(return_type, GraphQLInterfaceType):
            return self._interface(return_type, field_details_list)
        return None  # unions: their own resolve_type, left to graphql-core

    def _object(
        self, object_type: GraphQLObjectType, field_details_list: list[FieldDetails], *, non_null: bool = False
    ) -> Complete | None:
        definition = (object_type.extensions or {}).get(_BACKREF)
        if definition is None or definition.is_type_of is not None:
            return None  # a type's own is_type_of may need the resolve info
        grouped, defer_usages, _ = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation,
            object_type,
            field_details_list,
            self.hide_suggestions,
        )
        if defer_usages:
            return None
        fields: list[tuple[str, Get, Complete]] = []
        for response_key, sub_details in grouped.items():
            name = sub_details[0].node.name.value
            if name == "__typename":
                fields.append((response_key, _constant(object_type.name), _identity))
                continue
            field_def = object_type.fields.get(name)
            found = self._getter_and_completion(object_type, field_def, sub_details) if field_def else None
            if found is None:
                return None
            fields.append((response_key, *found))
        return _object_of(object_type.is_type_of, definition.origin, tuple(fields), non_null)

    def _interface(self, interface: GraphQLInterfaceType, field_details_list: list[FieldDetails]) -> Complete | None:
        """Strawberry's own runtime type for an interface: the object's strawberry type, when it is one."""
        definition = (interface.extensions or {}).get(_BACKREF)
        if definition is None or definition.resolve_type is not None:
            return None
        origin = definition.origin
        by_name: dict[str, Complete | None] = {
            possible.name: self._compile(possible, field_details_list)
            for possible in self.schema.get_possible_types(interface)
        }

        def runtime_object(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, origin) or get_strawberry_type_cast(value) is not None:
                raise Irregular
            object_definition = value.__strawberry_definition__
            if object_definition.is_graphql_generic:
                raise Irregular
            plan = by_name.get(object_definition.name)
            if plan is None:  # not a possible type here, or a selection that is not pure for it
                raise Irregular
            return plan(value)

        return runtime_object

    def _getter_and_completion(
        self, parent_type: GraphQLObjectType, field_def: GraphQLField, field_details_list: list[FieldDetails]
    ) -> tuple[Get, Complete] | None:
        definition = (field_def.extensions or {}).get(_BACKREF)
        if definition is None or definition.extensions:
            return None
        if getattr(field_def.resolve, "_is_default", False):  # strawberry's resolver of a plain attribute
            if definition.default_resolver is not getattr:
                return None
            complete = self._compile(field_def.type, field_details_list)
            return (operator.attrgetter(definition.python_name), complete) if complete is not None else None
        resolver = definition.base_resolver
        if resolver is not None and getattr(resolver.wrapped_func, "__func__", None) is _RELAY_ID:
            complete = self._compile(field_def.type, field_details_list)
            return (self._relay_id(parent_type.name, complete), _identity) if complete is not None else None
        attribute = getattr(resolver.wrapped_func, _PREFETCHED, None) if resolver is not None else None
        if attribute is not None and not definition.arguments:
            complete = self._compile(field_def.type, field_details_list)
            return (_read_ahead(attribute), complete) if complete is not None else None
        return None

    def _relay_id(self, type_name: str, complete: Complete) -> Get:
        """Strawberry's ``Node.id`` for nodes that keep the default ``resolve_id`` and ``resolve_typename``
        (``GlobalID(<type>, str(<the NodeID attribute>))``), completed, and kept once encoded."""
        encoded = self.plans.global_ids
        attributes = self.plans.id_attributes

        def global_id(node: Any) -> Any:
            cls = type(node)
            try:
                attribute = attributes[cls]
            except KeyError:
                attribute = attributes[cls] = _default_id_attribute(cls)
            if attribute is None:
                raise Irregular
            node_id = getattr(node, attribute)
            if type(node_id) is not str and (node_id is None or inspect.isawaitable(node_id)):
                raise Irregular
            key = (type_name, str(node_id))
            found = encoded.get(key)
            if found is None:
                found = complete(GlobalID(type_name=type_name, node_id=key[1]))
                if len(encoded) >= MAX_GLOBAL_IDS:
                    encoded.clear()
                encoded[key] = found
            return found

        return global_id


def prefetched(attribute: str) -> Callable[[R], R]:
    """Marks a resolver (no arguments) whose value the parent may have read already and kept as
    ``(value,)`` in ``attribute`` (None: not read). A plan reads that instead of calling the resolver,
    so a list of such nodes stays pure; where it is None the plan is abandoned and the resolver runs,
    which must return the kept value itself when there is one."""

    def mark(resolver: R) -> R:
        setattr(resolver, _PREFETCHED, attribute)
        return resolver

    return mark


def _read_ahead(attribute: str) -> Get:
    read = operator.attrgetter(attribute)

    def get(source: Any) -> Any:
        held = read(source)
        if type(held) is not tuple:
            raise Irregular  # not read ahead: the resolver loads it
        return held[0]

    return get


def _default_id_attribute(cls: type) -> str | None:
    """The NodeID attribute of a Node class that resolves ids and type names as strawberry does."""
    if not issubclass(cls, relay.Node):
        return None
    if (
        cls.resolve_id.__func__ is not relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
        or cls.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
    ):
        return None
    return cls.resolve_id_attr()


# --- graphql-core's completion rules, as closures ---------------------------------------------------------


def _non_null(inner: Complete | None) -> Complete | None:
    if inner is None:
        return None

    def non_null(value: Any) -> Any:
        completed = inner(value)
        if completed is None:
            raise Irregular  # graphql-core reports the null
        return completed

    setattr(non_null, _TAKES_STRINGS, getattr(inner, _TAKES_STRINGS, False))
    return non_null


def _list_of(inner: Complete | None) -> Complete | None:
    if inner is None:
        return None

    def each(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not list and type(value) is not tuple:
            raise Irregular  # other iterables, async ones, awaitables: graphql-core knows them
        return [inner(item) for item in value]

    return each


def _leaf(leaf: GraphQLLeafType) -> Complete:
    coerce = leaf.coerce_output_value
    strings = leaf is GraphQLString

    def scalar(value: Any) -> Any:
        if value is None:
            return None
        if strings and type(value) is str:
            return value
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Irregular
        return coerced

    setattr(scalar, _TAKES_STRINGS, strings)
    return scalar


def _object_of(
    is_type_of: Any, origin: type, fields: tuple[tuple[str, Get, Complete], ...], non_null: bool
) -> Complete:
    """An object's completion as one generated function: a dict display of its fields, each read and
    completed in order, a plain attribute read inline and a string taken as it is. The same steps as
    ``{key: complete(get(value)) ...}``, without a call per step for each field of each object; where
    the type is non-null, a null is refused there too (``_non_null`` without its call).

    A value of exactly the type's own class, not cast to another (``strawberry.cast``), is one for which
    strawberry's ``is_type_of`` answers True; any other value is checked by it."""
    names: dict[str, Any] = {"Irregular": Irregular, "is_type_of": is_type_of, "origin": origin, "CAST": TYPE_CAST}
    lines = [
        "def complete_object(value):",
        "    if value is None:",
        "        raise Irregular" if non_null else "        return None",  # graphql-core reports the null
    ]
    if is_type_of is not None:  # strawberry's generated check does not read the info
        lines += [
            "    if type(value) is not origin or getattr(value, CAST, None) is not None:",
            "        if is_type_of(value, None) is not True:",
            "            raise Irregular",
        ]
    for i, (_key, get, complete) in enumerate(fields):
        names[f"get_{i}"], names[f"complete_{i}"] = get, complete
        attribute = _attribute_of(get)
        read = f"value.{attribute}" if attribute is not None else f"get_{i}(value)"
        if complete is _identity:
            lines.append(f"    f_{i} = {read}")
        elif getattr(complete, _TAKES_STRINGS, False):  # a str is returned as it is
            lines += [f"    f_{i} = {read}", f"    if type(f_{i}) is not str:", f"        f_{i} = complete_{i}(f_{i})"]
        else:
            lines.append(f"    f_{i} = complete_{i}({read})")
    lines.append("    return {" + ", ".join(f"{key!r}: f_{i}" for i, (key, _, _) in enumerate(fields)) + "}")
    exec("\n".join(lines), names)  # the source is built here from field positions and response keys
    complete_object: Complete = names["complete_object"]
    return complete_object


def _attribute_of(get: Get) -> str | None:
    """The attribute an ``operator.attrgetter`` of one plain name reads; None for any other getter."""
    if type(get) is not operator.attrgetter:
        return None
    reduced: Any = get.__reduce__()  # (attrgetter, names)
    names = reduced[1]
    return names[0] if len(names) == 1 and isinstance(names[0], str) and names[0].isidentifier() else None
