"""Pure checks of names and values, shared by the config models and the constructs.

One function per rule, so the YAML and the props refuse the same input for the same reason:
the config models call them and report the file and field (`config.base.FieldError`); the
constructs call them through `check_prop`, which names the construct path, the prop and the
bad value (`PropError`). Each check returns the value it accepts and raises `ValueError`
with the problem and the fix, without saying where (the caller knows).

cdk-free and pydantic-free on purpose: the config package and the command-line tools import
it without loading aws_cdk. Deploy-time values (CDK tokens) are the constructs' business:
they skip a check when the value is unresolved.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import ipaddress
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal, TypeVar, Union

T = TypeVar("T")

#: An IAM role or user ARN of the commercial partition: `role/<path>/<name>`.
IAM_PRINCIPAL_ARN = re.compile(
    r"arn:aws:iam::\d{12}:(?P<kind>role|user)(?P<path>/(?:[\x21-\x7e]+/)?)(?P<name>[^/]+)"
)
#: IAM user, role and policy names (IAM's `\w` is ASCII only).
IAM_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}")
#: A customer- or AWS-managed IAM policy ARN of the commercial partition.
MANAGED_POLICY_ARN = re.compile(
    r"arn:aws:iam::(aws|\d{12}):policy(/[\x21-\x7e]+)?/[A-Za-z0-9_+=,.@-]{1,128}"
)
#: `service:Action`, optionally with `*` inside the action name (`s3:Get*`).
IAM_ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z0-9*]+")
#: Any ARN of the commercial partition, or `*`; ARNs may carry `*` in their resource part.
RESOURCE_ARN = re.compile(r"\*|arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:[^\s]+")
#: IAM condition operators accepted in workload policy statements.
CONDITION_OPERATOR = re.compile(
    r"(ForAnyValue:|ForAllValues:)?("
    r"String(Not)?Equals(IgnoreCase)?|String(Not)?Like|"
    r"Numeric(Not)?Equals|Numeric(LessThan|GreaterThan)(Equals)?|"
    r"Date(Not)?Equals|Date(LessThan|GreaterThan)(Equals)?|"
    r"Bool|BinaryEquals|(Not)?IpAddress|Arn(Not)?(Equals|Like)"
    r")(IfExists)?|Null"
)
#: The prefix of an AWS-managed policy's ARN (its name follows).
AWS_MANAGED_POLICY = re.compile(r"arn:aws:iam::aws:policy/")
#: A Kubernetes DNS-1123 label: namespaces and most object names.
K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
#: A Kubernetes DNS-1123 subdomain (service accounts, ConfigMaps...): DNS labels joined by
#: '.', at most MAX_SUBDOMAIN_LENGTH characters in all.
K8S_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
MAX_SUBDOMAIN_LENGTH = 253
#: The Kubernetes quantity grammar (resource.Quantity): an optional sign; digits with an
#: optional fraction, or a leading fraction (.5); a suffix that is a binary SI (Ki..Ei), a
#: decimal SI (m, k, M, G, T, P, E or none) or a decimal exponent (e3, E-2).
_SIGNED_NUMBER = r"(?P<sign>[+-])?(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_EXPONENT = r"[eE][+-]?[0-9]+"
#: A Kubernetes resource quantity, e.g. 500m, 2, 1.5Gi, .5, 1e3.
QUANTITY = re.compile(_SIGNED_NUMBER + rf"(?P<suffix>[KMGTPE]i|[mkMGTPE]|{_EXPONENT})?")
#: A memory quantity: as QUANTITY, without the milli suffix (a thousandth of a byte).
MEMORY_QUANTITY = re.compile(_SIGNED_NUMBER + rf"(?P<suffix>[KMGTPE]i|[kMGTPE]|{_EXPONENT})?")
_QUANTITY_FACTORS: dict[str, Decimal] = {
    "": Decimal(1), "m": Decimal("0.001"),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30),
    "Ti": Decimal(2**40), "Pi": Decimal(2**50), "Ei": Decimal(2**60),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9),
    "T": Decimal(10**12), "P": Decimal(10**15), "E": Decimal(10**18),
}  # fmt: skip
#: ECR repository names: lower-case path components separated by '/'.
REPOSITORY_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
#: ECR scanning filters: repository name patterns with `*` wildcards. (`*` is not also a
#: separator: that made the pattern backtrack exponentially on `a*****...!`.)
SCAN_FILTER = re.compile(r"[a-z0-9*]+(?:[._/-][a-z0-9*]+)*")
#: A container image reference: repository, optional tag, optional digest.
IMAGE = re.compile(
    r"[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?"
)
#: An AWS region name, e.g. eu-west-1 (config.base.check_region adds the partition rule).
REGION = re.compile(r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}")
#: An SNS topic ARN, any partition, standard or FIFO: each caller applies its own rules to
#: the groups (the pipeline's notification rules refuse FIFO topics and other partitions;
#: the CNI alarm takes the commercial partition only).
SNS_TOPIC_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):sns:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<name>[A-Za-z0-9_-]{1,256})(?P<fifo>\.fifo)?"
)
#: An ACM certificate ARN of the commercial partition.
CERTIFICATE_ARN = re.compile(
    r"arn:aws:acm:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):certificate/[A-Za-z0-9_-]{1,128}"
)
#: A CodeConnections connection ARN of the commercial partition (the service was renamed
#: from CodeStar Connections in 2024; connections created before then keep the
#: `codestar-connections` ARN, and both work).
CONNECTION_ARN = re.compile(
    r"arn:aws:(?:codeconnections|codestar-connections):"
    r"(?P<region>[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}):(?P<account>\d{12}):"
    r"connection/(?P<id>[A-Za-z0-9-]{1,64})"
)
#: A repository as CodeConnections' FullRepositoryId names it: `owner/name` (GitHub,
#: GitLab, Bitbucket).
SOURCE_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/[A-Za-z0-9_.-]{1,100}")
#: Git forbids these in branch names (git check-ref-format).
BRANCH_FORBIDDEN = re.compile(r"[\x00-\x20~^:?*\[\\\x7f]|\.\.|@\{|//")
#: An EKS add-on version, e.g. v1.10.0-eksbuild.2.
ADDON_VERSION = re.compile(r"v\d+\.\d+\.\d+-eksbuild\.\d+")

#: Namespaces the cluster or this project already owns; a tenant cannot take them.
RESERVED_NAMESPACES = frozenset(
    {"default", "kube-system", "kube-public", "kube-node-lease", "amazon-cloudwatch",
     "cert-manager", "external-dns", "karpenter"}
)  # fmt: skip
#: Longest Kubernetes group name accepted in access entries (the longest Kubernetes name).
MAX_GROUP_LENGTH = 253
#: EKS access policies, by the short names the config uses.
ACCESS_POLICIES: dict[str, str] = {
    "cluster_admin": "AmazonEKSClusterAdminPolicy",
    "admin": "AmazonEKSAdminPolicy",
    "edit": "AmazonEKSEditPolicy",
    "view": "AmazonEKSViewPolicy",
}
#: Pod Security Standard levels a tenant may have (`privileged` is never needed).
POD_SECURITY_LEVELS: tuple[str, ...] = ("restricted", "baseline")
#: Bounds (inclusive) of a tenant's ResourceQuota counts.
TENANT_COUNTS: dict[str, tuple[int, int]] = {
    "pods": (1, 10000),
    "persistent_volume_claims": (0, 10000),
    "load_balancers": (0, 100),
}
#: Bounds (inclusive) of an ECR repository's lifecycle settings.
REPOSITORY_COUNTS: dict[str, tuple[int, int]] = {
    "keep_images": (1, 10000),
    "untagged_expiry_days": (1, 3650),
}
#: Most repository filters one enhanced-scanning rule takes.
MAX_SCAN_FILTERS = 100
#: Bounds (inclusive) of the demo workload's scaling settings.
DEMO_COUNTS: dict[str, tuple[int, int]] = {
    "replicas": (1, 100),
    "max_replicas": (1, 1000),
    "target_cpu_utilization": (10, 100),
}
#: How often GuardDuty publishes updated findings (AWS::GuardDuty::Detector).
PUBLISHING_FREQUENCIES: tuple[str, ...] = ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS")
#: Amazon Inspector scan frequencies of ECR enhanced scanning.
SCAN_FREQUENCIES: tuple[str, ...] = ("CONTINUOUS_SCAN", "SCAN_ON_PUSH")
#: Minimum length of a reason a reviewer reads (cdk-nag acknowledgements).
MIN_REASON = 20


class PropError(ValueError):
    """A construct's prop is bad: the message names the construct path, the prop, the bad
    value and the fix, e.g. `Platform/Registry: RegistryProps.repositories[0].name = 'Shop':
    not an ECR repository name: ...`."""

    def __init__(self, path: str, prop: str, value: Any, problem: str) -> None:
        self.path = path
        self.prop = prop
        self.value = value
        self.problem = problem
        super().__init__(f"{path}: {prop} = {shown(value)}: {problem}")


def check_prop(path: str, prop: str, value: T, check: Callable[..., object], *args: Any) -> T:
    """Run `check(value, *args)`; turn its ValueError into a PropError at `path` and `prop`."""
    try:
        check(value, *args)
    except PropError:
        raise
    except ValueError as exc:
        raise PropError(path, prop, value, str(exc)) from None
    return value


def check_field_types(path: str, props: Any, name: str | None = None) -> None:
    """Refuse a props dataclass whose values do not have their annotated Python types, with
    a `PropError` naming the field (`XProps.groups[0].desired_size`), the value and the type
    to use: a wrong type must not surface later as a bare TypeError, AttributeError or jsii
    error (or, for `flag="yes"`, be read as true).

    Checks the simple annotations: bool (not an int), int (not a bool), float (an int too),
    str, None, Literal[...] (the type of its values: which values it takes is the construct's
    check, with the reason), Sequence/list/tuple (a str is not one; items checked),
    Mapping/dict (keys and values checked), nested dataclasses (their fields checked) and
    unions of these.
    Anything else (CDK and jsii classes, Protocols, Callables, Any, other generics) is not
    checked, nor is a union with such a member; a field still at its default is not checked,
    nor is an unresolved CDK token (a deploy-time value).
    """
    _check_dataclass(path, name or type(props).__name__, props, frozenset())


#: Sequence-like annotations: `Sequence[T]`, `list[T]`, `tuple[T, ...]`.
_SEQUENCES: tuple[Any, ...] = (
    collections.abc.Sequence, collections.abc.MutableSequence, list, tuple,
)  # fmt: skip
_MAPPINGS: tuple[Any, ...] = (collections.abc.Mapping, collections.abc.MutableMapping, dict)
_NOT_SEQUENCES = (str, bytes, bytearray)


@functools.cache
def _field_hints(cls: Any) -> dict[str, Any]:
    """A dataclass's resolved field annotations; a field whose annotation does not resolve
    (a name imported only for type checking) is left out, so not checked."""
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except Exception:  # resolve field by field below
        pass
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        module = sys.modules.get(klass.__module__)
        namespace = dict(vars(module)) if module is not None else {}
        for field_name, annotation in vars(klass).get("__annotations__", {}).items():
            try:
                hints[field_name] = (
                    eval(annotation, namespace, dict(vars(klass)))
                    if isinstance(annotation, str)
                    else annotation
                )
            except Exception:  # an unresolvable annotation is not checked
                hints.pop(field_name, None)
    return hints


def _check_dataclass(path: str, prop: str, obj: Any, seen: frozenset[int]) -> None:
    if id(obj) in seen:
        return
    seen = seen | {id(obj)}
    cls: Any = type(obj)
    hints = _field_hints(cls)
    for field in dataclasses.fields(obj):
        if field.name not in hints:
            continue
        value = getattr(obj, field.name, dataclasses.MISSING)
        if value is dataclasses.MISSING or value is field.default:
            continue
        _check_value(path, f"{prop}.{field.name}", value, hints[field.name], seen)


def _unwrap(hint: Any) -> Any:
    """`Annotated[T, ...]` -> T, `NewType` -> its base."""
    while True:
        if typing.get_origin(hint) is typing.Annotated:
            hint = typing.get_args(hint)[0]
        elif hasattr(hint, "__supertype__"):
            hint = hint.__supertype__
        else:
            return hint


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


def _matches(value: Any, hint: Any) -> bool | None:
    """Whether `value` has the outer type `hint` asks for; None if `hint` is not a checked
    type (then nothing is refused)."""
    hint = _unwrap(hint)
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return None
    if hint is None or hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is Literal:
        # The type only: which values a Literal field takes is the construct's to check, with
        # the reason (`'windows'`: use a managed node group).
        return any(type(value) is type(choice) for choice in hint.__args__)
    if _is_union(origin):
        results = [_matches(value, member) for member in typing.get_args(hint)]
        return None if None in results else any(results)
    if hint in _SEQUENCES or origin in _SEQUENCES:
        if not isinstance(value, collections.abc.Sequence) or isinstance(value, _NOT_SEQUENCES):
            return False
        args = typing.get_args(hint)
        if origin is tuple and args and args[-1] is not Ellipsis and args != ((),):
            return len(value) == len(args)
        return True
    if hint in _MAPPINGS or origin in _MAPPINGS:
        return isinstance(value, collections.abc.Mapping)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return isinstance(value, hint)
    return None


def _check_value(path: str, prop: str, value: Any, hint: Any, seen: frozenset[int]) -> None:
    """Refuse `value` at `prop` unless it has type `hint`; then check what it holds."""
    hint = _unwrap(hint)
    if _matches(value, hint) is False:
        if _unresolved(value):
            return
        raise PropError(
            path,
            prop,
            value,
            f"expected {_type_name(hint)}, got {_value_kind(value)}: use {_example(hint, value)}",
        )
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if _is_union(origin):
        member = next((m for m in args if _matches(value, m)), None)
        if member is not None:
            _check_value(path, prop, value, member, seen)
    elif origin in _SEQUENCES and args and args != ((),):
        if origin is tuple and args[-1] is not Ellipsis:
            for index, (item, item_hint) in enumerate(zip(value, args, strict=True)):
                _check_value(path, f"{prop}[{index}]", item, item_hint, seen)
        else:
            for index, item in enumerate(value):
                _check_value(path, f"{prop}[{index}]", item, args[0], seen)
    elif origin in _MAPPINGS and len(args) == 2:
        for key, item in value.items():
            _check_value(path, f"{prop} key {shown(key, 40)}", key, args[0], seen)
            _check_value(path, f"{prop}[{shown(key, 40)}]", item, args[1], seen)
    elif isinstance(hint, type) and dataclasses.is_dataclass(hint):
        _check_dataclass(path, prop, value, seen)


def _unresolved(value: Any) -> bool:
    """Whether `value` is an unresolved CDK token (a number token is a float, a list token
    a list): checked only when aws_cdk is already loaded, so this module stays cdk-free."""
    cdk = sys.modules.get("aws_cdk")
    if cdk is None or not isinstance(value, (str, int, float, list)):
        return False
    try:
        return bool(cdk.Token.is_unresolved(value))
    except Exception:  # not something jsii can look at: not a token
        return False


def _value_kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _type_name(hint: Any) -> str:
    """`hint` as the message names it: int, str | None, Sequence[Taint], 'tcp' | 'udp'."""
    hint = _unwrap(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is None or hint is type(None):
        return "None"
    if origin is Literal:
        return " | ".join(repr(choice) for choice in args)
    if _is_union(origin):
        return " | ".join(_type_name(member) for member in args)
    if origin is not None:
        base = getattr(origin, "__name__", str(origin))
        inner = ", ".join("..." if arg is Ellipsis else _type_name(arg) for arg in args)
        return f"{base}[{inner}]" if args else base
    return getattr(hint, "__name__", str(hint))


def _example(hint: Any, value: Any) -> str:
    """The fix: the type to use, with an example (built from `value` when it can be)."""
    hint = _unwrap(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is None or hint is type(None):
        return "None"
    if hint is bool:
        return "a bool, True or False" + (
            " (a str or a number is not read as one)" if not isinstance(value, bool) else ""
        )
    if hint is int:
        if isinstance(value, bool):
            return "an int, e.g. 2 (a bool is not a number here)"
        number = _as_number(value)
        shown_int = int(number) if number is not None and number == int(number) else 2
        return f"an int, e.g. {shown_int}"
    if hint is float:
        number = _as_number(value) if not isinstance(value, bool) else None
        return f"a number, e.g. {number if number is not None else 0.5}"
    if hint is str:
        sample = repr(str(value)) if isinstance(value, (int, float)) else "'name'"
        return f"a str, e.g. {sample}"
    if origin is Literal:
        text = next((choice for choice in args if choice == str(value)), None)
        as_text = f" (as text ({text!r}))" if isinstance(text, str) else ""
        return "one of " + ", ".join(repr(choice) for choice in args) + as_text
    if _is_union(origin):
        return " or ".join(_example(member, value) for member in args)
    if hint in _SEQUENCES or origin in _SEQUENCES:
        if origin is tuple and args and args[-1] is not Ellipsis and args != ((),):
            return f"a tuple of {len(args)}: ({', '.join(_type_name(arg) for arg in args)})"
        item = _type_name(args[0]) if args else "items"
        if isinstance(value, str):
            return f"a list of {item}, e.g. [{value!r}] (a str is not a list of {item})"
        return f"a list or tuple of {item}, e.g. [...]"
    if hint in _MAPPINGS or origin in _MAPPINGS:
        pair = f" of {_type_name(args[0])} to {_type_name(args[1])}" if len(args) == 2 else ""
        return f"a dict{pair}, e.g. {{'key': 'value'}}"
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        article = "an" if hint.__name__[:1] in "AEIOU" else "a"
        if isinstance(value, Mapping):
            return f"{article} {hint.__name__}(...), not a dict: e.g. {hint.__name__}(**that_dict)"
        return f"{article} {hint.__name__}(...)"
    return _type_name(hint)


def _as_number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def shown(value: Any, limit: int = 80) -> str:
    """`repr(value)`, cut to about `limit` characters: a huge bad value must not become a
    huge error line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def first_duplicate(values: Iterable[Any]) -> int | None:
    """The index of the first value that repeats an earlier one, or None."""
    seen: set[Any] = set()
    for index, value in enumerate(values):
        if value in seen:
            return index
        seen.add(value)
    return None


