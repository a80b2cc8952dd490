"""Domain errors raised by accounts services; the API and the web pages map them to answers."""


class AccountsError(Exception):
    message = "The request could not be completed."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class InvalidCredentials(AccountsError):
    message = "Unable to log in with the email address and password provided."


class LoginLockedOut(AccountsError):
    message = (
        "Too many failed login attempts. This account is locked for this address; "
        "try again later or reset your password."
    )


class EmailNotVerified(AccountsError):
    message = (
        "Verify your email address before logging in: follow the link in the email we sent you."
    )


class InvalidToken(AccountsError):
    message = "The token is invalid or has expired."
