"""Users of a node and their API logins: passwords, bearer tokens, failed-login lockout.

``Authenticator`` is what the API uses (``create_app(node, auth=...)``);
``UserStore`` and ``LockoutLedger`` are what ``finchain users`` changes.
Files in the node home: ``users.json``, ``login_failures.json``, ``auth.lock``.
Operator guide: docs/OPERATIONS.md; endpoints and codes: docs/api.md.
"""

from finchain.node.auth.lockout import LockoutLedger, Policy
from finchain.node.auth.passwords import KdfParams, check_policy, hash_password
from finchain.node.auth.service import Authenticator, Grant, Principal
from finchain.node.auth.users import ROLES, User, UserStore

__all__ = [
    "ROLES",
    "Authenticator",
    "Grant",
    "KdfParams",
    "LockoutLedger",
    "Policy",
    "Principal",
    "User",
    "UserStore",
    "check_policy",
    "hash_password",
]
