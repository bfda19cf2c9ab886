"""The archive of dream-drawing pairs, the curator web app and the research export."""

from dreamdraw.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "errors": ["ArchiveError", "BlobUnavailable", "RecordNotFound"],
        "curators": ["Curator"],
        "spreadsheet": ["SpreadsheetCsvWriter", "spreadsheet_cell"],
        "record": ["CLUSTERS", "Consent", "Record"],
        "settings": ["ArchiveSettings"],
        "store": ["Archive", "Page", "RecordFilter", "open_archive"],
        "check": ["CheckReport", "check_archive"],
        "export": ["ExportResult", "export_records", "research_filter"],
        "web": ["create_app"],
    },
)
