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
