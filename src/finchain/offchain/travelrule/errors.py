"""Error codes of the travel-rule envelope library (codespace ``travel``).

Opening can also fail with the crypto codespace's ``ErrDecryptionFailed`` (a
slot not sealed to this key, or an altered envelope: which one is not said),
``ErrInvalidKey`` and ``ErrUnknownEncryptionScheme``.

Exception tree::

    FinchainError (finchain.errors)    .codespace == "travel", .code below
"""

from finchain.errors import register

CODESPACE = "travel"

ErrInvalidEnvelope = register(CODESPACE, 2, "travel-rule envelope is malformed or incomplete")
ErrNotARecipient = register(CODESPACE, 3, "the envelope is not sealed to this recipient")
ErrEnvelopeMismatch = register(
    CODESPACE, 4, "the envelope does not match the on-chain travel record or transfer"
)
