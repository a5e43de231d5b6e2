"""Error codes of node user authentication (codespace ``auth``).

None of them ever carries a password, a token or a password hash. The login
failures for an unknown user, a wrong password and a disabled user share one
code and one message, so an answer never tells whether a username exists.
"""

from finchain.errors import register

ErrInvalidCredentials = register("auth", 2, "invalid username or password")
ErrUnauthenticated = register("auth", 3, "a valid bearer token is required: log in first")
ErrForbidden = register("auth", 4, "the user lacks the role this endpoint needs")
ErrUserLockedOut = register("auth", 5, "username locked after repeated failed logins")
ErrAddressLockedOut = register("auth", 6, "client address locked after repeated failed logins")
ErrTooManySessions = register("auth", 7, "the node's session limit is reached")
ErrInvalidUsername = register("auth", 8, "invalid username")
ErrInvalidPassword = register("auth", 9, "password does not meet the password policy")
ErrInvalidRole = register("auth", 10, "unknown role")
ErrUserExists = register("auth", 11, "a user with this name already exists")
ErrUserNotFound = register("auth", 12, "no such user")
ErrAuthStore = register("auth", 13, "the node's user or lockout file is unreadable or malformed")
