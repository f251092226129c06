"""Authentication: who is calling, verified from a bearer token.

- :mod:`~graph_service.auth.caller`: :class:`Caller` (subject, :class:`Role`, manager id),
  what the GraphQL context carries for the access rules and the audit trail;
- :mod:`~graph_service.auth.tokens`: token verification (PyJWT) against an OIDC issuer's
  JWKS or the data directory's local issuer, and the local issuer itself;
- :mod:`~graph_service.auth.middleware`: the HTTP side (401 with ``WWW-Authenticate``).
"""

from graph_service.auth.caller import INSECURE_CALLER, Caller, Role, cli_caller

__all__ = ["INSECURE_CALLER", "Caller", "Role", "cli_caller"]
