"""One error type for every document that is not what a feed expects."""


class DocumentError(ValueError):
    """A document failed: names the document, what was expected and what was found."""

    def __init__(self, document: str, expected: str, found: str):
        self.document, self.expected, self.found = document, expected, found
        super().__init__(f"{document}: expected {expected}; found {found}")
