"""What storage refuses, with the facts a journey needs to explain it; no user wording here."""


class StorageRefusal(Exception):
    """An expected refusal: nothing was changed."""


class IdAlreadyRegistered(StorageRefusal):
    def __init__(self, cert_number: str) -> None:
        super().__init__(cert_number)
        self.cert_number = cert_number


class OpenidAlreadyBound(StorageRefusal):
    def __init__(self, cert_number: str) -> None:
        super().__init__(cert_number)
        self.cert_number = cert_number


class UnitNotFound(StorageRefusal):
    pass


class UnknownRegion(StorageRefusal):
    pass


class DuplicateUnit(StorageRefusal):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class InvalidCreditCode(StorageRefusal):
    pass


class AdminScopeInvalid(StorageRefusal):
    """The role does not fit the unit or region given (a unit admin needs a unit, and so on)."""


class AlreadyAdmin(StorageRefusal):
    pass


class InviteUnusable(StorageRefusal):
    def __init__(self, why: str) -> None:  # "unknown", "used", "expired"
        super().__init__(why)
        self.why = why


class OutOfScope(StorageRefusal):
    pass


class RecordNotFound(StorageRefusal):
    pass


class AlreadyDecided(StorageRefusal):
    def __init__(self, status: str, decided_by: str) -> None:
        super().__init__(status, decided_by)
        self.status = status
        self.decided_by = decided_by


class PersonNotFound(StorageRefusal):
    pass


class StillBound(StorageRefusal):
    """A rebinding code was asked for a person whose WeChat account is still bound."""


class RebindRefused(StorageRefusal):
    """The rebinding code is wrong, used or expired, or the name is not the person's: nothing was bound."""


class OwnRecord(StorageRefusal):
    """An admin acted on their own hours (the same WeChat account as the person): nobody decides their own."""