def check_unique(values: Sequence[T]) -> Sequence[T]:
    """Each value once: a repeated name is a mistake (two tenants, two repositories...)."""
    again = first_duplicate(values)
    if again is not None:
        raise ValueError(f"{values[again]} is listed more than once; list each once")
    return values


def check_choice(value: T, choices: Sequence[T]) -> T:
    """One of `choices` (what a `Literal` type says, checked at run time too)."""
    if value not in choices:
        raise ValueError(f"not one of {', '.join(str(c) for c in choices)}")
    return value


def check_range(value: int, low: int, high: int | None = None) -> int:
    """An int from `low` to `high` (inclusive; no upper bound when None). Refuses bools."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    if value < low or (high is not None and value > high):
        upper = f" to {high}" if high is not None else " or more"
        raise ValueError(f"must be {low}{upper}")
    return value


def check_principal_arn(value: str) -> str:
    """An IAM role or user ARN of the commercial partition (EKS access entries, ECR
    repository policies)."""
    if value.startswith("arn:") and not value.startswith("arn:aws:"):
        raise ValueError(
            "only the commercial partition is supported: IAM ARNs start with arn:aws:iam::"
        )
    match = IAM_PRINCIPAL_ARN.fullmatch(value)
    if match is None:
        raise ValueError(
            "not an IAM role or user ARN; expected arn:aws:iam::<12-digit account>:role/<name>"
            " or arn:aws:iam::<account>:user/<name>"
        )
    kind, path, name = match.group("kind", "path", "name")
    if len(path) > 512:
        raise ValueError(f"IAM paths are at most 512 characters; this one has {len(path)}")
    if len(name) > 64:
        raise ValueError(f"IAM {kind} names are at most 64 characters; this one has {len(name)}")
    if not IAM_NAME.fullmatch(name):
        raise ValueError(f"IAM {kind} names use only letters, digits and _+=,.@- characters")
    return value


def check_managed_policy_arn(value: str) -> str:
    """A managed policy ARN (AWS- or customer-managed) of the commercial partition."""
    if not (len(value) <= 2048 and MANAGED_POLICY_ARN.fullmatch(value)):
        raise ValueError(
            "not a managed policy ARN of the commercial partition; expected "
            "arn:aws:iam::aws:policy/<name> or arn:aws:iam::<12-digit account>:"
            "policy/<name> (name up to 128 characters)"
        )
    return value


def check_policy_name(value: str) -> str:
    """An IAM policy name (an AWS-managed policy's name, as in its ARN)."""
    if not re.fullmatch(r"[A-Za-z0-9_+=,.@-]{1,128}", value):
        raise ValueError(
            "not an IAM policy name: 1-128 letters, digits and _+=,.@-, e.g. AmazonS3ReadOnlyAccess"
        )
    return value


def check_action(value: str) -> str:
    """An IAM action of a workload policy: `service:Action`; a bare `*` is refused."""
    if value == "*":
        raise ValueError(
            "'*' grants every AWS action; list the actions the workload calls, e.g. s3:GetObject"
        )
    if not (len(value) <= 256 and IAM_ACTION.fullmatch(value)):
        raise ValueError("not of the form service:Action, e.g. s3:GetObject")
    return value


def check_resource_arn(value: str) -> str:
    """A resource of a workload policy: an ARN of the commercial partition, or `*`."""
    if not (len(value) <= 2048 and RESOURCE_ARN.fullmatch(value)):
        raise ValueError(
            "not an ARN of the commercial partition "
            "(arn:aws:<service>:<region>:<account>:<resource>) or '*'"
        )
    return value


def check_condition_operator(value: str) -> str:
    """An IAM condition operator, e.g. StringEquals, ForAnyValue:StringLike, ArnLikeIfExists."""
    if not CONDITION_OPERATOR.fullmatch(value):
        raise ValueError("not an IAM condition operator such as StringEquals or ArnLike")
    return value


def check_kubernetes_name(value: str) -> str:
    """A Kubernetes DNS-1123 label (namespace, service account): 1-63 lower-case letters,
    digits or '-', starting and ending with a letter or digit."""
    if not K8S_NAME.fullmatch(value):
        raise ValueError(
            "not a Kubernetes name: 1-63 lower-case letters, digits or '-', starting and "
            "ending with a letter or digit"
        )
    return value


def check_kubernetes_subdomain(value: str) -> str:
    """A Kubernetes DNS-1123 subdomain (a service account's name): at most 253 lower-case
    letters, digits, '-' or '.', starting and ending with a letter or digit."""
    if not (len(value) <= MAX_SUBDOMAIN_LENGTH and K8S_SUBDOMAIN.fullmatch(value)):
        raise ValueError(
            f"not a Kubernetes name: 1-{MAX_SUBDOMAIN_LENGTH} lower-case letters, digits, '-' "
            "or '.', starting and ending with a letter or digit"
        )
    return value


def check_tenant_namespace(value: str) -> str:
    """A namespace a tenant may own: a Kubernetes name the cluster and add-ons don't use."""
    check_kubernetes_name(value)
    if value in RESERVED_NAMESPACES or value.startswith("kube-"):
        raise ValueError(
            f"namespace {value!r} belongs to the cluster or its add-ons; choose another"
        )
    return value


def check_kubernetes_group(group: str) -> str:
    """A Kubernetes group of an access entry that an RBAC binding can name: printable, no
    surrounding spaces, at most 253 characters, not `system:` (EKS reserves those)."""
    if not group.strip():
        raise ValueError("a Kubernetes group name cannot be empty")
    if len(group) > MAX_GROUP_LENGTH:
        raise ValueError(f"Kubernetes group names here are at most {MAX_GROUP_LENGTH} characters")
    odd = sorted({f"U+{ord(c):04X}" for c in group if c != " " and not c.isprintable()})
    if odd:
        raise ValueError(
            f"contains the invisible or control characters {', '.join(odd)}; a group name "
            "is printable text"
        )
    if group != group.strip():
        raise ValueError("starts or ends with a space; RoleBindings would not match it")
    if group.startswith("system:"):
        raise ValueError(
            "starts with 'system:', which EKS reserves; use access policies for system-level access"
        )
    return group


def check_quantity(value: str, pattern: re.Pattern[str] = QUANTITY) -> str:
    """A Kubernetes resource quantity of 0 or more: 1, 500m, 1.5Gi, .5, 1e3 (requests,
    limits and quotas are never negative). `pattern`: MEMORY_QUANTITY for memory."""
    if not (isinstance(value, str) and len(value) <= 64 and pattern.fullmatch(value)):
        if pattern is MEMORY_QUANTITY:
            raise ValueError("not a Kubernetes memory quantity; write it like 400Gi")
        raise ValueError("not a Kubernetes quantity; write it like 1, 500m or 1Gi")
    if quantity_value(value) < 0:
        raise ValueError("negative; requests, limits and quotas are 0 or more")
    return value


def quantity_value(quantity: str) -> Decimal:
    """A Kubernetes quantity as a number (`500m` -> 0.5, `1Gi` -> 1073741824, `1e3` ->
    1000), to compare."""
    match = QUANTITY.fullmatch(quantity)
    if match is None:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}")
    number = Decimal(match.group("number"))
    suffix = match.group("suffix") or ""
    try:
        if suffix[:1] in ("e", "E") and len(suffix) > 1:
            number = number.scaleb(int(suffix[1:]))
        else:
            number *= _QUANTITY_FACTORS[suffix]
    except ArithmeticError:  # an exponent beyond Decimal's range
        raise ValueError(f"out of range: {quantity!r}") from None
    return -number if match.group("sign") == "-" else number


