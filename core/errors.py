"""One error type for every document that is not what a feed expects."""


class DocumentError(ValueError):
    """A document failed: names the document, what was expected and what was found."""

    def __init__(self, document: str, expected: str, found: str):
        self.document, self.expected, self.found = document, expected, found
        super().__init__(f"{document}: expected {expected}; found {found}")


class OtherTable(DocumentError):
    """The document is readable but is another table than the feed's: no sheet carries the feed's title.

    An archived copy that upstream filed under the wrong name (a table "by industry" in a folder of tables
    "by region") is refused on its own: nothing from it lands, its data year is a gap in the run summary
    and the marts, and the feed's other documents still land. Any other DocumentError fails the feed.
    """
