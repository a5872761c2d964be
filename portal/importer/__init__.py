"""The SSDA903 import (CONTRACT.md, "Import: SSDA903-shaped CSV files"): reading and
checking the CSV files a council already produces, one module per file, and
`import_903`, which applies them all or nothing and again incrementally."""

from portal.importer.csvfile import Problem
from portal.importer.ssda903 import FILE_NAMES, ImportRejected, ImportSummary, files_in, import_903

__all__ = ["FILE_NAMES", "ImportRejected", "ImportSummary", "Problem", "files_in", "import_903"]