def check_cidr(value: str) -> str:
    """An IPv4 CIDR written canonically (host bits zero, no spaces or leading zeros)."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(
            f"not a valid IPv4 CIDR ({exc}); write it like 10.0.0.0/16, with the host bits zero"
        ) from None
    if str(network) != value:
        raise ValueError(f"write the CIDR as {network} (no spaces, leading zeros or newlines)")
    return value


def is_open_cidr(value: str) -> bool:
    """True for 0.0.0.0/0, the whole internet."""
    return ipaddress.IPv4Network(value, strict=True).prefixlen == 0


def check_repository_name(value: str) -> str:
    """An ECR repository name: 2-256 lower-case path components separated by '/'."""
    if not (2 <= len(value) <= 256 and REPOSITORY_NAME.fullmatch(value)):
        raise ValueError(
            "not an ECR repository name: 2-256 lower-case letters, digits and . _ - "
            "separated by '/', e.g. shop/api"
        )
    return value


def check_scan_filter(value: str) -> str:
    """An ECR enhanced-scanning repository filter: a name pattern with `*` wildcards."""
    if not (len(value) <= 256 and SCAN_FILTER.fullmatch(value)):
        raise ValueError(
            "not a repository name pattern: up to 256 lower-case letters, digits, "
            "* and . _ - / , like shop/*"
        )
    return value


def check_image(value: str) -> str:
    """A container image reference, e.g. registry/repo:1.2.3 or repo@sha256:..."""
    if not (len(value) <= 1024 and IMAGE.fullmatch(value)):
        raise ValueError("not an image reference; expected e.g. registry/repo:1.2.3")
    return value


def check_certificate_arn(value: str) -> str:
    """An ACM certificate ARN of the commercial partition."""
    if not CERTIFICATE_ARN.fullmatch(value):
        raise ValueError(
            "not an ACM certificate ARN of the commercial partition; expected "
            "arn:aws:acm:<region>:<account>:certificate/<id>"
        )
    return value


def check_connection_arn(value: str) -> str:
    """A CodeConnections (or older CodeStar Connections) connection ARN of the commercial
    partition; `CONNECTION_ARN` names its region and account."""
    if not CONNECTION_ARN.fullmatch(value):
        raise ValueError(
            "not a CodeConnections connection ARN; expected arn:aws:codeconnections:<region>:"
            "<12-digit account>:connection/<id> (or arn:aws:codestar-connections:...)"
        )
    return value


def check_source_repository(value: str) -> str:
    """A repository of a CodeConnections source: `owner/name`."""
    if not SOURCE_REPOSITORY.fullmatch(value) or value.partition("/")[2] in (".", ".."):
        raise ValueError("not a repository of the form owner/name, e.g. example-org/shop-web")
    return value


def check_branch(value: str) -> str:
    """A git branch name (refs/heads/ left out) as git check-ref-format allows it."""
    if (
        not value
        or len(value) > 255
        or BRANCH_FORBIDDEN.search(value) is not None
        or value.startswith(("-", "/", "."))
        or value.endswith(("/", ".", ".lock"))
        or value == "@"
    ):
        raise ValueError("not a git branch name, e.g. main or release/1.2")
    return value


def reworded(check: Callable[[T], T], problem: str) -> Callable[[T], T]:
    """`check` raising `problem` instead of its own message, for a caller whose users were
    told the rule in other words."""

    def checked(value: T) -> T:
        try:
            return check(value)
        except ValueError:
            raise ValueError(problem) from None

    return checked


def check_addon_version(value: str) -> str:
    """An EKS add-on version, e.g. v1.10.0-eksbuild.2."""
    if not ADDON_VERSION.fullmatch(value):
        raise ValueError("not an add-on version; expected e.g. v1.10.0-eksbuild.2")
    return value


def check_reason(value: str, minimum: int = MIN_REASON) -> str:
    """A free-text reason a reviewer reads: long enough to say something, and printable
    (newlines and tabs allowed)."""
    if len(value.strip()) < minimum:
        raise ValueError(f"needs at least {minimum} characters: it is the reason a reviewer reads")
    odd = sorted({f"U+{ord(c):04X}" for c in value if c not in " \n\t" and not c.isprintable()})
    if odd:
        raise ValueError(f"contains control or invisible characters {', '.join(odd)}")
    return value
