"""phonerouting: one normalized model for phone-number routing across vendors.

>>> import phonerouting as pr
>>> pr.RoutingUpdate(forwarding_number="+1 (202) 555-9999").changes()
{'forwarding_number': '+12025559999'}
"""

import logging

from phonerouting._version import __version__
from phonerouting.async_client import AsyncClient
from phonerouting.client import Client
from phonerouting.connect import connect, connect_async
from phonerouting.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DuplicateNumberError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestRejectedError,
    RoutingError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    UnsupportedFieldError,
    ValidationError,
)
from phonerouting.model import (
    CLEAR,
    ROUTING_FIELDS,
    UNSET,
    Capabilities,
    PhoneNumber,
    RoutingUpdate,
    Unset,
    UpdateResult,
)
from phonerouting.protocol import AsyncPhoneNumberRouting, PhoneNumberRouting
from phonerouting.registry import PROVIDERS, Provider, providers, register_provider
from phonerouting.retry import RetryPolicy

__all__ = [
    "CLEAR",
    "PROVIDERS",
    "ROUTING_FIELDS",
    "UNSET",
    "AsyncClient",
    "AsyncPhoneNumberRouting",
    "AuthenticationError",
    "Capabilities",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "DuplicateNumberError",
    "NotFoundError",
    "PermissionDeniedError",
    "PhoneNumber",
    "PhoneNumberRouting",
    "Provider",
    "RateLimitError",
    "RequestRejectedError",
    "RetryPolicy",
    "RoutingError",
    "RoutingUpdate",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
    "Unset",
    "UnsupportedFieldError",
    "UpdateResult",
    "ValidationError",
    "__version__",
    "connect",
    "connect_async",
    "providers",
    "register_provider",
]

# A library logs; the application decides where it goes (nothing, by default).
logging.getLogger("phonerouting").addHandler(logging.NullHandler())
