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


class DuplicateRecord(StorageRefusal):
    """A transfer or import repeats a record the person already has (same paper number, year, course and hours).
    `line`: the import's line, where there is one."""

    def __init__(self, record_id: int, line: int = 0) -> None:
        super().__init__(record_id, line)
        self.record_id = record_id
        self.line = line


class NotApproved(StorageRefusal):
    """Only an approved record can be voided or corrected; `status` is what the record is."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class AlreadyVoided(StorageRefusal):
    def __init__(self, at: object, reason: str) -> None:
        super().__init__(at, reason)
        self.at = at
        self.reason = reason


class NothingToCorrect(StorageRefusal):
    """A correction that changes nothing."""
