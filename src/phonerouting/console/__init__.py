"""The web console: pages for people, served by the admin service beside its API.

`phonerouting.server.create_app` serves it at ``/`` (under the mount prefix when
mounted): sign in with a token, the inventory, a number's routing and its edit form,
bulk change sets, migrations and the audit trail. It uses only the service's own API
and auth: its pages ask the API's handlers in process as the signed-in session's
principal, and its scripts write through ``/api/v1`` with the session cookie and its
CSRF token (`phonerouting.console.sessions`).

It needs the ``server`` extra (Jinja2); ``import phonerouting`` never imports it. Its
templates, stylesheet and scripts ship in the package: no CDN, no build step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from phonerouting.server.app import Api

__all__ = ["console_routes"]


def console_routes(api: Api) -> list[BaseRoute]:
    """The console's routes over ``api``, with the session cookie accepted by it too."""
    from phonerouting.console.pages import console_routes as routes
    from phonerouting.console.sessions import SessionAuth

    auth = SessionAuth(api.service.store, api.service.config.tokens)
    api.sessions = auth
    return routes(api, auth)
