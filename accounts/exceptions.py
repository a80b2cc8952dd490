"""Domain errors raised by accounts services. Each says its HTTP status and code; the API's
one exception handler (smartbook/api/errors.py) turns it into the error envelope, and the
web pages map them to their own answers."""


class AccountsError(Exception):
    message = "The request could not be completed."
    status_code = 400
    code = "invalid"
    # The request field the error is about, if any (named in the envelope's `errors`).
    field: str | None = None

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        if field is not None:
            self.field = field


class InvalidCredentials(AccountsError):
    message = "Unable to log in with the email address and password provided."
    status_code = 401
    code = "invalid_credentials"


class LoginLockedOut(AccountsError):
    message = (
        "Too many failed login attempts. This account is locked for this address; "
        "try again later or reset your password."
    )
    status_code = 429
    code = "locked_out"


class EmailNotVerified(AccountsError):
    message = (
        "Verify your email address before logging in: follow the link in the email we sent you."
    )
    status_code = 403
    code = "email_unverified"


class InvalidToken(AccountsError):
    message = "The token is invalid or has expired."
    status_code = 401
    code = "token_not_valid"
